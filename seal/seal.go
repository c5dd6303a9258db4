// Package seal keeps personal data unreadable at rest: phone numbers and free text are sealed
// with AES-256-GCM under a key that lives outside the database file, and are looked up through a
// keyed hash so that no index holds a number either.
//
// It must never write a key into the database, and never log a key or a plaintext.
package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// KeySize is the size of a sealing key: AES-256.
const KeySize = 32

// ErrNoKey is returned by ReadKey when there is no key file: the key must come from where it
// was kept, never be made anew, once the data is sealed under one.
var ErrNoKey = errors.New("seal: no sealing key")

// ErrOpen is returned when a sealed value does not open: a wrong key or a damaged record.
var ErrOpen = errors.New("seal: cannot open sealed value (wrong key or damaged data)")

// Box seals and opens values and hashes lookup keys. It is safe for concurrent use.
type Box struct {
	aead cipher.AEAD
	// check is the key's check value (see Check).
	check []byte
	// hashes holds keyed HMACs ready for reuse, each with room for its input and its sum
	// (*hasher): Hash runs several times on every hop.
	hashes sync.Pool
}

// hasher is a keyed HMAC and the buffer its input is gathered in and its sum written to, so a
// hash costs no allocation but its result.
type hasher struct {
	mac hash.Hash
	buf []byte
}

// maxHasherBuf is the largest buffer a hasher keeps for the next hash.
const maxHasherBuf = 1 << 10

// New returns a Box for a 32-byte key. The sealing and hashing keys are derived from it
// separately, so a hash never reveals anything about the cipher key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("seal: key is %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(derive(key, "onestop seal v1"))
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	hashKey := derive(key, "onestop lookup v1")
	b := &Box{aead: aead, check: derive(key, "onestop key check v1")}
	b.hashes.New = func() any { return &hasher{mac: hmac.New(sha256.New, hashKey), buf: make([]byte, 0, 128)} }
	return b, nil
}

func derive(key []byte, label string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(label))
	return m.Sum(nil)
}

// Check returns the key's check value: an HMAC-SHA-256 of a fixed label under the key. The
// database keeps it, so that a key which would not open the data is told apart at start, before
// anything is sealed under it; it reveals nothing about the key, as a hash does not.
func (b *Box) Check() []byte { return bytes.Clone(b.check) }

// Seal returns nonce||ciphertext for plain. Sealing the empty value returns nil, so that "none"
// stays distinguishable and costs nothing.
func (b *Box) Seal(plain []byte) []byte {
	if len(plain) == 0 {
		return nil
	}
	out := make([]byte, b.aead.NonceSize(), b.aead.NonceSize()+len(plain)+b.aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		// crypto/rand does not fail on supported platforms; if it ever did, sealing with a
		// predictable nonce would be worse than stopping.
		panic("seal: no randomness: " + err.Error())
	}
	return b.aead.Seal(out, out, plain, nil)
}

// Open returns the plaintext of a value made by Seal, or ErrOpen.
func (b *Box) Open(sealed []byte) ([]byte, error) {
	if len(sealed) == 0 {
		return nil, nil
	}
	n := b.aead.NonceSize()
	if len(sealed) < n+b.aead.Overhead() {
		return nil, ErrOpen
	}
	plain, err := b.aead.Open(nil, sealed[:n], sealed[n:], nil)
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// SealString and OpenString are Seal and Open for text.
func (b *Box) SealString(s string) []byte { return b.Seal([]byte(s)) }

// OpenString opens a value sealed by SealString.
func (b *Box) OpenString(sealed []byte) (string, error) {
	p, err := b.Open(sealed)
	return string(p), err
}

// HashSize is the size of a lookup hash.
const HashSize = 16

// Hash returns the keyed lookup hash of s (HMAC-SHA-256, first 16 bytes): the same s always
// gives the same hash under one key, and without the key nobody can test a guessed number.
func (b *Box) Hash(s string) []byte { return b.AppendHash(make([]byte, 0, HashSize), s) }

// AppendHash appends to dst the lookup hash of parts joined with nothing between them: the
// same as Hash of their concatenation, without making it.
func (b *Box) AppendHash(dst []byte, parts ...string) []byte {
	h := b.hashes.Get().(*hasher)
	in := h.buf[:0]
	for _, p := range parts {
		in = append(in, p...)
	}
	h.mac.Reset()
	h.mac.Write(in)
	sum := h.mac.Sum(in) // in, then the sum
	dst = append(dst, sum[len(in):len(in)+HashSize]...)
	if cap(sum) <= maxHasherBuf {
		h.buf = sum[:0]
	}
	b.hashes.Put(h)
	return dst
}

// LoadKey returns the sealing key. value, when set, is the key itself in base64 (the
// environment's way); otherwise path is read, and created with a new random key, mode 0600, if
// it does not exist. A key file readable by others is refused.
func LoadKey(value, path string) ([]byte, error) { return loadKey(value, path, true) }

// ReadKey is LoadKey without creating anything: a missing key file is an error wrapping ErrNoKey
// that names the file looked for. It is how the key is read once the data is sealed under one,
// where a new key would only hide the lost one.
func ReadKey(value, path string) ([]byte, error) { return loadKey(value, path, false) }

func loadKey(value, path string, create bool) ([]byte, error) {
	if value != "" {
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(value))
		if err != nil || len(k) != KeySize {
			return nil, fmt.Errorf("seal: the key must be %d bytes in base64", KeySize)
		}
		return k, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if !create {
			return nil, fmt.Errorf("%w: there is no key file %s", ErrNoKey, path)
		}
		return createKey(path)
	} else if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("seal: key file %s is readable by others (mode %v); chmod 600 it", path, fi.Mode().Perm())
	}
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(k) != KeySize {
		return nil, fmt.Errorf("seal: key file %s does not hold a %d-byte base64 key", path, KeySize)
	}
	return k, nil
}

func createKey(path string) ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	if _, err := f.WriteString(base64.StdEncoding.EncodeToString(k) + "\n"); err != nil {
		f.Close()
		return nil, fmt.Errorf("seal: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("seal: %w", err)
	}
	return k, f.Close()
}
