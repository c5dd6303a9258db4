package seal_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

func TestCheckValueDependsOnTheKeyAlone(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, seal.KeySize), bytes.Repeat([]byte{2}, seal.KeySize)
	a, _ := seal.New(k1)
	a2, _ := seal.New(k1)
	b, _ := seal.New(k2)
	if len(a.Check()) != 32 || !bytes.Equal(a.Check(), a2.Check()) {
		t.Fatalf("one key, two check values: %x, %x", a.Check(), a2.Check())
	}
	if bytes.Equal(a.Check(), b.Check()) {
		t.Fatal("two keys share a check value")
	}
	// The check value is neither the key nor a hash a lookup could produce.
	if bytes.Contains(a.Check(), k1[:8]) || bytes.Equal(a.Check()[:16], a.Hash("onestop key check v1")) {
		t.Fatal("the check value shows the key or a lookup hash")
	}
}

func TestReadKeyNeverCreatesAKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "seal.key")
	_, err := seal.ReadKey("", path)
	if !errors.Is(err, seal.ErrNoKey) || !strings.Contains(err.Error(), path) {
		t.Fatalf("ReadKey of a missing file: %v, want ErrNoKey naming %s", err, path)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("ReadKey created %s", path)
	}
	want, err := seal.LoadKey("", path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := seal.ReadKey("", path); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("ReadKey of the file LoadKey made: %x, %v", got, err)
	}
}

func TestAppendHashIsHashOfTheJoinedParts(t *testing.T) {
	a := box(t, 1)
	for _, parts := range [][]string{{"ussd-session:", "africastalking", ":", "ATUid_1"}, {"+8801711000001"}, {}, {strings.Repeat("9*", 2000)}} {
		want := a.Hash(strings.Join(parts, ""))
		if got := a.AppendHash(nil, parts...); !bytes.Equal(got, want) || len(want) != seal.HashSize {
			t.Fatalf("AppendHash(%q) = %x, want %x", parts, got, want)
		}
		if got := a.AppendHash([]byte("x"), parts...); !bytes.Equal(got, append([]byte("x"), want...)) {
			t.Fatalf("AppendHash after a prefix = %x", got)
		}
	}
	// The hashes stores hold under this key: they must never change.
	for in, want := range map[string]string{
		"+8801711000001":                      "f2ce81e301311cc662f355e2ba4e6794",
		"ussd-session:africastalking:ATUid_1": "ee189ee25b5f4a17b4f6e61289bc7473",
	} {
		if got := fmt.Sprintf("%x", a.Hash(in)); got != want {
			t.Fatalf("Hash(%q) = %s, want %s as before", in, got, want)
		}
	}
}
