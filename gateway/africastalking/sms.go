package africastalking

import (
	"bytes"
	"mime"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/outbox"
)

// Africa's Talking's SMS callbacks: an inbound text (from, to, text, date, id, linkId,
// networkCode) and a delivery report (id, status, phoneNumber, networkCode, failureReason), both
// form POSTs. AT retries an inbound text until it gets a 200, so a failure to record answers 500
// and a repeat of a recorded one answers 200 with nothing recorded.

// MaxSMSBody bounds an SMS callback's body: ten concatenated parts, escaped, and the other fields.
const MaxSMSBody = 16 << 10

// SMSHandler serves Africa's Talking's SMS callbacks.
type SMSHandler struct {
	g       *gateway.Gateway
	sms     gateway.SMSReceiver
	reports gateway.DeliveryReports
}

// RegisterSMS adds POST /sms/africastalking/delivery and POST /sms/africastalking to the
// gateway's webhooks. The delivery route is added first, so that with a webhook token the
// inbound route's optional token segment never swallows it.
func RegisterSMS(g *gateway.Gateway, sms gateway.SMSReceiver, reports gateway.DeliveryReports) *SMSHandler {
	h := &SMSHandler{g: g, sms: sms, reports: reports}
	g.Webhook(fiber.MethodPost, "/sms/africastalking/delivery", g.Observed(Provider+"-delivery", h.Delivery))
	g.Webhook(fiber.MethodPost, "/sms/africastalking", h.Inbound)
	return h
}

// smsForm checks the content type and size and returns the form, whose values must be copied
// before they are kept.
func smsForm(c *fiber.Ctx) (func(string) string, error) {
	if mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType)); err != nil || mt != fiber.MIMEApplicationForm {
		return nil, fiber.NewError(fiber.StatusUnsupportedMediaType, "content type must be application/x-www-form-urlencoded")
	}
	if len(c.Body()) > MaxSMSBody {
		return nil, fiber.NewError(fiber.StatusRequestEntityTooLarge, "body is larger than an SMS callback")
	}
	form := c.Request().PostArgs()
	return func(k string) string { return string(bytes.TrimSpace(form.Peek(k))) }, nil
}

// number restores the + that a gateway which forgot to escape it delivered as a space.
func number(c *fiber.Ctx, key, trimmed string) string {
	if raw := c.Request().PostArgs().Peek(key); len(raw) > 0 && raw[0] == ' ' {
		return "+" + trimmed
	}
	return trimmed
}

// Inbound records one inbound text and queues its reply. It answers 200 with an empty body:
// the reply goes out through the outbox, since AT's SMS callback carries none.
func (h *SMSHandler) Inbound(c *fiber.Ctx) error {
	start := time.Now()
	get, err := smsForm(c)
	if err != nil {
		h.g.Metrics.Observe(Provider+"-sms", "rejected", start)
		return err
	}
	in := flows.InboundSMS{
		Provider: Provider, ID: get("id"), From: number(c, "from", get("from")), To: get("to"),
		Text: string(c.Request().PostArgs().Peek("text")), Network: get("networkCode"),
	}
	if err := h.g.ReceiveSMS(c.UserContext(), h.sms, in, start, "missing id or from"); err != nil {
		return err
	}
	c.Status(fiber.StatusOK)
	return nil
}

// atDelivery maps AT's delivery statuses to the outbox's: Sent, Submitted and Buffered are on
// the way; Success is final and delivered; Rejected and Failed are final failures.
var atDelivery = map[string]outbox.State{
	"Sent": outbox.Sent, "Submitted": outbox.Sent, "Buffered": outbox.Sent,
	"Success": outbox.Delivered, "Rejected": outbox.Failed, "Failed": outbox.Failed,
}

// Delivery records a delivery report. A report for a message the outbox never sent is answered
// 200 all the same, so AT does not retry it for hours; it is logged.
func (h *SMSHandler) Delivery(c *fiber.Ctx) error {
	get, err := smsForm(c)
	if err != nil {
		return err
	}
	id, status := get("id"), get("status")
	st, ok := atDelivery[status]
	if id == "" || !ok {
		return onestop.Errorf(onestop.EINVALID, "a delivery report needs an id and a known status")
	}
	err = h.reports.Report(c.UserContext(), Provider, id, st, get("failureReason"))
	switch onestop.ErrorCode(err) {
	case "":
	case onestop.ENOTFOUND:
		h.g.Log.Warn("delivery report for an unknown message", "provider", Provider, "status", status)
	default:
		return err
	}
	c.Status(fiber.StatusOK)
	return nil
}
