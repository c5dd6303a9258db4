package bolt

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Restore puts the backup at src in place of the file at dst, once it has passed bbolt's
// consistency check and accept (which is given the backup opened, to check its key), and keeps
// the file it replaces beside it as dst.before-restore-TIME. Nothing may hold dst: a process
// that does holds its lock, and Restore refuses.
func Restore(src, dst string, accept func(*DB) error) (replaced string, err error) {
	tmp := dst + ".restoring"
	if err := copyFile(src, tmp); err != nil {
		return "", err
	}
	defer os.Remove(tmp)
	db, err := Open(tmp, time.Second)
	if err != nil {
		return "", fmt.Errorf("%s is not a store this version opens: %w", src, err)
	}
	if errs := db.Check(); len(errs) > 0 {
		db.Close()
		return "", fmt.Errorf("%s fails bbolt's consistency check: %w", src, errors.Join(errs...))
	}
	if err := accept(db); err != nil {
		db.Close()
		return "", err
	}
	if err := db.Close(); err != nil {
		return "", err
	}
	// The file in use is locked by whoever serves it: refuse rather than pull it from under them.
	if _, err := os.Stat(dst); err != nil {
		return "", os.Rename(tmp, dst)
	}
	if cur, err := Open(dst, 100*time.Millisecond); errors.Is(err, ErrLocked) {
		return "", fmt.Errorf("%s is held by a running onestop serve: stop it first", dst)
	} else if err != nil {
		return "", err
	} else {
		cur.Close()
		replaced = fmt.Sprintf("%s.before-restore-%s", dst, time.Now().UTC().Format("20060102T150405Z"))
		if err := os.Rename(dst, replaced); err != nil {
			return "", err
		}
	}
	return replaced, os.Rename(tmp, dst)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
