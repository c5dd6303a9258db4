package flows

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/session"
	"github.com/onestop-helpline/onestop/ussd"
)

func testEngine(t *testing.T, cfg Config) *Engine {
	ctx := context.Background()
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	box, _ := seal.New(bytes.Repeat([]byte{1}, seal.KeySize))
	dir, err := directory.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Pager == nil {
		cfg.Pager = ussd.Pager{}.Pages
	}
	e, err := New(ctx, db, casebook.New(db, box), box, dir, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// onePage are the screens that must show all their options at once, hint or no hint.
var onePage = map[string]bool{stMenu: true, stMayCall: true, stWhen: true, stCover: true, stLanguage: true, stWhere: true}

var allStates = []string{stMenu, stMayCall, stNumber, stWhen, stCover, stHelp, stInfo, stTopic, stLanguage,
	stDistricts, stMatches, stNoMatch, stCentres, stWhere}

// areaVariants are the find-help choices a screen can show for a country: every division's or
// state's districts, the longest lists of search matches, and the answer for every area. Other
// screens have one variant, the empty one.
func areaVariants(e *Engine, country, state string) []areaHop {
	var out []areaHop
	switch state {
	case stDistricts:
		for _, top := range e.dir.Top(country) {
			var codes []string
			for _, a := range e.dir.Children(top.Code) {
				codes = append(codes, a.Code)
			}
			out = append(out, areaHop{offered: codes, hasOffered: true})
		}
	case stMatches:
		for _, q := range []string{"pur", "ga", "an", "al", "ra"} {
			var codes []string
			for _, a := range e.dir.Search(country, q, maxMatches) {
				codes = append(codes, a.Code)
			}
			out = append(out, areaHop{offered: codes, hasOffered: true})
		}
	case stCentres:
		for _, a := range e.dir.Areas(country, "") {
			out = append(out, areaHop{chosen: a.Code})
		}
	}
	if len(out) == 0 {
		out = append(out, areaHop{})
	}
	return out
}

// TestEveryScreenFitsAPageInEveryLanguage renders every page of every screen, with and without
// the hint, in every language and for callers of every country, and checks it against the
// provider's page limit; every closing screen must fit one page on its own.
func TestEveryScreenFitsAPageInEveryLanguage(t *testing.T) {
	for _, lim := range []locales.Limit{locales.DefaultLimit, {GSM7: 160, UCS2: 72}} {
		e := testEngine(t, Config{Pager: ussd.Pager{Limits: map[string]locales.Limit{"test": lim}}.Pages})
		for _, lang := range onestop.Langs {
			for _, country := range []string{"BD", "IN", "PS"} {
				for _, state := range allStates {
					hints := []locales.Key{"", locales.Invalid}
					if state == stNumber {
						hints[1] = locales.BadNumber
					}
					for _, hint := range hints {
						for topic := 1; topic <= len(topics); topic++ {
							if topic > 1 && state != stTopic {
								break
							}
							for _, ah := range areaVariants(e, country, state) {
								// Each screen as it is for everyone, for a caller whose number
								// is marked "do not contact", and asked for her district.
								for _, marked := range []bool{false, true} {
									s := &session.Session{Lang: lang, Country: country, Provider: "test", State: state, Hint: string(hint), Topic: topic, NoCall: marked, Asking: marked}
									st := &step{e: e, s: s, area: ah}
									pages := st.pages()
									if onePage[state] && lim == locales.DefaultLimit && len(pages) != 1 {
										t.Errorf("%s %s hint %q: %d pages, want 1:\n%s", lang, state, hint, len(pages), strings.Join(pages, "\n---\n"))
									}
									for i, p := range pages {
										checkScreen(t, lim, lang, state+"/"+country, i, p)
									}
								}
							}
						}
					}
				}
				for name, text := range endScreens(e, lang, country) {
					checkScreen(t, lim, lang, name+"/"+country, 0, text)
				}
			}
		}
	}
}

func endScreens(e *Engine, lang onestop.Lang, country string) map[string]string {
	help, sos, ref := e.helpline(country), e.emergency(country), "7442346"
	m := map[string]string{
		"goodbye":     locales.Text(lang, locales.Goodbye),
		"invalid":     locales.Text(lang, locales.TooManyInvalid, help),
		"over":        locales.Text(lang, locales.SessionOver, help),
		"done now":    locales.Text(lang, locales.DoneNow, ref, sos),
		"done nobody": locales.Text(lang, locales.DoneNowNobody, ref, help, sos),
		"do not call": locales.Text(lang, locales.DoneNoCall, ref, help, sos),
	}
	for w, k := range later {
		m["done "+string(w)] = locales.Text(lang, locales.DoneLater, ref, locales.Text(lang, k), sos)
	}
	for w, k := range tomorrow {
		m["done tomorrow "+string(w)] = locales.Text(lang, locales.DoneLater, ref, locales.Text(lang, k), sos)
	}
	return m
}

func checkScreen(t *testing.T, lim locales.Limit, lang onestop.Lang, name string, page int, text string) {
	t.Helper()
	if text == "" {
		t.Errorf("%s %s page %d is empty", lang, name, page)
	}
	if !lim.Fits(text) {
		n, _ := locales.Length(text)
		t.Errorf("%v %s %s page %d is %d units:\n%s", lim, lang, name, page, n, text)
	}
	if lang == onestop.English {
		return
	}
	// No English in a Bengali, Hindi or Arabic screen; the language menu's own "English" is
	// the one exception.
	if name == stLanguage+"/"+strings.Split(name, "/")[1] {
		text = strings.Replace(text, locales.NativeName(onestop.English), "", 1)
	}
	for _, r := range text {
		if r < unicode.MaxASCII && unicode.IsLetter(r) {
			t.Errorf("%s %s page %d has Latin letters:\n%s", lang, name, page, text)
			break
		}
	}
}

func TestFirstScreenNamesNothingThatBetraysTheService(t *testing.T) {
	e := testEngine(t, Config{})
	for _, lang := range onestop.Langs {
		st := &step{e: e, s: &session.Session{Lang: lang, Country: "BD", State: stMenu}}
		first := strings.ToLower(st.pages()[0])
		for _, w := range []string{"violence", "abuse", "crisis", "helpline", "centre", "police", "one-stop", "109",
			"নির্যাতন", "সহিংসতা", "হিংসা", "পুলিশ", "हिंसा", "पुलिस", "उत्पीड़न", "عنف", "شرطة", "إساءة"} {
			if strings.Contains(first, w) {
				t.Errorf("%s first screen names %q:\n%s", lang, w, first)
			}
		}
	}
}

func TestWindowsOpenAtTheirNextOccurrenceInHerTime(t *testing.T) {
	dhaka := zone("BD")
	at := func(h, m int) time.Time { return time.Date(2026, 11, 23, h, m, 0, 0, dhaka) }
	for _, tc := range []struct {
		w            onestop.Window
		now          time.Time
		opens, close time.Time
	}{
		{onestop.Morning, at(6, 0), at(8, 0), at(12, 0)},
		{onestop.Morning, at(9, 30), at(9, 30), at(12, 0)},
		{onestop.Morning, at(12, 0), at(8, 0).AddDate(0, 0, 1), at(12, 0).AddDate(0, 0, 1)},
		{onestop.Evening, at(23, 0), at(17, 0).AddDate(0, 0, 1), at(21, 0).AddDate(0, 0, 1)},
		{onestop.Afternoon, at(13, 0), at(13, 0), at(17, 0)},
		{onestop.Now, at(3, 0), at(3, 0), at(3, 30)},
		// A window closing within half an hour of being chosen is the next day's.
		{onestop.Morning, at(11, 29), at(11, 29), at(12, 0)},
		{onestop.Morning, at(11, 30), at(8, 0).AddDate(0, 0, 1), at(12, 0).AddDate(0, 0, 1)},
		{onestop.Evening, at(20, 45), at(17, 0).AddDate(0, 0, 1), at(21, 0).AddDate(0, 0, 1)},
	} {
		o, c := window(tc.w, tc.now.UTC(), dhaka)
		if !o.Equal(tc.opens) || !c.Equal(tc.close) {
			t.Errorf("%s at %s: %s–%s, want %s–%s", tc.w, tc.now.Format("15:04"), o.In(dhaka), c.In(dhaka), tc.opens, tc.close)
		}
	}
	if zone("PS").String() != "Asia/Hebron" || zone("IN").String() != "Asia/Kolkata" || zone("XX") != time.UTC {
		t.Error("zones by country")
	}
}
