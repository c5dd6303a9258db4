// Package metrics is what an operator of the helpline watches beside the gateway's hop counts:
// the outbound queue by state and audience, the urgent alerts and escalations, the urgent
// contacts nobody has taken on, the callbacks due now, the contacts kept by channel and urgency,
// and the size of the store. It is one prometheus.Collector, registered on the gateway's
// registry, that reads those counts through the services' Count functions when it is scraped.
//
// A scrape must never slow the helpline down: the counts are read in read transactions only
// (never a write), each bucket is walked at most once per read, a read is given a bounded time,
// and scrapes that come faster than MaxAge are answered from the last read without touching the
// store. It reports counts only: never a number, a name, a reference or anything a person typed.
package metrics

import (
	"context"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/alerts"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/outbox"
)

// The defaults of Config.
const (
	DefaultMaxAge  = 15 * time.Second
	DefaultTimeout = 5 * time.Second
)

// Config is what the collector reads. Each service is optional: a nil one is not counted.
type Config struct {
	Outbox *outbox.Outbox
	Cases  *casebook.Casebook
	Alerts *alerts.Service
	// Size, when set, returns the store's size in bytes (FileSize for bolt, the postgres
	// DB's Size).
	Size func(ctx context.Context) (int64, error)
	// Now is the clock for the callbacks due and for the cache (nil: time.Now). Give it the
	// store's Now, so that tests that move the store's time move this too.
	Now func() time.Time
	// MaxAge is how old the counts may be when a scrape is answered from the last read
	// (0: DefaultMaxAge).
	MaxAge time.Duration
	// Timeout bounds one read of the counts (0: DefaultTimeout). A scrape waits no longer for
	// it; it is answered from the last read, whose age onestop_counts_age_seconds shows.
	Timeout time.Duration
	Log     *slog.Logger
	// Sessions, when set, is the conversation engine, whose sessions in memory and sessions
	// that ended unrecorded are served as they are at each scrape.
	Sessions interface {
		Live() int
		Unrecorded() uint64
	}
}

// FileSize returns a Size function reporting the size of the file at path: bolt's file
// (bolt.DB.Path).
func FileSize(path string) func(context.Context) (int64, error) {
	return func(context.Context) (int64, error) {
		fi, err := os.Stat(path)
		if err != nil {
			return 0, err
		}
		return fi.Size(), nil
	}
}

// Collector is the prometheus.Collector of the helpline's counts. It is safe for concurrent
// use.
type Collector struct {
	cfg    Config
	errors *prometheus.CounterVec

	mu      sync.Mutex
	last    *snapshot     // the last read that finished; nil before the first
	reading chan struct{} // closed when the read in flight finishes; nil when none is
}

// snapshot is one read of the counts. A source whose count failed has its ok flag false.
type snapshot struct {
	at       time.Time
	took     time.Duration
	outbox   outbox.Counts
	cases    casebook.Counts
	alerts   alerts.Counts
	size     int64
	outboxOK bool
	casesOK  bool
	alertsOK bool
	sizeOK   bool
}

// New returns the collector for cfg. Register it on the gateway's registry:
//
//	reg.MustRegister(metrics.New(cfg))
func New(cfg Config) *Collector {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Collector{cfg: cfg, errors: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "onestop_counts_errors_total",
		Help: "Reads of the helpline's counts that failed, by source; a failed source's gauges are left out of that scrape.",
	}, []string{"source"})}
}

// Register registers a collector for cfg on reg: the gateway's Metrics.Registry.
func Register(reg prometheus.Registerer, cfg Config) (*Collector, error) {
	c := New(cfg)
	if e := cfg.Sessions; e != nil {
		if err := reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "onestop_sessions_in_memory",
			Help: "USSD sessions held in memory between hops (0 on a shared store, where every hop is written)."},
			func() float64 { return float64(e.Live()) })); err != nil {
			return nil, err
		}
		if err := reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "onestop_sessions_unrecorded_total",
			Help: "USSD sessions that ended before she chose anything: counted here, never recorded."},
			func() float64 { return float64(e.Unrecorded()) })); err != nil {
			return nil, err
		}
	}
	return c, reg.Register(c)
}

var (
	descOutbox = prometheus.NewDesc("onestop_outbox_messages",
		"Messages in the outbound queue, by state and audience.", []string{"state", "audience"}, nil)
	descOutboxUnreadable = prometheus.NewDesc("onestop_outbox_unreadable",
		"Records in the outbound queue that could not be decoded.", nil, nil)
	descAlerts = prometheus.NewDesc("onestop_alert_messages",
		"Urgent alerts (cause alert) and escalations (cause escalation) in the outbound queue, by state. A role-addressed alert is expanded into one message per person on duty.",
		[]string{"cause", "state"}, nil)
	descUrgent = prometheus.NewDesc("onestop_urgent_contacts",
		"Urgent contacts whose follow-up is kept.", nil, nil)
	descUnacked = prometheus.NewDesc("onestop_urgent_unacknowledged",
		"Urgent contacts nobody has acknowledged yet.", nil, nil)
	descEscalationDue = prometheus.NewDesc("onestop_urgent_escalation_due",
		"Unacknowledged urgent contacts due for escalation and not yet escalated; above 0 for long, the escalation sweep is not running.", nil, nil)
	descEscalated = prometheus.NewDesc("onestop_urgent_escalated",
		"Urgent contacts escalated to the fallback list, acknowledged since or not.", nil, nil)
	descAlertFailed = prometheus.NewDesc("onestop_urgent_alert_failed",
		"Unacknowledged urgent contacts with an alert that died, was undelivered or was never queued.", nil, nil)
	descNobodyOnDuty = prometheus.NewDesc("onestop_urgent_nobody_on_duty",
		"Unacknowledged urgent contacts that arrived with nobody on the duty rota.", nil, nil)
	descCallbacks = prometheus.NewDesc("onestop_callbacks_due",
		"Callbacks a counsellor may place now: the contact open, inside her window, no number of hers marked do not contact.", nil, nil)
	descContacts = prometheus.NewDesc("onestop_contacts",
		"Contacts kept, by channel and urgency.", []string{"channel", "urgency"}, nil)
	descContactsUnreadable = prometheus.NewDesc("onestop_contacts_unreadable",
		"Contact records that could not be decoded.", nil, nil)
	descSize = prometheus.NewDesc("onestop_store_bytes",
		"Size of the store: the bolt file, or the PostgreSQL tables with their indexes.", nil, nil)
	descAge = prometheus.NewDesc("onestop_counts_age_seconds",
		"Age of the counts this scrape reports.", nil, nil)
	descTook = prometheus.NewDesc("onestop_counts_read_seconds",
		"Time the last read of the counts took.", nil, nil)
)

// The label values every scrape reports, at 0 when there is none, so that an operator's rule
// on a series that is absent today still works tomorrow.
var (
	states    = []outbox.State{outbox.Queued, outbox.Sending, outbox.Sent, outbox.Delivered, outbox.Failed, outbox.Dead, outbox.Expanded, outbox.Cancelled}
	audiences = []outbox.Audience{outbox.Survivor, outbox.Unregistered, outbox.Worker, outbox.Counsellor, outbox.Official, outbox.Centre}
	channels  = []onestop.Channel{onestop.USSD, onestop.SMS, onestop.Voice}
	urgencies = []onestop.Urgency{onestop.Urgent, onestop.NonUrgent, onestop.Information, ""}
)

// unclassified is the urgency label of a contact not classified yet.
const unclassified = "unclassified"

// Describe sends every metric's description.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOutbox, descOutboxUnreadable, descAlerts, descUrgent, descUnacked,
		descEscalationDue, descEscalated, descAlertFailed, descNobodyOnDuty, descCallbacks, descContacts,
		descContactsUnreadable, descSize, descAge, descTook} {
		ch <- d
	}
	c.errors.Describe(ch)
}

// Collect sends the counts of the last read, reading them again first when they are older than
// MaxAge.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.counts()
	defer c.errors.Collect(ch)
	if s == nil {
		return // the first read has not finished in time
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(descAge, c.cfg.Now().Sub(s.at).Seconds())
	gauge(descTook, s.took.Seconds())
	if s.outboxOK {
		byStateAudience := map[[2]string]int{}
		byCause := map[[2]string]int{}
		for _, st := range states {
			for _, a := range audiences {
				byStateAudience[[2]string{string(st), string(a)}] = 0
			}
			byCause[[2]string{string(outbox.CauseAlert), string(st)}] = 0
			byCause[[2]string{string(outbox.CauseEscalation), string(st)}] = 0
		}
		for t, n := range s.outbox.Messages {
			byStateAudience[[2]string{string(t.State), string(t.Audience)}] += n
			if t.Cause == outbox.CauseAlert || t.Cause == outbox.CauseEscalation {
				byCause[[2]string{string(t.Cause), string(t.State)}] += n
			}
		}
		for _, k := range sortedKeys(byStateAudience) {
			gauge(descOutbox, float64(byStateAudience[k]), k[0], k[1])
		}
		for _, k := range sortedKeys(byCause) {
			gauge(descAlerts, float64(byCause[k]), k[0], k[1])
		}
		gauge(descOutboxUnreadable, float64(s.outbox.Unreadable))
	}
	if s.alertsOK {
		a := s.alerts
		gauge(descUrgent, float64(a.Urgent))
		gauge(descUnacked, float64(a.Unacknowledged))
		gauge(descEscalationDue, float64(a.EscalationDue))
		gauge(descEscalated, float64(a.Escalated))
		gauge(descAlertFailed, float64(a.Failed))
		gauge(descNobodyOnDuty, float64(a.NobodyOnDuty))
	}
	if s.casesOK {
		byKind := map[[2]string]int{}
		for _, ch := range channels {
			for _, u := range urgencies {
				byKind[[2]string{string(ch), urgencyLabel(u)}] = 0
			}
		}
		for t, n := range s.cases.Contacts {
			byKind[[2]string{string(t.Channel), urgencyLabel(t.Urgency)}] += n
		}
		for _, k := range sortedKeys(byKind) {
			gauge(descContacts, float64(byKind[k]), k[0], k[1])
		}
		gauge(descCallbacks, float64(s.cases.CallbacksDue))
		gauge(descContactsUnreadable, float64(s.cases.Unreadable))
	}
	if s.sizeOK {
		gauge(descSize, float64(s.size))
	}
}

func urgencyLabel(u onestop.Urgency) string {
	if u == "" {
		return unclassified
	}
	return string(u)
}

func sortedKeys(m map[[2]string]int) [][2]string {
	keys := make([][2]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	return keys
}

// counts returns the last read when it is younger than MaxAge; otherwise it starts a read (or
// joins the one in flight) and waits for it at most Timeout, then returns the latest read there
// is, nil when none has finished yet. Only one read is ever in flight: scrapes that pile up
// behind a slow store share it rather than each opening a transaction of their own.
func (c *Collector) counts() *snapshot {
	c.mu.Lock()
	if s := c.last; s != nil && c.cfg.Now().Sub(s.at) < c.cfg.MaxAge {
		c.mu.Unlock()
		return s
	}
	done := c.reading
	if done == nil {
		done = make(chan struct{})
		c.reading = done
		go func() {
			s := c.read()
			c.mu.Lock()
			c.last, c.reading = s, nil
			c.mu.Unlock()
			close(done)
		}()
	}
	c.mu.Unlock()
	t := time.NewTimer(c.cfg.Timeout)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		c.cfg.Log.Warn("metrics: reading the counts takes longer than the timeout; answering from the last read", "timeout", c.cfg.Timeout)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// read reads every count once, within Timeout.
func (c *Collector) read() *snapshot {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
	defer cancel()
	start := time.Now()
	s := &snapshot{at: c.cfg.Now()}
	failed := func(source string, err error) bool {
		if err == nil {
			return false
		}
		c.errors.WithLabelValues(source).Inc()
		c.cfg.Log.Error("metrics: a count could not be read", "source", source, "err", err)
		return true
	}
	if c.cfg.Outbox != nil {
		var err error
		s.outbox, err = c.cfg.Outbox.Count(ctx)
		s.outboxOK = !failed("outbox", err)
	}
	if c.cfg.Cases != nil {
		var err error
		s.cases, err = c.cfg.Cases.Count(ctx, c.cfg.Now())
		s.casesOK = !failed("contacts", err)
	}
	if c.cfg.Alerts != nil {
		var err error
		s.alerts, err = c.cfg.Alerts.Count(ctx)
		s.alertsOK = !failed("urgent", err)
	}
	if c.cfg.Size != nil {
		var err error
		s.size, err = c.cfg.Size(ctx)
		s.sizeOK = !failed("size", err)
	}
	s.took = time.Since(start)
	return s
}
