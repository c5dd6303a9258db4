package flows

import (
	"context"
	"reflect"
	"strconv"
	"sync"
	"time"

	"github.com/looplab/fsm"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/phone"
	"github.com/onestop-helpline/onestop/session"
)

// The screens of the USSD conversation.
const (
	stMenu     = "menu"     // first screen
	stMayCall  = "may_call" // may we call you: this number, another, do not call
	stNumber   = "number"   // type the other number
	stWhen     = "when"     // when is it safe
	stCover    = "cover"    // what our caller will say if someone else answers
	stHelp     = "help"     // find help: the helpline, then choose or type her area (area.go)
	stInfo     = "info"     // information topics
	stTopic    = "topic"    // one topic's text
	stLanguage = "language" // choose a language
	stWhere    = "where"    // after an urgent plan: her district, typed or chosen, or skip
	stDone     = "done"     // the conversation is over
)

// The keys that mean the same on every screen.
const (
	keyExit = "0"
	keyMore = "98"
	keyBack = "99"
)

// transitions is the conversation's graph. The events' callbacks do the recording.
var transitions = fsm.Events{
	{Name: "talk", Src: []string{stMenu}, Dst: stMayCall},
	{Name: "callback", Src: []string{stMenu}, Dst: stMayCall},
	{Name: "nearby", Src: []string{stMenu}, Dst: stHelp},
	{Name: "info", Src: []string{stMenu}, Dst: stInfo},
	{Name: "language", Src: []string{stMenu}, Dst: stLanguage},
	{Name: "this", Src: []string{stMayCall}, Dst: stWhen},
	{Name: "other", Src: []string{stMayCall}, Dst: stNumber},
	{Name: "never", Src: []string{stMayCall}, Dst: stDone},
	{Name: "number", Src: []string{stNumber}, Dst: stWhen},
	{Name: "window", Src: []string{stWhen}, Dst: stCover},
	{Name: "confirm", Src: []string{stCover}, Dst: stDone},
	// On the "talk now" path, her confirmed plan is followed by one question: her district,
	// so the district's officials can be alerted. The find-help screens are reused for it
	// (Session.Asking); a skip, 0 or a dropped session leaves what was recorded as it is.
	{Name: "confirm_ask", Src: []string{stCover}, Dst: stWhere},
	{Name: "list", Src: []string{stWhere}, Dst: stHelp},
	{Name: "skip", Src: []string{stWhere}, Dst: stDone},
	{Name: "district", Src: []string{stWhere, stHelp, stNoMatch, stDistricts, stMatches}, Dst: stDone},
	{Name: "where", Src: []string{stHelp, stNoMatch}, Dst: stWhere},
	{Name: "topic", Src: []string{stInfo}, Dst: stTopic},
	{Name: "chose", Src: []string{stLanguage}, Dst: stMenu},
	{Name: "back", Src: []string{stMayCall, stHelp, stInfo, stLanguage}, Dst: stMenu},
	{Name: "back", Src: []string{stNumber, stWhen}, Dst: stMayCall},
	{Name: "back", Src: []string{stCover}, Dst: stWhen},
	{Name: "back", Src: []string{stTopic}, Dst: stInfo},
	// Find help (area.go): choose a division, state or governorate, then a district, or type a
	// place; the answer lists the nearest centres and ends with the helpline.
	{Name: "division", Src: []string{stHelp, stNoMatch, stMatches, stWhere}, Dst: stDistricts},
	{Name: "area", Src: []string{stHelp, stNoMatch, stDistricts, stMatches}, Dst: stCentres},
	{Name: "matches", Src: []string{stHelp, stNoMatch, stDistricts, stWhere}, Dst: stMatches},
	{Name: "nomatch", Src: []string{stHelp, stDistricts, stMatches, stWhere}, Dst: stNoMatch},
	{Name: "back", Src: []string{stDistricts, stMatches, stCentres}, Dst: stHelp},
	{Name: "back", Src: []string{stNoMatch}, Dst: stMenu},
}

// callbacks record what each choice means. Each receives the hop's *step as its first argument.
var callbacks = fsm.Callbacks{
	"after_talk":     func(_ context.Context, e *fsm.Event) { on(e).classify(onestop.Urgent) },
	"after_callback": func(_ context.Context, e *fsm.Event) { on(e).classify(onestop.NonUrgent) },
	"after_nearby":   func(_ context.Context, e *fsm.Event) { on(e).classify(onestop.Information) },
	"after_info":     func(_ context.Context, e *fsm.Event) { on(e).classify(onestop.Information) },
	"after_this": func(_ context.Context, e *fsm.Event) {
		s := on(e).s
		s.MayCall, s.OtherNumber = true, nil
	},
	"after_number": func(_ context.Context, e *fsm.Event) {
		st := on(e)
		st.s.MayCall, st.s.OtherNumber = true, st.e.box.SealString(e.Args[1].(string))
	},
	"after_window":      func(_ context.Context, e *fsm.Event) { on(e).s.Window = e.Args[1].(onestop.Window) },
	"after_never":       func(ctx context.Context, e *fsm.Event) { on(e).refuse(ctx) },
	"after_confirm":     func(ctx context.Context, e *fsm.Event) { on(e).confirm(ctx, false) },
	"after_confirm_ask": func(ctx context.Context, e *fsm.Event) { on(e).confirm(ctx, true) },
	"after_skip":        func(_ context.Context, e *fsm.Event) { st := on(e); st.end = st.s.Closing },
	"after_district": func(_ context.Context, e *fsm.Event) {
		st := on(e)
		st.choose(e.Args[1].(string))
		st.end = st.s.Closing
	},
	"after_topic": func(_ context.Context, e *fsm.Event) { on(e).s.Topic = e.Args[1].(int) },
	"after_division": func(_ context.Context, e *fsm.Event) {
		st := on(e)
		var codes []string
		for _, a := range st.e.dir.Children(e.Args[1].(string)) {
			codes = append(codes, a.Code)
		}
		st.offer(codes)
	},
	"after_matches": func(_ context.Context, e *fsm.Event) { on(e).offer(e.Args[1].([]string)) },
	"after_area":    func(_ context.Context, e *fsm.Event) { on(e).choose(e.Args[1].(string)) },
	"after_chose": func(_ context.Context, e *fsm.Event) {
		st := on(e)
		st.s.Lang, st.saveLang = e.Args[1].(onestop.Lang), true
	},
}

func on(e *fsm.Event) *step { return e.Args[0].(*step) }

// machines reuses the conversation's state machines: building one costs more than the rest of a
// hop's conversation work, and SetState, which fires no callbacks, readies one for any session.
var machines = sync.Pool{New: func() any { return fsm.NewFSM(stMenu, transitions, callbacks) }}

// step is one hop in progress: the session as it will be saved, and what to record with it.
type step struct {
	e    *Engine
	sh   *shard
	s    *session.Session
	turn Turn
	num  phone.Number
	now  time.Time

	// contact, when set, changes the session's contact (creating it if there is none) in the
	// same write as the session.
	contact func(*onestop.Contact)
	// planned says the change sets her Safe Contact Plan, which always changes her contact.
	planned  bool
	saveLang bool
	// doNotContact says she said not to call: her number is marked for
	// Config.DoNotContactDays in the hop's write.
	doNotContact bool
	// area is what the find-help screens chose this hop (area.go), kept in the session.
	area areaHop
	// end, when set, is the closing screen: the session ends with it.
	end string
	// notSafe says she answered a voice call's first question "no": her number is marked
	// "do not contact" though she chose nothing. connecting says the call is put through.
	notSafe, connecting bool
}

// handle applies one input to the session.
func (st *step) handle(ctx context.Context, input string) {
	s := st.s
	if input == keyExit {
		if s.ContactID != 0 {
			st.change(dropIfUnfinished)
		}
		st.end = locales.Text(s.Lang, locales.Goodbye)
		return
	}
	// Only 98 and 99 need to know how many pages the screen has; laying it out costs, so
	// nothing else asks.
	if input == keyMore && s.Page+1 < len(st.pages()) {
		s.Page++
		st.valid()
		return
	} else if input == keyBack && s.Page > 0 {
		s.Page--
		st.valid()
		return
	}
	event, arg, ok := st.parse(input)
	if !ok {
		st.invalid()
		return
	}
	f := machines.Get().(*fsm.FSM)
	f.SetState(s.State)
	if err := f.Event(ctx, event, st, arg); err != nil {
		// parse only offers events the graph has from this state; anything else is a defect
		// that must not strand her, so it counts as an invalid key.
		st.e.log.Error("flow event refused", "state", s.State, "event", event, "err", err)
		st.invalid()
		return
	}
	s.State = f.Current()
	// Only a machine whose event went through cleanly goes back for reuse.
	machines.Put(f)
	s.Page = 0
	st.valid()
}

func (st *step) valid() { st.s.Invalid, st.s.Hint = 0, "" }

// invalid shows the screen again with a hint; the third in a row ends the session kindly.
func (st *step) invalid() {
	s := st.s
	s.Invalid++
	if s.Invalid >= 3 {
		if s.Asking {
			// Her plan is confirmed: she is told what was recorded, as a skip would.
			st.end = s.Closing
			return
		}
		if s.ContactID != 0 {
			st.change(dropIfUnfinished)
		}
		st.end = locales.Text(s.Lang, locales.TooManyInvalid, st.e.helpline(s.Country))
		return
	}
	s.Hint = string(locales.Invalid)
	if s.State == stNumber {
		s.Hint = string(locales.BadNumber)
	}
	s.Page = 0
}

// parse maps an input on the current screen to an event and its argument.
func (st *step) parse(in string) (event string, arg any, ok bool) {
	s := st.s
	if st.isVoice() {
		if ev, ok, handled := st.voiceParse(in); handled {
			return ev, nil, ok
		}
	}
	if in == keyBack {
		switch {
		case s.State == stWhere:
			return "", nil, false // her plan is confirmed: there is no going back into it
		case s.Asking && (s.State == stHelp || s.State == stNoMatch):
			return "where", nil, true
		}
		return "back", nil, s.State != stMenu && s.State != stSafe
	}
	switch s.State {
	case stMenu:
		switch in {
		case "1":
			return "talk", nil, true
		case "2":
			return "nearby", nil, true
		case "3":
			return "callback", nil, true
		case "4":
			return "info", nil, true
		case "5":
			return "language", nil, true
		}
	case stMayCall:
		if s.NoCall {
			// Her number is marked "do not contact": the plan cannot use it.
			switch in {
			case "1":
				return "other", nil, true
			case "2":
				return "never", nil, true
			}
			break
		}
		switch in {
		case "1":
			return "this", nil, true
		case "2":
			return "other", nil, true
		case "3":
			return "never", nil, true
		}
	case stNumber:
		n, err := phone.ParseValid(in, s.Country)
		if err == nil && !(s.NoCall && n.E164 == st.num.E164) {
			return "number", n.E164, true
		}
	case stWhen:
		if i := choice(in, len(windows)); i > 0 {
			return "window", windows[i-1], true
		}
	case stCover:
		if in == "1" {
			if s.Urgency == onestop.Urgent && s.Area == "" {
				return "confirm_ask", nil, true
			}
			return "confirm", nil, true
		}
	case stWhere:
		switch {
		case in == "1":
			return "list", nil, true
		case in == "2":
			return "skip", nil, true
		case isDigits(in):
			return "", nil, false
		}
		return st.parseArea(in)
	case stInfo:
		if i := choice(in, len(topics)); i > 0 {
			return "topic", i, true
		}
	case stLanguage:
		if i := choice(in, len(onestop.Langs)); i > 0 {
			return "chose", onestop.Langs[i-1], true
		}
	case stHelp, stNoMatch, stDistricts, stMatches:
		return st.parseArea(in)
	}
	return "", nil, false
}

// choice returns in as a menu choice 1..n, or 0.
func choice(in string, n int) int {
	if len(in) > 2 {
		return 0
	}
	i, err := strconv.Atoi(in)
	if err != nil || i < 1 || i > n {
		return 0
	}
	return i
}

// change queues a change to the session's contact for this hop's write.
func (st *step) change(f func(*onestop.Contact)) {
	prev := st.contact
	st.contact = func(c *onestop.Contact) {
		if prev != nil {
			prev(c)
		}
		f(c)
	}
}

// classify records the contact the moment she chooses, raising its urgency if she had chosen
// something less urgent before in this session; it is on disk before the next screen shows.
func (st *step) classify(u onestop.Urgency) {
	s := st.s
	if rank[u] > rank[s.Urgency] {
		s.Urgency = u
	}
	s.MayCall, s.OtherNumber, s.Window = false, nil, ""
	urgency := s.Urgency
	st.change(func(c *onestop.Contact) {
		c.Urgency = urgency
		if urgency == onestop.Information {
			c.Status = onestop.Done
		} else if c.Plan == nil {
			c.Status = onestop.Open
		}
	})
}

var rank = map[onestop.Urgency]int{onestop.Information: 1, onestop.NonUrgent: 2, onestop.Urgent: 3}

// refuse records that she does not want to be called.
func (st *step) refuse(ctx context.Context) {
	s, now := st.s, st.now
	st.planned, st.doNotContact = true, true
	st.change(func(c *onestop.Contact) {
		c.Plan = &onestop.SafeContactPlan{MayCall: false, AgreedAt: now}
		c.Caller = ""
		c.Status = onestop.DoNotContact
	})
	ref, ok := st.ref(ctx)
	if !ok {
		return
	}
	st.end = locales.Text(s.Lang, locales.DoneNoCall, ref, st.e.helpline(s.Country), st.e.emergency(s.Country))
}

// ref returns the reference of her contact, the one kept with it, to tell her. A contact that
// cannot be read ends the session kindly, telling her no reference: none can be promised.
func (st *step) ref(ctx context.Context) (string, bool) {
	s := st.s
	ref, err := st.e.cases.ContactRef(ctx, s.ContactID)
	if err != nil {
		st.e.log.Error("cannot read her contact's reference", "contact", s.ContactID, "err", err)
		st.end = locales.Text(s.Lang, locales.SessionOver, st.e.helpline(s.Country))
		return "", false
	}
	return ref, true
}

// confirm turns the plan she built into the contact's Safe Contact Plan. With ask, the session
// goes on to ask for her district, and ends after it with the screen confirm would have ended it
// with.
func (st *step) confirm(ctx context.Context, ask bool) {
	s, now := st.s, st.now
	if s.NoCall && s.OtherNumber == nil {
		// Never reached (the plan offers no way to choose her own number then), and never
		// allowed to put her marked number in a plan.
		st.refuse(ctx)
		return
	}
	number, other := st.num.E164, false
	if s.OtherNumber != nil {
		n, err := st.e.box.OpenString(s.OtherNumber)
		if err != nil {
			st.e.log.Error("cannot open the number she gave", "err", err)
			st.end = locales.Text(s.Lang, locales.SessionOver, st.e.helpline(s.Country))
			return
		}
		number, other = n, true
	}
	tz := zone(s.Country)
	opens, closes := window(s.Window, now, tz)
	plan := &onestop.SafeContactPlan{
		MayCall: true, Number: number, OtherNumber: other, Window: s.Window,
		Opens: opens, Closes: closes, TZ: tz.String(), Cover: string(locales.Cover), AgreedAt: now,
	}
	st.planned = true
	st.change(func(c *onestop.Contact) {
		c.Plan = plan
		if other {
			c.Caller = ""
		} else {
			c.Caller = number
		}
		c.Status = onestop.Open
	})
	ref, ok := st.ref(ctx)
	if !ok {
		return
	}
	closing := st.closing(ctx, ref, opens, tz)
	if ask {
		s.Asking, s.Closing = true, closing
		return
	}
	st.end = closing
}

// closing is the screen that ends a confirmed plan. It promises a call within the half hour only
// when someone is on duty to make it; otherwise it gives her the helpline to call. A window that
// opens on another day than today says so.
func (st *step) closing(ctx context.Context, ref string, opens time.Time, tz *time.Location) string {
	s := st.s
	if s.Window == onestop.Now {
		if st.e.cfg.OnDuty != nil && st.e.cfg.OnDuty(ctx, st.now) {
			return locales.Text(s.Lang, locales.DoneNow, ref, st.e.emergency(s.Country))
		}
		return locales.Text(s.Lang, locales.DoneNowNobody, ref, st.e.helpline(s.Country), st.e.emergency(s.Country))
	}
	when := later[s.Window]
	if y, m, d := opens.In(tz).Date(); y != st.now.In(tz).Year() || m != st.now.In(tz).Month() || d != st.now.In(tz).Day() {
		when = tomorrow[s.Window]
	}
	return locales.Text(s.Lang, locales.DoneLater, ref, locales.Text(s.Lang, when), st.e.emergency(s.Country))
}

var later = map[onestop.Window]locales.Key{
	onestop.Morning: locales.LaterMorning, onestop.Afternoon: locales.LaterAfternoon, onestop.Evening: locales.LaterEvening,
}

// tomorrow names a window that opens on a later day than the one she chose it on.
var tomorrow = map[onestop.Window]locales.Key{
	onestop.Morning: locales.TomorrowMorning, onestop.Afternoon: locales.TomorrowAfternoon, onestop.Evening: locales.TomorrowEvening,
}

// finish renders the reply. A hop that records something commits the session, her contact, her
// language and her area in one write before returning it; one that records nothing, on a channel
// that resends her inputs, keeps the session in memory and writes nothing. Either way a session
// that goes on is kept in memory.
func (st *step) finish(ctx context.Context) (onestop.Screen, error) {
	s, t := st.s, st.turn
	var reply onestop.Screen
	if st.end != "" {
		reply = ending(s.Lang, st.end)
		if st.isVoice() {
			// Kept as the voice renderer reads it, so a retry is put through again too.
			reply.Connect = st.connecting
			reply.Text = st.voicePage(reply)
		}
		s.State = stDone
	} else {
		l := st.laid()
		if s.Page >= len(l.pages) {
			s.Page = len(l.pages) - 1
		}
		reply = l.screen
		reply.Page, reply.Text = s.Page, l.pages[s.Page]
	}
	s.Hop, s.TypedHash = t.Hop, t.typedHash(st.e.box)
	s.Reply, s.End = reply.Text, reply.End
	s.Updated, s.Expires = st.now, st.now.Add(st.e.cfg.TTL)
	if reply.End {
		// An ended session is kept only for a retry of its last hop, which an aggregator makes
		// within seconds; ended sessions were most of the store.
		s.Expires = st.now.Add(min(st.e.cfg.TTL, EndedTTL))
	}

	// A change that leaves her contact as it is (leaving after reading information, say)
	// records nothing.
	if st.contact != nil && !st.planned && s.ContactID != 0 && st.unchanged(ctx) {
		st.contact = nil
	}
	// Nothing is recorded of a session in which she chose nothing: no contact, so no trace of
	// her number. Every contact has the urgency she chose.
	if s.ContactID == 0 && s.Urgency == "" {
		// (Saying a voice call is not safe marks her number all the same, by keyed hash.)
		st.contact, st.doNotContact = nil, st.notSafe
		if reply.End {
			st.e.unrecorded.Add(1)
		}
	}
	// A hop that records nothing keeps the session in memory and answers at once, when her
	// channel resends every input: after a crash they are played again (Step). On a channel that
	// does not, nothing could bring the hop back, so it is written like any other. A hop that
	// ends the question for her district writes that the session ended, as the hop confirming
	// her plan used to: the store holds her session as asking until then.
	ends := reply.End && s.Asking
	if t.Masked {
		st.saveLang, st.doNotContact = false, false // nothing is kept against an opaque id
	}
	if t.Resends && st.contact == nil && !st.saveLang && !st.doNotContact && !ends && st.e.keep(st.sh, s) {
		return reply, nil
	}
	saved := *s              // each run of the write starts again from here
	var base onestop.Contact // her new contact, made only when she has none yet
	if st.contact != nil && saved.ContactID == 0 {
		base = st.baseContact()
	}
	var ns session.Session // as written
	err := st.e.db.Update(ctx, func(tx onestop.Tx) error {
		if err := st.e.unmoved(ctx, tx, saved.Key); err != nil {
			return err
		}
		ns = saved
		if st.contact != nil {
			c, err := st.loadContact(tx, ns.ContactID, base)
			if err != nil {
				return err
			}
			var before *onestop.Contact
			if ns.ContactID != 0 {
				b := *c
				before = &b
			}
			st.contact(c)
			c.Lang, c.Updated = ns.Lang, st.now
			if err := st.e.cases.Put(tx, c); err != nil {
				return err
			}
			if err := st.e.recorded(tx, before, c); err != nil {
				return err
			}
			ns.ContactID = c.ID
		}
		if st.saveLang {
			if err := session.PutLangAt(tx, ns.CallerHash, ns.Lang, st.now); err != nil {
				return err
			}
		}
		if st.doNotContact {
			until := st.now.AddDate(0, 0, st.e.cfg.DoNotContactDays)
			if err := st.e.cases.MarkDoNotContact(tx, st.num.E164, until); err != nil {
				return err
			}
		}
		return st.e.stored.Put(tx, &ns)
	})
	if err != nil {
		// Nothing was recorded, so she must not be told anything was: the kind ending, and the
		// error for the gateway to log.
		return st.e.over(s.Lang, s.Country), err
	}
	// Her next hop, if the session goes on, reads it from memory rather than the store. An ended
	// session is only read again for a retry, so memory is spared it.
	if reply.End || !st.e.keep(st.sh, &ns) {
		st.e.forget(st.sh, s.Key)
	}
	return reply, nil
}

// unchanged reports whether this hop's change to her contact would leave it as it is.
func (st *step) unchanged(ctx context.Context) bool {
	same := false
	st.e.db.View(ctx, func(tx onestop.Tx) error {
		c, err := st.e.cases.Get(tx, st.s.ContactID)
		if err != nil {
			return nil // the write will say what is wrong
		}
		before := *c
		if c.Plan != nil {
			p := *c.Plan
			before.Plan = &p
		}
		st.contact(c)
		c.Lang = st.s.Lang
		same = reflect.DeepEqual(before, *c)
		return nil
	})
	return same
}

// loadContact returns the session's contact from tx, or a new one when it has none yet.
func (st *step) loadContact(tx onestop.Tx, id uint64, base onestop.Contact) (*onestop.Contact, error) {
	if id == 0 {
		// Her district only if she chose it in this session: one remembered from before would
		// be the district of whoever used the phone before.
		c := base
		c.Area = st.s.Area
		return &c, nil
	}
	return st.e.cases.Get(tx, id)
}

// baseContact is a new contact for this session: anonymous, the number only masked.
func (st *step) baseContact() onestop.Contact {
	s, t := st.s, st.turn
	channel := t.Channel
	if channel == "" {
		channel = onestop.USSD // the channel every provider of sessions spoke before turns named it
	}
	return onestop.Contact{
		Time: st.now, Channel: channel, Provider: t.Provider, SessionID: st.e.cases.SessionHash(t.SessionID),
		Country: s.Country, Network: t.Network, Lang: s.Lang, Status: onestop.Open, Masked: masked(st.num),
	}
}

// The order of windows and topics on their menus.
var (
	windows = []onestop.Window{onestop.Now, onestop.Morning, onestop.Afternoon, onestop.Evening}
	topics  = []struct{ label, body locales.Key }{
		{locales.InfoMedical, locales.InfoMedicalBody},
		{locales.InfoPolice, locales.InfoPoliceBody},
		{locales.InfoLegal, locales.InfoLegalBody},
		{locales.InfoCounselling, locales.InfoCounsellingBody},
		{locales.InfoShelter, locales.InfoShelterBody},
		{locales.InfoRights, locales.InfoRightsBody},
	}
)

// pages lays the current screen out through the engine's pager, as pages of the provider's size.
func (st *step) pages() []string { return st.laid().pages }

// laidScreen is a screen and its pages as the pager laid them out.
type laidScreen struct {
	screen onestop.Screen
	pages  []string
}

// laid returns the current screen and its pages.
func (st *step) laid() laidScreen {
	s := st.s
	hint := ""
	if s.Hint != "" {
		hint = locales.Text(s.Lang, locales.Key(s.Hint))
	}
	pager := st.e.cfg.Pager
	if st.isVoice() {
		// A call is spoken, not paged: its one page is the screen for the voice renderer.
		pager = func(_ string, scr onestop.Screen) []string { return []string{st.voicePage(scr)} }
	}
	switch s.State {
	case stHelp, stNoMatch, stDistricts, stMatches, stCentres:
		scr := st.areaScreen(hint)
		return laidScreen{scr, pager(s.Provider, scr)}
	}
	// Every other screen is the same for everyone on the same screen in the same language and
	// country, with the same hint, through the same provider: it is laid out once.
	k := screenKey{lang: s.Lang, provider: s.Provider, hint: s.Hint, state: s.State, country: s.Country, noCall: s.NoCall, voice: st.isVoice()}
	if s.State == stTopic {
		k.topic = s.Topic
	}
	if p, ok := st.e.screens.Load(k); ok {
		return p.(laidScreen)
	}
	scr := st.screen(hint)
	l := laidScreen{scr, pager(s.Provider, scr)}
	st.e.screens.Store(k, l)
	return l
}

// screenKey is what a screen outside find-help depends on.
type screenKey struct {
	lang                           onestop.Lang
	provider, hint, state, country string
	topic                          int
	noCall, voice                  bool
}

// screen is the current screen outside find-help, with hint (already in her language) shown
// after an invalid key.
func (st *step) screen(hint string) onestop.Screen {
	s := st.s
	if scr, ok := st.voiceScreen(hint); ok {
		return scr
	}
	lang := s.Lang
	// A menu shows a question and its options. After an invalid key the hint goes above the
	// question when both fit one page, and stands in for the question when they do not.
	menu := func(question locales.Key, options []onestop.Option) onestop.Screen {
		return onestop.Screen{Lang: lang, Hint: hint, Prompt: locales.Text(lang, question), HintAlone: true,
			Options: options, Back: true, Exit: true}
	}
	prose := func(body string) onestop.Screen {
		return onestop.Screen{Lang: lang, Hint: hint, Prompt: body, Prose: true, Back: true, Exit: true}
	}
	opts := func(keys ...locales.Key) []onestop.Option {
		o := make([]onestop.Option, len(keys))
		for i, k := range keys {
			o[i] = onestop.Option{Key: strconv.Itoa(i + 1), Label: locales.Text(lang, k)}
		}
		return o
	}
	switch s.State {
	case stMayCall:
		if s.NoCall {
			return menu(locales.AskMayCallOther, opts(locales.CallOther, locales.CallNever))
		}
		return menu(locales.AskMayCall, opts(locales.CallThis, locales.CallOther, locales.CallNever))
	case stWhere: // no way back: her plan is confirmed
		scr := menu(locales.AskDistrict, opts(locales.ChooseFromList, locales.Skip))
		scr.Back = false
		return scr
	case stNumber:
		return prose(locales.Text(lang, locales.AskNumber))
	case stWhen:
		return menu(locales.AskWhen, opts(locales.WhenNow, locales.WhenMorning, locales.WhenAfternoon, locales.WhenEvening))
	case stCover:
		return menu(locales.Cover, opts(locales.Understood))
	case stInfo:
		keys := make([]locales.Key, len(topics))
		for i, t := range topics {
			keys[i] = t.label
		}
		return menu(locales.InfoHeader, opts(keys...))
	case stTopic:
		return prose(locales.Text(lang, topics[s.Topic-1].body, st.e.helpline(s.Country)))
	case stLanguage:
		o := make([]onestop.Option, len(onestop.Langs))
		for i, l := range onestop.Langs {
			o[i] = onestop.Option{Key: strconv.Itoa(i + 1), Label: locales.NativeName(l)}
		}
		return menu(locales.LanguageHeader, o)
	default: // stMenu: neutral, no header, nothing that names the service
		return onestop.Screen{Lang: lang, Hint: hint, Exit: true,
			Options: opts(locales.MenuTalk, locales.MenuNearby, locales.MenuCallback, locales.MenuInfo, locales.MenuLanguage)}
	}
}

// zone is the time zone a caller's window is read in.
func zone(country string) *time.Location {
	if loc, ok := zones()[country]; ok {
		return loc
	}
	return time.UTC
}

// zones are loaded once: time.LoadLocation parses the zone data on every call.
var zones = sync.OnceValue(func() map[string]*time.Location {
	m := map[string]*time.Location{}
	for country, name := range map[string]string{"BD": "Asia/Dhaka", "IN": "Asia/Kolkata", "PS": "Asia/Hebron"} {
		if loc, err := time.LoadLocation(name); err == nil {
			m[country] = loc
		}
	}
	return m
})

// minWindow is the least of a named window that must be left when she chooses it: one closing
// sooner is taken to mean the next day's.
const minWindow = 30 * time.Minute

// window returns when a call in w may be made, as instants: "now" opens at once for
// onestop.NowMinutes; a named window opens at its next occurrence in her local time (or at once,
// if she is inside it already and it stays open more than minWindow).
func window(w onestop.Window, now time.Time, loc *time.Location) (opens, closes time.Time) {
	if w == onestop.Now {
		return now, now.Add(onestop.NowMinutes * time.Minute)
	}
	h := onestop.WindowHours[w]
	l := now.In(loc)
	y, m, d := l.Date()
	opens = time.Date(y, m, d, h[0], 0, 0, 0, loc)
	closes = time.Date(y, m, d, h[1], 0, 0, 0, loc)
	if closes.Sub(now) <= minWindow {
		// Closed already, or closing before anyone could reasonably call: the next day's.
		opens, closes = opens.AddDate(0, 0, 1), closes.AddDate(0, 0, 1)
	}
	if opens.Before(now) {
		opens = now
	}
	return opens, closes
}
