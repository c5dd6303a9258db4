package gateway

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/onestop-helpline/onestop"
)

// Observed wraps h, a webhook that does not count its own requests (a delivery report, a step of
// a bridged call), so that every request it answers is counted under provider, with its latency,
// by what the answer says: ok, rejected (4xx: the request was refused and changed nothing) or
// failed (5xx). A webhook that shows a caller a kind ending on a failure counts its own, since
// its status says 200 there.
func (g *Gateway) Observed(provider string, h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := h(c)
		g.Metrics.Observe(provider, Outcome(c, err), start)
		return err
	}
}

// Outcome is the outcome a webhook's answer counts as: the status of err when there is one (as
// the gateway's error handler will write it), else the response's own.
func Outcome(c *fiber.Ctx, err error) string {
	status := c.Response().StatusCode()
	if err != nil {
		var fe *fiber.Error
		if errors.As(err, &fe) {
			status = fe.Code
		} else {
			status = Status(onestop.ErrorCode(err))
		}
	}
	switch {
	case status >= 500:
		return "failed"
	case status >= 400:
		return "rejected"
	}
	return "ok"
}
