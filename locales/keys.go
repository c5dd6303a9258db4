package locales

// The catalogue's keys. Their values are stable: a Safe Contact Plan stores Cover's value, so a
// value is never renamed once released.
const (
	// The first screen. It must look harmless to anyone else who reads the phone: no word on it
	// names violence, abuse, a crisis, a helpline, a centre or the police.
	MenuTalk     Key = "menu_talk"
	MenuNearby   Key = "menu_nearby"
	MenuCallback Key = "menu_callback"
	MenuInfo     Key = "menu_info"
	MenuLanguage Key = "menu_language"

	// Navigation lines, shown after "98 ", "99 " and "0 ".
	More Key = "more"
	Back Key = "back"
	Exit Key = "exit"

	// Invalid heads a menu shown again after a key that is not on it. It fits one page in place of
	// the question; above the question too, the screen may take two pages.
	Invalid Key = "invalid"
	// TooManyInvalid ends a session after repeated invalid keys. %[1]s: the national helpline.
	TooManyInvalid Key = "too_many_invalid"
	// Goodbye ends a session when she presses 0. It stays neutral: no service word.
	Goodbye Key = "goodbye"
	// SessionOver ends a session that cannot go on. %[1]s: the national helpline.
	SessionOver Key = "session_over"

	// The Safe Contact Plan questions.
	AskMayCall    Key = "ask_may_call"
	CallThis      Key = "call_this"
	CallOther     Key = "call_other"
	CallNever     Key = "call_never"
	AskNumber     Key = "ask_number"
	BadNumber     Key = "bad_number"
	AskWhen       Key = "ask_when"
	WhenNow       Key = "when_now"
	WhenMorning   Key = "when_morning"
	WhenAfternoon Key = "when_afternoon"
	WhenEvening   Key = "when_evening"
	// Cover is what the caller says if someone else answers; a plan records this key.
	Cover      Key = "cover_health_check"
	Understood Key = "understood"

	// The END screens that close the plan. %[1]s: the contact's reference; the last verb: the
	// emergency number.
	DoneNow Key = "done_now"
	// DoneLater's %[2]s is one of LaterMorning, LaterAfternoon, LaterEvening.
	DoneLater      Key = "done_later"
	LaterMorning   Key = "later_morning"
	LaterAfternoon Key = "later_afternoon"
	LaterEvening   Key = "later_evening"
	// DoneNoCall's %[2]s is the national helpline, %[3]s the emergency number.
	DoneNoCall Key = "done_no_call"
	// DoneNowNobody closes a "now" plan when nobody is known to be on duty: no promise of a
	// call, the helpline to call instead. %[2]s: the national helpline, %[3]s: the emergency
	// number.
	DoneNowNobody Key = "done_now_nobody"
	// DoneLater's window when it opens on a later day than the one she chose it on.
	TomorrowMorning   Key = "tomorrow_morning"
	TomorrowAfternoon Key = "tomorrow_afternoon"
	TomorrowEvening   Key = "tomorrow_evening"
	// AskMayCallOther replaces AskMayCall when her number is marked "do not contact": it says
	// plainly that it will not be called, and offers only another number or no call.
	AskMayCallOther Key = "ask_may_call_other"

	// After an urgent plan is confirmed: her district, so help near her can be alerted.
	AskDistrict    Key = "ask_district"
	ChooseFromList Key = "choose_from_list"
	Skip           Key = "skip"

	// The list of helplines and centres. HelpEntry is a format (%[1]s name, %[2]s number) so a
	// right-to-left language can order the two as it reads best.
	HelpHeader Key = "help_header"
	HelpEntry  Key = "help_entry"
	// HelplineShort names the national helpline in few words: "Helpline 109".
	HelplineShort Key = "helpline_short"
	AskArea       Key = "ask_area"

	// Information, reached only after she chose it, so service words are fine from here on.
	InfoHeader      Key = "info_header"
	InfoMedical     Key = "info_medical"
	InfoPolice      Key = "info_police"
	InfoLegal       Key = "info_legal"
	InfoCounselling Key = "info_counselling"
	InfoShelter     Key = "info_shelter"
	InfoRights      Key = "info_rights"
	// The bodies end by giving the national helpline, %[1]s.
	InfoMedicalBody     Key = "info_medical_body"
	InfoPoliceBody      Key = "info_police_body"
	InfoLegalBody       Key = "info_legal_body"
	InfoCounsellingBody Key = "info_counselling_body"
	InfoShelterBody     Key = "info_shelter_body"
	InfoRightsBody      Key = "info_rights_body"

	LanguageHeader Key = "language_header"
)

// keys lists every key once; the tests hold each catalogue to it.
var keys = []Key{
	MenuTalk, MenuNearby, MenuCallback, MenuInfo, MenuLanguage,
	More, Back, Exit,
	Invalid, TooManyInvalid, Goodbye, SessionOver,
	AskMayCall, CallThis, CallOther, CallNever, AskNumber, BadNumber,
	AskWhen, WhenNow, WhenMorning, WhenAfternoon, WhenEvening,
	Cover, Understood,
	DoneNow, DoneLater, LaterMorning, LaterAfternoon, LaterEvening, DoneNoCall,
	DoneNowNobody, TomorrowMorning, TomorrowAfternoon, TomorrowEvening, AskMayCallOther,
	AskDistrict, ChooseFromList, Skip,
	HelpHeader, HelpEntry, HelplineShort, AskArea,
	InfoHeader, InfoMedical, InfoPolice, InfoLegal, InfoCounselling, InfoShelter, InfoRights,
	InfoMedicalBody, InfoPoliceBody, InfoLegalBody, InfoCounsellingBody, InfoShelterBody, InfoRightsBody,
	LanguageHeader,
}
