package locales

import (
	"fmt"
	"strings"
	"testing"

	"github.com/onestop-helpline/onestop"
)

// safeLimit is what every operator's gateway is known to carry: 144 octets (72 UCS-2) at one
// carrier-grade gateway, 160 GSM-7 characters at several. The first screen, which every caller
// sees, and the END screens, which cannot be paged, keep within it too.
var safeLimit = Limit{GSM7: 160, UCS2: 72}

// numbered makes a menu's options from keys, numbered from 1.
func numbered(lang onestop.Lang, ks ...Key) []Option {
	opts := make([]Option, len(ks))
	for i, k := range ks {
		opts[i] = Option{Key: fmt.Sprint(i + 1), Label: Text(lang, k)}
	}
	return opts
}

func languageOptions() []Option {
	opts := make([]Option, len(onestop.Langs))
	for i, l := range onestop.Langs {
		opts[i] = Option{Key: fmt.Sprint(i + 1), Label: NativeName(l)}
	}
	return opts
}

func firstScreen(lang onestop.Lang) []Option {
	return numbered(lang, MenuTalk, MenuNearby, MenuCallback, MenuInfo, MenuLanguage)
}

func TestFirstScreenIsOnePage(t *testing.T) {
	for _, lang := range onestop.Langs {
		pages := Menu(lang, DefaultLimit, "", firstScreen(lang), Nav{Exit: true})
		if len(pages) != 1 {
			t.Errorf("%s: first screen takes %d pages: %q", lang, len(pages), pages)
			continue
		}
		n, gsm := Length(pages[0])
		t.Logf("%s: %d %s\n%s", lang, n, map[bool]string{true: "septets", false: "UTF-16 units"}[gsm], pages[0])
		if !safeLimit.Fits(pages[0]) {
			t.Errorf("%s: first screen is %d units, over the %v safe payload", lang, n, safeLimit)
		}
		if !strings.HasSuffix(pages[0], "\n0 "+Text(lang, Exit)) {
			t.Errorf("%s: first screen does not end with 0 Exit: %q", lang, pages[0])
		}
	}
}

// The Safe Contact Plan's menus and the language menu are one page each, with their question as
// header or with the Invalid line in its place, with both Back and Exit.
func TestPlanMenusAreOnePage(t *testing.T) {
	nav := Nav{Back: true, Exit: true}
	for _, lang := range onestop.Langs {
		menus := []struct {
			name    string
			header  Key
			options []Option
		}{
			{"may call", AskMayCall, numbered(lang, CallThis, CallOther, CallNever)},
			{"when", AskWhen, numbered(lang, WhenNow, WhenMorning, WhenAfternoon, WhenEvening)},
			{"cover", Cover, numbered(lang, Understood)},
			{"language", LanguageHeader, languageOptions()},
		}
		for _, m := range menus {
			for _, header := range []Key{m.header, Invalid} {
				pages := Menu(lang, DefaultLimit, Text(lang, header), m.options, nav)
				if len(pages) != 1 {
					t.Errorf("%s %s with %q: %d pages: %q", lang, m.name, header, len(pages), pages)
				}
			}
		}
	}
}

// An END screen cannot be paginated: each must fit one page alone, with the longest args, even on
// a gateway that carries less than a full page.
func TestEndScreensFit(t *testing.T) {
	const ref = "1234567"
	numbers := []string{"109", "999", "112", "121", "100", "181"}
	for _, lang := range onestop.Langs {
		var screens []string
		screens = append(screens, Text(lang, Goodbye))
		for _, n := range numbers {
			screens = append(screens,
				Text(lang, TooManyInvalid, n),
				Text(lang, SessionOver, n),
				Text(lang, DoneNow, ref, n),
				Text(lang, DoneNoCall, ref, n, n))
			for _, later := range []Key{LaterMorning, LaterAfternoon, LaterEvening} {
				screens = append(screens, Text(lang, DoneLater, ref, Text(lang, later), n))
			}
		}
		for _, s := range screens {
			if n, _ := Length(s); !DefaultLimit.Fits(s) || !safeLimit.Fits(s) {
				t.Errorf("%s: END screen of %d units does not fit %v: %q", lang, n, safeLimit, s)
			}
		}
	}
}

// A prompt, even after a complaint about the last answer, is one page with Back and Exit.
func TestPromptsAreOnePage(t *testing.T) {
	nav := Nav{Back: true, Exit: true}
	for _, lang := range onestop.Langs {
		for _, body := range []string{
			Text(lang, AskNumber),
			Text(lang, BadNumber) + "\n" + Text(lang, AskNumber),
			Text(lang, AskArea),
			Text(lang, Invalid) + "\n" + Text(lang, AskArea),
			Text(lang, HelpHeader) + "\n" + Text(lang, HelpEntry, "Dhaka OSC", "01713000000"),
		} {
			if pages := Prose(lang, DefaultLimit, body, nav); len(pages) != 1 {
				t.Errorf("%s: prompt takes %d pages: %q", lang, len(pages), pages)
			}
		}
	}
}

// No catalogue menu needs an option truncated, even on a small screen, and each option line
// arrives whole.
func TestCatalogueOptionsAreNeverTruncated(t *testing.T) {
	for _, lang := range onestop.Langs {
		menus := [][]Option{
			firstScreen(lang),
			numbered(lang, CallThis, CallOther, CallNever),
			numbered(lang, WhenNow, WhenMorning, WhenAfternoon, WhenEvening),
			numbered(lang, Understood),
			numbered(lang, InfoMedical, InfoPolice, InfoLegal, InfoCounselling, InfoShelter, InfoRights),
			languageOptions(),
		}
		for _, lim := range []Limit{DefaultLimit, safeLimit, {GSM7: 90, UCS2: 45}} {
			for _, opts := range menus {
				pages := Menu(lang, lim, Text(lang, Invalid), opts, Nav{Back: true, Exit: true})
				lines := strings.Split(strings.Join(pages, "\n"), "\n")
				for _, o := range opts {
					if want := o.Key + " " + o.Label; !contains(lines, want) {
						t.Errorf("%s %v: option %q not shown whole in %q", lang, lim, want, pages)
					}
				}
			}
		}
	}
}

func contains(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}

// Information bodies may span pages, but stay short: a USSD session lasts two or three minutes.
func TestInfoBodiesAreShort(t *testing.T) {
	bodies := []Key{InfoMedicalBody, InfoPoliceBody, InfoLegalBody, InfoCounsellingBody, InfoShelterBody, InfoRightsBody}
	for _, lang := range onestop.Langs {
		for _, k := range bodies {
			body := Text(lang, k, "109")
			if !strings.Contains(body, "109") {
				t.Errorf("%s %q does not give the helpline", lang, k)
			}
			pages := Prose(lang, DefaultLimit, body, Nav{Back: true, Exit: true})
			if len(pages) > 3 {
				t.Errorf("%s %q takes %d pages", lang, k, len(pages))
			}
			for _, p := range pages {
				if !DefaultLimit.Fits(p) {
					t.Errorf("%s %q: page over the limit: %q", lang, k, p)
				}
			}
		}
	}
}
