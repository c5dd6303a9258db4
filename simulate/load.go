package simulate

import (
	"bufio"
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/locales"
)

// Load: simulated callers walking the USSD menus of a gateway on this machine, each reply
// checked against the screen that caller must see next.

// LoadConfig is one load run: the gateway, the callers and how long they call.
type LoadConfig struct {
	URL   string // the gateway's base URL; loopback only
	Token string // the webhook token, if the gateway has one
	// User and Password are the webhooks' basic auth, when the gateway wants it.
	User, Password string
	Callers        int           // simulated callers at once
	Duration       time.Duration // how long to run
	Sessions       int64         // stop after this many sessions (0: only Duration bounds the run)
	Think          time.Duration // each caller's pause between a screen and her next key, on average
	Page           locales.Limit // the gateway's USSD page size
	PID            int           // the server's process, for its RSS and CPU (0: not measured)
	// Baseline also measures a bare Fiber handler with the same client and callers, in a process
	// of its own started by BaselineCommand, which must run ServeBaseline there.
	Baseline        bool
	BaselineCommand func(context.Context) (*exec.Cmd, error)
	// Light makes the client do almost nothing per hop, at the gateway and at the baseline
	// alike: it posts the same keys on the same paths and counts and times each hop, but learns
	// no screens and checks none, and speaks HTTP itself, one connection per caller, reading a
	// reply only as far as its status and length (simulate/light.go). Checking costs the client about
	// as much as a hop costs the gateway, so on a machine of two cores the checked client takes
	// CPU from both sides and flatters the ratio; the light one shows what the gateway does
	// nearer its own bound. A light run says nothing about whether the screens were right.
	Light bool
}

// Validate returns why cfg is not a run to make: a page too small for any menu, or callers,
// a duration, a session count or a pause out of the bounds a run on one machine has.
func (cfg LoadConfig) Validate() error {
	switch {
	case cfg.Page.GSM7 < 60 || cfg.Page.UCS2 < 30:
		return fmt.Errorf("--page %d/%d is too small, e.g. 182/80", cfg.Page.GSM7, cfg.Page.UCS2)
	case cfg.Callers < 1 || cfg.Callers > 20000:
		return fmt.Errorf("--callers %d: give 1 to 20000", cfg.Callers)
	case cfg.Duration <= 0 || cfg.Duration > 24*time.Hour:
		return fmt.Errorf("--duration %v: give a positive duration up to 24h", cfg.Duration)
	case cfg.Sessions < 0:
		return fmt.Errorf("--sessions %d is negative", cfg.Sessions)
	case cfg.Think < 0 || cfg.Think > time.Minute:
		return fmt.Errorf("--think %v: give 0 to 1m", cfg.Think)
	}
	return nil
}

// Load drives cfg's callers at the gateway at cfg.URL and returns what they measured, after
// checking that the gateway is on a loopback address and serves a simulation (its /healthz
// says healthSimulated): load floods what it is pointed at with made-up callers, and a
// real helpline would record them as contacts and alert people about them. With cfg.PID 0 the
// server is the process listening on cfg.URL's port, when one can be found. Progress, and the
// first few wrong screens and errors, are written to progress. A run that saw wrong screens or
// errors is not an error here: its result says so (see LoadResult.Err).
func Load(ctx context.Context, cfg LoadConfig, progress io.Writer) (*LoadResult, error) {
	if err := loopbackOnly(cfg.URL); err != nil {
		return nil, err
	}
	endpoint, err := dialEndpoint(cfg.URL, cfg.Token, false)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	if err := simulatedTarget(ctx, cfg.URL); err != nil {
		return nil, err
	}
	if cfg.PID == 0 {
		cfg.PID = listeningPID(endpoint)
	}
	return Measure(ctx, cfg, progress)
}

// Measure is Load without its question whether the gateway simulates: for a gateway its caller
// started itself, on data of its own. It still connects only to loopback addresses. It learns the
// gateway's screens by a reference walk (none when cfg.Light), then drives the callers (taking
// turns with the baseline when cfg.Baseline), and returns the figures.
func Measure(ctx context.Context, cfg LoadConfig, progress io.Writer) (*LoadResult, error) {
	endpoint, err := dialEndpoint(cfg.URL, cfg.Token, false)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	l, err := prepare(ctx, cfg, endpoint, progress)
	if err != nil {
		return nil, err
	}
	return drive(ctx, cfg, l, cfg.PID, progress)
}

// Err returns an error counting r's wrong screens and errors, nil if it saw none: a run in
// which any caller saw a screen she must not have seen, or a hop failed, is a failed run.
func (r *LoadResult) Err() error {
	if r.WrongScreens > 0 || r.Errors > 0 {
		return fmt.Errorf("load: %d wrong screens, %d errors", r.WrongScreens, r.Errors)
	}
	return nil
}

// loopbackOnly refuses a gateway that is not on this machine: load floods what it is pointed
// at with made-up callers, and there is no flag to point it anywhere else. (Connections are
// also refused at dial time if a name resolves off this machine.)
func loopbackOnly(raw string) error {
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("load: --url %q: %w", raw, err)
	}
	if !isLoopbackHost(u.Hostname()) {
		return fmt.Errorf("load: --url %q is not on this machine; load only drives a gateway on a loopback address", raw)
	}
	return nil
}

// simulatedTarget refuses a gateway that does not serve a simulation: its /healthz must answer
// healthSimulated. A real helpline would record every made-up caller as a contact and
// alert its counsellors and officials about the urgent ones. Whether a gateway simulates is
// decided where it starts (serve --simulate, on data of its own), never by what load asks.
func simulatedTarget(ctx context.Context, base string) error {
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	u, err := url.Parse(base)
	if err != nil {
		return fmt.Errorf("load: --url %q: %w", base, err)
	}
	u.Path, u.RawQuery = "/healthz", ""
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	client := dialClient(false)
	client.Timeout = 10 * time.Second
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("load: asking the gateway whether it simulates: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 256))
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(b)) != healthSimulated {
		return fmt.Errorf("load: the gateway at %s is not serving a simulation (its /healthz says %d %q): start one with 'onestop serve --simulate --data DIR' on a new directory; load never drives a real helpline", u.Host, resp.StatusCode, truncate(string(b), 60))
	}
	return nil
}

// healthSimulated is what a gateway serving a simulation answers on /healthz (gateway's
// HealthSimulated). It is written here rather than imported so that the simulator, a client of
// the gateway, links none of it; a test holds the two together.
const healthSimulated = "ok simulated"

// LoadResult is one run's figures. Latencies are in milliseconds, RSS in KiB.
type LoadResult struct {
	Target       string  `json:"target"`
	Callers      int     `json:"callers"`
	Think        float64 `json:"think_seconds,omitempty"`
	Seconds      float64 `json:"seconds"`
	Sessions     int64   `json:"sessions"`
	Hops         int64   `json:"hops"`
	HopsPerSec   float64 `json:"hops_per_sec"`
	P50          float64 `json:"p50_ms"`
	P95          float64 `json:"p95_ms"`
	P99          float64 `json:"p99_ms"`
	Max          float64 `json:"max_ms"`
	Errors       int64   `json:"errors"`
	WrongScreens int64   `json:"wrong_screens"`
	PID          int     `json:"server_pid,omitempty"`
	RSSBefore    int64   `json:"server_rss_before_kib,omitempty"`
	RSSAfter     int64   `json:"server_rss_after_kib,omitempty"`
	RSSAfterAnon int64   `json:"server_rss_after_anon_kib,omitempty"`
	RSSAfterFile int64   `json:"server_rss_after_file_kib,omitempty"`
	// RSSPeak is the server's highest RSS since it started (VmHWM): an after figure alone can
	// fall just after the kernel dropped mapped pages, or just before a sweep maps them again.
	RSSPeak int64 `json:"server_rss_peak_kib,omitempty"`
	// CPUPerHop is the server's CPU time (user and system) per hop in microseconds: on a shared
	// machine, steadier than hops/s.
	CPUPerHop float64          `json:"server_cpu_us_per_hop,omitempty"`
	Paths     map[string]int64 `json:"sessions_by_path,omitempty"`
	Refs      int              `json:"references_told,omitempty"`
	Baseline  *LoadResult      `json:"baseline,omitempty"`
	Ratio     float64          `json:"ratio_to_baseline,omitempty"`
	// Light says the run's client was the light one (LoadConfig.Light): no screen was checked,
	// so its wrong screens are not counted, not absent.
	Light bool `json:"light_client,omitempty"`
}

// Print writes r as load's table, one figure a line.
func (r *LoadResult) Print(w io.Writer) {
	row := func(k, f string, a ...any) { fmt.Fprintf(w, "%-15s %s\n", k, fmt.Sprintf(f, a...)) }
	row("target", "%s", r.Target)
	if r.Light {
		row("client", "light: counted and timed each hop only; screens were not checked")
	}
	row("callers", "%d", r.Callers)
	if r.Think > 0 {
		row("think", "%.1f s between a screen and her next key, on average", r.Think)
	}
	row("duration", "%.1f s", r.Seconds)
	row("sessions", "%d", r.Sessions)
	row("hops", "%d", r.Hops)
	row("hops/s", "%.0f", r.HopsPerSec)
	row("latency", "p50 %.2f ms  p95 %.2f ms  p99 %.2f ms  max %.2f ms", r.P50, r.P95, r.P99, r.Max)
	row("errors", "%d", r.Errors)
	if r.Light {
		row("wrong screens", "not checked (light client)")
	} else {
		row("wrong screens", "%d", r.WrongScreens)
	}
	if r.PID != 0 {
		row("server RSS", "%.1f MiB before, %.1f MiB after: %.1f MiB heap and stacks, %.1f MiB mapped database; peak %.1f MiB (pid %d)",
			float64(r.RSSBefore)/1024, float64(r.RSSAfter)/1024, float64(r.RSSAfterAnon)/1024, float64(r.RSSAfterFile)/1024,
			float64(r.RSSPeak)/1024, r.PID)
		row("server CPU", "%.0f µs per hop", r.CPUPerHop)
	} else {
		row("server RSS", "unknown (no --pid, and no listening process found)")
	}
	if len(r.Paths) > 0 {
		var parts []string
		for _, k := range pathKinds {
			parts = append(parts, fmt.Sprintf("%s %d", k, r.Paths[k]))
		}
		row("paths", "%s", strings.Join(parts, ", "))
	}
	if b := r.Baseline; b != nil {
		row("bare Fiber", "%.0f hops/s  p50 %.2f ms  p99 %.2f ms  (%d hops, %d errors)", b.HopsPerSec, b.P50, b.P99, b.Hops, b.Errors)
		row("ratio", "%.2f of bare Fiber", r.Ratio)
	}
}

// The paths callers walk, by kind.
var pathKinds = []string{"urgent", "callback", "help", "info", "language", "exit"}

// screen names what a caller must see after a hop.
type screen int

const (
	scMenu screen = iota
	scMayCall
	scWhen
	scCover
	scInfo
	scLanguage
	scGoodbye
	scTopic // an information topic: from the reference walk
	scRef   // a closing screen with her reference: from the reference walk, reference masked
	scHelp  // the find-help branch: a CON page that fits, as the reference walk showed
	scWhere // after an urgent plan: the question for her district
)

// hopStep is one key she presses and the screen she must then see, in lang.
type hopStep struct {
	input  string
	screen screen
	lang   onestop.Lang
}

// loadPath is one session's walk: the first screen, then steps.
type loadPath struct {
	kind  string
	steps []hopStep
}

// marks reports whether she says "do not call" on the walk: her number is then marked, and a
// plan with it no longer offered, so the caller's next session is from another number.
func (p loadPath) marks() bool {
	for k := 1; k < len(p.steps); k++ {
		if p.steps[k-1].screen == scMayCall && p.steps[k].input == "3" {
			return true
		}
	}
	return false
}

// pathsFor lists the walks of a caller whose language is lang.
func pathsFor(lang onestop.Lang) []loadPath {
	own := slices.Index(onestop.Langs, lang)
	other := (own + 1) % len(onestop.Langs)
	ol := onestop.Langs[other]
	s := func(in string, sc screen) hopStep { return hopStep{in, sc, lang} }
	return []loadPath{
		{"urgent", []hopStep{s("1", scMayCall), s("1", scWhen), s("1", scCover), s("1", scWhere), s("2", scRef)}},
		{"urgent", []hopStep{s("1", scMayCall), s("1", scWhen), s("2", scCover), s("1", scWhere), s("2", scRef)}},
		{"callback", []hopStep{s("3", scMayCall), s("1", scWhen), s("3", scCover), s("1", scRef)}},
		{"callback", []hopStep{s("3", scMayCall), s("1", scWhen), s("99", scMayCall), s("1", scWhen), s("4", scCover), s("1", scRef)}},
		{"callback", []hopStep{s("3", scMayCall), s("3", scRef)}},
		{"help", []hopStep{s("2", scHelp), s("0", scGoodbye)}},
		{"info", []hopStep{s("4", scInfo), s("1", scTopic), s("99", scInfo), s("5", scTopic), s("0", scGoodbye)}},
		{"info", []hopStep{s("4", scInfo), s("3", scTopic), s("99", scInfo), s("99", scMenu), s("0", scGoodbye)}},
		// She changes language and back, so her number's remembered language is hers again.
		{"language", []hopStep{s("5", scLanguage), {strconv.Itoa(other + 1), scMenu, ol}, {"5", scLanguage, ol},
			s(strconv.Itoa(own+1), scMenu), s("0", scGoodbye)}},
		{"exit", []hopStep{s("0", scGoodbye)}},
	}
}

// regions are the callers' countries, one per language; a caller from elsewhere is told the
// default country's helplines in English.
var regions = []struct {
	region, code, prefix string
	digits               int
}{
	{"BD", "*109#", "+88017", 8},
	{"IN", "*181#", "+9198", 8},
	{"PS", "*121#", "+97059", 7},
	{"US", "*109#", "+1212", 7},
}

// catalogueScreens builds the screens that follow from the catalogue alone, as flows lays them out.
func catalogueScreens(lang onestop.Lang, lim locales.Limit) map[screen]string {
	opts := func(keys ...locales.Key) []locales.Option {
		o := make([]locales.Option, len(keys))
		for i, k := range keys {
			o[i] = locales.Option{Key: strconv.Itoa(i + 1), Label: locales.Text(lang, k)}
		}
		return o
	}
	nav := locales.Nav{Back: true, Exit: true}
	menu := func(q locales.Key, o []locales.Option) string {
		return "CON " + locales.Menu(lang, lim, locales.Text(lang, q), o, nav)[0]
	}
	langs := make([]locales.Option, len(onestop.Langs))
	for i, l := range onestop.Langs {
		langs[i] = locales.Option{Key: strconv.Itoa(i + 1), Label: locales.NativeName(l)}
	}
	return map[screen]string{
		scMenu: "CON " + locales.Menu(lang, lim, "", opts(locales.MenuTalk, locales.MenuNearby, locales.MenuCallback,
			locales.MenuInfo, locales.MenuLanguage), locales.Nav{Exit: true})[0],
		scMayCall:  menu(locales.AskMayCall, opts(locales.CallThis, locales.CallOther, locales.CallNever)),
		scWhen:     menu(locales.AskWhen, opts(locales.WhenNow, locales.WhenMorning, locales.WhenAfternoon, locales.WhenEvening)),
		scCover:    menu(locales.Cover, opts(locales.Understood)),
		scInfo:     menu(locales.InfoHeader, opts(locales.InfoMedical, locales.InfoPolice, locales.InfoLegal, locales.InfoCounselling, locales.InfoShelter, locales.InfoRights)),
		scLanguage: menu(locales.LanguageHeader, langs),
		scGoodbye:  "END " + locales.Text(lang, locales.Goodbye),
		scWhere: "CON " + locales.Menu(lang, lim, locales.Text(lang, locales.AskDistrict),
			opts(locales.ChooseFromList, locales.Skip), locales.Nav{Exit: true})[0],
	}
}

// refPattern finds a reference on a closing screen: seven digits (the helpline and emergency
// numbers on it are shorter).
var refPattern = regexp.MustCompile(`\b[0-9]{7}\b`)

const refMask = "#######"

// validRef reports whether ref is a contact's reference: seven digits, the last of them the Luhn
// check digit of the six before it. It is the simulator's own reading of the rule casebook
// numbers contacts by, not casebook's code: an independent check catches a reference that
// casebook would both make and accept wrongly, and the simulator links nothing of the store.
func validRef(ref string) bool {
	if len(ref) != 7 {
		return false
	}
	sum := 0
	for i := range ref {
		d := int(ref[i] - '0')
		if d < 0 || d > 9 {
			return false
		}
		// From the right, the check digit counted first: every second digit is doubled.
		if (len(ref)-1-i)%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// expectations are the screens every caller must see, per region and path.
type expectations struct {
	lim     locales.Limit
	byLang  map[onestop.Lang]map[screen]string
	paths   [][]loadPath // by region index
	learned [][][]string // by region, path, step: the reference walk's screens (refs masked)
}

// loader drives callers at one endpoint and counts what they saw.
type loader struct {
	endpoint string
	// spread, when set, are the endpoints of several gateways on one store: each hop goes to
	// one at random, and a hop no gateway answered goes once to another, as a platform retries.
	spread   atomic.Pointer[[]string]
	client   *http.Client
	exp      *expectations // nil: nothing is checked (the bare baseline, the light client)
	light    bool          // hops go through postLight (LoadConfig.Light)
	lightTo  *lightTarget  // where postLight posts
	callers  int
	deadline time.Time
	max      int64
	nonce    uint64
	seed     uint64
	think    time.Duration
	// user and password are the webhooks' basic auth, when the gateway wants it.
	user, password string

	claimed, sessions, hops, errs, wrong atomic.Int64
	byKind                               [6]atomic.Int64

	refs     sync.Map // references told, to catch one told twice
	nrefs    atomic.Int64
	state    []callerState // by caller, carried from one slice of the run to the next
	elapsed  time.Duration // the time the callers ran, in all slices
	pid      int           // the server's process, when this started it
	report   io.Writer     // the first few wrong screens and errors are described here
	reported atomic.Int64
}

// callerState is where one simulated caller is in her run.
type callerState struct {
	rng      *rand.Rand
	seq, gen int // her next session, and her number's generation (see number)
	lat      []time.Duration
	conn     *rawConn // the light client's connection
}

func newLoader(endpoint string, callers int) *loader {
	var b [16]byte
	crand.Read(b[:])
	client := dialClient(false)
	tr := client.Transport.(*http.Transport)
	tr.MaxIdleConnsPerHost = callers + 8
	tr.MaxIdleConns = callers + 8
	tr.DisableCompression = true
	// A connection the pool dialed but did not need waits idle. The gateway, like any server
	// with a read timeout, answers a connection whose first request has not come within it
	// (15 s) with 408 and closes it; a request sent on it at that moment gets the 408. So
	// the client lets such connections go first, as a well-behaved aggregator's client does.
	tr.IdleConnTimeout = 10 * time.Second
	client.Timeout = 30 * time.Second
	return &loader{
		endpoint: endpoint, client: client, callers: callers,
		nonce: binary.LittleEndian.Uint64(b[:8]), seed: binary.LittleEndian.Uint64(b[8:]),
		state: make([]callerState, callers), report: io.Discard,
	}
}

// number is caller i's number in generation gen: distinct across callers of a run, and new
// after a session went wrong, so a remembered language left behind cannot mislead the next.
func (l *loader) number(region, i, gen int) string {
	r := regions[region]
	space := uint64(1)
	for range r.digits {
		space *= 10
	}
	n := (l.nonce + uint64(gen)*uint64(l.callers) + uint64(i)) % space
	return fmt.Sprintf("%s%0*d", r.prefix, r.digits, n)
}

// post sends one hop and returns the answer.
func (l *loader) post(ctx context.Context, session, code, number, text string) (string, error) {
	body := "sessionId=" + url.QueryEscape(session) + "&serviceCode=" + url.QueryEscape(code) +
		"&phoneNumber=" + url.QueryEscape(number) + "&networkCode=47001&text=" + url.QueryEscape(text)
	endpoint, other := l.endpoint, ""
	if sp := l.spread.Load(); sp != nil && len(*sp) > 0 {
		i := rand.IntN(len(*sp))
		endpoint, other = (*sp)[i], (*sp)[(i+1)%len(*sp)]
	}
	resp, err := l.send(ctx, endpoint, body)
	if err != nil && other != "" && other != endpoint && ctx.Err() == nil {
		resp, err = l.send(ctx, other, body)
	}
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxScreen))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %d: %q", resp.StatusCode, truncate(string(b), 120))
	}
	return string(b), nil
}

// describe reports a wrong screen or an error, the first few only.
func (l *loader) describe(f string, a ...any) {
	if l.reported.Add(1) <= 5 {
		fmt.Fprintf(l.report, f+"\n", a...)
	}
}

// run starts the callers and waits for them.
func (l *loader) run(ctx context.Context) {
	var wg sync.WaitGroup
	for i := range l.callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.caller(ctx, i)
		}()
	}
	wg.Wait()
}

func (l *loader) caller(ctx context.Context, i int) {
	region := i % len(regions)
	paths := pathsFor(locales.ForRegion(regions[region].region))
	st := &l.state[i]
	if st.rng == nil {
		st.rng = rand.New(rand.NewPCG(l.seed, uint64(i)))
		st.lat = make([]time.Duration, 0, 1024)
		if l.think > 0 {
			// Callers who read their screens also arrive spread out, not all in the same instant.
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(st.rng.Int64N(int64(l.think) + 1))):
			}
		}
	}
	for {
		if ctx.Err() != nil || time.Now().After(l.deadline) {
			return
		}
		if l.max > 0 && l.claimed.Add(1) > l.max {
			return
		}
		pi := st.rng.IntN(len(paths))
		id := sessionID(l.nonce, i, st.seq)
		st.seq++
		ok := l.session(ctx, st, region, pi, paths[pi], l.number(region, i, st.gen), id)
		l.sessions.Add(1)
		l.byKind[slices.Index(pathKinds, paths[pi].kind)].Add(1)
		if !ok || paths[pi].marks() {
			st.gen++
		}
	}
}

// sessionID names caller i's session seq as Africa's Talking names its sessions: "ATUid_"
// and hex that looks random, so that sessions land all over the store's index as theirs do, not
// in a few runs of neighbouring keys. It is unique in a run: the mix is a bijection.
func sessionID(nonce uint64, i, seq int) string {
	z := nonce ^ (uint64(i)<<40 | uint64(seq))
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return fmt.Sprintf("ATUid_%016x", z^z>>31)
}

// session walks one path; false when a hop failed or showed a wrong screen.
func (l *loader) session(ctx context.Context, st *callerState, region, pi int, p loadPath, number, id string) bool {
	rng, lat := st.rng, &st.lat
	code := regions[region].code
	text := ""
	for k := -1; k < len(p.steps); k++ {
		if k >= 0 && l.think > 0 {
			// She reads the screen and presses a key: half to one and a half times the mean.
			select {
			case <-ctx.Done():
				return false
			case <-time.After(l.think/2 + time.Duration(rng.Int64N(int64(l.think)+1))):
			}
		}
		if k >= 0 {
			if k > 0 {
				text += "*"
			}
			text += p.steps[k].input
		}
		start := time.Now()
		var got string
		var err error
		if l.light {
			err = l.postLight(ctx, &st.conn, id, code, number, text)
			if err == errConnClosing {
				err = nil
			}
		} else {
			got, err = l.post(ctx, id, code, number, text)
		}
		*lat = append(*lat, time.Since(start))
		l.hops.Add(1)
		if err != nil {
			l.errs.Add(1)
			if ctx.Err() == nil {
				l.describe("error: %s hop %q: %v", p.kind, text, err)
			}
			return false
		}
		if l.exp == nil {
			continue
		}
		if why := l.exp.check(region, pi, k, got, l); why != "" {
			l.wrong.Add(1)
			l.describe("wrong screen: %s session %s hop %q: %s\n  got %q", p.kind, id, text, why, truncate(got, 200))
			return false
		}
	}
	return true
}

// want returns what step k (-1: the first screen) of path pi must show, and how to compare it.
func (e *expectations) want(region, pi, k int) (string, screen) {
	lang := locales.ForRegion(regions[region].region)
	sc := scMenu
	if k >= 0 {
		st := e.paths[region][pi].steps[k]
		lang, sc = st.lang, st.screen
	}
	if s, ok := e.byLang[lang][sc]; ok {
		return s, sc
	}
	if e.learned != nil {
		return e.learned[region][pi][k+1], sc
	}
	return "", sc
}

// check returns why got is not the screen step k of path pi must show, or "".
func (e *expectations) check(region, pi, k int, got string, l *loader) string {
	want, sc := e.want(region, pi, k)
	switch sc {
	case scHelp:
		// The find-help branch is not built from the catalogue here, so that it can change
		// without this: it must be a page to answer, in her limit, not the first screen again,
		// and the same as the reference walk showed a caller of her country and language.
		if !strings.HasPrefix(got, "CON ") {
			return "find help must wait for input"
		}
		if !e.lim.Fits(got[4:]) {
			return "does not fit one page"
		}
		if first, _ := e.want(region, pi, -1); got == first {
			return "the first screen again"
		}
		if got != want {
			return fmt.Sprintf("want %q, as the reference walk showed", want)
		}
		return ""
	case scRef:
		refs := refPattern.FindAllString(got, -1)
		if len(refs) != 1 || !validRef(refs[0]) {
			return "no valid reference"
		}
		if masked := refPattern.ReplaceAllString(got, refMask); masked != want {
			return fmt.Sprintf("want %q", want)
		}
		if l != nil {
			if _, dup := l.refs.LoadOrStore(refs[0], struct{}{}); dup {
				return "reference " + refs[0] + " was told to another caller"
			}
			l.nrefs.Add(1)
		}
		return ""
	}
	if got != want {
		return fmt.Sprintf("want %q", want)
	}
	return ""
}

// learn walks every path once per region, sequentially, and keeps the screens the catalogue
// alone cannot give (topics, closing screens). Every screen it can check, it checks: a server
// whose screens differ from the catalogue's is not measured.
func learn(ctx context.Context, l *loader, lim locales.Limit) (*expectations, error) {
	e := &expectations{lim: lim, byLang: map[onestop.Lang]map[screen]string{}}
	for _, lang := range onestop.Langs {
		e.byLang[lang] = catalogueScreens(lang, lim)
	}
	for r := range regions {
		e.paths = append(e.paths, pathsFor(locales.ForRegion(regions[r].region)))
	}
	e.learned = make([][][]string, len(regions))
	for r := range regions {
		e.learned[r] = make([][]string, len(e.paths[r]))
		for pi, p := range e.paths[r] {
			number := l.number(r, l.callers+1+pi, 1<<20)
			id := fmt.Sprintf("load-ref-%x-%d-%d", l.nonce&0xffffff, r, pi)
			text := ""
			screens := make([]string, 0, len(p.steps)+1)
			for k := -1; k < len(p.steps); k++ {
				if k >= 0 {
					if k > 0 {
						text += "*"
					}
					text += p.steps[k].input
				}
				got, err := l.post(ctx, id, regions[r].code, number, text)
				if err != nil {
					return nil, fmt.Errorf("load: reference walk (%s, %s, %q): %w", regions[r].region, p.kind, text, err)
				}
				sc := scMenu
				if k >= 0 {
					sc = p.steps[k].screen
				}
				if (sc == scTopic || sc == scRef) && !e.lim.Fits(got[min(4, len(got)):]) {
					return nil, fmt.Errorf("load: reference walk (%s, %s, %q): %q does not fit a page", regions[r].region, p.kind, text, got)
				}
				learned := got
				if sc == scRef {
					learned = refPattern.ReplaceAllString(got, refMask)
				}
				screens = append(screens, learned)
				e.learned[r][pi] = screens
				if sc == scTopic && !strings.HasPrefix(got, "CON ") {
					return nil, fmt.Errorf("load: reference walk (%s, %s, %q): a topic ended the session: %q", regions[r].region, p.kind, text, got)
				}
				if sc == scRef && !strings.HasPrefix(got, "END ") {
					return nil, fmt.Errorf("load: reference walk (%s, %s, %q): no closing screen: %q", regions[r].region, p.kind, text, got)
				}
				if why := e.check(r, pi, k, got, l); why != "" {
					return nil, fmt.Errorf("load: the gateway's screen differs from the catalogue's (%s, %s, %q): %s; got %q", regions[r].region, p.kind, text, why, got)
				}
			}
		}
	}
	return e, nil
}

// prepare returns a loader for the gateway at endpoint, its screens learned by a reference walk;
// a light one learns none, since the paths it walks are fixed key sequences that need none.
func prepare(ctx context.Context, cfg LoadConfig, endpoint string, stderr io.Writer) (*loader, error) {
	l := newLoader(endpoint, cfg.Callers)
	l.report = stderr
	l.max = cfg.Sessions
	l.think = cfg.Think
	l.user, l.password = cfg.User, cfg.Password
	if cfg.Light {
		t, err := newLightTarget(endpoint, cfg.User, cfg.Password)
		if err != nil {
			return nil, err
		}
		l.light, l.lightTo = true, t
		return l, nil
	}
	exp, err := learn(ctx, l, cfg.Page)
	if err != nil {
		return nil, err
	}
	l.exp = exp
	return l, nil
}

// baselineSlice is how long the gateway and bare Fiber each run before the other takes over:
// both meet the same moments of a shared machine's load, which moves by a factor of two from
// one minute to the next.
const baselineSlice = 5 * time.Second

// drive runs the gateway's callers, and with --baseline bare Fiber's, in alternating slices,
// and returns the gateway's figures with the baseline's beside them.
func drive(ctx context.Context, cfg LoadConfig, l *loader, pid int, stderr io.Writer) (*LoadResult, error) {
	res := &LoadResult{Target: l.endpoint, Callers: cfg.Callers, PID: pid, Think: cfg.Think.Seconds(), Light: cfg.Light}
	var bare *loader
	if cfg.Baseline {
		b, stop, err := startBaseline(ctx, cfg, stderr)
		if err != nil {
			return nil, err
		}
		defer stop()
		bare = b
	}
	// A run bounded by sessions is not sliced: the baseline then runs as many sessions after it.
	n := 1
	if bare != nil && cfg.Sessions == 0 {
		n = max(1, int(cfg.Duration/baselineSlice))
	}
	if pid != 0 {
		res.RSSBefore = rssKiB(pid)
	}
	var cpu time.Duration
	for k := range n {
		before := cpuTime(pid)
		l.drive(ctx, cfg.Duration/time.Duration(n), stderr, "onestop")
		cpu += cpuTime(pid) - before
		if k == n-1 && pid != 0 {
			st := procStatus(pid)
			res.RSSAfter, res.RSSAfterAnon, res.RSSAfterFile, res.RSSPeak = st["VmRSS"], st["RssAnon"], st["RssFile"], st["VmHWM"]
		}
		if bare != nil {
			if cfg.Sessions > 0 {
				bare.max = l.sessions.Load()
			}
			bare.drive(ctx, cfg.Duration/time.Duration(n), stderr, "bare Fiber")
		}
		if ctx.Err() != nil {
			break
		}
	}
	// Idle keep-alive connections would hold a server's graceful shutdown until they time out.
	l.client.CloseIdleConnections()
	l.fill(res)
	if res.Hops > 0 && cpu > 0 {
		res.CPUPerHop = float64(cpu) / float64(res.Hops) / float64(time.Microsecond)
	}
	res.Paths = map[string]int64{}
	for i, k := range pathKinds {
		res.Paths[k] = l.byKind[i].Load()
	}
	res.Refs = int(l.nrefs.Load())
	if bare != nil {
		res.Baseline = &LoadResult{Target: "bare Fiber " + bare.endpoint, Callers: cfg.Callers, PID: bare.pid, Light: cfg.Light}
		bare.fill(res.Baseline)
		if res.Baseline.HopsPerSec > 0 {
			res.Ratio = res.HopsPerSec / res.Baseline.HopsPerSec
		}
	}
	return res, nil
}

// startBaseline starts a bare Fiber handler that answers every hop with a fixed CON screen, in
// a process of its own as the gateway is (in this one, it would share the client's scheduler
// and be spared the switches between processes that every hop to the gateway pays), and returns
// a loader for it with the same client and callers, and how to stop it.
func startBaseline(ctx context.Context, cfg LoadConfig, stderr io.Writer) (*loader, func(), error) {
	if cfg.BaselineCommand == nil {
		return nil, nil, errors.New("load: baseline: no command to start it with")
	}
	cmd, err := cfg.BaselineCommand(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("load: baseline: %w", err)
	}
	var why bytes.Buffer // what it says, shown only if it does not start
	cmd.Stderr = &why
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("load: baseline: %w", err)
	}
	var l *loader
	stop := func() {
		if l != nil {
			l.client.CloseIdleConnections() // or its graceful stop waits for them
		}
		stdin.Close() // it stops when its input ends
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		stop()
		return nil, nil, fmt.Errorf("load: baseline did not start: %w: %s", err, strings.TrimSpace(why.String()))
	}
	endpoint, err := dialEndpoint(strings.TrimSpace(line), cfg.Token, false)
	if err != nil {
		stop()
		return nil, nil, err
	}
	l = newLoader(endpoint, cfg.Callers)
	l.report = stderr
	l.think = cfg.Think
	l.user, l.password = cfg.User, cfg.Password
	if cfg.Light { // the same client on both sides, or the ratio compares clients
		t, err := newLightTarget(endpoint, cfg.User, cfg.Password)
		if err != nil {
			stop()
			return nil, nil, err
		}
		l.light, l.lightTo = true, t
	}
	l.pid = cmd.Process.Pid
	return l, stop, nil
}

// ServeBaseline is the baseline's process (see LoadConfig.BaselineCommand): a bare Fiber app on a
// free loopback port, whose URL it prints on stdout, serving until stdin ends.
func ServeBaseline(stdin io.Reader, stdout io.Writer) error {
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	bare := func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
		return c.SendString("CON 1 Talk now\n2 Find help\n3 Call me later\n4 Information\n5 Language\n0 Exit")
	}
	app.Post("/ussd/africastalking", bare)
	app.Post("/ussd/africastalking/*", bare)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go app.Listener(ln)
	fmt.Fprintf(stdout, "http://%s\n", ln.Addr())
	if stdin != nil {
		io.Copy(io.Discard, stdin)
	}
	return app.ShutdownWithTimeout(5 * time.Second)
}

// drive runs l's callers for at most d, with a progress line on stderr.
func (l *loader) drive(ctx context.Context, d time.Duration, stderr io.Writer, name string) {
	start := time.Now()
	l.deadline = start.Add(d)
	progress := func() {
		el := (l.elapsed + time.Since(start)).Seconds()
		fmt.Fprintf(stderr, "\r%-10s %5.0fs  %9d hops  %7.0f hops/s  %d sessions  %d errors  %d wrong screens ",
			name, el, l.hops.Load(), float64(l.hops.Load())/el, l.sessions.Load(), l.errs.Load(), l.wrong.Load())
	}
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				progress()
			}
		}
	}()
	l.run(ctx)
	for i := range l.state { // the light client's connections, or a server's graceful stop waits
		if c := l.state[i].conn; c != nil {
			c.c.Close()
			l.state[i].conn = nil
		}
	}
	close(done)
	<-stopped // the progress line is written by then, so the summary never interleaves with it
	progress()
	l.elapsed += time.Since(start)
	fmt.Fprintln(stderr)
}

// fill puts what l counted, in all its slices, in res.
func (l *loader) fill(res *LoadResult) {
	var all []time.Duration
	for _, st := range l.state {
		all = append(all, st.lat...)
	}
	slices.Sort(all)
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		i := int(p * float64(len(all)-1))
		return float64(all[i]) / float64(time.Millisecond)
	}
	res.Seconds = l.elapsed.Seconds()
	res.Sessions = l.sessions.Load()
	res.Hops = l.hops.Load()
	if l.elapsed > 0 {
		res.HopsPerSec = float64(res.Hops) / l.elapsed.Seconds()
	}
	res.P50, res.P95, res.P99, res.Max = pct(.50), pct(.95), pct(.99), pct(1)
	res.Errors = l.errs.Load()
	res.WrongScreens = l.wrong.Load()
}

// rssKiB reads a process's resident set size from /proc, 0 if it cannot.
func rssKiB(pid int) int64 { return procStatus(pid)["VmRSS"] }

// procStatus reads the sizes in a process's /proc status, in KiB: VmRSS, its parts RssAnon (the
// heap and stacks) and RssFile (mapped files: for the gateway, bbolt's map of its database, whose
// pages the kernel can drop and read again), and VmHWM, the highest VmRSS so far.
func procStatus(pid int) map[string]int64 {
	out := map[string]int64{}
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || !strings.HasSuffix(v, " kB") {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, " kB")), 10, 64); err == nil {
			out[k] = n
		}
	}
	return out
}

// cpuTime reads a process's CPU time (user and system) from /proc, 0 if it cannot.
func cpuTime(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces; the fields counted from it do not.
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	const ticks = 100 // USER_HZ, 100 on every Linux Go supports
	return time.Duration(utime+stime) * time.Second / ticks
}

// listeningPID finds the process listening on endpoint's port on this machine, 0 if none can
// be read: the socket's inode from /proc/net/tcp, then the process holding it.
func listeningPID(endpoint string) int {
	u, err := url.Parse(endpoint)
	if err != nil {
		return 0
	}
	port, err := strconv.Atoi(u.Port())
	if err != nil {
		if u.Scheme == "https" {
			port = 443
		} else {
			port = 80
		}
	}
	inodes := map[string]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(table)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 10 || f[3] != "0A" { // 0A: LISTEN
				continue
			}
			_, hexPort, _ := strings.Cut(f[1], ":")
			if p, err := strconv.ParseInt(hexPort, 16, 32); err == nil && int(p) == port {
				inodes["socket:["+f[9]+"]"] = true
			}
		}
	}
	if len(inodes) == 0 {
		return 0
	}
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil {
			continue
		}
		fds, err := os.ReadDir(filepath.Join("/proc", p.Name(), "fd"))
		if err != nil {
			continue
		}
		for _, fd := range fds {
			if link, err := os.Readlink(filepath.Join("/proc", p.Name(), "fd", fd.Name())); err == nil && inodes[link] {
				return pid
			}
		}
	}
	return 0
}

// send posts one hop's body to endpoint.
func (l *loader) send(ctx context.Context, endpoint, body string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if l.user != "" {
		req.SetBasicAuth(l.user, l.password)
	}
	return l.client.Do(req)
}

// Spread sends each hop to one of endpoints at random, the USSD URLs of several gateways on one
// store, and a hop none answered once to another: callers move between gateways on every hop,
// as a load balancer with no sticky sessions moves them. It may be called while they run.
func (c *Callers) Spread(endpoints []string) { c.l.spread.Store(&endpoints) }

// Callers are simulated callers at one gateway endpoint, driven step by step: for tests that
// start a gateway themselves and want to act between the reference walk and the run, or to run
// again after a restart. Load and Measure are the command's way. They connect only to loopback
// addresses.
type Callers struct{ l *loader }

// Screens are the screens a reference walk showed, which every caller must see again.
type Screens struct{ e *expectations }

// NewCallers returns n callers posting hops to endpoint (a gateway's USSD URL, e.g.
// http://127.0.0.1:8080/ussd/africastalking), stopping after sessions sessions in all (0: only
// the time given to Drive bounds them). Until Learn or Expect, nothing they see is checked.
func NewCallers(endpoint string, n int, sessions int64) *Callers {
	l := newLoader(endpoint, n)
	l.max = sessions
	return &Callers{l}
}

// Learn walks every path once per region and keeps the screens the callers must then see, as
// Load does before it starts them. It returns an error if a screen it can check is wrong.
func (c *Callers) Learn(ctx context.Context, page locales.Limit) (*Screens, error) {
	e, err := learn(ctx, c.l, page)
	if err != nil {
		return nil, err
	}
	c.l.exp = e
	return &Screens{e}, nil
}

// Report has the callers describe their first few wrong screens and errors on w.
func (c *Callers) Report(w io.Writer) { c.l.report = w }

// Expect has the callers check every screen against s, learned by other callers (of another run
// of the same gateway, say) without a reference walk of their own.
func (c *Callers) Expect(s *Screens) { c.l.exp = s.e }

// Drive runs the callers for at most d, or until ctx ends or their sessions are done, with a
// progress line named name on progress. It may be called again: the callers carry on.
func (c *Callers) Drive(ctx context.Context, d time.Duration, progress io.Writer, name string) {
	c.l.drive(ctx, d, progress, name)
	// Idle keep-alive connections would hold a server's graceful shutdown until they time out.
	c.l.client.CloseIdleConnections()
}

// Result returns what the callers counted in all their drives.
func (c *Callers) Result() *LoadResult {
	res := &LoadResult{Target: c.l.endpoint, Callers: c.l.callers}
	c.l.fill(res)
	return res
}

// Refs returns the references the callers were told, each once: a reference told twice is
// counted as a wrong screen.
func (c *Callers) Refs() []string {
	var refs []string
	c.l.refs.Range(func(k, _ any) bool {
		refs = append(refs, k.(string))
		return true
	})
	slices.Sort(refs)
	return refs
}
