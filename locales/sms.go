package locales

import (
	"fmt"
	"slices"

	"github.com/onestop-helpline/onestop"
)

// SMSKey names a text sent by SMS to a community worker or a centre.
type SMSKey string

// The SMS texts. Each fits two SMS in its language with the longest case number and centre name
// it can carry (a test holds them to it). They name no survivor, no centre (a centre is its
// CentreLabel) and nothing that says what the service is for, and a reminder says nothing of
// what the referral is about: a worker's phone, and a centre's, may be read by someone else.
const (
	SMSUsage              SMSKey = "usage"
	SMSReferred           SMSKey = "referred"            // %[1]s case, %[2]s centre
	SMSReferredUnassigned SMSKey = "referred_unassigned" // %[1]s case
	SMSStatus             SMSKey = "status"              // %[1]s case, %[2]s status, %[3]s day
	SMSStatusAt           SMSKey = "status_at"           // %[1]s case, %[2]s status, %[3]s centre, %[4]s day
	SMSNoCase             SMSKey = "no_case"
	SMSThanks             SMSKey = "thanks"
	SMSRemindWorker       SMSKey = "remind_worker" // %[1]s case, %[2]d days
	SMSRemindCentre       SMSKey = "remind_centre" // %[1]s case, %[2]s area, %[3]d days
	SMSCentreNotice       SMSKey = "centre_notice" // %[1]s case, %[2]s area
)

var smsTexts = map[onestop.Lang]map[SMSKey]string{
	onestop.English: {
		SMSUsage:              "To refer: REF <place> <what is needed>. For news: STATUS <case number>. This help: HELP",
		SMSReferred:           "Case %[1]s received and sent to %[2]s. For news send: STATUS %[1]s",
		SMSReferredUnassigned: "Case %[1]s received. A supervisor will choose where it goes. For news send: STATUS %[1]s",
		SMSStatus:             "Case %[1]s: %[2]s (%[3]s).",
		SMSStatusAt:           "Case %[1]s: %[2]s, %[3]s (%[4]s).",
		SMSNoCase:             "No such case for this number. Send HELP for the usage.",
		SMSThanks:             "Thank you. Your message was received.",
		SMSRemindWorker:       "Case %[1]s has had no news for %[2]d days. Reply STATUS %[1]s to check it.",
		SMSRemindCentre:       "Referral %[1]s (%[2]s) has had no update for %[3]d days. Please update it.",
		SMSCentreNotice:       "New referral %[1]s (%[2]s). Details are in the console.",
		"status_received":     "received",
		"status_assigned":     "passed on",
		"status_contacted":    "contacted",
		"status_closed":       "closed",
		"status_declined":     "declined",
	},
	onestop.Bengali: {
		SMSUsage:              "রেফার করতে: রেফার <জায়গা> <কী দরকার>। খবর জানতে: অবস্থা <কেস নম্বর>। এই তথ্য: সাহায্য",
		SMSReferred:           "কেস %[1]s পেয়েছি, %[2]s-এ পাঠানো হয়েছে। খবর জানতে লিখুন: অবস্থা %[1]s",
		SMSReferredUnassigned: "কেস %[1]s পেয়েছি। কোথায় যাবে, সুপারভাইজার ঠিক করবেন। খবর জানতে লিখুন: অবস্থা %[1]s",
		SMSStatus:             "কেস %[1]s: %[2]s (%[3]s)।",
		SMSStatusAt:           "কেস %[1]s: %[2]s, %[3]s (%[4]s)।",
		SMSNoCase:             "এই নম্বরে এমন কোনো কেস নেই। নিয়ম জানতে লিখুন: সাহায্য",
		SMSThanks:             "ধন্যবাদ। আপনার বার্তা পেয়েছি।",
		SMSRemindWorker:       "কেস %[1]s-এর %[2]d দিন কোনো খবর নেই। দেখতে লিখুন: অবস্থা %[1]s",
		SMSRemindCentre:       "রেফারেল %[1]s (%[2]s): %[3]d দিন কোনো আপডেট নেই। দয়া করে আপডেট করুন।",
		SMSCentreNotice:       "নতুন রেফারেল %[1]s (%[2]s)। বিস্তারিত কনসোলে।",
		"status_received":     "পাওয়া গেছে",
		"status_assigned":     "পাঠানো হয়েছে",
		"status_contacted":    "যোগাযোগ হয়েছে",
		"status_closed":       "শেষ",
		"status_declined":     "নেওয়া হয়নি",
	},
	onestop.Hindi: {
		SMSUsage:              "रेफर करने के लिए: रेफर <जगह> <क्या चाहिए>। जानकारी के लिए: स्थिति <केस नंबर>। यह मदद: मदद",
		SMSReferred:           "केस %[1]s मिला, %[2]s को भेजा गया। जानकारी के लिए लिखें: स्थिति %[1]s",
		SMSReferredUnassigned: "केस %[1]s मिला। कहाँ भेजना है, सुपरवाइज़र तय करेंगे। जानकारी के लिए लिखें: स्थिति %[1]s",
		SMSStatus:             "केस %[1]s: %[2]s (%[3]s)।",
		SMSStatusAt:           "केस %[1]s: %[2]s, %[3]s (%[4]s)।",
		SMSNoCase:             "इस नंबर से ऐसा कोई केस नहीं मिला। तरीका जानने के लिए लिखें: मदद",
		SMSThanks:             "धन्यवाद। आपका संदेश मिल गया।",
		SMSRemindWorker:       "केस %[1]s पर %[2]d दिन से कोई खबर नहीं। देखने के लिए लिखें: स्थिति %[1]s",
		SMSRemindCentre:       "रेफरल %[1]s (%[2]s): %[3]d दिन से कोई अपडेट नहीं। कृपया अपडेट करें।",
		SMSCentreNotice:       "नया रेफरल %[1]s (%[2]s)। विवरण कंसोल में।",
		"status_received":     "मिला",
		"status_assigned":     "आगे भेजा गया",
		"status_contacted":    "संपर्क हुआ",
		"status_closed":       "बंद",
		"status_declined":     "नहीं लिया गया",
	},
	onestop.Arabic: {
		SMSUsage:              "للإحالة: إحالة <المكان> <المطلوب>. للمتابعة: حالة <رقم الحالة>. لهذه التعليمات: مساعدة",
		SMSReferred:           "استلمنا الحالة %[1]s وأُرسلت إلى %[2]s. للمتابعة أرسل: حالة %[1]s",
		SMSReferredUnassigned: "استلمنا الحالة %[1]s. سيحدد المشرف الجهة. للمتابعة أرسل: حالة %[1]s",
		SMSStatus:             "الحالة %[1]s: %[2]s (%[3]s).",
		SMSStatusAt:           "الحالة %[1]s: %[2]s، %[3]s (%[4]s).",
		SMSNoCase:             "لا توجد حالة بهذا الرقم لهذا الهاتف. للتعليمات أرسل: مساعدة",
		SMSThanks:             "شكرًا. وصلت رسالتك.",
		SMSRemindWorker:       "لا جديد في الحالة %[1]s منذ %[2]d أيام. للمتابعة أرسل: حالة %[1]s",
		SMSRemindCentre:       "الإحالة %[1]s (%[2]s) بلا تحديث منذ %[3]d أيام. يرجى تحديثها.",
		SMSCentreNotice:       "إحالة جديدة %[1]s (%[2]s). التفاصيل في لوحة التحكم.",
		"status_received":     "مستلمة",
		"status_assigned":     "أُحيلت",
		"status_contacted":    "تم التواصل",
		"status_closed":       "مغلقة",
		"status_declined":     "لم تُقبل",
	},
}

// SMSText returns the text for key in lang, English when lang has none, formatted with args.
func SMSText(lang onestop.Lang, key SMSKey, args ...any) string {
	s, ok := smsTexts[lang][key]
	if !ok {
		s = smsTexts[onestop.English][key]
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// SMSKeys lists every SMS text's key, in a fixed order, so every text can be checked.
func SMSKeys() []SMSKey {
	keys := make([]SMSKey, 0, len(smsTexts[onestop.English]))
	for k := range smsTexts[onestop.English] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
