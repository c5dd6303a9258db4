package seal_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/onestop-helpline/onestop/seal"
)

func box(t *testing.T, key byte) *seal.Box {
	t.Helper()
	b, err := seal.New(bytes.Repeat([]byte{key}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSealOpensOnlyWithItsKey(t *testing.T) {
	a, b := box(t, 1), box(t, 2)
	sealed := a.SealString("+8801711000001")
	if bytes.Contains(sealed, []byte("1711000001")) {
		t.Fatal("sealed value shows the number")
	}
	if got, err := a.OpenString(sealed); err != nil || got != "+8801711000001" {
		t.Fatalf("open = %q, %v", got, err)
	}
	if _, err := b.Open(sealed); err == nil {
		t.Fatal("opened with another key")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := a.Open(sealed); err == nil {
		t.Fatal("opened a tampered value")
	}
	if _, err := a.Open([]byte("short")); err == nil {
		t.Fatal("opened a short value")
	}
	if bytes.Equal(a.SealString("x"), a.SealString("x")) {
		t.Fatal("two seals of one value are equal: the nonce is not fresh")
	}
	if a.Seal(nil) != nil {
		t.Fatal("sealing nothing should store nothing")
	}
}

func TestHashIsKeyedAndStable(t *testing.T) {
	a, b := box(t, 1), box(t, 2)
	if !bytes.Equal(a.Hash("+8801711000001"), a.Hash("+8801711000001")) {
		t.Fatal("hash not stable")
	}
	if bytes.Equal(a.Hash("+8801711000001"), b.Hash("+8801711000001")) {
		t.Fatal("hash does not depend on the key")
	}
	if bytes.Equal(a.Hash("+8801711000001"), a.Hash("+8801711000002")) {
		t.Fatal("different numbers share a hash")
	}
}

func TestLoadKeyCreatesAPrivateFileAndReadsItBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "seal.key")
	k1, err := seal.LoadKey("", path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	k2, err := seal.LoadKey("", path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatalf("reading the key back: %v, equal=%v", err, bytes.Equal(k1, k2))
	}
	os.Chmod(path, 0o644)
	if _, err := seal.LoadKey("", path); err == nil {
		t.Fatal("accepted a key file others can read")
	}
}

func TestLoadKeyFromTheEnvironmentValue(t *testing.T) {
	want := bytes.Repeat([]byte{7}, seal.KeySize)
	got, err := seal.LoadKey(base64.StdEncoding.EncodeToString(want), "/nonexistent/never-created")
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("LoadKey = %x, %v", got, err)
	}
	if _, err := seal.LoadKey("c2hvcnQ=", ""); err == nil {
		t.Fatal("accepted a short key")
	}
	if _, err := os.Stat("/nonexistent/never-created"); err == nil {
		t.Fatal("created a key file although the key was given")
	}
}
