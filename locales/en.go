package locales

// en is the English catalogue and the fallback for every other. Every string stays inside the
// GSM-7 alphabet (no curly quotes, no "…") so an English page gets the 182-character budget.
var en = map[Key]string{
	MenuTalk:     "Talk to someone now",
	MenuNearby:   "Find help near you",
	MenuCallback: "Ask for a call back later",
	MenuInfo:     "Information on services and rights",
	MenuLanguage: "Language",

	More: "More",
	Back: "Back",
	Exit: "Exit",

	Invalid:        "Please choose a number.",
	TooManyInvalid: "We could not understand. You can call %[1]s free.",
	Goodbye:        "Thank you. Goodbye.",
	SessionOver:    "This session has ended. Please dial again, or call %[1]s free.",

	AskMayCall:    "May we call you?",
	CallThis:      "Yes, this number",
	CallOther:     "Yes, another number",
	CallNever:     "No, do not call",
	AskNumber:     "Type the number we may call:",
	BadNumber:     "That number does not look right.",
	AskWhen:       "When is it safe to call?",
	WhenNow:       "Now",
	WhenMorning:   "Morning (8-12)",
	WhenAfternoon: "Afternoon (12-5)",
	WhenEvening:   "Evening (5-9)",
	Cover:         "If someone else answers, the woman who calls will say she is calling from the clinic.",
	Understood:    "OK",

	DoneNow:           "Ref %[1]s. We will call you within 30 minutes. In danger call %[2]s.",
	DoneLater:         "Ref %[1]s. We will call you %[2]s. In danger call %[3]s.",
	LaterMorning:      "in the morning",
	LaterAfternoon:    "in the afternoon",
	LaterEvening:      "in the evening",
	DoneNoCall:        "Code %[1]s. We will not call. Call %[2]s free. In danger call %[3]s",
	DoneNowNobody:     "Code %[1]s. We cannot call you right now. Call %[2]s free now. In danger call %[3]s",
	TomorrowMorning:   "tomorrow morning",
	TomorrowAfternoon: "tomorrow afternoon",
	TomorrowEvening:   "tomorrow evening",
	AskMayCallOther:   "We will not call this number. Another number?",
	AskDistrict:       "Which district are you in? Type its name, or:",
	ChooseFromList:    "Choose from a list",
	Skip:              "Skip",

	HelpHeader:    "Help you can reach:",
	HelpEntry:     "%[1]s: %[2]s",
	HelplineShort: "Helpline %[1]s",
	AskArea:       "Choose your area, or type your district:",

	InfoHeader:      "What do you want to know?",
	InfoMedical:     "Medical care",
	InfoPolice:      "Police help",
	InfoLegal:       "Legal aid",
	InfoCounselling: "Counselling",
	InfoShelter:     "Safe shelter",
	InfoRights:      "Your rights",

	InfoMedicalBody:     "The centres give free medical care and a medical examination. You do not pay anything. Call %[1]s free.",
	InfoPoliceBody:      "The centre can help you go to the police and file a case. It is your choice. Call %[1]s free.",
	InfoLegalBody:       "You can get free legal aid: advice, and a lawyer for your case. Call %[1]s free.",
	InfoCounsellingBody: "You can talk to a trained counsellor in confidence. They will listen and help you think about what to do. Call %[1]s free.",
	InfoShelterBody:     "If it is not safe at home, you can stay in a safe place for a few days. Call %[1]s free.",
	InfoRightsBody:      "Violence at home is a crime. You have the right to free help. What you tell us is kept private. Call %[1]s free.",

	LanguageHeader: "Choose language:",
}
