package locales

import (
	"fmt"

	"github.com/onestop-helpline/onestop"
)

// The texts staff receive: an urgent case's alert, a callback falling due, an escalation to the
// fallback list. They carry the case reference and the district (or her time) only, never the
// survivor's number or words, and they read as routine to anyone looking over a shoulder. They
// are kept apart from the caller's catalogue: they go to staff phones by SMS, never on a
// caller's screen.

var alertTexts = map[onestop.Lang]string{
	onestop.English: "Urgent case %[1]s, %[2]s. Please check the console now.",
	onestop.Bengali: "জরুরি কেস %[1]s, %[2]s। এখনই কনসোল দেখুন।",
	onestop.Hindi:   "ज़रूरी केस %[1]s, %[2]s। कृपया अभी कंसोल देखें।",
	onestop.Arabic:  "حالة عاجلة %[1]s، %[2]s. يرجى مراجعة لوحة التحكم الآن.",
}

var callbackTexts = map[onestop.Lang]string{
	onestop.English: "Callback due: case %[1]s, until %[2]s her time. Details in the console.",
	onestop.Bengali: "কলব্যাকের সময়: কেস %[1]s, তার সময় %[2]s পর্যন্ত। বিস্তারিত কনসোলে।",
	onestop.Hindi:   "कॉलबैक का समय: केस %[1]s, उनके समय %[2]s तक। विवरण कंसोल में।",
	onestop.Arabic:  "موعد الاتصال: الحالة %[1]s، حتى %[2]s بتوقيتها. التفاصيل في لوحة التحكم.",
}

var escalationTexts = map[onestop.Lang]string{
	onestop.English: "Urgent case %[1]s, %[2]s has no answer yet. Please check the console now.",
	onestop.Bengali: "জরুরি কেস %[1]s, %[2]s এখনও কেউ দেখেননি। এখনই কনসোল দেখুন।",
	onestop.Hindi:   "ज़रूरी केस %[1]s, %[2]s अभी तक किसी ने नहीं देखा। कृपया अभी कंसोल देखें।",
	onestop.Arabic:  "الحالة العاجلة %[1]s، %[2]s لم يردّ عليها أحد بعد. يرجى مراجعة لوحة التحكم الآن.",
}

func staffText(texts map[onestop.Lang]string, lang onestop.Lang, a, b string) string {
	s, ok := texts[lang]
	if !ok {
		s = texts[onestop.English]
	}
	return fmt.Sprintf(s, a, b)
}

// Alert is the alert for the urgent case ref in district (a district code, or her country's
// when she chose none), in lang; an unknown lang gets English.
func Alert(lang onestop.Lang, ref, district string) string {
	return staffText(alertTexts, lang, ref, district)
}

// CallbackDue is the note that the callback of case ref is due, until closes (her clock, 15:04),
// in lang; an unknown lang gets English.
func CallbackDue(lang onestop.Lang, ref, closes string) string {
	return staffText(callbackTexts, lang, ref, closes)
}

// Escalation is the fallback list's text for the urgent case ref in district that nobody has
// answered, in lang; an unknown lang gets English.
func Escalation(lang onestop.Lang, ref, district string) string {
	return staffText(escalationTexts, lang, ref, district)
}
