package locales

import (
	"strconv"
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
	// The prompts over the lists name what each list holds.
	AreaAskDivision    // over Bangladesh's divisions
	AreaAskState       // over India's states and union territories
	AreaAskGovernorate // over Palestine's governorates
	AreaAskDistrict    // over a division's or a state's districts
	AreaConfirm        // over the one place her search matched in part: she confirms it
	AreaNoneNear       // heads an answer with no centre: %[1]s the area's name
	AreaDayNight       // a line open 24 hours, 7 days a week
)

var areaTexts = map[onestop.Lang][]string{
	onestop.Bengali: {
		AreaNotFound:       "খুঁজে পাইনি। আবার লিখুন বা বেছে নিন:",
		AreaChoose:         "আপনার জায়গা বেছে নিন:",
		AreaNear:           "কাছের সাহায্য: %[1]s",
		AreaKM:             "%[1]s কিলোমিটার দূরে",
		AreaAskDivision:    "বিভাগ বেছে নিন, বা জেলার নাম লিখুন:",
		AreaAskState:       "রাজ্য বেছে নিন, বা জেলার নাম লিখুন:",
		AreaAskGovernorate: "জেলা বেছে নিন, বা নাম লিখুন:",
		AreaAskDistrict:    "জেলা বেছে নিন:",
		AreaConfirm:        "এই জায়গা? ঠিক হলে 1 চাপুন:",
		AreaNoneNear:       "কাছে কোনো কেন্দ্রের খবর নেই: %[1]s। ফোন করুন:",
		AreaDayNight:       "দিনরাত খোলা",
	},
	onestop.Hindi: {
		AreaNotFound:       "नहीं मिला। फिर लिखें या चुनें:",
		AreaChoose:         "अपनी जगह चुनें:",
		AreaNear:           "पास में मदद: %[1]s",
		AreaKM:             "%[1]s किलोमीटर दूर",
		AreaAskDivision:    "डिवीज़न चुनें या ज़िले का नाम लिखें:",
		AreaAskState:       "राज्य चुनें या ज़िले का नाम लिखें:",
		AreaAskGovernorate: "प्रांत चुनें या नाम लिखें:",
		AreaAskDistrict:    "ज़िला चुनें:",
		AreaConfirm:        "क्या यही जगह है? हाँ के लिए 1:",
		AreaNoneNear:       "पास में किसी केंद्र की जानकारी नहीं: %[1]s। फ़ोन करें:",
		AreaDayNight:       "दिन-रात खुला",
	},
	onestop.Arabic: {
		AreaNotFound:       "لم نجده. اكتبي مجدداً أو اختاري:",
		AreaChoose:         "اختاري مكانك:",
		AreaNear:           "مساعدة قريبة: %[1]s",
		AreaKM:             "على بعد %[1]s كيلومتر",
		AreaAskDivision:    "اختاري القسم أو اكتبي اسم المنطقة:",
		AreaAskState:       "اختاري الولاية أو اكتبي اسم المنطقة:",
		AreaAskGovernorate: "اختاري محافظتك أو اكتبي اسمها:",
		AreaAskDistrict:    "اختاري المنطقة:",
		AreaConfirm:        "هل هذا مكانك؟ للتأكيد اضغطي 1:",
		AreaNoneNear:       "لا نعرف مركزاً قريباً: %[1]s. اتصلي:",
		AreaDayNight:       "ليلاً ونهاراً",
	},
	onestop.English: {
		AreaNotFound:       "No place found with that name. Type again or choose:",
		AreaChoose:         "Choose your place:",
		AreaNear:           "Help near %[1]s:",
		AreaKM:             "%[1]s kilometres away",
		AreaAskDivision:    "Choose your division, or type your district:",
		AreaAskState:       "Choose your state, or type your district:",
		AreaAskGovernorate: "Choose your governorate, or type its name:",
		AreaAskDistrict:    "Choose your district:",
		AreaConfirm:        "Is this your place? Press 1 if so:",
		AreaNoneNear:       "No centre near %[1]s is known. Call:",
		AreaDayNight:       "open day and night",
	},
}

// Distance says how far a centre is, in lang, from the kilometres as a caller reads them ("54",
// "3.5"). Arabic makes the noun agree with the number: كيلومتر واحد، كيلومتران، ٣ كيلومترات،
// ١١ كيلومترًا، ١٠٠ كيلومتر.
func Distance(lang onestop.Lang, km string) string {
	if lang != onestop.Arabic {
		return AreaText(lang, AreaKM, km)
	}
	n, err := strconv.Atoi(km)
	switch {
	case err != nil: // a fraction: the singular, as "٣٫٥ كيلومتر" is read
		return "على بعد " + Isolate(lang, km) + " كيلومتر"
	case n == 1:
		return "على بعد كيلومتر واحد"
	case n == 2:
		return "على بعد كيلومترين"
	}
	noun := "كيلومتر"
	switch r := n % 100; {
	case r >= 3 && r <= 10:
		noun = "كيلومترات"
	case r >= 11:
		noun = "كيلومترًا"
	case n < 100: // 0
		noun = "كيلومتر"
	}
	return "على بعد " + Isolate(lang, km) + " " + noun
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

// Isolate keeps a number (a phone, a distance) the right way round inside right-to-left text: in
// Arabic it is preceded by a left-to-right mark, so that "+970…" does not show as "…970+".
// Other languages get it unchanged.
func Isolate(lang onestop.Lang, number string) string {
	if lang == onestop.Arabic && number != "" {
		return "\u200E" + number
	}
	return number
}
