package casebook

import (
	"encoding/binary"
	"encoding/json"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
)

// TestCallbackTaskRecords moved here from cmd/onestop/sms_test.go with the record it reads.
func TestCallbackTaskRecords(t *testing.T) {
	dhaka := time.FixedZone("", 6*3600)
	task := CallbackTask{
		ContactID: 4711, Ref: derivedRef(4711), Window: onestop.Evening, TZ: "Asia/Dhaka",
		Due:     time.Date(2026, 11, 24, 17, 0, 0, 0, dhaka),
		Closes:  time.Date(2026, 11, 24, 21, 0, 0, 0, dhaka),
		Created: time.Unix(1_800_000_000, 5), OutboxID: 99,
	}
	got, err := unmarshalTask(task.marshal())
	if err != nil || got != task {
		t.Fatalf("read back %+v, %v; wrote %+v", got, err, task)
	}
	if got.Due.String() != task.Due.String() {
		t.Errorf("due reads %s, was %s", got.Due, task.Due)
	}
	// Written before the binary format: JSON, still read the same.
	old, err := json.Marshal(&task)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := unmarshalTask(old); err != nil || got.Ref != task.Ref || !got.Due.Equal(task.Due) || got.OutboxID != 99 {
		t.Fatalf("JSON task read as %+v, %v", got, err)
	}
	// Written when the reference was computed from the contact's ID: version 1, without it.
	v2 := task.marshal()
	_, n := binary.Uvarint(v2[1:])
	l, m := binary.Uvarint(v2[1+n:])
	v1 := append([]byte{taskBinary1}, v2[1:1+n]...)
	v1 = append(v1, v2[1+n+m+int(l):]...)
	if got, err := unmarshalTask(v1); err != nil || got.Ref != derivedRef(4711) || !got.Due.Equal(task.Due) || got.OutboxID != 99 {
		t.Fatalf("version 1 task read as %+v, %v", got, err)
	}
	drawn := task
	drawn.Ref = "3406220"
	if got, err := unmarshalTask(drawn.marshal()); err != nil || got.Ref != "3406220" {
		t.Fatalf("a task with a drawn reference read as %+v, %v", got, err)
	}
	for _, bad := range [][]byte{nil, {9, 1}, task.marshal()[:5], []byte(`{"contactId":`)} {
		if got, err := unmarshalTask(bad); err == nil {
			t.Errorf("%q read as %+v", bad, got)
		}
	}
}
