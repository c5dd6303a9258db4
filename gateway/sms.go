package gateway

import (
	"context"

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
