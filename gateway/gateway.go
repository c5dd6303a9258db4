// Package gateway is the helpline's HTTP face: the Fiber app every aggregator's webhooks hang
// on, with the health check, metrics, webhook authentication, logging and panic recovery they
// share, and what their outbound Senders share when they call a provider's HTTP API. Each
// aggregator's wire format lives in its own subpackage; this one knows none of them.
//
// It must never log a request body, a whole phone number or a webhook secret.
package gateway

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/onestop-helpline/onestop"
)

// Config is the gateway's part of the operator's configuration.
type Config struct {
	// WebhookToken, when set, must be the last path segment of every webhook URL
	// (/ussd/africastalking/TOKEN) or its token query parameter: Africa's Talking signs nothing,
	// so a secret URL is how a webhook tells the aggregator from anyone else.
	WebhookToken string
	// WebhookUser and WebhookPassword, when set, require HTTP basic auth on every webhook.
	WebhookUser, WebhookPassword string
	Log                          *slog.Logger
	// KeyFits, when set, says whether the sealing key still fits the data: the health check
	// fails when it does not, since nothing sealed then could be read with the rest.
	KeyFits func() error
	// Simulated says the gateway serves a simulation (onestop serve --simulate): its health
	// check answers "ok simulated", so a load run can tell it from a real helpline.
	Simulated bool
}

// HealthSimulated is the health check's answer from a gateway serving a simulation.
const HealthSimulated = "ok simulated"

// Health is what the health check asks: can a write be committed now.
type Health interface {
	Writable(ctx context.Context) error
}

// Metrics are the gateway's Prometheus metrics, on a registry of its own.
type Metrics struct {
	Registry *prometheus.Registry
	Hops     *prometheus.CounterVec
	Latency  *prometheus.HistogramVec
}

func newMetrics() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		Hops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "onestop_hops_total", Help: "Webhook hops answered, by provider and outcome.",
		}, []string{"provider", "outcome"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "onestop_hop_seconds", Help: "Time to answer a webhook hop, durable write included.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5},
		}, []string{"provider"}),
	}
	m.Registry.MustRegister(m.Hops, m.Latency, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Observe counts one hop.
func (m *Metrics) Observe(provider, outcome string, since time.Time) {
	m.Hops.WithLabelValues(provider, outcome).Inc()
	m.Latency.WithLabelValues(provider).Observe(time.Since(since).Seconds())
}

// Gateway is the app and what its handlers share.
type Gateway struct {
	App     *fiber.App
	Metrics *Metrics
	Log     *slog.Logger
	cfg     Config
}

// BodyLimit bounds every request body. Webhook hops are a few hundred bytes; the limit is for
// the console's directory imports.
const BodyLimit = 4 << 20

// New returns the gateway with its health check and metrics routes. Aggregator packages add
// their webhooks to Webhooks().
func New(cfg Config, health Health) *Gateway {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	g := &Gateway{Metrics: newMetrics(), Log: cfg.Log, cfg: cfg}
	g.App = fiber.New(fiber.Config{
		AppName:               "onestop",
		DisableStartupMessage: true,
		BodyLimit:             BodyLimit,
		ReadTimeout:           15 * time.Second,
		WriteTimeout:          15 * time.Second,
		IdleTimeout:           60 * time.Second,
		ErrorHandler:          g.errorHandler,
	})
	g.App.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		g.Log.Error("handler panicked", "route", c.Route().Path, "panic", e)
	}}))
	g.App.Get("/healthz", func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
		defer cancel()
		if cfg.KeyFits != nil {
			if err := cfg.KeyFits(); err != nil {
				g.Log.Error("health check: the sealing key does not fit the data", "err", err)
				return c.Status(fiber.StatusServiceUnavailable).SendString("sealing key does not fit the data")
			}
		}
		if err := health.Writable(ctx); err != nil {
			g.Log.Error("health check: store not writable", "err", err)
			return c.Status(fiber.StatusServiceUnavailable).SendString("store not writable")
		}
		if cfg.Simulated {
			return c.SendString(HealthSimulated)
		}
		return c.SendString("ok")
	})
	g.App.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(g.Metrics.Registry, promhttp.HandlerOpts{})))
	return g
}

// Webhook registers an aggregator's webhook, guarded by the operator's webhook secret, if any.
// With a token configured it answers at path/TOKEN (or path?token=TOKEN) and nowhere else.
func (g *Gateway) Webhook(method, path string, h fiber.Handler) {
	if g.cfg.WebhookToken != "" {
		path += "/:token?"
	}
	// The check sits on the route itself, not in a group middleware: only a route's own
	// handlers see its parameters.
	g.App.Add(method, path, g.authenticate, h)
}

func (g *Gateway) authenticate(c *fiber.Ctx) error {
	if tok := g.cfg.WebhookToken; tok != "" {
		got := c.Params("token")
		if got == "" {
			got = c.Query("token")
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(tok)) != 1 {
			return fiber.NewError(fiber.StatusNotFound, "not found")
		}
	}
	if g.cfg.WebhookUser != "" {
		user, pass, ok := basicAuth(c.Get(fiber.HeaderAuthorization))
		if !ok || subtle.ConstantTimeCompare([]byte(user), []byte(g.cfg.WebhookUser)) != 1 ||
			subtle.ConstantTimeCompare([]byte(pass), []byte(g.cfg.WebhookPassword)) != 1 {
			c.Set(fiber.HeaderWWWAuthenticate, `Basic realm="onestop"`)
			return fiber.NewError(fiber.StatusUnauthorized, "authentication required")
		}
	}
	return c.Next()
}

func basicAuth(h string) (user, pass string, ok bool) {
	const prefix = "Basic "
	if len(h) < len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", "", false
	}
	b, err := base64.StdEncoding.DecodeString(h[len(prefix):])
	if err != nil {
		return "", "", false
	}
	user, pass, ok = strings.Cut(string(b), ":")
	return user, pass, ok
}

// errorHandler answers with a status and a plain reason. An onestop.Error's message is shown;
// anything else is logged and shown as "Internal error." so internals never leak.
func (g *Gateway) errorHandler(c *fiber.Ctx, err error) error {
	status, reason := fiber.StatusInternalServerError, ""
	var fe *fiber.Error
	if errors.As(err, &fe) {
		status, reason = fe.Code, fe.Message
	} else {
		code := onestop.ErrorCode(err)
		if code == onestop.EINTERNAL {
			g.Log.Error("request failed", "route", c.Route().Path, "err", err)
		}
		status, reason = Status(code), onestop.ErrorMessage(err)
	}
	if status < 500 && isWebhook(c.Path()) {
		// One line per refusal, so an operator sees a misconfigured aggregator or a prober at
		// once; the reason is ours, with any run of digits in it hidden.
		g.Log.Warn("webhook rejected", "route", c.Route().Path, "status", status, "reason", hideDigits(reason))
	}
	return c.Status(status).SendString(reason)
}

// isWebhook reports whether path is an aggregator's webhook.
func isWebhook(path string) bool {
	for _, p := range []string{"/ussd/", "/sms/", "/voice/"} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// hideDigits replaces each run of four digits or more in s: a reason must not carry a number.
func hideDigits(s string) string {
	var b strings.Builder
	run := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			run++
			continue
		}
		b.WriteString(digitsOrHidden(s[i-run : i]))
		run = 0
		b.WriteByte(s[i])
	}
	b.WriteString(digitsOrHidden(s[len(s)-run:]))
	return b.String()
}

func digitsOrHidden(d string) string {
	if len(d) >= 4 {
		return "…"
	}
	return d
}

// Status maps an error code to its HTTP status.
func Status(code string) int {
	switch code {
	case onestop.EINVALID:
		return fiber.StatusBadRequest
	case onestop.ENOTFOUND:
		return fiber.StatusNotFound
	case onestop.ECONFLICT:
		return fiber.StatusConflict
	case onestop.EFORBIDDEN:
		return fiber.StatusForbidden
	case onestop.EUNAVAILABLE:
		return fiber.StatusServiceUnavailable
	}
	return fiber.StatusInternalServerError
}
