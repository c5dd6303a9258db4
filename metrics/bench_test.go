package metrics

import (
	"context"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
)

// BenchmarkRead reads every count over 50,000 contacts, a tenth of them with a plan inside
// their window, and their follow-ups: the cost of one scrape past the cache.
func BenchmarkRead(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	now := f.db.Now()
	for range 50 {
		if err := f.db.Update(ctx, func(tx onestop.Tx) error {
			for i := range 1000 {
				c := &onestop.Contact{Channel: onestop.USSD, Urgency: onestop.NonUrgent, Status: onestop.Done, Country: "BD", Time: now}
				if i%10 == 0 {
					c.Status, c.Caller = onestop.Open, "+8801711000001"
					c.Plan = &onestop.SafeContactPlan{MayCall: true, Number: c.Caller, Window: onestop.Now, Opens: now.Add(-time.Minute), Closes: now.Add(time.Hour)}
				}
				if err := f.cases.Put(tx, c); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	c := f.collector(time.Nanosecond, time.Minute)
	b.ResetTimer()
	for range b.N {
		if s := c.read(); !s.casesOK || s.cases.CallbacksDue != 5000 {
			b.Fatalf("read %+v", s.cases.CallbacksDue)
		}
	}
}
