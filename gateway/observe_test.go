package gateway_test

import (
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/gateway"
)

// A webhook that does not count its own requests is counted by what it answered.
func TestObservedCountsEachAnswerByItsStatus(t *testing.T) {
	g := gateway.New(gateway.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, writable{})
	answers := map[string]fiber.Handler{
		"ok":        func(c *fiber.Ctx) error { return c.SendString("ok") },
		"empty":     func(c *fiber.Ctx) error { c.Status(fiber.StatusOK); return nil },
		"invalid":   func(*fiber.Ctx) error { return onestop.Errorf(onestop.EINVALID, "missing id") },
		"mediatype": func(*fiber.Ctx) error { return fiber.NewError(fiber.StatusUnsupportedMediaType, "form expected") },
		"written":   func(c *fiber.Ctx) error { return c.Status(fiber.StatusForbidden).SendString("no") },
		"broken":    func(*fiber.Ctx) error { return errors.New("disk on fire") },
		"closed":    func(*fiber.Ctx) error { return onestop.ErrStoreClosed },
	}
	for name, h := range answers {
		g.Webhook(fiber.MethodPost, "/sms/test/"+name, g.Observed("test-delivery", h))
	}
	for name := range answers {
		resp, err := g.App.Test(httptest.NewRequest("POST", "/sms/test/"+name, nil))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	for outcome, want := range map[string]float64{"ok": 2, "rejected": 3, "failed": 2} {
		if n := testutil.ToFloat64(g.Metrics.Hops.WithLabelValues("test-delivery", outcome)); n != want {
			t.Errorf("%s counted %v, want %v", outcome, n, want)
		}
	}
	if n := testutil.CollectAndCount(g.Metrics.Latency, "onestop_hop_seconds"); n != 1 {
		t.Errorf("%d latency series, want 1", n)
	}
}
