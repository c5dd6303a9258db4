package flows

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/phone"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/store"
)

// The SMS conversation is for community workers: one text in, one text back. A registered worker
// sends REF <place> <need> to open a referral, STATUS <case> to hear where it stands, HELP for
// the usage; the keywords work in any of the four languages and scripts, in any case, with digits
// in any script. Everything a reply says was recorded is committed with the reply's place in the
// outbox, in one write. An unregistered sender gets a neutral thank-you and her text is kept,
// sealed, only as an unverified referral for a supervisor: she may be a survivor herself.

// InboundSMS is one text as an aggregator delivered it.
type InboundSMS struct {
	Provider string
	// ID is the aggregator's id for the message: a retried webhook carries the same one.
	ID      string
	From    string // E.164
	To      string // the short code or number it was sent to
	Text    string
	Network string
}

// SMSReply is what Receive did: the reply queued in the outbox, and whether the message had
// been received before (a retried webhook), in which case nothing new was recorded.
type SMSReply struct {
	Text      string
	Lang      onestop.Lang
	Duplicate bool
	OutboxID  uint64
	// Referral is the referral the text opened or asked about, "" for none.
	Referral string
}

// Place is where a worker's place name points: an area and the nearest suitable centre.
type Place struct {
	Area   string
	Centre directory.Centre
}

// PlaceFinder finds the area and the nearest suitable centre for a place as a worker wrote it,
// in a country. ok is false when nothing matches.
type PlaceFinder interface {
	Place(country, place string) (p Place, ok bool)
}

// SMSConfig tunes the SMS conversation. The zero value works.
type SMSConfig struct {
	// Places finds a referral's centre; nil matches place names against the directory's
	// centres (DirectoryPlaces).
	Places PlaceFinder
	// RemindAfter is how long a referral may go without news before the worker and the centre
	// get a follow-up reminder (0: three days).
	RemindAfter time.Duration
	// Via returns the provider a reply to a message from provider goes out through; nil
	// replies through the same provider.
	Via func(provider string) string
	// DefaultCountry is whose centres a number from elsewhere is matched against.
	DefaultCountry string
	// NameService lets texts to workers and centres name the centre a referral went to
	// (ONESTOP_SMS_NAME_SERVICE). Off, they give its neutral code and district (CentreLabel):
	// a worker's phone may be read by the man she is helping a woman get away from.
	NameService bool
	// Log never gets what a person typed or a whole number: a referral is named by its
	// reference, a centre by its directory id.
	Log *slog.Logger
}

// SMS runs the community workers' SMS conversation.
type SMS struct {
	db    onestop.Store
	cases *casebook.Casebook
	box   *seal.Box
	dir   *directory.Directory
	out   *outbox.Outbox
	cfg   SMSConfig
}

// NewSMS returns the SMS conversation, recording through cases and replying through out.
func NewSMS(db onestop.Store, cases *casebook.Casebook, box *seal.Box, dir *directory.Directory, out *outbox.Outbox, cfg SMSConfig) *SMS {
	if cfg.Places == nil {
		cfg.Places = DirectoryPlaces{Dir: dir}
	}
	if cfg.RemindAfter <= 0 {
		cfg.RemindAfter = 3 * 24 * time.Hour
	}
	if cfg.Via == nil {
		cfg.Via = func(p string) string { return p }
	}
	if cfg.DefaultCountry == "" {
		cfg.DefaultCountry = "BD"
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &SMS{db: db, cases: cases, box: box, dir: dir, out: out, cfg: cfg}
}

// maxSMSText bounds an inbound text: ten concatenated parts are far more than a referral needs.
const maxSMSText = 1600

// command is a parsed keyword message.
type command struct {
	verb  string // "ref", "status", "help", or "" when the text starts with no keyword
	lang  onestop.Lang
	args  []string
	whole string
}

// keywords maps each case-folded keyword to its verb and the language it is a word of. The
// Latin ones work for everyone; the others are the words a worker says in her own language.
var keywords = map[string]struct {
	verb string
	lang onestop.Lang
}{
	"ref": {"ref", onestop.English}, "refer": {"ref", onestop.English},
	"status": {"status", onestop.English}, "help": {"help", onestop.English},
	"রেফার": {"ref", onestop.Bengali}, "রেফ": {"ref", onestop.Bengali},
	"অবস্থা": {"status", onestop.Bengali}, "সাহায্য": {"help", onestop.Bengali},
	"रेफर": {"ref", onestop.Hindi}, "रेफ़र": {"ref", onestop.Hindi},
	"स्थिति": {"status", onestop.Hindi}, "मदद": {"help", onestop.Hindi},
	"إحالة": {"ref", onestop.Arabic}, "احالة": {"ref", onestop.Arabic},
	"حالة": {"status", onestop.Arabic}, "مساعدة": {"help", onestop.Arabic}, "مساعده": {"help", onestop.Arabic},
}

var foldCase = cases.Fold()

// parseCommand reads a text: NFC, digits folded to ASCII, the first word matched as a keyword
// in any case.
func parseCommand(text string) command {
	t := locales.Normalize(text)
	fields := strings.Fields(t)
	c := command{whole: t}
	if len(fields) == 0 {
		return c
	}
	if k, ok := keywords[foldCase.String(fields[0])]; ok {
		c.verb, c.lang, c.args = k.verb, k.lang, fields[1:]
	}
	return c
}

// scriptLang guesses the language of a text from its script, "" when it is Latin or digits only.
func scriptLang(s string) onestop.Lang {
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Bengali, r):
			return onestop.Bengali
		case unicode.Is(unicode.Devanagari, r):
			return onestop.Hindi
		case unicode.Is(unicode.Arabic, r):
			return onestop.Arabic
		}
	}
	return ""
}

// caseRef reads a case number as a worker may type it: "R1234567", "r1234567", or just its
// digits in any script. ok is false when the check digit is wrong.
func caseRef(s string) (string, bool) {
	s = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "R"), "r")
	s = strings.Trim(s, ".,;:#-")
	if !casebook.ValidReferralRef(s) && !casebook.ValidRef(s) { // a reference given before referrals had digits of their own
		return "", false
	}
	return "R" + s, true
}

// inboundRecord is what the Inbound bucket keeps per aggregator message id: enough to answer a
// retried webhook exactly as the first time, the reply sealed like all text.
type inboundRecord struct {
	Time     time.Time    `json:"time"`
	Lang     onestop.Lang `json:"lang"`
	Reply    []byte       `json:"reply"`
	OutboxID uint64       `json:"outboxId"`
	Referral string       `json:"referral,omitempty"`
}

// Receive answers one inbound text. A text whose aggregator id was received before records
// nothing and returns the first answer with Duplicate set. Returns EINVALID for a message that
// cannot be a text (no id, no sender number, not UTF-8, too long).
func (s *SMS) Receive(ctx context.Context, in InboundSMS) (SMSReply, error) {
	switch {
	case in.Provider == "" || len(in.Provider) > 32:
		return SMSReply{}, onestop.Errorf(onestop.EINVALID, "missing provider")
	case in.ID == "" || len(in.ID) > 128:
		return SMSReply{}, onestop.Errorf(onestop.EINVALID, "missing message id")
	case len(in.Text) > maxSMSText:
		return SMSReply{}, onestop.Errorf(onestop.EINVALID, "text is longer than ten SMS")
	case !utf8.ValidString(in.Text) || !utf8.ValidString(in.ID):
		return SMSReply{}, onestop.Errorf(onestop.EINVALID, "text is not UTF-8")
	}
	num, err := phone.Parse(in.From, "")
	if err != nil {
		return SMSReply{}, onestop.Errorf(onestop.EINVALID, "from is not a phone number")
	}
	key := []byte(in.Provider + ":" + in.ID)
	cmd := parseCommand(in.Text)

	var reply SMSReply
	err = s.db.Update(ctx, func(tx onestop.Tx) error {
		reply = SMSReply{}
		if v := tx.Bucket(store.Inbound).Get(key); v != nil {
			return s.previous(v, &reply)
		}
		now := s.db.Now()
		w, err := s.cases.GetWorker(tx, num.E164)
		if err != nil && onestop.ErrorCode(err) != onestop.ENOTFOUND {
			return err
		}
		audience := outbox.Worker
		if w == nil {
			audience = outbox.Unregistered
			err = s.unverified(tx, in, num, cmd, now, &reply)
		} else {
			reply.Lang = w.Lang
			err = s.fromWorker(tx, w, num, cmd, now, &reply)
		}
		if err != nil {
			return err
		}
		m := &outbox.Message{
			Key: "reply:" + string(key), Kind: outbox.SMS, Audience: audience, Cause: outbox.CauseReply,
			InReplyTo: string(key), To: num.E164, Text: reply.Text, Lang: reply.Lang, Provider: s.cfg.Via(in.Provider),
		}
		if _, err := s.out.Enqueue(tx, m); err != nil {
			return err
		}
		reply.OutboxID = m.ID
		rec, err := json.Marshal(inboundRecord{Time: now, Lang: reply.Lang, Reply: s.box.SealString(reply.Text), OutboxID: m.ID, Referral: reply.Referral})
		if err != nil {
			return err
		}
		return tx.Bucket(store.Inbound).Put(key, rec)
	})
	if err != nil {
		return SMSReply{}, err
	}
	if !reply.Duplicate {
		s.out.Wake()
	}
	return reply, nil
}

func (s *SMS) previous(v []byte, reply *SMSReply) error {
	var rec inboundRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return fmt.Errorf("flows: inbound: %w", err)
	}
	text, err := s.box.OpenString(rec.Reply)
	if err != nil {
		return fmt.Errorf("flows: inbound: %w", err)
	}
	*reply = SMSReply{Text: text, Lang: rec.Lang, Duplicate: true, OutboxID: rec.OutboxID, Referral: rec.Referral}
	return nil
}

// unverified keeps a text from an unregistered number as an unverified referral, whatever it
// says, and answers with a thank-you that names nothing.
func (s *SMS) unverified(tx onestop.Tx, in InboundSMS, num phone.Number, cmd command, now time.Time, reply *SMSReply) error {
	// Her script says her language; a Latin text says nothing, so her number's country does.
	lang := scriptLang(cmd.whole)
	if lang == "" {
		lang = locales.ForRegion(num.Region)
	}
	r := &onestop.Referral{
		Time: now, Updated: now, Channel: onestop.SMS, Country: s.country(num.Region), Status: onestop.Received,
		Verified: false, Lang: lang, Worker: num.E164, Need: in.Text,
		History: []onestop.ReferralEvent{{Time: now, Status: onestop.Received, By: "unregistered sender"}},
	}
	if err := s.cases.PutReferral(tx, r); err != nil {
		return err
	}
	reply.Lang, reply.Text = lang, smsText(lang, smsThanks)
	return nil
}

func (s *SMS) country(region string) string {
	if _, ok := s.dir.Helpline(region); ok {
		return region
	}
	return s.cfg.DefaultCountry
}

// fromWorker answers a registered worker's keyword message.
func (s *SMS) fromWorker(tx onestop.Tx, w *casebook.Worker, num phone.Number, cmd command, now time.Time, reply *SMSReply) error {
	lang := w.Lang
	usage := func() error { reply.Text = smsText(lang, smsUsage); return nil }
	switch cmd.verb {
	case "ref":
		if len(cmd.args) < 2 {
			return usage()
		}
		return s.refer(tx, w, num, cmd.args, now, reply)
	case "status":
		if len(cmd.args) != 1 {
			return usage()
		}
		// The reply does not repeat what she typed: she knows it, and a text that carries it
		// would carry it into every log and queue the reply passes through.
		ref, ok := caseRef(cmd.args[0])
		if !ok {
			reply.Text = smsText(lang, smsNoCase)
			return nil
		}
		r, err := s.cases.ReferralByRefTx(tx, ref)
		if onestop.ErrorCode(err) == onestop.ENOTFOUND || (err == nil && r.Worker != num.E164) {
			// Another worker's case is as unknown as a case that does not exist.
			reply.Text = smsText(lang, smsNoCase)
			return nil
		} else if err != nil {
			return err
		}
		reply.Referral = r.Ref
		reply.Text = s.statusText(lang, r)
		return nil
	}
	return usage()
}

// refer opens a referral: the place is the longest run of up to three leading words that the
// finder knows, else the first word; the rest is the need.
func (s *SMS) refer(tx onestop.Tx, w *casebook.Worker, num phone.Number, args []string, now time.Time, reply *SMSReply) error {
	country := s.country(num.Region)
	place, need := args[0], strings.Join(args[1:], " ")
	var found Place
	ok := false
	for n := min(3, len(args)-1); n >= 1 && !ok; n-- {
		if found, ok = s.cfg.Places.Place(country, strings.Join(args[:n], " ")); ok {
			place, need = strings.Join(args[:n], " "), strings.Join(args[n:], " ")
		}
	}
	r := &onestop.Referral{
		Time: now, Updated: now, Channel: onestop.SMS, Country: country, Place: place, Status: onestop.Received,
		Verified: true, WorkerName: w.Name, Lang: w.Lang, Worker: num.E164, Need: need,
		History: []onestop.ReferralEvent{{Time: now, Status: onestop.Received, By: "worker", Note: w.Name}},
	}
	if ok {
		r.Area = found.Area
	}
	if r.Area == "" {
		r.Area = w.Area
	}
	assigned := ok && found.Centre.ID != ""
	if assigned {
		r.Centre = found.Centre.ID
		if err := casebook.Advance(r, onestop.Assigned, "system", found.Centre.ID, now); err != nil {
			return err
		}
	}
	if err := s.cases.PutReferral(tx, r); err != nil {
		return err
	}
	reply.Referral = r.Ref
	if assigned {
		reply.Text = smsText(w.Lang, smsReferred, r.Ref, s.centreLabel(found.Centre, w.Lang))
		return s.notifyCentre(tx, r, found.Centre, smsCentreNotice, "notice:"+r.Ref, outbox.CauseNotice)
	}
	reply.Text = smsText(w.Lang, smsReferredUnassigned, r.Ref)
	return nil
}

// notifyCentre queues a neutral note to the centre's first phone, if it has one.
func (s *SMS) notifyCentre(tx onestop.Tx, r *onestop.Referral, c directory.Centre, key smsKey, idem string, cause outbox.Cause) error {
	if len(c.Phones) == 0 {
		return nil
	}
	lang := locales.ForRegion(c.Country)
	area := r.Area
	if area == "" {
		area = r.Country
	}
	m := &outbox.Message{Key: idem, Kind: outbox.SMS, Audience: outbox.Centre, Cause: cause, To: c.Phones[0],
		Text: smsText(lang, key, r.Ref, area, s.days()), Lang: lang}
	_, err := s.out.Enqueue(tx, m)
	if onestop.ErrorCode(err) == onestop.EFORBIDDEN || onestop.ErrorCode(err) == onestop.EINVALID {
		// A centre number the operator has not registered, or a malformed one, must not stop the
		// referral from being recorded; the console shows it unassigned-by-SMS.
		s.cfg.Log.Warn("referral: centre not notified", "referral", r.Ref, "centre", c.ID, "code", onestop.ErrorCode(err))
		return nil
	}
	return err
}

// centreLabel is how a text to a worker names a centre: by its name only when the operator
// turned NameService on, else by CentreLabel.
func (s *SMS) centreLabel(c directory.Centre, lang onestop.Lang) string {
	if s.cfg.NameService {
		return c.PhoneSafe().Name(lang)
	}
	return CentreLabel(s.dir, c, lang)
}

// centreCodeAlphabet has no vowels, so that no code spells a word, and no 0, 1, O or I, so that
// none is misread.
const centreCodeAlphabet = "BCDFGHJKLMNPQRSTVWXZ23456789"

// CentreCode is the neutral code a centre goes by in texts: six letters and digits drawn from a
// hash of its directory id, so that it is the same in every text and on every gateway, and says
// nothing of what the centre is. (A directory id such as "bd-occ-dhaka" does.)
func CentreCode(id string) string {
	h := fnv.New64a()
	h.Write([]byte(id))
	v := h.Sum64()
	var b [6]byte
	for i := range b {
		b[i] = centreCodeAlphabet[v%uint64(len(centreCodeAlphabet))]
		v /= uint64(len(centreCodeAlphabet))
	}
	return string(b[:])
}

// CentreLabel is the short, neutral name of a centre in a text to a worker: its code and, when
// the directory knows it, the name of its district in lang ("K7QX2M (Dhaka)"). A district says
// where, not what.
func CentreLabel(dir *directory.Directory, c directory.Centre, lang onestop.Lang) string {
	code := CentreCode(c.ID)
	if dir == nil || c.Area == "" || c.Area == c.Country {
		return code
	}
	if a, ok := dir.Area(c.Area); ok {
		if n := a.Name(lang); n != "" {
			return code + " (" + n + ")"
		}
	}
	return code
}

func (s *SMS) days() int { return int(s.cfg.RemindAfter / (24 * time.Hour)) }

// statusText is a referral's state, in the worker's language, with the day of its last change.
func (s *SMS) statusText(lang onestop.Lang, r *onestop.Referral) string {
	day := r.Updated.In(zone(r.Country)).Format("02/01")
	status := smsText(lang, smsKey("status_"+string(r.Status)))
	if r.Status == onestop.Assigned || r.Status == onestop.Contacted {
		if c, ok := s.dir.Centre(r.Centre); ok {
			return smsText(lang, smsStatusAt, r.Ref, status, s.centreLabel(c, lang), day)
		}
	}
	return smsText(lang, smsStatus, r.Ref, status, day)
}

// Advance moves the referral with ref to status, by whom and why (see casebook.Advance).
// Returns ENOTFOUND or ECONFLICT.
func (s *SMS) Advance(ctx context.Context, ref string, status onestop.ReferralStatus, by, note string) error {
	return s.db.Update(ctx, func(tx onestop.Tx) error {
		r, err := s.cases.ReferralByRefTx(tx, ref)
		if err != nil {
			return err
		}
		if err := casebook.Advance(r, status, by, note, s.db.Now()); err != nil {
			return err
		}
		return s.cases.PutReferral(tx, r)
	})
}

// Remind queues a neutral follow-up reminder to the worker and the centre of every verified,
// open referral with no news for RemindAfter, and again each RemindAfter after that. Returns how
// many referrals were reminded about.
func (s *SMS) Remind(ctx context.Context) (int, error) {
	n := 0
	err := s.db.Update(ctx, func(tx onestop.Tx) error {
		n = 0
		now := s.db.Now()
		var due []*onestop.Referral
		err := s.cases.ForEachReferral(tx, func(r *onestop.Referral) error {
			last := r.Updated
			if r.Reminded.After(last) {
				last = r.Reminded
			}
			if r.Verified && casebook.ReferralOpen(r) && now.Sub(last) >= s.cfg.RemindAfter {
				due = append(due, r)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, r := range due {
			stamp := strconv.FormatInt(now.Unix(), 10)
			m := &outbox.Message{Key: "remind:" + r.Ref + ":" + stamp, Kind: outbox.SMS, Audience: outbox.Worker, Cause: outbox.CauseReminder,
				To: r.Worker, Text: smsText(r.Lang, smsRemindWorker, r.Ref, s.days()), Lang: r.Lang}
			if _, err := s.out.Enqueue(tx, m); err != nil && onestop.ErrorCode(err) != onestop.EFORBIDDEN {
				return err
			}
			if c, ok := s.dir.Centre(r.Centre); ok {
				if err := s.notifyCentre(tx, r, c, smsRemindCentre, "remind-centre:"+r.Ref+":"+stamp, outbox.CauseReminder); err != nil {
					return err
				}
			}
			r.Reminded = now
			if err := s.cases.PutReferral(tx, r); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err == nil && n > 0 {
		s.out.Wake()
	}
	return n, err
}

// RemindEvery runs Remind every interval until ctx ends.
func (s *SMS) RemindEvery(ctx context.Context, interval time.Duration) {
	store.Every(ctx, interval, store.Once(s.db, "referral reminders", interval, s.Remind), func(n int, err error) {
		if err != nil {
			s.cfg.Log.Error("referral reminders failed", "err", err)
		} else if n > 0 {
			s.cfg.Log.Info("referral reminders queued", "count", n)
		}
	})
}

// DirectoryPlaces finds places in the directory. A place is first read as an area: its code
// ("BD-13") or the name the directory's area search settles on ("Dhaka", "ঢাকা", "जयपुर"), and
// the centre is the first that takes referrals in the directory's answer for that area (its own
// centres, then the nearest). Failing that, a place matches a centre whose name, in any
// language, holds it as a word. Only centres that take referrals count: crisis centres and
// cells, one-stop centres and the family protection units, verified ones first.
type DirectoryPlaces struct{ Dir *directory.Directory }

// Place implements PlaceFinder. ok is true when an area or a centre was found; Centre.ID is
// empty when only the area was.
func (d DirectoryPlaces) Place(country, place string) (Place, bool) {
	place = strings.TrimSpace(place)
	if utf8.RuneCountInString(place) < 2 {
		return Place{}, false
	}
	a, ok := d.Dir.Area(strings.ToUpper(place))
	if !ok || a.Country != country {
		a, ok = d.Dir.Best(country, place) // an exact name or alias only: never a partial match
	}
	if p, up := d.Dir.Area(a.Parent); ok && up && a.Level == directory.LevelUpazila {
		a = p // referrals, like contacts, are filed by district
	}
	if ok {
		hits, _ := d.Dir.ForArea(a.Code, directory.Query{Limit: 5})
		for _, h := range hits {
			if takesReferrals(h.Centre.Kind) {
				return Place{Area: a.Code, Centre: h.Centre}, true
			}
		}
	}
	p := foldCase.String(place)
	var best *directory.Centre
	for _, c := range d.Dir.Centres() {
		if c.Country != country || !takesReferrals(c.Kind) || !matches(c, p) {
			continue
		}
		if best == nil || (c.Verified && !best.Verified) {
			best = &c
		}
	}
	switch {
	case best != nil && ok:
		return Place{Area: a.Code, Centre: *best}, true
	case best != nil:
		return Place{Area: best.Area, Centre: *best}, true
	case ok:
		return Place{Area: a.Code}, true
	}
	return Place{}, false
}

func takesReferrals(k directory.Kind) bool {
	switch k {
	case directory.KindOCC, directory.KindCell, directory.KindOSC, directory.KindOneStop, directory.KindFJPU:
		return true
	}
	return false
}

func matches(c directory.Centre, p string) bool {
	if foldCase.String(c.Area) == p {
		return true
	}
	for _, name := range c.Names {
		words := strings.FieldsFunc(foldCase.String(name), func(r rune) bool {
			return unicode.IsSpace(r) || unicode.IsPunct(r)
		})
		joined := " " + strings.Join(words, " ") + " "
		if strings.Contains(joined, " "+p+" ") {
			return true
		}
	}
	return false
}

// The workers' and centres' SMS texts live in locales with every other word; these short names
// keep the conversation's code readable.
type smsKey = locales.SMSKey

const (
	smsUsage              = locales.SMSUsage
	smsReferred           = locales.SMSReferred
	smsReferredUnassigned = locales.SMSReferredUnassigned
	smsStatus             = locales.SMSStatus
	smsStatusAt           = locales.SMSStatusAt
	smsNoCase             = locales.SMSNoCase
	smsThanks             = locales.SMSThanks
	smsRemindWorker       = locales.SMSRemindWorker
	smsRemindCentre       = locales.SMSRemindCentre
	smsCentreNotice       = locales.SMSCentreNotice
)

// SMSSamples renders every text a worker or a centre may be sent in lang, with ref as the case
// number and centre as the centre's label (CentreLabel), so that their sizes and words can be
// checked.
func SMSSamples(lang onestop.Lang, ref, centre string) []string {
	keys := locales.SMSKeys()
	out := make([]string, 0, len(keys))
	for _, key := range keys {
		var args []any
		switch key {
		case smsReferred:
			args = []any{ref, centre}
		case smsReferredUnassigned:
			args = []any{ref}
		case smsStatus:
			args = []any{ref, smsText(lang, "status_assigned"), "31/12"}
		case smsStatusAt:
			args = []any{ref, smsText(lang, "status_assigned"), centre, "31/12"}
		case smsRemindWorker:
			args = []any{ref, 30}
		case smsRemindCentre:
			args = []any{ref, "IN-AN-NCO", 30}
		case smsCentreNotice:
			args = []any{ref, "IN-AN-NCO"}
		}
		out = append(out, smsText(lang, key, args...))
	}
	return out
}

// smsText returns the text for key in lang, English when lang has none, formatted with args.
func smsText(lang onestop.Lang, key smsKey, args ...any) string {
	return locales.SMSText(lang, key, args...)
}
