package bdapps

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/flows"
)

// moSMS is an inbound text as the platform posts it.
type moSMS struct {
	Version       string `json:"version"`
	ApplicationID string `json:"applicationId"`
	SourceAddress string `json:"sourceAddress"`
	Message       string `json:"message"`
	RequestID     string `json:"requestId"`
	Encoding      string `json:"encoding"`
}

// MaxSMSBody bounds an inbound text's body: ten concatenated parts, escaped, and the other
// fields.
const MaxSMSBody = 16 << 10

// SMS takes one inbound text (a community worker's REF or STATUS) into the SMS conversation,
// whose reply goes out through the outbox. The platform's request id is the message's id, so a
// retried post records nothing new. A text from a masked address is refused: the conversation
// knows workers by their numbers, and a reply could not be addressed to a number it cannot read.
func (h *Handler) SMS(c *fiber.Ctx) error {
	start := time.Now()
	var mo moSMS
	if err := h.decode(c, &mo, MaxSMSBody); err != nil {
		h.g.Metrics.Observe(Provider+"-sms", "rejected", start)
		return err
	}
	from := ""
	if mo.SourceAddress != "" {
		caller, masked := Caller(mo.SourceAddress)
		if masked {
			h.g.Metrics.Observe(Provider+"-sms", "rejected", start)
			return onestop.Errorf(onestop.EINVALID, "sourceAddress is not a number")
		}
		from = caller
	}
	in := flows.InboundSMS{Provider: Provider, ID: mo.RequestID, From: from, Text: mo.Message}
	if err := h.g.ReceiveSMS(c.UserContext(), h.sms, in, start, "missing requestId or sourceAddress"); err != nil {
		return err
	}
	return writeAck(c)
}
