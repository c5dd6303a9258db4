package gateway

import (
	"context"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/outbox"
)

// SMSReceiver answers inbound texts, whichever aggregator brought them: flows.SMS.
type SMSReceiver interface {
	Receive(ctx context.Context, in flows.InboundSMS) (flows.SMSReply, error)
}

// DeliveryReports records aggregators' delivery reports against sent messages: outbox.Outbox.
type DeliveryReports interface {
	Report(ctx context.Context, provider, providerID string, st outbox.State, reason string) error
}

// ReceiveSMS hands one inbound text to sms and counts the outcome under its provider. missing is
// the reason given when the aggregator left out the message id or the sender, in its own field
// names. The caller writes the aggregator's acknowledgement when it returns nil.
func (g *Gateway) ReceiveSMS(ctx context.Context, sms SMSReceiver, in flows.InboundSMS, start time.Time, missing string) error {
	label := in.Provider + "-sms"
	if in.ID == "" || in.From == "" {
		g.Metrics.Observe(label, "rejected", start)
		return onestop.Errorf(onestop.EINVALID, "%s", missing)
	}
	reply, err := sms.Receive(ctx, in)
	if err != nil {
		g.Metrics.Observe(label, "failed", start)
		return err
	}
	outcome := "ok"
	if reply.Duplicate {
		outcome = "duplicate"
	}
	g.Metrics.Observe(label, outcome, start)
	return nil
}
