package locales

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/onestop-helpline/onestop"
	"golang.org/x/text/unicode/norm"
)

// native are the catalogues other than English, with the script each must be written in.
var native = []struct {
	lang   onestop.Lang
	script *unicode.RangeTable
}{
	{onestop.Bengali, unicode.Bengali},
	{onestop.Hindi, unicode.Devanagari},
	{onestop.Arabic, unicode.Arabic},
}

func TestCatalogueComplete(t *testing.T) {
	if len(catalogues) != len(onestop.Langs) {
		t.Fatalf("%d catalogues for %d languages", len(catalogues), len(onestop.Langs))
	}
	seen := make(map[Key]bool, len(keys))
	for _, k := range keys {
		if seen[k] {
			t.Errorf("key %q listed twice", k)
		}
		seen[k] = true
	}
	for _, lang := range onestop.Langs {
		cat, ok := catalogues[lang]
		if !ok {
			t.Errorf("%s: no catalogue", lang)
			continue
		}
		for _, k := range keys {
			if strings.TrimSpace(cat[k]) == "" {
				t.Errorf("%s: %q missing or empty", lang, k)
			}
		}
		for k := range cat {
			if !seen[k] {
				t.Errorf("%s: %q is not a known key", lang, k)
			}
		}
	}
}

var verb = regexp.MustCompile(`%(\[[0-9]+\])?.`)

// verbs returns the sorted verbs of s; every one must be an indexed %[n]s.
func verbs(t *testing.T, lang onestop.Lang, k Key, s string) []string {
	t.Helper()
	var vs []string
	for _, v := range verb.FindAllString(s, -1) {
		if !regexp.MustCompile(`^%\[[1-9]\]s$`).MatchString(v) {
			t.Errorf("%s %q: verb %q is not an indexed %%[n]s", lang, k, v)
		}
		vs = append(vs, v)
	}
	slices.Sort(vs)
	return slices.Compact(vs)
}

func TestFormatVerbsAgree(t *testing.T) {
	for _, k := range keys {
		want := verbs(t, onestop.English, k, en[k])
		for _, lang := range onestop.Langs {
			if got := verbs(t, lang, k, catalogues[lang][k]); !slices.Equal(got, want) {
				t.Errorf("%s %q: verbs %v, English has %v", lang, k, got, want)
			}
		}
	}
}

// withoutVerbs drops the %[n]s verbs: what is left is what the caller reads around the args.
func withoutVerbs(s string) string { return verb.ReplaceAllString(s, "") }

func TestNativeCataloguesHaveNoLatin(t *testing.T) {
	for _, n := range native {
		for _, k := range keys {
			s := withoutVerbs(catalogues[n.lang][k])
			if i := strings.IndexFunc(s, func(r rune) bool {
				return r < 0x80 && unicode.IsLetter(r) || unicode.Is(unicode.Latin, r)
			}); i >= 0 {
				t.Errorf("%s %q: Latin letter at byte %d in %q", n.lang, k, i, s)
			}
		}
	}
}

// A string pasted into the wrong catalogue is caught by its script.
func TestNativeCataloguesUseTheirScript(t *testing.T) {
	for _, n := range native {
		for _, k := range keys {
			for _, r := range withoutVerbs(catalogues[n.lang][k]) {
				if unicode.IsLetter(r) && !unicode.Is(n.script, r) {
					t.Errorf("%s %q: letter %q is not in the language's script", n.lang, k, r)
					break
				}
			}
		}
	}
}

func TestCatalogueIsNFC(t *testing.T) {
	for _, lang := range onestop.Langs {
		for _, k := range keys {
			if s := catalogues[lang][k]; !norm.NFC.IsNormalString(s) {
				t.Errorf("%s %q is not NFC: %q", lang, k, s)
			}
		}
	}
}

// English pages get the 182-character budget only if nothing in them leaves GSM-7.
func TestEnglishIsGSM7(t *testing.T) {
	for _, k := range keys {
		if _, gsm := Length(en[k]); !gsm {
			t.Errorf("en %q leaves GSM-7: %q", k, en[k])
		}
	}
}

// The first screen and the goodbye may be read by the person she is afraid of.
func TestNeutralScreensNameNoService(t *testing.T) {
	betraying := map[onestop.Lang][]string{
		onestop.English: {"violen", "abuse", "crisis", "helpline", "centre", "center", "police", "rape", "women", "safe", "danger"},
		onestop.Bengali: {"নির্যাতন", "সহিংসতা", "হিংসা", "সংকট", "হেল্পলাইন", "সেন্টার", "কেন্দ্র", "পুলিশ", "ধর্ষণ", "নারী", "নিরাপদ", "বিপদ"},
		onestop.Hindi:   {"हिंसा", "उत्पीड़न", "शोषण", "संकट", "हेल्पलाइन", "सेंटर", "केंद्र", "पुलिस", "बलात्कार", "महिला", "सुरक्षित", "खतरे"},
		onestop.Arabic:  {"عنف", "إساءة", "أزمة", "خط", "مركز", "شرطة", "اغتصاب", "نساء", "المرأة", "آمن", "خطر"},
	}
	neutral := []Key{MenuTalk, MenuNearby, MenuCallback, MenuInfo, MenuLanguage, More, Back, Exit, Invalid, Goodbye}
	for lang, words := range betraying {
		for _, k := range neutral {
			s := strings.ToLower(Text(lang, k))
			for _, w := range words {
				if strings.Contains(s, norm.NFC.String(w)) {
					t.Errorf("%s %q names %q: %q", lang, k, w, s)
				}
			}
		}
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		name string
		lang onestop.Lang
		key  Key
		args []any
		want string
	}{
		{"plain", onestop.English, Goodbye, nil, "Thank you. Goodbye."},
		{"native", onestop.Hindi, MenuLanguage, nil, "भाषा"},
		{"format", onestop.English, HelpEntry, []any{"Dhaka OSC", "109"}, "Dhaka OSC: 109"},
		{"indexed", onestop.English, DoneLater, []any{"42", "in the evening", "999"},
			"Ref 42. We will call you in the evening. In danger call 999."},
		{"native format", onestop.Bengali, HelpEntry, []any{"ঢাকা", "109"}, "ঢাকা: 109"},
		{"unknown lang", "fr", Exit, nil, "Exit"},
		{"empty lang", "", MenuTalk, nil, "Talk to someone now"},
		{"unknown key", onestop.Bengali, "no_such_key", nil, "no_such_key"},
		{"args without verbs", onestop.English, Goodbye, []any{"x"}, "Thank you. Goodbye."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.lang, tt.key, tt.args...); got != tt.want {
				t.Errorf("Text(%q, %q, %v) = %q, want %q", tt.lang, tt.key, tt.args, got, tt.want)
			}
		})
	}
}

// Every template, filled with realistic args, formats cleanly in every language.
func TestTemplatesFormatCleanly(t *testing.T) {
	args := []any{"1234567", "109", "999"}
	for _, lang := range onestop.Langs {
		for _, k := range keys {
			if got := Text(lang, k, args...); strings.Contains(got, "%") {
				t.Errorf("%s %q formats badly: %q", lang, k, got)
			}
		}
	}
}

func TestForRegion(t *testing.T) {
	tests := []struct {
		region string
		want   onestop.Lang
	}{
		{"BD", onestop.Bengali},
		{"IN", onestop.Hindi},
		{"PS", onestop.Arabic},
		{"bd", onestop.Bengali},
		{" in ", onestop.Hindi},
		{"IL", onestop.English},
		{"GB", onestop.English},
		{"", onestop.English},
		{"BGD", onestop.English},
	}
	for _, tt := range tests {
		if got := ForRegion(tt.region); got != tt.want {
			t.Errorf("ForRegion(%q) = %q, want %q", tt.region, got, tt.want)
		}
	}
}

func TestNativeName(t *testing.T) {
	tests := []struct {
		lang onestop.Lang
		want string
	}{
		{onestop.Bengali, "বাংলা"},
		{onestop.Hindi, "हिन्दी"},
		{onestop.Arabic, "العربية"},
		{onestop.English, "English"},
		{"fr", "English"},
	}
	for _, tt := range tests {
		got := NativeName(tt.lang)
		if got != tt.want {
			t.Errorf("NativeName(%q) = %q, want %q", tt.lang, got, tt.want)
		}
		if !norm.NFC.IsNormalString(got) {
			t.Errorf("NativeName(%q) is not NFC", tt.lang)
		}
	}
}
