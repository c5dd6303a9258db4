package store

import (
	"testing"
	"time"
)

// FuzzReader: a damaged record read field by field ends in an error, never a panic nor a
// field longer than the record.
func FuzzReader(f *testing.F) {
	f.Add(AppendString(AppendBytes(AppendTime(nil, time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC)), []byte("x")), "y"), "tbsBzi")
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, "sssb")
	f.Add([]byte{}, "u")
	f.Fuzz(func(t *testing.T, b []byte, ops string) {
		r := NewReader(b)
		for _, op := range ops {
			switch op {
			case 'u':
				r.Uvarint()
			case 'i':
				r.Int()
			case 'b':
				if v := r.Bytes(); len(v) > len(b) {
					t.Fatalf("a field of %d bytes from a record of %d", len(v), len(b))
				}
			case 's':
				if v := r.String(); len(v) > len(b) {
					t.Fatalf("a field of %d bytes from a record of %d", len(v), len(b))
				}
			case 'B':
				r.Bool()
			case 't':
				r.Time()
			case 'z':
				r.ZonedTime()
			}
		}
		_ = r.Err()
	})
}
