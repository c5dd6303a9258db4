package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"sync"
	"time"
)

// The services' records are compact binary encodings: a version byte, then the fields in a
// fixed order, each a varint or a length-prefixed string. These helpers write and read them, so
// that every record kept on the hot path of a hop is encoded the same way. (Records written
// before a service moved to this were JSON, whose first byte is always '{'; each service still
// reads those.)

// AppendBytes appends v with its length in front.
func AppendBytes(b, v []byte) []byte { return append(binary.AppendUvarint(b, uint64(len(v))), v...) }

// AppendString appends v with its length in front.
func AppendString(b []byte, v string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(v))), v...)
}

// AppendBool appends v as one byte.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// AppendTime appends the instant t; zero stays zero. Its zone is not kept (see AppendZonedTime).
func AppendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return binary.AppendVarint(b, 0)
	}
	return binary.AppendVarint(b, t.UnixNano())
}

// AppendZonedTime appends the instant t and its offset from UTC, for a time that is shown as
// the local time it was given in.
func AppendZonedTime(b []byte, t time.Time) []byte {
	b = AppendTime(b, t)
	if t.IsZero() {
		return b
	}
	_, off := t.Zone()
	return binary.AppendVarint(b, int64(off))
}

// ErrTruncated is a Reader's error for a record that ends before its last field.
var ErrTruncated = errors.New("truncated record")

// Reader reads a binary record. The first error sticks, and every read after it returns zero.
type Reader struct {
	b   []byte
	err error
}

// NewReader reads b.
func NewReader(b []byte) *Reader { return &Reader{b: b} }

// Err is the first error met, nil if none.
func (r *Reader) Err() error { return r.err }

// Uvarint reads an unsigned varint.
func (r *Reader) Uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = ErrTruncated
		return 0
	}
	r.b = r.b[n:]
	return v
}

// Int reads a signed varint.
func (r *Reader) Int() int {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = ErrTruncated
		return 0
	}
	r.b = r.b[n:]
	return int(v)
}

// raw returns the next length-prefixed field, still inside the database's memory.
func (r *Reader) raw() []byte {
	n := r.Uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = ErrTruncated
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

// Bytes reads a length-prefixed field and copies it out: bbolt's memory is valid only inside
// the transaction. An empty field is nil.
func (r *Reader) Bytes() []byte {
	if v := r.raw(); len(v) > 0 {
		return bytes.Clone(v)
	}
	return nil
}

// String reads a length-prefixed field.
func (r *Reader) String() string { return string(r.raw()) }

// Bool reads one byte.
func (r *Reader) Bool() bool {
	if r.err != nil {
		return false
	}
	if len(r.b) == 0 {
		r.err = ErrTruncated
		return false
	}
	v := r.b[0] == 1
	r.b = r.b[1:]
	return v
}

// Time reads what AppendTime wrote, in the local zone as time.Unix gives it.
func (r *Reader) Time() time.Time {
	n := r.Int()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(n))
}

// ZonedTime reads what AppendZonedTime wrote, at the offset it was written with: in UTC when
// that was UTC, else in a zone of that fixed offset, as a time read back from JSON is.
func (r *Reader) ZonedTime() time.Time {
	t := r.Time()
	if t.IsZero() {
		return t
	}
	off := r.Int()
	if off == 0 {
		return t.UTC()
	}
	return t.In(fixedZone(off))
}

// zones holds a location for each offset met: a handful (the helpline's countries), and
// time.FixedZone allocates one on every call.
var zones sync.Map

func fixedZone(off int) *time.Location {
	if l, ok := zones.Load(off); ok {
		return l.(*time.Location)
	}
	l, _ := zones.LoadOrStore(off, time.FixedZone("", off))
	return l.(*time.Location)
}
