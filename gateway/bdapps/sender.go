package bdapps

import (
	"context"
	"errors"
	"net/http"

	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/outbox"
)

// The encodings sms/send takes. TAP's values are the SMS data coding scheme's byte (3GPP TS
// 23.038): 0 the GSM default alphabet, 240 (0xF0) a flash message, 245 (0xF5) 8-bit data, and 8
// (0x08) UCS-2, which Bengali needs.
const (
	encodingText = "0"
	encodingUCS2 = "8"
)

// mtSMS is a text as sms/send takes it.
type mtSMS struct {
	ApplicationID         string   `json:"applicationId"`
	Password              string   `json:"password"`
	Message               string   `json:"message"`
	DestinationAddresses  []string `json:"destinationAddresses"`
	SourceAddress         string   `json:"sourceAddress,omitempty"`
	DeliveryStatusRequest string   `json:"deliveryStatusRequest"`
	Encoding              string   `json:"encoding"`
	Version               string   `json:"version"`
}

// Sender sends SMS through the platform's sms/send.
type Sender struct {
	cfg    Config
	client *http.Client
}

// NewSender returns the outbox's Sender for c's application; client nil is gateway.Client's
// default.
func NewSender(c Config, client *http.Client) *Sender {
	return &Sender{cfg: c, client: gateway.Client(client)}
}

// Name is Provider: the outbox hands this Sender the messages queued for the platform.
func (s *Sender) Name() string { return Provider }

// Send posts m to one number. No delivery report is asked for: the platform's report format is
// not known here, and a report nobody reads is a number sent back for nothing. Calls are not the
// platform's and fail permanently.
func (s *Sender) Send(ctx context.Context, m *outbox.Message) (outbox.Receipt, error) {
	if m.Kind != outbox.SMS {
		return outbox.Receipt{}, &outbox.SendError{Permanent: true, Msg: "bdapps: only SMS"}
	}
	if len(m.To) < 2 || m.To[0] != '+' {
		return outbox.Receipt{}, &outbox.SendError{Permanent: true, Msg: "bdapps: the number is not in E.164"}
	}
	enc := encodingText
	if _, gsm := locales.Length(m.Text); !gsm {
		enc = encodingUCS2
	}
	mt := mtSMS{
		ApplicationID: s.cfg.AppID, Password: s.cfg.Password, Message: m.Text,
		DestinationAddresses: []string{"tel:" + m.To[1:]}, SourceAddress: s.cfg.SMSSource,
		DeliveryStatusRequest: "0", Encoding: enc, Version: "1.0",
	}
	out, err := post(ctx, s.client, s.cfg.base()+"/sms/send", mt)
	if err != nil {
		var se *statusError
		if errors.As(err, &se) {
			// Every refusal is retried until the outbox's last attempt: a wrong password or an
			// application not yet live is the operator's to fix, and the message waits for it.
			return outbox.Receipt{}, gateway.Transient(se.status, se.code, se.detail, se.header)
		}
		return outbox.Receipt{}, err
	}
	id := out.RequestID
	if len(out.Destinations) > 0 && out.Destinations[0].MessageID != "" {
		id = out.Destinations[0].MessageID
	} else if out.MessageID != "" {
		id = out.MessageID
	}
	return outbox.Receipt{ProviderID: id}, nil
}
