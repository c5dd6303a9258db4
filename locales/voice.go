package locales

import (
	"fmt"
	"strings"

	"github.com/onestop-helpline/onestop"
)

// The spoken catalogue's keys: what a voice call says that a phone screen does not. A voice call
// speaks the screens' own wording for everything else, read for the ear (package voice).
const (
	// VoiceSafe is the first question on every call: yes or no, so a caller who cannot talk
	// can leave at once. It names nothing: whoever hears it learns nothing of the service.
	VoiceSafe Key = "voice_safe"
	VoiceYes  Key = "voice_yes"
	VoiceNo   Key = "voice_no"
	// VoicePress reads one option. %[1]s: the option's label; %[2]s: its key.
	VoicePress Key = "voice_press"
	// VoiceBack and VoiceExit are read after the options, in place of "99 Back" and "0 Exit".
	VoiceBack Key = "voice_back"
	VoiceExit Key = "voice_exit"
	// VoiceThenHash follows a question whose answer has more than one digit.
	VoiceThenHash Key = "voice_then_hash"
	// VoiceNoInput ends a call after a prompt met silence twice. %[1]s: the national helpline.
	VoiceNoInput Key = "voice_no_input"
	// VoiceConnecting is said before the call is put through to a counsellor.
	VoiceConnecting Key = "voice_connecting"
	// VoiceNoAnswer ends a call that no counsellor took. %[1]s: the national helpline.
	VoiceNoAnswer Key = "voice_no_answer"
	// VoiceWhisper is said to a counsellor whose phone rings with a caller's call, before she
	// is put through: only a person pressing 1 takes it, never a voicemail.
	VoiceWhisper Key = "voice_whisper"
)

// VoiceKeys lists every spoken key once; the tests hold each spoken catalogue to it.
var VoiceKeys = []Key{
	VoiceSafe, VoiceYes, VoiceNo, VoicePress, VoiceBack, VoiceExit, VoiceThenHash,
	VoiceNoInput, VoiceConnecting, VoiceNoAnswer, VoiceWhisper,
}

// Keys returns every key of the screens' catalogue, in the catalogue's order.
func Keys() []Key { return append([]Key(nil), keys...) }

var voiceCatalogues = map[onestop.Lang]map[Key]string{
	onestop.Bengali: voiceBn,
	onestop.Hindi:   voiceHi,
	onestop.Arabic:  voiceAr,
	onestop.English: voiceEn,
}

// Spoken returns the text of key in lang for the ear: a spoken key from the spoken catalogue,
// any other from the screens' catalogue (Text). Formatting and fallbacks are Text's.
func Spoken(lang onestop.Lang, key Key, args ...any) string {
	s, ok := voiceCatalogues[lang][key]
	if !ok {
		if s, ok = voiceEn[key]; !ok {
			return Text(lang, key, args...)
		}
	}
	if len(args) == 0 || !strings.Contains(s, "%") {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// KeyOf returns the key whose text in lang (screens' catalogue first, then the spoken one) is
// exactly text, for a text that has no formatting verbs: how a renderer finds the recorded
// prompt for a line it was given as text.
func KeyOf(lang onestop.Lang, text string) (Key, bool) {
	for _, k := range keys {
		if v, ok := catalogues[lang][k]; ok && v == text && !strings.Contains(v, "%") {
			return k, true
		}
	}
	for _, k := range VoiceKeys {
		if v, ok := voiceCatalogues[lang][k]; ok && v == text && !strings.Contains(v, "%") {
			return k, true
		}
	}
	return "", false
}

var voiceEn = map[Key]string{
	VoiceSafe:       "Hello. Can you talk freely right now?",
	VoiceYes:        "yes",
	VoiceNo:         "no",
	VoicePress:      "For %[1]s, press %[2]s.",
	VoiceBack:       "To go back, press star.",
	VoiceExit:       "To end the call, press 0.",
	VoiceThenHash:   "Then press hash.",
	VoiceNoInput:    "We did not hear a choice. You can call %[1]s any time, free. Goodbye.",
	VoiceConnecting: "Please hold. We are putting you through.",
	VoiceNoAnswer:   "Nobody could take your call just now. Please call %[1]s, free, at any time. Goodbye.",
	VoiceWhisper:    "A caller is waiting. To take the call, press 1.",
}

var voiceBn = map[Key]string{
	VoiceSafe:       "নমস্কার। আপনি কি এখন নিশ্চিন্তে কথা বলতে পারবেন?",
	VoiceYes:        "হ্যাঁ",
	VoiceNo:         "না",
	VoicePress:      "%[1]s এর জন্য %[2]s চাপুন।",
	VoiceBack:       "আগের মেনুতে যেতে স্টার চাপুন।",
	VoiceExit:       "কল শেষ করতে 0 চাপুন।",
	VoiceThenHash:   "তারপর হ্যাশ চাপুন।",
	VoiceNoInput:    "আমরা কোনো উত্তর শুনিনি। যেকোনো সময় বিনামূল্যে %[1]s নম্বরে কল করতে পারেন। বিদায়।",
	VoiceConnecting: "অনুগ্রহ করে অপেক্ষা করুন। আপনাকে সংযোগ দেওয়া হচ্ছে।",
	VoiceNoAnswer:   "এই মুহূর্তে কেউ কল ধরতে পারেননি। যেকোনো সময় বিনামূল্যে %[1]s নম্বরে কল করুন। বিদায়।",
	VoiceWhisper:    "একজন কলার অপেক্ষা করছেন। কলটি নিতে 1 চাপুন।",
}

var voiceHi = map[Key]string{
	VoiceSafe:       "नमस्ते। क्या आप अभी खुलकर बात कर सकती हैं?",
	VoiceYes:        "हाँ",
	VoiceNo:         "नहीं",
	VoicePress:      "%[1]s के लिए %[2]s दबाएँ।",
	VoiceBack:       "पिछले मेनू के लिए स्टार दबाएँ।",
	VoiceExit:       "कॉल समाप्त करने के लिए 0 दबाएँ।",
	VoiceThenHash:   "फिर हैश दबाएँ।",
	VoiceNoInput:    "हमें कोई विकल्प सुनाई नहीं दिया। आप कभी भी %[1]s पर मुफ़्त कॉल कर सकती हैं। नमस्ते।",
	VoiceConnecting: "कृपया रुकें। आपको जोड़ा जा रहा है।",
	VoiceNoAnswer:   "अभी कोई आपकी कॉल नहीं ले सका। कृपया कभी भी %[1]s पर मुफ़्त कॉल करें। नमस्ते।",
	VoiceWhisper:    "एक कॉलर प्रतीक्षा में है। कॉल लेने के लिए 1 दबाएँ।",
}

var voiceAr = map[Key]string{
	VoiceSafe:       "مرحبا. هل يمكنك التحدث بحرية الآن؟",
	VoiceYes:        "نعم",
	VoiceNo:         "لا",
	VoicePress:      "%[1]s: اضغطي %[2]s.",
	VoiceBack:       "للعودة اضغطي النجمة.",
	VoiceExit:       "لإنهاء المكالمة اضغطي 0.",
	VoiceThenHash:   "ثم اضغطي المربع.",
	VoiceNoInput:    "لم نسمع أي اختيار. يمكنك الاتصال بالرقم %[1]s مجانا في أي وقت. مع السلامة.",
	VoiceConnecting: "يرجى الانتظار. نحن نحولك الآن.",
	VoiceNoAnswer:   "لم يتمكن أحد من الرد الآن. اتصلي بالرقم %[1]s مجانا في أي وقت. مع السلامة.",
	VoiceWhisper:    "هناك متصلة تنتظر. لقبول المكالمة اضغط 1.",
}
