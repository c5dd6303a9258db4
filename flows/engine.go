package flows

import (
	"bytes"
	"context"
	"errors"
	"hash/maphash"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	_ "time/tzdata" // callers' local windows must not depend on the host's zone files

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/phone"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/session"
	"github.com/onestop-helpline/onestop/store"
)

// Config tunes the engine. The zero value of every field has a working default.
type Config struct {
	// TTL is how long a session lives after its last hop. Aggregators end a USSD session within
	// a few minutes; a session is kept a little longer so a late retry still gets its reply.
	TTL time.Duration
	// Pager lays a screen out as the pages of the provider it goes to (ussd.Pager.Pages, which
	// knows each provider's page size). The conversation needs the pages only to know how many
	// there are, for "98 More" and "99 Back", and to keep the page shown for a retried hop; it
	// never lays a screen out itself, and must return the same pages for the same screen and
	// provider (they are laid out once). Required.
	Pager func(provider string, s onestop.Screen) []string
	// DefaultCountry is whose helplines a caller is told when neither the service she dialled
	// nor her number is of a country served: the country the service runs in.
	DefaultCountry string
	Log            *slog.Logger

	// ServiceCodes maps each service code callers dial to the country whose service it is
	// ("*109#" → "BD"). The service she dialled decides her helplines, emergency number, default
	// language and time zone: a caller with a foreign SIM (a +972 number dialling Palestine's
	// service) must never be given another country's hours or emergency number. Her number's
	// country decides only for a code not in it, when it is a country served.
	ServiceCodes map[string]string

	// DoNotContactDays is how long her number stays marked "do not contact" after she says not
	// to call (0: DefaultDoNotContactDays).
	DoNotContactDays int

	// OnDuty reports whether someone is on duty at a time to call her back. Only then is she
	// promised a call within the half hour; nil means nobody is known to be on duty.
	OnDuty func(ctx context.Context, at time.Time) bool

	// MaxLive bounds the sessions kept in memory between hops (0: DefaultMaxLive, below 0:
	// none). Past it, a hop that records nothing writes her session to the store and waits for
	// it like any other, and her next hop reads it from there, so a flood of sessions costs disk
	// and time, not memory.
	MaxLive int

	// Shared says the store is shared with other gateways (several `onestop serve` on one
	// PostgreSQL database), which may be given any hop of any session. Then no session is kept
	// in memory between hops: every hop reads its session from the store, and writes it back,
	// recording something or not, in a write that goes ahead only if the session is still as
	// the hop read it (see Step). MaxLive is then unused. Every engine on one store must be
	// shared alike: a single gateway's engine does not tell the others where it stores a session.
	Shared bool

	// Recorded, when set, is called inside the write that creates or changes a contact, with
	// the contact as it was before the hop (nil for a new one) and as it is now. Alerts and
	// callback tasks are queued here, so they are on disk exactly when the contact is. It may
	// run more than once for one hop (see store.DB.Update) and must only write to tx.
	Recorded func(tx onestop.Tx, before, after *onestop.Contact) error
}

// EndedTTL is how long a session that has ended is kept, for a retry of its last hop.
const EndedTTL = time.Minute

// DefaultTTL is how long an idle session is kept.
const DefaultTTL = 5 * time.Minute

// DefaultDoNotContactDays is how long her number stays marked "do not contact".
const DefaultDoNotContactDays = 90

// Engine runs conversations. It is safe for concurrent use: hops of one session are taken one
// at a time, hops of different sessions in parallel.
type Engine struct {
	db    onestop.Store
	cases *casebook.Casebook
	box   *seal.Box
	dir   *directory.Directory
	cfg   Config
	log   *slog.Logger

	// numbers remembers callers' parsed numbers: every hop carries hers, and parsing it costs
	// more than the rest of the hop's work outside the store.
	numbers *phone.Cache

	// screens holds the screens laid out once (step.pages), one for each language, screen,
	// hint, country and page size met: bounded by the catalogue, a few hundred in practice.
	screens sync.Map
	// countries holds each country's numbers (lines), one entry per region a caller's number
	// was from: a few hundred at most.
	countries sync.Map

	// stored finds the sessions in the store, and is how they are read and written.
	stored *session.Index

	seed   maphash.Seed
	shards [512]shard
	live   atomic.Int64 // sessions held in memory, in all shards
	// unrecorded counts the sessions that ended before she chose anything: counted, never
	// recorded, so nothing on disk holds her number for them.
	unrecorded atomic.Uint64
	// started is when this engine began: only for a TTL after it can a session have been lost
	// from the memory of a process before it.
	started time.Time
	closed  bool // set by Flush, under every shard's hop lock: later hops end kindly
}

// shard serialises the hops of the sessions that hash to it, and keeps those of them that live
// only in memory.
type shard struct {
	hop sync.Mutex // held for a whole hop

	mu sync.Mutex // guards live; the store's writer takes it, so never wait on a write under it
	// live holds the encoded state of the sessions that go on. After a hop that recorded nothing
	// (the first screen, a page turn, a step of the plan before she confirms it) it is their only
	// copy: such a hop tells her nothing was recorded, so it need not wait for the disk, and the
	// session is written with the next hop that records something. After a hop that wrote, it is
	// the session as written, so her next hop need not look for it in the store.
	live map[string][]byte
}

// DefaultMaxLive bounds the sessions kept in memory: under 100 MB of them (a Bengali screen alone
// is about 500 bytes).
const DefaultMaxLive = 100_000

// numberCacheSize bounds the parsed numbers kept: more than the callers of any wave, a few MB.
const numberCacheSize = 1 << 15

// New returns an Engine recording into db through cases.
func New(ctx context.Context, db onestop.Store, cases *casebook.Casebook, box *seal.Box, dir *directory.Directory, cfg Config) (*Engine, error) {
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.DefaultCountry == "" {
		cfg.DefaultCountry = "BD"
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.MaxLive == 0 {
		cfg.MaxLive = DefaultMaxLive
	}
	if cfg.DoNotContactDays <= 0 {
		cfg.DoNotContactDays = DefaultDoNotContactDays
	}
	if cfg.Pager == nil {
		return nil, onestop.Errorf(onestop.EINVALID, "no pager to lay screens out")
	}
	e := &Engine{db: db, cases: cases, box: box, dir: dir, log: cfg.Log, seed: maphash.MakeSeed(),
		numbers: phone.NewCache(numberCacheSize), started: db.Now()}
	codes := make(map[string]string, len(cfg.ServiceCodes))
	for code, country := range cfg.ServiceCodes {
		code, country = strings.TrimSpace(code), strings.ToUpper(strings.TrimSpace(country))
		if code == "" || !e.lines(country).known {
			return nil, onestop.Errorf(onestop.EINVALID, "service code %q: %q is not a country with a helpline in the directory", code, country)
		}
		codes[code] = country
	}
	cfg.ServiceCodes = codes
	e.cfg = cfg
	if cfg.Shared {
		if err := db.Update(ctx, func(tx onestop.Tx) error {
			_, err := tx.CreateBucketIfNotExists(store.SessionKeys)
			return err
		}); err != nil {
			return nil, err
		}
	}
	// What earlier versions kept that must not stay: areas and picks remembered under callers'
	// numbers, and sessions stored under the aggregator's own session ids.
	if err := db.Update(context.Background(), func(tx onestop.Tx) error {
		if _, err := session.ForgetPlaces(tx); err != nil {
			return err
		}
		_, err := session.RekeyRaw(tx, e.hashKey)
		return err
	}); err != nil {
		return nil, err
	}
	if err := db.View(ctx, func(tx onestop.Tx) error {
		var err error
		e.stored, err = session.LoadIndex(tx)
		return err
	}); err != nil {
		return nil, err
	}
	if cfg.Shared {
		e.stored.Share()
	}
	return e, nil
}

// sessionKey is the name a session is kept under, in memory and in the store: a keyed hash of
// the provider and the aggregator's session id, never the id itself.
func (e *Engine) sessionKey(t Turn) string {
	var k [len(session.HashedKeyPrefix) + seal.HashSize]byte
	return string(e.box.AppendHash(append(k[:0], session.HashedKeyPrefix...), "ussd-session:", t.Provider, ":", t.SessionID))
}

// hashKey is sessionKey for raw, the provider and the aggregator's session id as earlier
// versions stored them.
func (e *Engine) hashKey(raw string) string {
	var k [len(session.HashedKeyPrefix) + seal.HashSize]byte
	return string(e.box.AppendHash(append(k[:0], session.HashedKeyPrefix...), "ussd-session:", raw))
}

// Unrecorded returns how many sessions ended, or were left to expire, before she chose anything
// since the engine began: they are only counted, never recorded.
func (e *Engine) Unrecorded() uint64 { return e.unrecorded.Load() }

func (e *Engine) shard(key string) *shard {
	return &e.shards[maphash.String(e.seed, key)%uint64(len(e.shards))]
}

// get returns the session key lives in memory, if it does.
func (sh *shard) get(key string) (*session.Session, bool, error) {
	sh.mu.Lock()
	v, ok := sh.live[key]
	sh.mu.Unlock()
	if !ok {
		return nil, false, nil
	}
	s, err := session.Decode(key, v)
	return s, true, err
}

// keep holds s in memory, unless MaxLive sessions are held already or the store is shared. It
// reports whether it did.
func (e *Engine) keep(sh *shard, s *session.Session) bool {
	if e.cfg.Shared {
		return false // another gateway may take her next hop: her session lives in the store
	}
	v := session.Encode(s)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, ok := sh.live[s.Key]; !ok {
		if e.live.Load() >= int64(e.cfg.MaxLive) {
			return false
		}
		e.live.Add(1)
	}
	if sh.live == nil {
		sh.live = map[string][]byte{}
	}
	sh.live[s.Key] = v
	return true
}

// forget drops key from memory: its session is in the store now, or gone.
func (e *Engine) forget(sh *shard, key string) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, ok := sh.live[key]; ok {
		delete(sh.live, key)
		e.live.Add(-1)
	}
}

func (sh *shard) has(key string) bool {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	_, ok := sh.live[key]
	return ok
}

// expire drops the sessions in memory that expired before now, adding their keys to expired.
func (e *Engine) expire(sh *shard, now time.Time, expired map[string]bool) {
	sh.hop.Lock() // not under a hop that read one of them before it expired and will keep it
	defer sh.hop.Unlock()
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for k, v := range sh.live {
		if now.After(session.ExpiresAt(v)) {
			delete(sh.live, k)
			e.live.Add(-1)
			expired[k] = true
			if s, err := session.Decode(k, v); err == nil && !s.End && s.ContactID == 0 {
				e.unrecorded.Add(1) // she left without choosing anything
			}
		}
	}
}

// Flush writes the sessions held in memory to the store, so that a process started after this
// one carries them on where they are, and closes the engine: it waits for every hop in progress,
// and any hop after it gets the kind ending and changes nothing. Serve calls it on its way out.
//
// On a shared store (Config.Shared) nothing is held in memory, so it writes nothing: every hop's
// session is in the store already, and several gateways may flush at once.
func (e *Engine) Flush(ctx context.Context) (int, error) {
	for i := range e.shards { // in order, and a hop holds only its own: no deadlock
		e.shards[i].hop.Lock()
		defer e.shards[i].hop.Unlock()
	}
	e.closed = true
	var all []*session.Session
	for i := range e.shards {
		sh := &e.shards[i]
		for k, v := range sh.live {
			s, err := session.Decode(k, v)
			if err != nil {
				return 0, err
			}
			all = append(all, s)
		}
	}
	// In steps, like the sweep: pages a write frees are reused only by a later write, so one
	// write of every session would grow the file by as much as it rewrites.
	n := 0
	for len(all) > 0 {
		chunk := all[:min(len(all), sweepChunk)]
		all = all[len(chunk):]
		if err := e.db.Update(ctx, func(tx onestop.Tx) error {
			for _, s := range chunk {
				if err := e.stored.Put(tx, s); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return n, err
		}
		for _, s := range chunk {
			e.forget(e.shard(s.Key), s.Key)
		}
		n += len(chunk)
	}
	return n, nil
}

// Live returns how many sessions are held in memory.
func (e *Engine) Live() int { return int(e.live.Load()) }

// country is the country whose helplines a caller from region is told about when the service
// she dialled is not known: her number's, when it is a country served.
func (e *Engine) country(region string) string {
	if e.lines(region).known {
		return region
	}
	return e.cfg.DefaultCountry
}

// serviceCountry returns the country whose service a caller from region reached by dialling
// code, and the language her session starts in when she has not chosen one: the service's.
func (e *Engine) serviceCountry(code, region string) (string, onestop.Lang) {
	if c, ok := e.cfg.ServiceCodes[strings.TrimSpace(code)]; ok {
		return c, locales.ForRegion(c)
	}
	return e.country(region), locales.ForRegion(region)
}

// Step answers one hop. What the reply says was recorded is committed before Step returns it.
//
// A session keeps the number of the last hop it answered and a keyed hash of what she sent up to
// it (Turn.typedHash). A turn with that number and that hash is a retry: it gets the stored reply
// and records nothing. The next number is handled, for a channel that resends her inputs only
// if they are the ones this session answered. A turn further on, on a channel that resends, is
// played again from the last hop the store holds (see replay), only soon after a restart and
// only for a session not in memory; otherwise it counts as one invalid key. Any other hop
// (unknown, expired, ended, earlier, not her history) gets a kind END screen and changes
// nothing.
//
// Returns EINVALID for a turn that cannot be a caller's hop; on any other error the screen is
// still a kind ending that claims nothing was recorded, so the gateway can show it rather than
// the aggregator's generic failure. The screen's Text is always the page laid out for her.
//
// On a shared store (Config.Shared) two gateways may be given the same hop at once (a platform
// retries at another gateway while the first is still working). The hop reads the session from
// the store, and its write goes ahead only if, inside that write, under the store's write lock,
// the session is still exactly as the hop read it; otherwise nothing of the hop is written and it
// is answered again from the session as the other gateway left it: as a retry, with the same
// screen. So one hop never records two contacts, and no screen is skipped. Returns ECONFLICT,
// with the kind ending, only if the session kept moving under it maxMoved times.
func (e *Engine) Step(ctx context.Context, t Turn) (onestop.Screen, error) {
	scr, err := e.answer(ctx, t)
	for tries := 1; errors.Is(err, errMoved) && tries < maxMoved; tries++ {
		scr, err = e.answer(ctx, t)
	}
	return scr, err
}

// maxMoved bounds how many times a hop on a shared store is answered again because the session
// changed under it. Each time, another gateway wrote the session: a retry of the same hop is
// answered from that write at the second try.
const maxMoved = 4

// errMoved says a hop's session changed in the store after the hop read it: the hop wrote nothing.
var errMoved = onestop.Errorf(onestop.ECONFLICT, "the session changed under the hop")

// asRead is the record a hop on a shared store read its session from (nil: there was none).
type asRead struct {
	key    string
	record []byte
}

type asReadKey struct{}

// unmoved returns errMoved unless the session key is stored in tx exactly as the hop of ctx read
// it. The hop's write calls it first, so on a shared store a hop's read, check and write are one
// read-modify-write under the store's write lock. On a store of its own the engine's hop lock
// does that, and it checks nothing.
func (e *Engine) unmoved(ctx context.Context, tx onestop.Tx, key string) error {
	if !e.cfg.Shared {
		return nil
	}
	r, ok := ctx.Value(asReadKey{}).(*asRead)
	if !ok || r.key != key || !bytes.Equal(e.stored.Record(tx, key), r.record) {
		return errMoved
	}
	return nil
}

// reading returns where a hop on a shared store keeps what it read of key, or nil on a store of
// its own.
func (e *Engine) reading(key string) *asRead {
	if !e.cfg.Shared {
		return nil
	}
	return &asRead{key: key}
}

// get reads the session key from tx. On a shared store it keeps the record in read, for the hop's
// write to check that it is still there (unmoved).
func (e *Engine) get(tx onestop.Tx, key string, read *asRead) (*session.Session, error) {
	if read == nil {
		return e.stored.Get(tx, key)
	}
	if read.record = bytes.Clone(e.stored.Record(tx, key)); read.record == nil {
		return nil, nil
	}
	return session.Decode(key, read.record)
}

// answer is Step, once.
func (e *Engine) answer(ctx context.Context, t Turn) (onestop.Screen, error) {
	if err := t.Validate(); err != nil {
		return onestop.Screen{}, err
	}
	var num phone.Number // none, for a masked caller
	if !t.Masked {
		n, err := e.numbers.Parse(t.Caller, "")
		if err != nil {
			return onestop.Screen{}, onestop.Errorf(onestop.EINVALID, "phoneNumber is not a phone number")
		}
		num = n
	}
	key := e.sessionKey(t)
	country, lang := e.serviceCountry(t.ServiceCode, num.Region)
	sh := e.shard(key)
	sh.hop.Lock()
	defer sh.hop.Unlock()
	if e.closed {
		return e.over(lang, country), errClosed
	}

	hash := e.box.Hash(num.E164)
	if t.Masked {
		// Only to tell her hops from another's: an opaque id is no number to remember a
		// language or a do-not-contact mark by, and the plan has no number of hers to use.
		hash = e.box.Hash("masked:" + t.Caller)
	}
	s, live, err := sh.get(key)
	if err != nil {
		return e.over(lang, country), err
	}
	now := e.db.Now()
	var remembered onestop.Lang
	noCall := t.Masked
	if !live {
		read := e.reading(key) // nil on a store of its own
		if err := e.db.View(ctx, func(tx onestop.Tx) error {
			var err error
			if s, err = e.get(tx, key, read); s == nil && err == nil && !t.Masked {
				remembered = session.Lang(tx, hash)
				noCall, err = e.cases.DoNotContact(tx, num.E164, now)
			}
			return err
		}); err != nil {
			return e.over(lang, country), err
		}
		if read != nil {
			ctx = context.WithValue(ctx, asReadKey{}, read)
		}
	}

	if s == nil {
		if remembered != "" {
			lang = remembered
		}
		s = &session.Session{
			Key: key, CallerHash: hash, Country: country, Lang: lang, NoCall: noCall,
			Provider: t.Provider, Network: t.Network, State: stMenu, Created: now,
		}
		if t.Channel == onestop.Voice {
			s.State = stSafe // a call first asks whether she can talk
		}
		st := &step{e: e, sh: sh, s: s, turn: t, num: num, now: now}
		if t.Hop > 0 {
			// A session the store never saw that has already begun: soon after a restart, it
			// lived in the memory of the process before, and a channel that resends her inputs
			// has them played again from the first screen. At any other time, or on a channel
			// that does not resend, it is unknown, or expired and swept.
			if !t.Resends || !e.mayHaveLost(now) {
				return e.over(lang, country), nil
			}
			if st = st.replay(ctx, *s, t.History, t.Input); st == nil {
				return e.over(lang, country), nil
			}
		}
		return st.finish(ctx)
	}
	if now.After(s.Expires) || !bytes.Equal(s.CallerHash, hash) || s.Hop < 0 {
		// (A session of a record from before hops were numbered cannot tell a retry from the
		// next hop: ended kindly, like one expired.)
		return e.over(s.Lang, s.Country), nil
	}
	switch {
	case t.Hop == s.Hop && bytes.Equal(t.typedHash(e.box), s.TypedHash):
		// A retry: the page as she was shown it, byte for byte. The screen it was laid out
		// from is not kept, and a retry needs nothing else. (An ending is its own text.)
		if s.End {
			return ending(s.Lang, s.Reply), nil
		}
		return onestop.Screen{Lang: s.Lang, Page: s.Page, Text: s.Reply}, nil
	case s.End:
		return e.over(s.Lang, s.Country), nil
	case t.Hop == s.Hop+1 && (!t.Resends || bytes.Equal(historyHash(e.box, t.History), s.TypedHash)):
		st := &step{e: e, sh: sh, s: s, turn: t, num: num, now: now}
		st.handle(ctx, locales.Normalize(t.Input))
		return st.finish(ctx)
	case t.Hop > s.Hop+1 && t.Resends && bytes.Equal(historyHash(e.box, t.History[:s.Hop]), s.TypedHash):
		// Her session, further on than it was answered. Soon after a restart, the store may
		// hold it as of a hop that recorded something, the hops after it having recorded
		// nothing and been lost with the memory of the process before this one: they are
		// played again. (A session in memory has lost nothing.)
		st := &step{e: e, sh: sh, s: s, turn: t, num: num, now: now}
		if !live && e.mayHaveLost(now) {
			if r := st.replay(ctx, *s, t.History[s.Hop:], t.Input); r != nil {
				return r.finish(ctx)
			}
		}
		// Otherwise what she sent since is one input that no screen takes (a channel that
		// joins inputs with a key she can type reads her one input as several): shown again
		// with the hint, as any invalid key is.
		st.invalid()
		return st.finish(ctx)
	}
	// A hop from before the last one answered, a history that is not hers, or a hop skipped.
	return e.over(s.Lang, s.Country), nil
}

// masked is n as staff may see it, or "" when the aggregator hid her number (Turn.Masked).
func masked(n phone.Number) string {
	if n.E164 == "" {
		return ""
	}
	return n.Mask()
}

// mayHaveLost reports whether a session's latest state can have been lost with the memory of a
// process before this one: only while a session it held could still be alive.
func (e *Engine) mayHaveLost(now time.Time) bool { return now.Before(e.started.Add(e.cfg.TTL)) }

// errClosed answers a hop that arrives after Flush.
var errClosed = onestop.Errorf(onestop.EUNAVAILABLE, "the conversation engine is closed")

// replay applies her inputs one at a time to the session as it was before this hop (keys, then
// last), and returns the step of the last, or nil if any earlier input would not have been a
// valid hop that records nothing. Hops that record nothing are kept in memory only, for a
// channel that resends every input, so a restart loses them while the aggregator carries on.
// Their inputs are played again and she gets the screen her last input leads to. An input that
// would have recorded something is never played again: its hop would be in the store.
func (st *step) replay(ctx context.Context, s session.Session, keys []string, last string) *step {
	for _, key := range keys {
		r := &step{e: st.e, sh: st.sh, s: &s, turn: st.turn, num: st.num, now: st.now}
		r.handle(ctx, locales.Normalize(key))
		if s.Invalid > 0 || r.end != "" || r.contact != nil || r.saveLang || r.doNotContact {
			return nil
		}
	}
	r := &step{e: st.e, sh: st.sh, s: &s, turn: st.turn, num: st.num, now: st.now}
	r.handle(ctx, locales.Normalize(last))
	return r
}

// over is the kind ending for a hop that cannot go on: a neutral line and the helpline of
// country.
func (e *Engine) over(lang onestop.Lang, country string) onestop.Screen {
	return ending(lang, locales.Text(lang, locales.SessionOver, e.helpline(country)))
}

// ending is the screen that ends a session with text: one text, never paged.
func ending(lang onestop.Lang, text string) onestop.Screen {
	return onestop.Screen{Lang: lang, Prompt: text, End: true, Text: text}
}

// lines are the numbers a country's screens name: its helpline, if the directory has one, and
// the first of its emergency numbers.
type lines struct {
	helpline, emergency string
	known               bool // the directory has the country's helpline
}

// lines returns country's numbers. They are looked up once per country: the directory does not
// change under an engine, and finding them walks every centre.
func (e *Engine) lines(country string) lines {
	if l, ok := e.countries.Load(country); ok {
		return l.(lines)
	}
	var l lines
	if c, ok := e.dir.Helpline(country); ok {
		l.helpline, l.known = c.Number(), true
	}
	if cs := e.dir.Emergency(country); len(cs) > 0 {
		l.emergency = cs[0].Number()
	}
	e.countries.Store(country, l)
	return l
}

func (e *Engine) helpline(country string) string  { return e.lines(country).helpline }
func (e *Engine) emergency(country string) string { return e.lines(country).emergency }

// Sweep deletes sessions idle past their TTL. A session that ended before she finished, with a
// contact still open and no plan confirmed, marks that contact dropped: it stays on record, and
// nothing is ever sent because of it. Returns how many sessions were swept.
//
// It walks the sessions once, in steps: each reads at most a few thousand records and deletes at
// most sweepChunk of them in one write, which joins a group commit like any hop's. A wave of
// expired sessions therefore never holds the writer long enough to pause the callers' hops.
//
// On a shared store (Config.Shared) several gateways may sweep at once: each session is checked
// again and deleted, and its contact marked dropped, inside one write, so the second to reach a
// session finds it gone or no longer expired and leaves it; and a hop on another gateway that
// read it before it went writes nothing (Step), and ends kindly.
func (e *Engine) Sweep(ctx context.Context) (int, error) {
	const scan = 8192
	// Sessions in memory first: a stored session with a newer state in memory is left alone
	// until that state expires too.
	expired := map[string]bool{}
	for i := range e.shards {
		e.expire(&e.shards[i], e.db.Now(), expired)
	}
	total := len(expired)
	from := ""
	for {
		now := e.db.Now()
		var keys []string
		var next string
		if err := e.db.View(ctx, func(tx onestop.Tx) error {
			keys, next = session.ExpiredFrom(tx, from, now, sweepChunk, scan)
			return nil
		}); err != nil {
			return total, err
		}
		if len(keys) > 0 {
			// Hops never write to an expired session (Step answers them without a write), and
			// one with a newer state in memory is left to expire there; so re-checking both
			// inside the write is enough, and no session lock is needed.
			var deleted []string
			var unrecorded uint64
			err := e.db.Update(ctx, func(tx onestop.Tx) error {
				deleted, unrecorded = deleted[:0], 0
				for _, k := range keys {
					s, err := e.stored.GetStored(tx, k)
					if err != nil || s == nil || !now.After(s.Expires) || e.shard(s.Key).has(s.Key) {
						continue
					}
					deleted = append(deleted, s.Key)
					if !s.End && s.ContactID == 0 && !expired[s.Key] {
						unrecorded++
					}
					if !s.End && s.ContactID != 0 {
						if err := e.markDropped(tx, s.ContactID, now); err != nil {
							return err
						}
					}
					if err := e.stored.DeleteStored(tx, k); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return total, err
			}
			e.unrecorded.Add(unrecorded)
			for _, k := range deleted {
				if !expired[k] { // counted once, whether it expired in memory, the store or both
					total++
				}
			}
		}
		if next == "" || ctx.Err() != nil {
			return total, ctx.Err()
		}
		from = next
	}
}

// sweepChunk bounds the sessions one write of the sweep deletes: a step holds the writer about
// as long as a full group of hops does. Smaller steps cost more commits, each with its fsyncs.
const sweepChunk = 512

func (e *Engine) markDropped(tx onestop.Tx, id uint64, now time.Time) error {
	c, err := e.cases.Get(tx, id)
	if err != nil {
		return err
	}
	before := *c
	if dropIfUnfinished(c); c.Status == before.Status {
		return nil
	}
	c.Updated = now
	if err := e.cases.Put(tx, c); err != nil {
		return err
	}
	return e.recorded(tx, &before, c)
}

func (e *Engine) recorded(tx onestop.Tx, before, after *onestop.Contact) error {
	if e.cfg.Recorded == nil {
		return nil
	}
	return e.cfg.Recorded(tx, before, after)
}

// dropIfUnfinished marks a contact dropped when its conversation ended before she confirmed a
// plan. A dropped contact is kept, with its urgency, and never triggers contact by itself.
func dropIfUnfinished(c *onestop.Contact) {
	if c.Status == onestop.Open && c.Plan == nil {
		c.Status = onestop.Dropped
	}
}

// SweepEvery runs Sweep every interval until ctx ends.
func (e *Engine) SweepEvery(ctx context.Context, interval time.Duration) {
	store.Every(ctx, interval, store.Once(e.db, "session sweep", interval, e.Sweep), func(n int, err error) {
		if err != nil {
			e.log.Error("session sweep failed", "err", err)
		} else if n > 0 {
			e.log.Debug("sessions swept", "count", n)
		}
	})
}
