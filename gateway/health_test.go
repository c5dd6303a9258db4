package gateway_test

import (
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/onestop-helpline/onestop/gateway"
)

func healthz(t *testing.T, g *gateway.Gateway) (int, string) {
	t.Helper()
	resp, err := g.App.Test(httptest.NewRequest("GET", "/healthz", nil))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestHealthzFailsWhenTheKeyDoesNotFit(t *testing.T) {
	var fits error
	g := gateway.New(gateway.Config{KeyFits: func() error { return fits }, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, writable{})
	if code, body := healthz(t, g); code != 200 || body != "ok" {
		t.Fatalf("with the key fitting: %d %q", code, body)
	}
	fits = errors.New("check value differs")
	if code, body := healthz(t, g); code != 503 || body != "sealing key does not fit the data" {
		t.Fatalf("with the key not fitting: %d %q, want 503 with the reason", code, body)
	}
}

func TestHealthzSaysWhenItServesASimulation(t *testing.T) {
	if _, body := healthz(t, gateway.New(gateway.Config{}, writable{})); body != "ok" {
		t.Fatalf("a real gateway says %q", body)
	}
	if _, body := healthz(t, gateway.New(gateway.Config{Simulated: true}, writable{})); body != gateway.HealthSimulated {
		t.Fatalf("a simulation says %q, want %q", body, gateway.HealthSimulated)
	}
}
