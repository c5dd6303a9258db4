package gateway_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/gateway"
)

type fakeReceiver struct {
	reply flows.SMSReply
	err   error
	calls int
}

func (f *fakeReceiver) Receive(context.Context, flows.InboundSMS) (flows.SMSReply, error) {
	f.calls++
	return f.reply, f.err
}

type writable struct{}

func (writable) Writable(context.Context) error { return nil }

func TestReceiveSMSCountsEachOutcome(t *testing.T) {
	g := gateway.New(gateway.Config{}, writable{})
	ok := flows.InboundSMS{Provider: "p", ID: "m1", From: "+8801711000101"}
	for _, tc := range []struct {
		name    string
		in      flows.InboundSMS
		rcv     *fakeReceiver
		outcome string
		code    string
		calls   int
	}{
		{"no id", flows.InboundSMS{Provider: "p", From: "+8801711000101"}, &fakeReceiver{}, "rejected", onestop.EINVALID, 0},
		{"no sender", flows.InboundSMS{Provider: "p", ID: "m1"}, &fakeReceiver{}, "rejected", onestop.EINVALID, 0},
		{"receiver fails", ok, &fakeReceiver{err: errors.New("disk")}, "failed", onestop.EINTERNAL, 1},
		{"retried", ok, &fakeReceiver{reply: flows.SMSReply{Duplicate: true}}, "duplicate", "", 1},
		{"new", ok, &fakeReceiver{}, "ok", "", 1},
	} {
		before := testutil.ToFloat64(g.Metrics.Hops.WithLabelValues("p-sms", tc.outcome))
		err := g.ReceiveSMS(context.Background(), tc.rcv, tc.in, time.Now(), "missing id or from")
		if onestop.ErrorCode(err) != tc.code || tc.rcv.calls != tc.calls {
			t.Errorf("%s: err %v, %d receives; want code %q, %d", tc.name, err, tc.rcv.calls, tc.code, tc.calls)
		}
		if tc.code == onestop.EINVALID && onestop.ErrorMessage(err) != "missing id or from" {
			t.Errorf("%s: reason %q", tc.name, onestop.ErrorMessage(err))
		}
		if after := testutil.ToFloat64(g.Metrics.Hops.WithLabelValues("p-sms", tc.outcome)); after != before+1 {
			t.Errorf("%s: %q counted %v → %v", tc.name, tc.outcome, before, after)
		}
	}
}
