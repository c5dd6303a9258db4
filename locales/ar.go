package locales

// ar is the Arabic catalogue: plain Modern Standard Arabic as read in Palestine, addressing a
// woman, with no vowel marks beyond the usual tanwin so that simple phones render it.
var ar = map[Key]string{
	MenuTalk:     "تحدثي الآن",
	MenuNearby:   "مساعدة قريبة",
	MenuCallback: "اتصال لاحقًا",
	MenuInfo:     "معلومات",
	MenuLanguage: "اللغة",

	More: "المزيد",
	Back: "رجوع",
	Exit: "خروج",

	Invalid:        "اختيار خاطئ",
	TooManyInvalid: "لم نفهم اختيارك. اتصلي على %[1]s مجانًا.",
	Goodbye:        "شكرًا لك. مع السلامة.",
	SessionOver:    "انتهى الاتصال. اطلبي الرمز مرة أخرى، أو اتصلي على %[1]s مجانًا.",

	AskMayCall:    "هل نتصل بك؟",
	CallThis:      "نعم، هذا الرقم",
	CallOther:     "نعم، رقم آخر",
	CallNever:     "لا تتصلوا",
	AskNumber:     "اكتبي الرقم الذي نتصل عليه:",
	BadNumber:     "هذا الرقم لا يبدو صحيحًا.",
	AskWhen:       "متى يكون آمنًا؟",
	WhenNow:       "الآن",
	WhenMorning:   "صباحًا 8-12",
	WhenAfternoon: "بعد الظهر 12-5",
	WhenEvening:   "مساءً 5-9",
	Cover:         "إذا رد غيرك، ستقول المتصلة إنه اتصال من العيادة.",
	Understood:    "حسنًا",

	DoneNow:           "رقم الطلب %[1]s. سنتصل بك خلال 30 دقيقة. عند الخطر اتصلي على %[2]s.",
	DoneLater:         "رقم الطلب %[1]s. سنتصل بك %[2]s. عند الخطر اتصلي على %[3]s.",
	LaterMorning:      "صباحًا",
	LaterAfternoon:    "بعد الظهر",
	LaterEvening:      "مساءً",
	DoneNoCall:        "رقم الطلب %[1]s. لن نتصل. اتصلي على %[2]s مجانًا. للطوارئ: %[3]s",
	DoneNowNobody:     "رقم الطلب %[1]s. لن نتصل الآن. اتصلي على %[2]s مجانًا. للطوارئ: %[3]s",
	TomorrowMorning:   "غدًا صباحًا",
	TomorrowAfternoon: "غدًا بعد الظهر",
	TomorrowEvening:   "غدًا مساءً",
	AskMayCallOther:   "لن نتصل بهذا الرقم. رقم آخر؟",
	AskDistrict:       "ما محافظتك؟ اكتبي اسمها، أو:",
	ChooseFromList:    "اختاري من القائمة",
	Skip:              "تخطّي",

	HelpHeader:    "أماكن للمساعدة:",
	HelpEntry:     "%[1]s: %[2]s",
	HelplineShort: "خط المساعدة %[1]s",
	AskArea:       "اكتبي محافظتك أو اختاري:",

	InfoHeader:      "ماذا تريدين أن تعرفي؟",
	InfoMedical:     "رعاية طبية",
	InfoPolice:      "مساعدة الشرطة",
	InfoLegal:       "مساعدة قانونية",
	InfoCounselling: "دعم نفسي",
	InfoShelter:     "مأوى آمن",
	InfoRights:      "حقوقك",

	InfoMedicalBody:     "تقدم المراكز رعاية طبية وفحصًا طبيًا مجانًا. لن تدفعي شيئًا. اتصلي على %[1]s مجانًا.",
	InfoPoliceBody:      "يساعدك المركز في الوصول إلى الشرطة وتقديم شكوى. القرار لك. اتصلي على %[1]s مجانًا.",
	InfoLegalBody:       "يمكنك الحصول على مساعدة قانونية مجانية: استشارة، ومحامٍ لقضيتك. اتصلي على %[1]s مجانًا.",
	InfoCounsellingBody: "يمكنك التحدث بسرية مع مختصة. ستستمع إليك وتساعدك على التفكير فيما تريدين. اتصلي على %[1]s مجانًا.",
	InfoShelterBody:     "إذا لم يكن البيت آمنًا، يمكنك البقاء في مكان آمن لبضعة أيام. اتصلي على %[1]s مجانًا.",
	InfoRightsBody:      "من حقك الحماية من العنف في البيت. ومن حقك الحصول على مساعدة مجانية. كل ما تقولينه يبقى سرًا. اتصلي على %[1]s مجانًا.",

	LanguageHeader: "اختاري اللغة:",
}
