package locales

// hi is the Hindi catalogue: everyday spoken Hindi, polite (आप), addressing a woman.
var hi = map[Key]string{
	MenuTalk:     "अभी बात करें",
	MenuNearby:   "पास में मदद",
	MenuCallback: "बाद में फोन",
	MenuInfo:     "जानकारी",
	MenuLanguage: "भाषा",

	More: "और",
	Back: "पीछे",
	Exit: "बंद करें",

	Invalid:        "फिर चुनें",
	TooManyInvalid: "हम समझ नहीं पाए। आप कभी भी %[1]s पर मुफ्त फोन कर सकती हैं।",
	Goodbye:        "धन्यवाद। नमस्ते।",
	SessionOver:    "बातचीत खत्म हो गई। फिर से डायल करें, या %[1]s पर मुफ्त फोन करें।",

	AskMayCall:    "क्या हम फोन करें?",
	CallThis:      "इस नंबर पर",
	CallOther:     "दूसरे नंबर पर",
	CallNever:     "फोन न करें",
	AskNumber:     "जिस नंबर पर फोन करें, वह लिखें:",
	BadNumber:     "यह नंबर सही नहीं लगता।",
	AskWhen:       "कब सुरक्षित है?",
	WhenNow:       "अभी",
	WhenMorning:   "सुबह 8-12",
	WhenAfternoon: "दोपहर 12-5",
	WhenEvening:   "शाम 5-9",
	Cover:         "कोई और उठाए तो हम कहेंगे: सेहत जाँच का फोन है।",
	Understood:    "ठीक है",

	DoneNow:        "कोड %[1]s। हम 30 मिनट में फोन करेंगे। खतरे में %[2]s पर फोन करें।",
	DoneLater:      "कोड %[1]s। हम %[2]s फोन करेंगे। खतरे में %[3]s पर फोन करें।",
	LaterMorning:   "सुबह",
	LaterAfternoon: "दोपहर में",
	LaterEvening:   "शाम को",
	DoneNoCall:     "कोड %[1]s। फोन नहीं आएगा। कभी भी %[2]s पर मुफ्त फोन करें। खतरे में %[3]s।",

	HelpHeader:    "यहाँ मदद मिलेगी:",
	HelpEntry:     "%[1]s: %[2]s",
	HelplineShort: "हेल्पलाइन %[1]s",
	AskArea:       "अपना जिला लिखें या चुनें:",

	InfoHeader:      "क्या जानना है?",
	InfoMedical:     "इलाज",
	InfoPolice:      "पुलिस की मदद",
	InfoLegal:       "कानूनी मदद",
	InfoCounselling: "काउंसलिंग",
	InfoShelter:     "सुरक्षित जगह",
	InfoRights:      "आपके अधिकार",

	InfoMedicalBody:     "सेंटर में मुफ्त इलाज और डॉक्टरी जाँच होती है। आपको कोई पैसा नहीं देना होगा। %[1]s पर कभी भी मुफ्त फोन करें।",
	InfoPoliceBody:      "सेंटर पुलिस में शिकायत और केस दर्ज कराने में मदद करता है। आप चाहें, तभी केस होगा। %[1]s पर कभी भी मुफ्त फोन करें।",
	InfoLegalBody:       "आपको मुफ्त कानूनी मदद मिलती है: सलाह, और केस के लिए वकील। %[1]s पर कभी भी मुफ्त फोन करें।",
	InfoCounsellingBody: "काउंसलर ध्यान से आपकी बात सुनेंगे और आगे क्या करना है, यह सोचने में मदद करेंगे। आपकी बात किसी को नहीं बताई जाएगी। %[1]s पर कभी भी मुफ्त फोन करें।",
	InfoShelterBody:     "घर में खतरा हो, तो आप कुछ दिन सुरक्षित जगह पर रह सकती हैं। %[1]s पर कभी भी मुफ्त फोन करें।",
	InfoRightsBody:      "घर में हिंसा अपराध है। आपको मुफ्त मदद पाने का हक है। आपकी बातें गुप्त रखी जाएँगी। %[1]s पर कभी भी मुफ्त फोन करें।",

	LanguageHeader: "भाषा चुनें:",
}
