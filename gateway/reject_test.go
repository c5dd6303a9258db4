package gateway

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/onestop-helpline/onestop"
)

type okHealth struct{}

func (okHealth) Writable(context.Context) error { return nil }

func TestRejectedWebhookIsLoggedWithoutNumbers(t *testing.T) {
	var logs bytes.Buffer
	g := New(Config{Log: slog.New(slog.NewJSONHandler(&logs, nil))}, okHealth{})
	g.Webhook(fiber.MethodPost, "/ussd/test", func(c *fiber.Ctx) error {
		return onestop.Errorf(onestop.EINVALID, "phoneNumber %q is not a number", "+88017110000012")
	})
	resp, err := g.App.Test(httptest.NewRequest("POST", "/ussd/test", nil))
	if err != nil || resp.StatusCode != 400 {
		t.Fatalf("%v %v", resp, err)
	}
	line := logs.String()
	if !strings.Contains(line, `"msg":"webhook rejected"`) || !strings.Contains(line, `"status":400`) || strings.Contains(line, "7110000") {
		t.Fatalf("log: %s", line)
	}
	if got := hideDigits("id 12 of 123456, 7"); got != "id 12 of …, 7" {
		t.Fatalf("hideDigits: %q", got)
	}
}
