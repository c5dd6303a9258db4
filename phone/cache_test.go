package phone_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/phone"
)

func TestCacheAnswersAsParseDoes(t *testing.T) {
	c := phone.NewCache(3)
	tests := []struct{ in, region string }{
		{"+8801711000001", ""},
		{"01711000001", "BD"},
		{"+91 98765 43210", ""},
		{"+970599123456", ""},
		{"+8801711000001", ""}, // again, after the cache was cleared for being full
		{"01711000001", ""},    // a national number read without a region is not a number
		{"hello", ""},
		{"", ""},
	}
	for round := 0; round < 2; round++ {
		for _, tt := range tests {
			want, wantErr := phone.Parse(tt.in, tt.region)
			got, err := c.Parse(tt.in, tt.region)
			if got != want || onestop.ErrorCode(err) != onestop.ErrorCode(wantErr) || (err == nil) != (wantErr == nil) {
				t.Errorf("round %d: Cache.Parse(%q, %q) = %+v, %v; Parse gives %+v, %v", round, tt.in, tt.region, got, err, want, wantErr)
			}
			if c.Len() > 3 {
				t.Fatalf("cache holds %d numbers, more than its size", c.Len())
			}
		}
	}
}

func TestCacheKeepsOnlyNumbers(t *testing.T) {
	c := phone.NewCache(100)
	for i := 0; i < 50; i++ {
		c.Parse(fmt.Sprintf("junk%d", i), "")
	}
	if c.Len() != 0 {
		t.Fatalf("%d entries after only junk", c.Len())
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				n, err := c.Parse(fmt.Sprintf("+88017110%05d", i), "")
				if err != nil || n.E164 != fmt.Sprintf("+88017110%05d", i) {
					t.Errorf("%+v, %v", n, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if c.Len() > 100 || c.Len() == 0 {
		t.Fatalf("cache of 100 holds %d", c.Len())
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := phone.Parse("+8801711000001", ""); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCacheParse(b *testing.B) {
	c := phone.NewCache(1 << 16)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Parse("+8801711000001", ""); err != nil {
				b.Fatal(err)
			}
		}
	})
}
