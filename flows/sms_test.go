package flows_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/warthog618/sms"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/seal"
)

// smsDirectory is a small directory of its own, so that these tests do not move when the
// embedded one grows: one centre with a phone in each country.
const smsDirectory = `id,country,kind,area,name_en,name_bn,name_hi,name_ar,dial,phones,hours,services,lat,lon,address,address_confidential,source,as_of,verified
bd-109,BD,helpline,BD,National Helpline,নারী ও শিশু হেল্পলাইন,महिला एवं बाल हेल्पलाइन,خط المساعدة,109,,24/7,counselling,,,,false,test,2026-11-23,true
bd-occ-dhaka,BD,occ,BD-13,"One-Stop Crisis Centre, Dhaka Medical College Hospital",ঢাকা মেডিকেল ওসিসি,ढाका मेडिकल ओसीसी,مركز أزمات مستشفى دكا,,+880255165088,24/7,medical;police,23.726,90.397,,false,test,2026-11-23,true
bd-occ-rajshahi,BD,occ,BD-54,"One-Stop Crisis Centre, Rajshahi Medical College Hospital",রাজশাহী মেডিকেল ওসিসি,राजशाही मेडिकल ओसीसी,مركز أزمات مستشفى راجشاهي,,,24/7,medical;police,24.372,88.563,,false,test,2026-11-23,true
in-181,IN,helpline,IN,Women Helpline,নারী হেল্পলাইন,महिला हेल्पलाइन,خط مساعدة المرأة,181,,24/7,counselling,,,,false,test,2026-11-23,true
in-osc-jaipur,IN,osc,IN-RJ,"Sakhi One Stop Centre, Jaipur",জয়পুর সখী সেন্টার,सखी केंद्र जयपुर,مركز سخي جايبور,,+911412222222,24/7,medical;police,26.91,75.79,,false,test,2026-11-23,true
ps-121,PS,helpline,PS,Sawa,সাওয়া,सावा,سوا,121,,24/7,counselling,,,,false,test,2026-11-23,true
ps-onestop-ramallah,PS,onestop,PS-RBH,"One Stop Centre, Ramallah",রামাল্লা ওয়ান স্টপ সেন্টার,रामल्ला वन स्टॉप सेंटर,المركز الشامل - رام الله,,+97022987654,24/7,medical;police,31.9,35.2,,false,test,2026-11-23,true
`

type smsClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *smsClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *smsClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type smsFixture struct {
	t     testing.TB
	db    *bolt.DB
	cases *casebook.Casebook
	out   *outbox.Outbox
	sms   *flows.SMS
	clock *smsClock
	dir   *directory.Directory
	path  string
}

// The workers: one per language, each in her own country.
var smsWorkers = []casebook.Worker{
	{Number: "+8801711000101", Name: "Rina Akter", Lang: onestop.Bengali},
	{Number: "+919876500101", Name: "Sunita Devi", Lang: onestop.Hindi},
	{Number: "+970599000101", Name: "Huda Saleh", Lang: onestop.Arabic},
	{Number: "+8801811000102", Name: "Joy Das", Lang: onestop.English, Area: "BD-54"},
}

var smsStart = time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)

func newSMSFixture(t testing.TB) *smsFixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "onestop.db")
	db, err := bolt.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := &smsClock{t: smsStart}
	db.Clock = clk.Now
	box, err := seal.New(bytes.Repeat([]byte{9}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	dir, err := directory.Parse(strings.NewReader(smsDirectory))
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cases := casebook.New(db, box)
	out := outbox.New(db, box, cases, outbox.Config{Log: quiet})
	f := &smsFixture{t: t, db: db, cases: cases, out: out, clock: clk, dir: dir, path: path,
		sms: flows.NewSMS(db, cases, box, dir, out, flows.SMSConfig{RemindAfter: 3 * 24 * time.Hour, Log: quiet})}
	err = db.Update(context.Background(), func(tx onestop.Tx) error {
		for _, w := range smsWorkers {
			w.Added = smsStart
			if err := cases.PutWorker(tx, &w); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

var smsSeq int

// text sends one text and returns the reply.
func (f *smsFixture) text(from, body string) flows.SMSReply {
	f.t.Helper()
	smsSeq++
	r, err := f.sms.Receive(context.Background(), flows.InboundSMS{Provider: "africastalking", ID: fmt.Sprintf("ATXid_%d", smsSeq), From: from, To: "21525", Text: body})
	if err != nil {
		f.t.Fatalf("%q: %v", body, err)
	}
	return r
}

// checkSegments holds a reply to two SMS, by our count and by warthog618/sms's.
func checkSegments(t testing.TB, text string) {
	t.Helper()
	_, n := outbox.Segments(text)
	pdus, err := sms.Encode([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if n > 2 || len(pdus) > 2 || n != len(pdus) {
		t.Errorf("%q takes %d SMS (warthog618/sms: %d); a reply may take 2", text, n, len(pdus))
	}
}

func TestSMSReferralInEachLanguage(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		worker   int
		ref      string // the REF message
		status   func(ref string) string
		centre   string
		area     string
		need     string
		want     string // the reply to REF, %[1]s the case, %[2]s the centre's neutral label
		wantStat string // the reply to STATUS, %[1]s the case, %[2]s the centre's neutral label
	}{
		{
			name: "Bengali", worker: 0, ref: "রেফার ঢাকা মেয়েটির চিকিৎসা ও আইনি সহায়তা দরকার",
			status: func(ref string) string { return "অবস্থা " + toScript(ref[1:], '০') },
			centre: "bd-occ-dhaka", area: "BD-13", need: "মেয়েটির চিকিৎসা ও আইনি সহায়তা দরকার",
			want:     "কেস %[1]s পেয়েছি, %[2]s-এ পাঠানো হয়েছে। খবর জানতে লিখুন: অবস্থা %[1]s",
			wantStat: "কেস %[1]s: পাঠানো হয়েছে, %[2]s (23/11)।",
		},
		{
			name: "Hindi", worker: 1, ref: "रेफर जयपुर महिला को डॉक्टर और पुलिस की मदद चाहिए",
			status: func(ref string) string { return "स्थिति " + toScript(ref[1:], '०') },
			centre: "in-osc-jaipur", area: "IN-RJ", need: "महिला को डॉक्टर और पुलिस की मदद चाहिए",
			want:     "केस %[1]s मिला, %[2]s को भेजा गया। जानकारी के लिए लिखें: स्थिति %[1]s",
			wantStat: "केस %[1]s: आगे भेजा गया, %[2]s (23/11)।",
		},
		{
			name: "Arabic", worker: 2, ref: "إحالة رام الله تحتاج إلى علاج ومحامية",
			status: func(ref string) string { return "حالة " + toScript(ref[1:], '٠') },
			centre: "ps-onestop-ramallah", area: "PS-RBH", need: "تحتاج إلى علاج ومحامية",
			want:     "استلمنا الحالة %[1]s وأُرسلت إلى %[2]s. للمتابعة أرسل: حالة %[1]s",
			wantStat: "الحالة %[1]s: أُحيلت، %[2]s (23/11).",
		},
		{
			name: "English, lower case", worker: 3, ref: "ref Rajshahi needs medical care tonight",
			status: func(ref string) string { return "Status " + strings.ToLower(ref) },
			centre: "bd-occ-rajshahi", area: "BD-54", need: "needs medical care tonight",
			want:     "Case %[1]s received and sent to %[2]s. For news send: STATUS %[1]s",
			wantStat: "Case %[1]s: passed on, %[2]s (23/11).",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newSMSFixture(t)
			w := smsWorkers[tc.worker]
			r := f.text(w.Number, tc.ref)
			c, _ := f.dir.Centre(tc.centre)
			label := flows.CentreLabel(f.dir, c, w.Lang)
			if r.Referral == "" || r.Text != fmt.Sprintf(tc.want, r.Referral, label) || r.Lang != w.Lang {
				t.Fatalf("REF reply %q (%s), want %q", r.Text, r.Lang, fmt.Sprintf(tc.want, r.Referral, label))
			}
			checkSegments(t, r.Text)
			ref, err := f.cases.ReferralByRef(ctx, r.Referral)
			if err != nil {
				t.Fatal(err)
			}
			if ref.Status != onestop.Assigned || ref.Centre != tc.centre || !strings.HasPrefix(ref.Area, tc.area) || ref.Need != tc.need ||
				!ref.Verified || ref.WorkerName != w.Name || ref.Worker != w.Number || len(ref.History) != 2 ||
				ref.History[0].By != "worker" || ref.History[1].By != "system" {
				t.Fatalf("referral %+v", ref)
			}
			// The reply is in the outbox, addressed to the worker.
			m, err := f.out.Message(ctx, r.OutboxID)
			if err != nil || m.To != w.Number || m.Audience != outbox.Worker || m.Text != r.Text || m.Segments > 2 {
				t.Fatalf("outbox %+v %v", m, err)
			}
			s := f.text(w.Number, tc.status(r.Referral))
			t.Logf("\n> %s\n< %s\n> %s\n< %s", tc.ref, r.Text, tc.status(r.Referral), s.Text)
			if s.Text != fmt.Sprintf(tc.wantStat, r.Referral, label) {
				t.Fatalf("STATUS reply %q, want %q", s.Text, fmt.Sprintf(tc.wantStat, r.Referral, label))
			}
			checkSegments(t, s.Text)
		})
	}
}

// toScript writes ASCII digits in the script whose zero is zero.
func toScript(digits string, zero rune) string {
	var b strings.Builder
	for _, r := range digits {
		b.WriteRune(zero + r - '0')
	}
	return b.String()
}

func TestSMSUsageAndMalformed(t *testing.T) {
	ctx := context.Background()
	f := newSMSFixture(t)
	usage := map[onestop.Lang]string{}
	for _, w := range smsWorkers {
		usage[w.Lang] = f.text(w.Number, "HELP").Text
		checkSegments(t, usage[w.Lang])
	}
	if !strings.HasPrefix(usage[onestop.Bengali], "রেফার করতে") || !strings.HasPrefix(usage[onestop.Hindi], "रेफर करने") ||
		!strings.HasPrefix(usage[onestop.Arabic], "للإحالة") || !strings.HasPrefix(usage[onestop.English], "To refer") {
		t.Fatalf("usage %q", usage)
	}
	// Another worker's case is as unknown as one that does not exist.
	other := f.text(smsWorkers[3].Number, "REF Dhaka she needs a doctor").Referral
	tests := []struct {
		worker int
		body   string
		want   string
	}{
		{0, "সাহায্য", usage[onestop.Bengali]},
		{1, "मदद", usage[onestop.Hindi]},
		{2, "مساعدة", usage[onestop.Arabic]},
		{0, "help", usage[onestop.Bengali]}, // the Latin keywords work for everyone; the reply is hers
		{0, "রেফার", usage[onestop.Bengali]},
		{0, "রেফার ঢাকা", usage[onestop.Bengali]},
		{1, "स्थिति", usage[onestop.Hindi]},
		{2, "حالة R1 R2", usage[onestop.Arabic]},
		{3, "hello there", usage[onestop.English]},
		{3, "", usage[onestop.English]},
		{3, "STATUS R1234560", "No such case for this number. Send HELP for the usage."},
		{3, "STATUS R12345", "No such case for this number. Send HELP for the usage."},
		{0, "অবস্থা " + other, "এই নম্বরে এমন কোনো কেস নেই। নিয়ম জানতে লিখুন: সাহায্য"},
		{1, "स्थिति R9999999", "इस नंबर से ऐसा कोई केस नहीं मिला। तरीका जानने के लिए लिखें: मदद"},
		{2, "حالة R9999999", "لا توجد حالة بهذا الرقم لهذا الهاتف. للتعليمات أرسل: مساعدة"},
	}
	for _, tc := range tests {
		t.Run(tc.body, func(t *testing.T) {
			r := f.text(smsWorkers[tc.worker].Number, tc.body)
			if r.Text != tc.want {
				t.Fatalf("reply %q, want %q", r.Text, tc.want)
			}
		})
	}
	list, _ := f.cases.Referrals(ctx, casebook.ReferralFilter{})
	if len(list) != 1 {
		t.Fatalf("%d referrals from malformed messages", len(list)-1)
	}
}

func TestSMSUnassignedPlaceKeepsTheReferral(t *testing.T) {
	ctx := context.Background()
	f := newSMSFixture(t)
	r := f.text(smsWorkers[3].Number, "REF Atlantis she needs shelter")
	if r.Text != fmt.Sprintf("Case %[1]s received. A supervisor will choose where it goes. For news send: STATUS %[1]s", r.Referral) {
		t.Fatalf("reply %q", r.Text)
	}
	ref, _ := f.cases.ReferralByRef(ctx, r.Referral)
	if ref.Status != onestop.Received || ref.Centre != "" || ref.Place != "Atlantis" || ref.Area != "BD-54" || ref.Need != "she needs shelter" {
		t.Fatalf("referral %+v", ref)
	}
}

func TestSMSUnregisteredSender(t *testing.T) {
	ctx := context.Background()
	f := newSMSFixture(t)
	const stranger = "+8801911000999"
	for _, tc := range []struct {
		body, want string
		lang       onestop.Lang
	}{
		{"REF Dhaka আমার বোনকে সাহায্য করুন 01711000555", "ধন্যবাদ। আপনার বার্তা পেয়েছি।", onestop.Bengali},
		{"help", "ধন্যবাদ। আপনার বার্তা পেয়েছি।", onestop.Bengali}, // a Bangladeshi number
		{"مساعدة", "شكرًا. وصلت رسالتك.", onestop.Arabic},
		{"मदद", "धन्यवाद। आपका संदेश मिल गया।", onestop.Hindi},
	} {
		r := f.text(stranger, tc.body)
		if r.Text != tc.want || r.Lang != tc.lang {
			t.Fatalf("%q: reply %q (%s)", tc.body, r.Text, r.Lang)
		}
		m, _ := f.out.Message(ctx, r.OutboxID)
		if m.Audience != outbox.Unregistered || m.InReplyTo == "" {
			t.Fatalf("reply queued as %+v", m)
		}
	}
	list, _ := f.cases.Referrals(ctx, casebook.ReferralFilter{})
	if len(list) != 4 {
		t.Fatalf("%d unverified referrals kept, want 4", len(list))
	}
	for _, r := range list {
		if r.Verified || r.Status != onestop.Received || r.Centre != "" || r.Worker != stranger {
			t.Fatalf("unverified referral %+v", r)
		}
	}
	if list[3].Need != "REF Dhaka আমার বোনকে সাহায্য করুন 01711000555" {
		t.Fatalf("kept %q", list[3].Need)
	}
	// Kept sealed: neither the number nor her words are in the file.
	f.db.Close()
	raw, _ := os.ReadFile(f.path)
	if bytes.Contains(raw, []byte("1911000999")) || bytes.Contains(raw, []byte("01711000555")) || bytes.Contains(raw, []byte("আমার বোনকে")) {
		t.Fatal("an unregistered sender's number or text is in the clear")
	}
}

func TestSMSRetriedWebhookRecordsNothingNew(t *testing.T) {
	ctx := context.Background()
	f := newSMSFixture(t)
	in := flows.InboundSMS{Provider: "twilio", ID: "SM0001", From: smsWorkers[0].Number, Text: "রেফার ঢাকা চিকিৎসা দরকার"}
	first, err := f.sms.Receive(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		again, err := f.sms.Receive(context.Background(), in)
		if err != nil || !again.Duplicate || again.Text != first.Text || again.Referral != first.Referral || again.OutboxID != first.OutboxID {
			t.Fatalf("retry answered %+v, %v", again, err)
		}
	}
	refs, _ := f.cases.Referrals(ctx, casebook.ReferralFilter{})
	msgs, _ := f.out.List(ctx, outbox.Filter{})
	// One reply to the worker, one notice to the centre.
	if len(refs) != 1 || len(msgs) != 2 {
		t.Fatalf("%d referrals and %d messages after a retried webhook", len(refs), len(msgs))
	}
	// The same id from another provider is another message.
	in.Provider = "africastalking"
	if r, _ := f.sms.Receive(context.Background(), in); r.Duplicate {
		t.Fatal("ids of two providers were confused")
	}
}

func TestSMSRejectsWhatCannotBeAText(t *testing.T) {
	f := newSMSFixture(t)
	for _, in := range []flows.InboundSMS{
		{Provider: "africastalking", From: "+8801711000101", Text: "HELP"},
		{Provider: "africastalking", ID: "1", From: "not a number", Text: "HELP"},
		{Provider: "africastalking", ID: "1", From: "+8801711000101", Text: "\xff"},
		{Provider: "africastalking", ID: "1", From: "+8801711000101", Text: strings.Repeat("x", 1601)},
		{ID: "1", From: "+8801711000101", Text: "HELP"},
	} {
		if _, err := f.sms.Receive(context.Background(), in); onestop.ErrorCode(err) != onestop.EINVALID {
			t.Errorf("%+v: %v", in, err)
		}
	}
}

func TestReferralLifecycleAndReminders(t *testing.T) {
	f := newSMSFixture(t)
	ctx := context.Background()
	w := smsWorkers[0]
	ref := f.text(w.Number, "রেফার ঢাকা চিকিৎসা দরকার").Referral
	unverified := f.text("+8801911000999", "REF Dhaka help").Referral
	_ = unverified

	remind := func(want int) []*outbox.Message {
		t.Helper()
		n, err := f.sms.Remind(ctx)
		if err != nil || n != want {
			t.Fatalf("Remind at %s = %d, %v; want %d", f.clock.Now().Format(time.RFC3339), n, err, want)
		}
		l, _ := f.out.List(ctx, outbox.Filter{})
		var out []*outbox.Message
		for _, m := range l {
			if m.Cause == outbox.CauseReminder {
				out = append(out, m)
			}
		}
		return out
	}
	remind(0)
	f.clock.Add(3*24*time.Hour - time.Minute)
	remind(0)
	f.clock.Add(time.Minute)
	got := remind(1)
	if len(got) != 2 {
		t.Fatalf("%d reminders, want one to the worker and one to the centre", len(got))
	}
	for _, m := range got {
		checkSegments(t, m.Text)
		switch m.Audience {
		case outbox.Worker:
			if m.To != w.Number || m.Text != "কেস "+ref+"-এর 3 দিন কোনো খবর নেই। দেখতে লিখুন: অবস্থা "+ref {
				t.Fatalf("worker reminder %q to %s", m.Text, m.Masked)
			}
		case outbox.Centre:
			if m.To != "+880255165088" || !strings.Contains(m.Text, ref) {
				t.Fatalf("centre reminder %q to %s", m.Text, m.Masked)
			}
		default:
			t.Fatalf("reminder to %s", m.Audience)
		}
	}
	// Not again the same day; again after another three days without news.
	remind(0)
	f.clock.Add(3 * 24 * time.Hour)
	if got := remind(1); len(got) != 4 {
		t.Fatalf("%d reminders after six days", len(got))
	}

	// The centre reports contact, then closes it: each step says who and when.
	f.clock.Add(time.Hour)
	if err := f.sms.Advance(ctx, ref, onestop.Contacted, "counsellor.amina", "met her at the hospital"); err != nil {
		t.Fatal(err)
	}
	if err := f.sms.Advance(ctx, ref, onestop.Assigned, "counsellor.amina", ""); onestop.ErrorCode(err) != onestop.ECONFLICT {
		t.Fatalf("contacted → assigned: %v", err)
	}
	if s := f.text(w.Number, "অবস্থা "+ref).Text; !strings.Contains(s, "যোগাযোগ হয়েছে") {
		t.Fatalf("status after contact: %q", s)
	}
	remind(0) // news resets the clock
	f.clock.Add(time.Hour)
	if err := f.sms.Advance(ctx, ref, onestop.Closed, "supervisor.nasrin", ""); err != nil {
		t.Fatal(err)
	}
	if err := f.sms.Advance(ctx, ref, onestop.Declined, "supervisor.nasrin", ""); onestop.ErrorCode(err) != onestop.ECONFLICT {
		t.Fatalf("closed → declined: %v", err)
	}
	r, _ := f.cases.ReferralByRef(ctx, ref)
	var trail []string
	for _, e := range r.History {
		trail = append(trail, fmt.Sprintf("%s by %s at %s", e.Status, e.By, e.Time.Format("01-02T15")))
	}
	want := []string{"received by worker at 11-23T06", "assigned by system at 11-23T06", "contacted by counsellor.amina at 11-29T07", "closed by supervisor.nasrin at 11-29T08"}
	if strings.Join(trail, "; ") != strings.Join(want, "; ") {
		t.Fatalf("history %q", trail)
	}
	// A closed referral, and an unverified one, are never reminded about.
	f.clock.Add(30 * 24 * time.Hour)
	remind(0)
	if err := f.sms.Advance(ctx, "R0000000", onestop.Closed, "x", ""); onestop.ErrorCode(err) != onestop.ENOTFOUND {
		t.Fatalf("advance of an unknown referral: %v", err)
	}
}

// TestSMSTextsFitTwoSegments holds every worker-facing text to two SMS in every language, with
// the longest case number and each centre's name, by our count and the oracle's.
func TestSMSTextsFitTwoSegments(t *testing.T) {
	f := newSMSFixture(t)
	for _, w := range smsWorkers {
		for _, body := range []string{"HELP", "STATUS R1234560", "REF Atlantis x", "REF Dhaka x", "REF Rajshahi x", "REF Jaipur x", "REF Ramallah x"} {
			checkSegments(t, f.text(w.Number, body).Text)
		}
	}
	dir, _ := directory.Embedded()
	for _, c := range append(dir.Centres(), dir.Derived()...) {
		for _, lang := range onestop.Langs {
			// Its label, and its name for an operator who lets texts name the centre.
			for _, centre := range []string{flows.CentreLabel(dir, c, lang), c.PhoneSafe().Name(lang)} {
				for _, text := range flows.SMSSamples(lang, "R12345678", centre) {
					checkSegments(t, text)
				}
			}
		}
	}
}
