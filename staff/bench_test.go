package staff

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/seal"
)

// BenchmarkOnDutyNow is the question every closing screen that promises a call now asks, of a
// rota of twelve counsellors in three zones.
func BenchmarkOnDutyNow(b *testing.B) {
	ctx := context.Background()
	db, err := bolt.Open(filepath.Join(b.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	box, err := seal.New(bytes.Repeat([]byte{7}, seal.KeySize))
	if err != nil {
		b.Fatal(err)
	}
	s := New(db, box, casebook.New(db, box), nil)
	zones := []string{"Asia/Dhaka", "Asia/Kolkata", "Asia/Hebron"}
	for i := 0; i < 12; i++ {
		sh, err := ParseShift("mon-fri/08:00-16:00")
		if err != nil {
			b.Fatal(err)
		}
		c := &Counsellor{Number: fmt.Sprintf("+88019110003%02d", i), Lang: onestop.English, TZ: zones[i%3], Shifts: []Shift{sh}}
		if err := s.SetDuty(context.Background(), c); err != nil {
			b.Fatal(err)
		}
	}
	at := time.Date(2026, 11, 27, 3, 30, 0, 0, time.UTC)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !s.OnDutyNow(ctx, at) {
			b.Fatal("nobody on duty")
		}
	}
}
