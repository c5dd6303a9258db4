package locales

import (
	"strings"

	"github.com/onestop-helpline/onestop"
)

// AreaKey names one of the find-help screens' own texts, beside the catalogue's AskArea,
// HelpHeader and HelpEntry.
type AreaKey int

const (
	AreaNotFound AreaKey = iota // nothing matched what she typed
	AreaChoose                  // heads the list of places her search matched
	AreaNear                    // heads the answer; %[1]s: the area's name
	AreaKM                      // a distance; %[1]s: the number of kilometres
)

var areaTexts = map[onestop.Lang][]string{
	onestop.Bengali: {
		AreaNotFound: "পাইনি। আবার লিখুন বা বাছুন:",
		AreaChoose:   "আপনার জায়গা বেছে নিন:",
		AreaNear:     "%[1]s-এর কাছে সাহায্য:",
		AreaKM:       "%[1]s কিমি",
	},
	onestop.Hindi: {
		AreaNotFound: "नहीं मिला। फिर लिखें या चुनें:",
		AreaChoose:   "अपनी जगह चुनें:",
		AreaNear:     "%[1]s के पास मदद:",
		AreaKM:       "%[1]s किमी",
	},
	onestop.Arabic: {
		AreaNotFound: "لم نجده. اكتبي مجدداً أو اختاري:",
		AreaChoose:   "اختاري مكانك:",
		AreaNear:     "مساعدة قرب %[1]s:",
		AreaKM:       "%[1]s كم",
	},
	onestop.English: {
		AreaNotFound: "No place found with that name. Type again or choose:",
		AreaChoose:   "Choose your place:",
		AreaNear:     "Help near %[1]s:",
		AreaKM:       "%[1]s km",
	},
}

// AreaText returns a find-help text in lang (English when lang has none) with its argument.
func AreaText(lang onestop.Lang, k AreaKey, args ...string) string {
	texts, ok := areaTexts[lang]
	if !ok {
		texts = areaTexts[onestop.English]
	}
	s := texts[k]
	if len(args) > 0 {
		s = strings.Replace(s, "%[1]s", args[0], 1)
	}
	return s
}
