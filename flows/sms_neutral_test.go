package flows_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/seal"
)

// betrayingWords say what the service is or is for, in each language: a text holding one tells
// whoever reads the phone. They are matched case-folded, anywhere in a text.
var betrayingWords = []string{
	"violen", "abuse", "crisis", "helpline", "centre", "center", "police", "rape", "assault", "women", "woman",
	"safe", "danger", "shelter", "one-stop", "one stop", "occ", "osc", "sakhi", "counsel", "survivor", "trafficking", "victim",
	"নির্যাতন", "সহিংসতা", "হিংসা", "সংকট", "ক্রাইসিস", "হেল্পলাইন", "সেন্টার", "কেন্দ্র", "পুলিশ", "ধর্ষণ", "নারী", "নিরাপদ", "বিপদ", "ওসিসি", "আশ্রয়", "কাউন্সেলিং",
	"हिंसा", "उत्पीड़न", "शोषण", "संकट", "हेल्पलाइन", "सेंटर", "केंद्र", "पुलिस", "बलात्कार", "महिला", "सुरक्षित", "खतरे", "सखी", "आश्रय", "परामर्श",
	"عنف", "إساءة", "أزمة", "أزمات", "خط مساعدة", "مركز", "المركز", "شرطة", "اغتصاب", "نساء", "المرأة", "آمن", "خطر", "إيواء", "حماية",
}

var foldText = cases.Fold()

// centreNames is every name of every centre of dirs, in every language.
func centreNames(dirs ...*directory.Directory) []string {
	var out []string
	for _, d := range dirs {
		for _, c := range append(d.Centres(), d.Derived()...) {
			for _, n := range c.Names {
				out = append(out, n)
			}
		}
	}
	return out
}

// folded returns the betraying words and names, NFC and case-folded, to match folded texts.
func folded(names []string) []string {
	var out []string
	for _, w := range append(append([]string{}, betrayingWords...), names...) {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, foldText.String(norm.NFC.String(w)))
		}
	}
	return out
}

// betrays returns what in text names the service or a centre (words, from folded), or "".
func betrays(text string, words []string) string {
	t := foldText.String(norm.NFC.String(text))
	for _, w := range words {
		// A betraying word matches anywhere ("violen" in "violence"); a centre's name only as
		// a whole, so that a district such as Sawai Madhopur does not read as the Sawa line.
		for i := strings.Index(t, w); i >= 0; i = nextIndex(t, w, i) {
			if isBetrayingWord(w) || !startsWithLetter(t[i+len(w):]) {
				return w
			}
		}
	}
	return ""
}

func nextIndex(t, w string, i int) int {
	if j := strings.Index(t[i+1:], w); j >= 0 {
		return i + 1 + j
	}
	return -1
}

func isBetrayingWord(w string) bool {
	for _, b := range betrayingWords {
		if foldText.String(norm.NFC.String(b)) == w {
			return true
		}
	}
	return false
}

func startsWithLetter(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLetter(r) || unicode.Is(unicode.M, r)
}

// Every text a worker or a centre may be sent, in every language, with every centre's label,
// names no centre and nothing that says what the service is.
func TestSMSTextsNameNoCentreNorTheService(t *testing.T) {
	ctx := context.Background()
	embedded, err := directory.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	f := newSMSFixture(t)
	names := folded(centreNames(embedded, f.dir))
	for _, dir := range []*directory.Directory{embedded, f.dir} {
		for _, c := range append(dir.Centres(), dir.Derived()...) {
			for _, lang := range onestop.Langs {
				label := flows.CentreLabel(dir, c, lang)
				if w := betrays(label, names); w != "" || strings.Contains(label, c.ID) {
					t.Fatalf("%s's label %q names %q", c.ID, label, w)
				}
				for _, text := range flows.SMSSamples(lang, "R12345678", label) {
					if w := betrays(text, names); w != "" {
						t.Errorf("%s text for %s names %q: %q", lang, c.ID, w, text)
					}
				}
			}
		}
	}
	// And what the conversation really queued: replies, notices to centres, reminders.
	for _, w := range smsWorkers {
		for _, body := range []string{"HELP", "STATUS R1234560", "STATUS 12", "REF Atlantis x", "REF Dhaka x", "REF Rajshahi x", "REF Jaipur x", "REF Ramallah x"} {
			r := f.text(w.Number, body)
			if r.Referral != "" && strings.HasPrefix(body, "REF") {
				f.text(w.Number, "STATUS "+r.Referral)
			}
		}
	}
	f.clock.Add(4 * 24 * time.Hour)
	if _, err := f.sms.Remind(context.Background()); err != nil {
		t.Fatal(err)
	}
	msgs, err := f.out.List(ctx, outbox.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	audiences := map[outbox.Audience]int{}
	for _, m := range msgs {
		audiences[m.Audience]++
		if w := betrays(m.Text, names); w != "" {
			t.Errorf("queued to a %s (%s): %q names %q", m.Audience, m.Lang, m.Text, w)
		}
	}
	if audiences[outbox.Worker] == 0 || audiences[outbox.Centre] == 0 {
		t.Fatalf("queued %v: the test saw no text to a worker or no text to a centre", audiences)
	}
}

// An operator who turns naming on lets a worker be told the centre's name.
func TestSMSNamesTheCentreOnlyWhenAllowed(t *testing.T) {
	for _, naming := range []bool{false, true} {
		f := newSMSFixture(t)
		quiet := slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
		// The operator's switch reaches both the conversation and the outbox, which checks every
		// audience's text.
		f.out = outbox.New(f.db, boxOf(t), f.cases, outbox.Config{NameService: naming, Log: quiet})
		f.sms = flows.NewSMS(f.db, f.cases, boxOf(t), f.dir, f.out, flows.SMSConfig{NameService: naming, Log: quiet})
		r := f.text(smsWorkers[3].Number, "REF Rajshahi needs a doctor")
		if got := strings.Contains(r.Text, "Rajshahi Medical College Hospital"); got != naming {
			t.Fatalf("naming %v: %q", naming, r.Text)
		}
		if !naming && !strings.Contains(r.Text, flows.CentreCode("bd-occ-rajshahi")) {
			t.Fatalf("no centre code in %q", r.Text)
		}
	}
}

// Nothing a worker or a stranger typed, and no whole number, reaches the log: not on a
// referral, not on a STATUS for a case that is not there, not when a centre cannot be told.
func TestSMSLogsCarryNothingTyped(t *testing.T) {
	f := newSMSFixture(t)
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// The outbox refuses every centre's number, so that the conversation has a warning to log.
	f.out = outbox.New(f.db, boxOf(t), f.cases, outbox.Config{Log: logger, Known: func(_ onestop.Tx, a outbox.Audience, _ string) bool {
		return a != outbox.Centre
	}})
	f.sms = flows.NewSMS(f.db, f.cases, boxOf(t), f.dir, f.out, flows.SMSConfig{Log: logger})
	typed := []string{"Kamrangirchar", "Nusrat", "lawyer", "R7777770", "7777770", "0171155544", "1711555444"}
	f.text(smsWorkers[3].Number, "REF Dhaka Nusrat needs a lawyer, call 01711555444")
	f.text(smsWorkers[3].Number, "REF Kamrangirchar Nusrat needs a lawyer")
	f.text(smsWorkers[3].Number, "STATUS R7777770")
	f.text(smsWorkers[3].Number, "STATUS 7777770")
	f.text(smsWorkers[0].Number, "অবস্থা Kamrangirchar")
	f.text("+8801911555444", "Nusrat needs a lawyer 01711555444")
	f.clock.Add(4 * 24 * time.Hour)
	if _, err := f.sms.Remind(context.Background()); err != nil {
		t.Fatal(err)
	}
	log := buf.String()
	if !strings.Contains(log, "centre not notified") {
		t.Fatalf("the test logged no warning:\n%s", log)
	}
	for _, w := range append(typed, "1911555444", "1811000102", "1711000101", smsWorkers[3].Name) {
		if strings.Contains(log, w) {
			t.Errorf("the log carries %q:\n%s", w, log)
		}
	}
}

// boxOf is a Box with newSMSFixture's key.
func boxOf(t *testing.T) *seal.Box {
	t.Helper()
	box, err := seal.New(bytes.Repeat([]byte{9}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// A worker's referral leaves nothing she typed, no name and no number readable in the file, in
// any form: the place, the need, her name (kept on the referral and its history), her number.
// (A matched place is not looked for: the centre's directory id, which names its town, is kept.)
func TestSMSReferralLeavesNothingTypedInTheFile(t *testing.T) {
	ctx := context.Background()
	f := newSMSFixture(t)
	w := smsWorkers[3]
	a := f.text(w.Number, "REF Kamrangirchar Nusrat needs a lawyer 01711555444")
	b := f.text(w.Number, "REF Rajshahi Shirin needs medicine")
	f.text(w.Number, "STATUS "+a.Referral)
	if err := f.sms.Advance(context.Background(), b.Referral, onestop.Contacted, "sara", "Met Shirin at the ward"); err != nil {
		t.Fatal(err)
	}
	got, err := f.cases.ReferralByRef(ctx, b.Referral)
	if err != nil || got.Place != "Rajshahi" || got.Need != "Shirin needs medicine" || got.History[2].Note != "Met Shirin at the ward" {
		t.Fatalf("referral read back %+v %v", got, err)
	}
	f.db.Close()
	raw, err := os.ReadFile(f.path)
	if err != nil {
		t.Fatal(err)
	}
	for _, word := range []string{"Kamrangirchar", "Nusrat", "Shirin", "lawyer", "medicine", "ward", "1711555444", w.Name, w.Number[1:], w.Number[4:]} {
		for _, form := range rawForms(word) {
			if bytes.Contains(raw, form) {
				t.Errorf("%q is in the file as %q", word, form)
			}
		}
	}
}

// rawForms is s as a file could hold it: as written, lower and upper case, each in UTF-8 and
// in UTF-16 either way round.
func rawForms(s string) [][]byte {
	var out [][]byte
	for _, v := range []string{s, strings.ToLower(s), strings.ToUpper(s)} {
		out = append(out, []byte(v))
		var le, be []byte
		for _, c := range utf16.Encode([]rune(v)) {
			le = append(le, byte(c), byte(c>>8))
			be = append(be, byte(c>>8), byte(c))
		}
		out = append(out, le, be)
	}
	return out
}
