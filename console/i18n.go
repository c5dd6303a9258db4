package console

import (
	"fmt"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/onestop-helpline/onestop"
)

// The console's own words, for staff: kept apart from locales, whose words reach survivors'
// phones and obey rules these do not need (page sizes, no word that betrays the service).

var consoleEN = map[string]string{
	"app":           "Onestop console",
	"nav.today":     "Today",
	"nav.contacts":  "Contact log",
	"nav.callbacks": "Callback queue",
	"nav.referrals": "Referrals",
	"nav.directory": "Directory",
	"nav.exports":   "Exports",
	"nav.audit":     "Audit",
	"nav.users":     "Users",
	"nav.password":  "Password",
	"logout":        "Log out",
	"language":      "Language",
	"change":        "Change",
	"none":          "None.",
	"yes":           "Yes",
	"no":            "No",
	"next":          "Older",
	"open":          "Open",

	"login.title":       "Log in",
	"login.name":        "Name",
	"login.password":    "Password",
	"login.submit":      "Log in",
	"login.failed":      "Wrong name or password, or too many attempts. Wait a few minutes and try again.",
	"password.title":    "Change your password",
	"password.current":  "Current password",
	"password.new":      "New password",
	"password.confirm":  "New password again",
	"password.submit":   "Change password",
	"password.must":     "Choose a new password before you go on.",
	"password.mismatch": "The two new passwords differ.",
	"password.short":    "A password needs at least %[1]s characters.",
	"password.wrong":    "The current password is wrong.",
	"password.done":     "Password changed.",

	"today.title":                   "Today",
	"today.urgent":                  "Urgent contacts (48 hours)",
	"today.due":                     "Callbacks due now",
	"today.overdue":                 "Overdue referrals",
	"today.districts":               "Contacts by district (30 days)",
	"today.perday":                  "Contacts per day by urgency (14 days)",
	"today.perdistrict":             "Contacts per district (30 days)",
	"today.recent":                  "Other contacts (48 hours)",
	"problem.nobody-on-duty":        "nobody on duty: the alert goes to the fallback list",
	"problem.no-fallback":           "nobody on the fallback list either: the alert waits until someone is on duty or on the list",
	"problem.not-queued":            "not queued",
	"problem.not-delivered":         "not delivered",
	"problem.retrying":              "failed, to be tried again",
	"problem.escalated-no-fallback": "escalated, but nobody is on the fallback list",
	"problem.unreadable":            "record unreadable: look at the case and the outbox",
	"today.nobody":                  "Nobody is on duty now: urgent alerts go to the fallback list.",
	"today.onduty":                  "On duty now:",
	"today.unacked":                 "Urgent contacts not yet acknowledged",
	"today.escalated":               "Escalated",
	"urgent.title":                  "Urgent follow-up",
	"urgent.ack":                    "Acknowledge: I am taking this on",
	"urgent.acked":                  "Acknowledged by %[1]s",
	"urgent.sent":                   "Sent",
	"urgent.notacked":               "Nobody has acknowledged this urgent contact yet.",

	"col.time":     "Time",
	"col.ref":      "Reference",
	"col.number":   "Number",
	"col.country":  "Country",
	"col.district": "District",
	"col.channel":  "Channel",
	"col.lang":     "Language",
	"col.urgency":  "Urgency",
	"col.status":   "Status",
	"col.window":   "Safe window (her time)",
	"col.count":    "Contacts",
	"col.centre":   "Centre",
	"col.actor":    "Who",
	"col.action":   "Action",
	"col.subject":  "About",
	"col.detail":   "Detail",
	"col.role":     "Role",
	"col.name":     "Name",
	"col.kind":     "Kind",
	"col.dial":     "Dial",
	"col.phones":   "Phones",
	"col.verified": "Verified",
	"col.cover":    "If someone else answers",
	"col.outcome":  "Outcome",
	"col.note":     "Note",
	"col.place":    "Place",
	"col.worker":   "Worker",
	"col.updated":  "Updated",
	"col.week":     "Week",

	"urgency.urgent":        "Urgent",
	"urgency.non-urgent":    "Non-urgent",
	"urgency.information":   "Information",
	"status.open":           "Open",
	"status.dropped":        "Dropped",
	"status.done":           "Done",
	"status.do-not-contact": "Do not contact",
	"channel.ussd":          "USSD",
	"channel.sms":           "SMS",
	"channel.voice":         "Voice",
	"outcome.reached":       "Reached",
	"outcome.not-safe":      "Not safe",
	"outcome.no-answer":     "No answer",
	"role.counsellor":       "Counsellor",
	"role.supervisor":       "Supervisor",
	"role.admin":            "Administrator",
	"referral.received":     "Received",
	"referral.assigned":     "Assigned",
	"referral.contacted":    "Contacted",
	"referral.closed":       "Closed",
	"referral.declined":     "Declined",
	"window.now":            "Now",
	"window.morning":        "Morning",
	"window.afternoon":      "Afternoon",
	"window.evening":        "Evening",

	"contacts.title": "Contact log",
	"filter.from":    "From",
	"filter.to":      "To",
	"filter.any":     "Any",
	"filter.apply":   "Filter",

	"case.title":     "Case %[1]s",
	"case.plan":      "Safe Contact Plan",
	"case.maycall":   "She may be called",
	"case.nocall":    "Do not call",
	"case.other":     "on another number she gave",
	"case.own":       "on the number she called from",
	"case.noplan":    "No plan: she asked for no contact, or did not finish.",
	"case.reveal":    "Reveal the whole number",
	"case.reason":    "Reason (written to the audit log)",
	"case.revealed":  "Whole number",
	"case.timeline":  "Timeline",
	"case.note":      "Add a note",
	"case.save":      "Save note",
	"case.short":     "Give a reason of at least %[1]s characters.",
	"case.elsewhere": "Referrals from community workers are on the Referrals page.",
	"ev.contact":     "Contact recorded",
	"ev.plan":        "Plan agreed",
	"ev.opens":       "Safe window opens",
	"ev.closes":      "Safe window closes",
	"ev.attempt":     "Callback attempt: %[1]s",
	"ev.note":        "Note by %[1]s",
	"ev.reveal":      "Number revealed by %[1]s",
	"ev.override":    "%[1]s acted outside her hours",
	"case.outside":   "Outside the hours she chose. Only a supervisor may act now, and must say why.",
	"case.override":  "Why now, outside her hours (written to the audit log)",
	"case.overshort": "To act outside her hours, give a reason of at least %[1]s characters.",
	"case.attempt":   "Record a callback attempt outside her hours",

	"callbacks.title":  "Callback queue",
	"callbacks.help":   "Only callbacks whose safe window is open now, in her local time. Ask first whether it is safe to talk.",
	"callbacks.record": "Record",
	"callbacks.call":   "Call",
	"call.refused":     "the call was refused and not placed: %s",
	"ev.call":          "Bridged call: %s",
	"callbacks.done":   "Recorded.",

	"referrals.title":      "Referrals",
	"referrals.overdue":    "Overdue",
	"referrals.update":     "Update",
	"referrals.unverified": "Unverified sender",
	"referrals.done":       "Referral updated.",

	"directory.title":    "Directory",
	"directory.import":   "Import a directory CSV",
	"directory.file":     "CSV file",
	"directory.dryrun":   "Dry run: check only, change nothing",
	"directory.submit":   "Check",
	"directory.ok":       "%[1]s centres, no problems.",
	"directory.problems": "%[1]s problems; nothing was changed:",
	"directory.would":    "No problems. Importing it would change the %[1]s table:",
	"directory.applied":  "Imported into the %[1]s table; it is in force now:",
	"directory.added":    "Added",
	"directory.changed":  "Changed",
	"directory.removed":  "Removed",
	"directory.same":     "No problems, and nothing would change.",
	"directory.download": "Download the table in force to edit it",
	"directory.areas":    "Areas",
	"directory.centres":  "Centres",
	"directory.inside":   "Areas inside",

	"exports.title":      "Exports",
	"exports.aggregate":  "Aggregate figures: contacts by district, week, channel and urgency. No names, no numbers.",
	"exports.identified": "Identified export: every contact with its whole number. Needs a reason; written to the audit log.",
	"exports.download":   "Download CSV",
	"exports.days":       "Days back",

	"audit.title":  "Audit log",
	"audit.ok":     "Chain intact: %[1]s entries checked.",
	"audit.broken": "Chain broken: %[1]s",

	"users.title":    "Users",
	"users.add":      "Add a user",
	"users.temp":     "Temporary password (at least 12 characters; to be changed at first login)",
	"users.submit":   "Add",
	"users.disable":  "Disable",
	"users.enable":   "Enable",
	"users.reset":    "Set a temporary password",
	"users.disabled": "Disabled",
	"users.done":     "Done.",

	"err.title":     "Something went wrong",
	"err.forbidden": "Your role does not allow this.",
	"err.notfound":  "Not found.",
	"err.csrf":      "The form had expired. Go back, reload the page and try again.",
	"err.invalid":   "That was not accepted: %[1]s",
	"err.conflict":  "That could not be done: %[1]s",
	"err.internal":  "Internal error.",
}

var consoleBN = map[string]string{
	"app":           "ওয়ানস্টপ কনসোল",
	"nav.today":     "আজ",
	"nav.contacts":  "যোগাযোগের তালিকা",
	"nav.callbacks": "ফিরতি কলের সারি",
	"nav.referrals": "রেফারেল",
	"nav.directory": "ঠিকানা তালিকা",
	"nav.exports":   "রপ্তানি",
	"nav.audit":     "নিরীক্ষা",
	"nav.users":     "ব্যবহারকারী",
	"nav.password":  "পাসওয়ার্ড",
	"logout":        "লগ আউট",
	"language":      "ভাষা",
	"change":        "বদলান",
	"none":          "কিছু নেই।",
	"yes":           "হ্যাঁ",
	"no":            "না",
	"next":          "আগের",
	"open":          "খুলুন",

	"login.title":       "লগ ইন",
	"login.name":        "নাম",
	"login.password":    "পাসওয়ার্ড",
	"login.submit":      "লগ ইন",
	"login.failed":      "নাম বা পাসওয়ার্ড ভুল, অথবা অনেকবার চেষ্টা হয়েছে। কয়েক মিনিট পরে আবার চেষ্টা করুন।",
	"password.title":    "পাসওয়ার্ড বদলান",
	"password.current":  "বর্তমান পাসওয়ার্ড",
	"password.new":      "নতুন পাসওয়ার্ড",
	"password.confirm":  "নতুন পাসওয়ার্ড আবার",
	"password.submit":   "পাসওয়ার্ড বদলান",
	"password.must":     "এগোনোর আগে একটি নতুন পাসওয়ার্ড বেছে নিন।",
	"password.mismatch": "দুটি নতুন পাসওয়ার্ড মেলেনি।",
	"password.short":    "পাসওয়ার্ডে অন্তত %[1]sটি অক্ষর লাগবে।",
	"password.wrong":    "বর্তমান পাসওয়ার্ড ভুল।",
	"password.done":     "পাসওয়ার্ড বদলানো হয়েছে।",

	"today.title":                   "আজ",
	"today.urgent":                  "জরুরি যোগাযোগ (৪৮ ঘণ্টা)",
	"today.due":                     "এখন ফিরতি কল করার সময়",
	"today.overdue":                 "সময় পেরোনো রেফারেল",
	"today.districts":               "জেলা অনুযায়ী যোগাযোগ (৩০ দিন)",
	"today.perday":                  "জরুরিতা অনুযায়ী দৈনিক যোগাযোগ (১৪ দিন)",
	"today.perdistrict":             "জেলা অনুযায়ী যোগাযোগ (৩০ দিন)",
	"today.recent":                  "অন্যান্য যোগাযোগ (৪৮ ঘণ্টা)",
	"problem.nobody-on-duty":        "কেউ ডিউটিতে নেই: সতর্কবার্তা বিকল্প তালিকায় যাচ্ছে",
	"problem.no-fallback":           "বিকল্প তালিকাতেও কেউ নেই: কেউ ডিউটিতে বা তালিকায় না আসা পর্যন্ত সতর্কবার্তা অপেক্ষায় থাকবে",
	"problem.not-queued":            "পাঠানোর সারিতে তোলা যায়নি",
	"problem.not-delivered":         "পৌঁছায়নি",
	"problem.retrying":              "পাঠানো যায়নি, আবার চেষ্টা হবে",
	"problem.escalated-no-fallback": "ঊর্ধ্বতনকে জানানো হয়েছে, কিন্তু বিকল্প তালিকায় কেউ নেই",
	"problem.unreadable":            "রেকর্ড পড়া যাচ্ছে না: কেস ও আউটবক্স দেখুন",
	"today.nobody":                  "এখন কেউ ডিউটিতে নেই: জরুরি সতর্কবার্তা বিকল্প তালিকায় যাচ্ছে।",
	"today.onduty":                  "এখন ডিউটিতে:",
	"today.unacked":                 "যে জরুরি যোগাযোগ এখনও কেউ গ্রহণ করেননি",
	"today.escalated":               "ঊর্ধ্বতনকে জানানো হয়েছে",
	"urgent.title":                  "জরুরি ফলো-আপ",
	"urgent.ack":                    "গ্রহণ করুন: আমি এটি দেখছি",
	"urgent.acked":                  "%[1]s গ্রহণ করেছেন",
	"urgent.sent":                   "পাঠানো হয়েছে",
	"urgent.notacked":               "এই জরুরি যোগাযোগ এখনও কেউ গ্রহণ করেননি।",

	"col.time":     "সময়",
	"col.ref":      "রেফারেন্স",
	"col.number":   "নম্বর",
	"col.country":  "দেশ",
	"col.district": "জেলা",
	"col.channel":  "মাধ্যম",
	"col.lang":     "ভাষা",
	"col.urgency":  "জরুরিতা",
	"col.status":   "অবস্থা",
	"col.window":   "নিরাপদ সময় (তাঁর সময়ে)",
	"col.count":    "যোগাযোগ",
	"col.centre":   "কেন্দ্র",
	"col.actor":    "কে",
	"col.action":   "কাজ",
	"col.subject":  "বিষয়",
	"col.detail":   "বিস্তারিত",
	"col.role":     "ভূমিকা",
	"col.name":     "নাম",
	"col.kind":     "ধরন",
	"col.dial":     "ডায়াল",
	"col.phones":   "ফোন",
	"col.verified": "যাচাই করা",
	"col.cover":    "অন্য কেউ ধরলে",
	"col.outcome":  "ফলাফল",
	"col.note":     "নোট",
	"col.place":    "স্থান",
	"col.worker":   "কর্মী",
	"col.updated":  "হালনাগাদ",
	"col.week":     "সপ্তাহ",

	"urgency.urgent":        "জরুরি",
	"urgency.non-urgent":    "অ-জরুরি",
	"urgency.information":   "তথ্য",
	"status.open":           "খোলা",
	"status.dropped":        "বিচ্ছিন্ন",
	"status.done":           "সম্পন্ন",
	"status.do-not-contact": "যোগাযোগ করবেন না",
	"channel.ussd":          "USSD",
	"channel.sms":           "SMS",
	"channel.voice":         "ভয়েস",
	"outcome.reached":       "কথা হয়েছে",
	"outcome.not-safe":      "নিরাপদ নয়",
	"outcome.no-answer":     "কেউ ধরেনি",
	"role.counsellor":       "কাউন্সেলর",
	"role.supervisor":       "সুপারভাইজার",
	"role.admin":            "প্রশাসক",
	"referral.received":     "পাওয়া গেছে",
	"referral.assigned":     "দায়িত্ব দেওয়া",
	"referral.contacted":    "যোগাযোগ হয়েছে",
	"referral.closed":       "বন্ধ",
	"referral.declined":     "প্রত্যাখ্যাত",
	"window.now":            "এখন",
	"window.morning":        "সকাল",
	"window.afternoon":      "দুপুর",
	"window.evening":        "সন্ধ্যা",

	"contacts.title": "যোগাযোগের তালিকা",
	"filter.from":    "থেকে",
	"filter.to":      "পর্যন্ত",
	"filter.any":     "যেকোনো",
	"filter.apply":   "ছাঁকুন",

	"case.title":     "কেস %[1]s",
	"case.plan":      "নিরাপদ যোগাযোগ পরিকল্পনা",
	"case.maycall":   "তাঁকে ফোন করা যাবে",
	"case.nocall":    "ফোন করবেন না",
	"case.other":     "তাঁর দেওয়া অন্য নম্বরে",
	"case.own":       "যে নম্বর থেকে তিনি ফোন করেছেন",
	"case.noplan":    "কোনো পরিকল্পনা নেই: তিনি যোগাযোগ চাননি, বা শেষ করেননি।",
	"case.reveal":    "পুরো নম্বর দেখান",
	"case.reason":    "কারণ (নিরীক্ষায় লেখা হবে)",
	"case.revealed":  "পুরো নম্বর",
	"case.timeline":  "সময়রেখা",
	"case.note":      "নোট যোগ করুন",
	"case.save":      "নোট রাখুন",
	"case.short":     "অন্তত %[1]sটি অক্ষরের কারণ দিন।",
	"case.elsewhere": "কমিউনিটি কর্মীদের রেফারেল রেফারেল পাতায় আছে।",
	"ev.contact":     "যোগাযোগ নথিভুক্ত",
	"ev.plan":        "পরিকল্পনায় সম্মতি",
	"ev.opens":       "নিরাপদ সময় শুরু",
	"ev.closes":      "নিরাপদ সময় শেষ",
	"ev.attempt":     "ফিরতি কলের চেষ্টা: %[1]s",
	"ev.note":        "%[1]s-এর নোট",
	"ev.reveal":      "%[1]s নম্বর দেখেছেন",
	"ev.override":    "%[1]s তাঁর সময়ের বাইরে কাজ করেছেন",
	"case.outside":   "তিনি যে সময় বেছে নিয়েছেন, এখন তার বাইরে। এখন শুধু সুপারভাইজার কারণ লিখে এটি করতে পারেন।",
	"case.override":  "তাঁর সময়ের বাইরে এখন কেন (নিরীক্ষায় লেখা হবে)",
	"case.overshort": "তাঁর সময়ের বাইরে কিছু করতে অন্তত %[1]sটি অক্ষরের কারণ দিন।",
	"case.attempt":   "তাঁর সময়ের বাইরে কলের চেষ্টা লিখুন",

	"callbacks.title":  "ফিরতি কলের সারি",
	"callbacks.help":   "শুধু যাঁদের নিরাপদ সময় এখন চলছে, তাঁদের স্থানীয় সময়ে। আগে জিজ্ঞেস করুন কথা বলা নিরাপদ কি না।",
	"callbacks.record": "নথিভুক্ত করুন",
	"callbacks.call":   "কল করুন",
	"call.refused":     "কলটি অনুমোদিত নয়, করা হয়নি: %s",
	"ev.call":          "সংযুক্ত কল: %s",
	"callbacks.done":   "নথিভুক্ত হয়েছে।",

	"referrals.title":      "রেফারেল",
	"referrals.overdue":    "সময় পেরিয়েছে",
	"referrals.update":     "হালনাগাদ",
	"referrals.unverified": "অযাচাইকৃত প্রেরক",
	"referrals.done":       "রেফারেল হালনাগাদ হয়েছে।",

	"directory.title":    "ঠিকানা তালিকা",
	"directory.import":   "CSV ফাইল আমদানি",
	"directory.file":     "CSV ফাইল",
	"directory.dryrun":   "শুধু যাচাই, কিছু বদলাবে না",
	"directory.submit":   "যাচাই",
	"directory.ok":       "%[1]sটি কেন্দ্র, কোনো সমস্যা নেই।",
	"directory.problems": "%[1]sটি সমস্যা; কিছুই বদলায়নি:",
	"directory.would":    "কোনো সমস্যা নেই। আমদানি করলে %[1]s তালিকা বদলাবে:",
	"directory.applied":  "%[1]s তালিকায় আমদানি হয়েছে; এখন থেকেই এটি চালু:",
	"directory.added":    "যোগ",
	"directory.changed":  "বদল",
	"directory.removed":  "বাদ",
	"directory.same":     "কোনো সমস্যা নেই, কিছুই বদলাবে না।",
	"directory.download": "সম্পাদনার জন্য চালু তালিকা নামান",
	"directory.areas":    "এলাকা",
	"directory.centres":  "কেন্দ্র",
	"directory.inside":   "ভেতরের এলাকা",

	"exports.title":      "রপ্তানি",
	"exports.aggregate":  "সমষ্টিগত হিসাব: জেলা, সপ্তাহ, মাধ্যম ও জরুরিতা অনুযায়ী যোগাযোগ। নাম বা নম্বর নেই।",
	"exports.identified": "শনাক্তযোগ্য রপ্তানি: প্রতিটি যোগাযোগ পুরো নম্বরসহ। কারণ লাগবে; নিরীক্ষায় লেখা হবে।",
	"exports.download":   "CSV নামান",
	"exports.days":       "কত দিনের",

	"audit.title":  "নিরীক্ষা লগ",
	"audit.ok":     "শৃঙ্খল অক্ষত: %[1]sটি এন্ট্রি যাচাই হয়েছে।",
	"audit.broken": "শৃঙ্খল ভাঙা: %[1]s",

	"users.title":    "ব্যবহারকারী",
	"users.add":      "ব্যবহারকারী যোগ করুন",
	"users.temp":     "অস্থায়ী পাসওয়ার্ড (অন্তত ১২ অক্ষর; প্রথম লগ ইনে বদলাতে হবে)",
	"users.submit":   "যোগ করুন",
	"users.disable":  "নিষ্ক্রিয় করুন",
	"users.enable":   "সক্রিয় করুন",
	"users.reset":    "অস্থায়ী পাসওয়ার্ড দিন",
	"users.disabled": "নিষ্ক্রিয়",
	"users.done":     "হয়েছে।",

	"err.title":     "কিছু ভুল হয়েছে",
	"err.forbidden": "আপনার ভূমিকায় এটি অনুমোদিত নয়।",
	"err.notfound":  "পাওয়া যায়নি।",
	"err.csrf":      "ফর্মের মেয়াদ শেষ। ফিরে গিয়ে পাতাটি আবার খুলে চেষ্টা করুন।",
	"err.invalid":   "গ্রহণ করা হয়নি: %[1]s",
	"err.conflict":  "করা গেল না: %[1]s",
	"err.internal":  "ভেতরের ত্রুটি।",
}

var consoleHI = map[string]string{
	"app":           "वनस्टॉप कंसोल",
	"nav.today":     "आज",
	"nav.contacts":  "संपर्क सूची",
	"nav.callbacks": "कॉल-बैक कतार",
	"nav.referrals": "रेफ़रल",
	"nav.directory": "निर्देशिका",
	"nav.exports":   "निर्यात",
	"nav.audit":     "ऑडिट",
	"nav.users":     "उपयोगकर्ता",
	"nav.password":  "पासवर्ड",
	"logout":        "लॉग आउट",
	"language":      "भाषा",
	"change":        "बदलें",
	"none":          "कुछ नहीं।",
	"yes":           "हाँ",
	"no":            "नहीं",
	"next":          "पुराने",
	"open":          "खोलें",

	"login.title":       "लॉग इन",
	"login.name":        "नाम",
	"login.password":    "पासवर्ड",
	"login.submit":      "लॉग इन",
	"login.failed":      "नाम या पासवर्ड गलत है, या बहुत बार कोशिश हुई। कुछ मिनट बाद फिर कोशिश करें।",
	"password.title":    "अपना पासवर्ड बदलें",
	"password.current":  "मौजूदा पासवर्ड",
	"password.new":      "नया पासवर्ड",
	"password.confirm":  "नया पासवर्ड फिर से",
	"password.submit":   "पासवर्ड बदलें",
	"password.must":     "आगे बढ़ने से पहले नया पासवर्ड चुनें।",
	"password.mismatch": "दोनों नए पासवर्ड अलग हैं।",
	"password.short":    "पासवर्ड में कम से कम %[1]s अक्षर चाहिए।",
	"password.wrong":    "मौजूदा पासवर्ड गलत है।",
	"password.done":     "पासवर्ड बदल गया।",

	"today.title":                   "आज",
	"today.urgent":                  "तत्काल संपर्क (48 घंटे)",
	"today.due":                     "अभी करने योग्य कॉल-बैक",
	"today.overdue":                 "समय से पीछे रेफ़रल",
	"today.districts":               "ज़िलेवार संपर्क (30 दिन)",
	"today.perday":                  "तात्कालिकता के अनुसार प्रतिदिन संपर्क (14 दिन)",
	"today.perdistrict":             "ज़िलेवार संपर्क (30 दिन)",
	"today.recent":                  "अन्य संपर्क (48 घंटे)",
	"problem.nobody-on-duty":        "कोई ड्यूटी पर नहीं: सूचना वैकल्पिक सूची को जा रही है",
	"problem.no-fallback":           "वैकल्पिक सूची में भी कोई नहीं: जब तक कोई ड्यूटी पर या सूची में न आए, सूचना रुकी रहेगी",
	"problem.not-queued":            "भेजने की कतार में नहीं डाली जा सकी",
	"problem.not-delivered":         "नहीं पहुँची",
	"problem.retrying":              "नहीं भेजी जा सकी, फिर कोशिश होगी",
	"problem.escalated-no-fallback": "ऊपर भेजा गया, पर वैकल्पिक सूची में कोई नहीं है",
	"problem.unreadable":            "रिकॉर्ड पढ़ा नहीं जा रहा: केस और आउटबॉक्स देखें",
	"today.nobody":                  "अभी कोई ड्यूटी पर नहीं है: ज़रूरी सूचनाएँ वैकल्पिक सूची को जा रही हैं।",
	"today.onduty":                  "अभी ड्यूटी पर:",
	"today.unacked":                 "ज़रूरी संपर्क जिन्हें अभी किसी ने नहीं संभाला",
	"today.escalated":               "ऊपर भेजा गया",
	"urgent.title":                  "ज़रूरी फ़ॉलो-अप",
	"urgent.ack":                    "स्वीकार करें: यह मामला मेरे ज़िम्मे",
	"urgent.acked":                  "%[1]s ने स्वीकार किया",
	"urgent.sent":                   "भेजा गया",
	"urgent.notacked":               "इस ज़रूरी संपर्क को अभी किसी ने स्वीकार नहीं किया है।",

	"col.time":     "समय",
	"col.ref":      "संदर्भ",
	"col.number":   "नंबर",
	"col.country":  "देश",
	"col.district": "ज़िला",
	"col.channel":  "माध्यम",
	"col.lang":     "भाषा",
	"col.urgency":  "तात्कालिकता",
	"col.status":   "स्थिति",
	"col.window":   "सुरक्षित समय (उसके समय में)",
	"col.count":    "संपर्क",
	"col.centre":   "केंद्र",
	"col.actor":    "किसने",
	"col.action":   "कार्य",
	"col.subject":  "किस बारे में",
	"col.detail":   "विवरण",
	"col.role":     "भूमिका",
	"col.name":     "नाम",
	"col.kind":     "प्रकार",
	"col.dial":     "डायल",
	"col.phones":   "फ़ोन",
	"col.verified": "सत्यापित",
	"col.cover":    "कोई और उठाए तो",
	"col.outcome":  "परिणाम",
	"col.note":     "टिप्पणी",
	"col.place":    "स्थान",
	"col.worker":   "कार्यकर्ता",
	"col.updated":  "अद्यतन",
	"col.week":     "सप्ताह",

	"urgency.urgent":        "तत्काल",
	"urgency.non-urgent":    "गैर-तत्काल",
	"urgency.information":   "जानकारी",
	"status.open":           "खुला",
	"status.dropped":        "बीच में कटा",
	"status.done":           "पूरा",
	"status.do-not-contact": "संपर्क न करें",
	"channel.ussd":          "USSD",
	"channel.sms":           "SMS",
	"channel.voice":         "कॉल",
	"outcome.reached":       "बात हुई",
	"outcome.not-safe":      "सुरक्षित नहीं",
	"outcome.no-answer":     "जवाब नहीं",
	"role.counsellor":       "परामर्शदाता",
	"role.supervisor":       "पर्यवेक्षक",
	"role.admin":            "प्रशासक",
	"referral.received":     "प्राप्त",
	"referral.assigned":     "सौंपा गया",
	"referral.contacted":    "संपर्क हुआ",
	"referral.closed":       "बंद",
	"referral.declined":     "अस्वीकृत",
	"window.now":            "अभी",
	"window.morning":        "सुबह",
	"window.afternoon":      "दोपहर",
	"window.evening":        "शाम",

	"contacts.title": "संपर्क सूची",
	"filter.from":    "से",
	"filter.to":      "तक",
	"filter.any":     "कोई भी",
	"filter.apply":   "छाँटें",

	"case.title":     "केस %[1]s",
	"case.plan":      "सुरक्षित संपर्क योजना",
	"case.maycall":   "उसे फ़ोन किया जा सकता है",
	"case.nocall":    "फ़ोन न करें",
	"case.other":     "उसके दिए दूसरे नंबर पर",
	"case.own":       "उसी नंबर पर जिससे उसने फ़ोन किया",
	"case.noplan":    "कोई योजना नहीं: उसने संपर्क नहीं चाहा, या पूरा नहीं किया।",
	"case.reveal":    "पूरा नंबर दिखाएँ",
	"case.reason":    "कारण (ऑडिट में लिखा जाएगा)",
	"case.revealed":  "पूरा नंबर",
	"case.timeline":  "समयरेखा",
	"case.note":      "टिप्पणी जोड़ें",
	"case.save":      "टिप्पणी सहेजें",
	"case.short":     "कम से कम %[1]s अक्षरों का कारण दें।",
	"case.elsewhere": "सामुदायिक कार्यकर्ताओं के रेफ़रल रेफ़रल पेज पर हैं।",
	"ev.contact":     "संपर्क दर्ज",
	"ev.plan":        "योजना पर सहमति",
	"ev.opens":       "सुरक्षित समय शुरू",
	"ev.closes":      "सुरक्षित समय समाप्त",
	"ev.attempt":     "कॉल-बैक प्रयास: %[1]s",
	"ev.note":        "%[1]s की टिप्पणी",
	"ev.reveal":      "%[1]s ने नंबर देखा",
	"ev.override":    "%[1]s ने उसके समय के बाहर काम किया",
	"case.outside":   "यह उसके चुने हुए समय के बाहर है। अभी केवल पर्यवेक्षक कारण लिखकर यह कर सकते हैं।",
	"case.override":  "उसके समय के बाहर अभी क्यों (ऑडिट में लिखा जाएगा)",
	"case.overshort": "उसके समय के बाहर कुछ करने के लिए कम से कम %[1]s अक्षरों का कारण दें।",
	"case.attempt":   "उसके समय के बाहर कॉल की कोशिश दर्ज करें",

	"callbacks.title":  "कॉल-बैक कतार",
	"callbacks.help":   "केवल वे कॉल-बैक जिनका सुरक्षित समय अभी खुला है, उसके स्थानीय समय में। पहले पूछें कि क्या बात करना सुरक्षित है।",
	"callbacks.record": "दर्ज करें",
	"callbacks.call":   "कॉल करें",
	"call.refused":     "कॉल की अनुमति नहीं, नहीं की गई: %s",
	"ev.call":          "जोड़ी गई कॉल: %s",
	"callbacks.done":   "दर्ज हो गया।",

	"referrals.title":      "रेफ़रल",
	"referrals.overdue":    "समय से पीछे",
	"referrals.update":     "अद्यतन करें",
	"referrals.unverified": "असत्यापित प्रेषक",
	"referrals.done":       "रेफ़रल अद्यतन हुआ।",

	"directory.title":    "निर्देशिका",
	"directory.import":   "निर्देशिका CSV आयात करें",
	"directory.file":     "CSV फ़ाइल",
	"directory.dryrun":   "केवल जाँचें, कुछ न बदलें",
	"directory.submit":   "जाँचें",
	"directory.ok":       "%[1]s केंद्र, कोई समस्या नहीं।",
	"directory.problems": "%[1]s समस्याएँ; कुछ नहीं बदला:",
	"directory.would":    "कोई समस्या नहीं। आयात करने पर %[1]s तालिका बदलेगी:",
	"directory.applied":  "%[1]s तालिका में आयात हुआ; यह अभी से लागू है:",
	"directory.added":    "जोड़े गए",
	"directory.changed":  "बदले गए",
	"directory.removed":  "हटाए गए",
	"directory.same":     "कोई समस्या नहीं, और कुछ नहीं बदलेगा।",
	"directory.download": "संपादन के लिए लागू तालिका डाउनलोड करें",
	"directory.areas":    "क्षेत्र",
	"directory.centres":  "केंद्र",
	"directory.inside":   "भीतर के क्षेत्र",

	"exports.title":      "निर्यात",
	"exports.aggregate":  "कुल आँकड़े: ज़िला, सप्ताह, माध्यम और तात्कालिकता के अनुसार संपर्क। कोई नाम या नंबर नहीं।",
	"exports.identified": "पहचान सहित निर्यात: हर संपर्क पूरे नंबर के साथ। कारण चाहिए; ऑडिट में लिखा जाता है।",
	"exports.download":   "CSV डाउनलोड करें",
	"exports.days":       "कितने दिन",

	"audit.title":  "ऑडिट लॉग",
	"audit.ok":     "शृंखला अखंड: %[1]s प्रविष्टियाँ जाँची गईं।",
	"audit.broken": "शृंखला टूटी: %[1]s",

	"users.title":    "उपयोगकर्ता",
	"users.add":      "उपयोगकर्ता जोड़ें",
	"users.temp":     "अस्थायी पासवर्ड (कम से कम 12 अक्षर; पहले लॉग इन पर बदलना होगा)",
	"users.submit":   "जोड़ें",
	"users.disable":  "निष्क्रिय करें",
	"users.enable":   "सक्रिय करें",
	"users.reset":    "अस्थायी पासवर्ड दें",
	"users.disabled": "निष्क्रिय",
	"users.done":     "हो गया।",

	"err.title":     "कुछ गलत हुआ",
	"err.forbidden": "आपकी भूमिका में इसकी अनुमति नहीं है।",
	"err.notfound":  "नहीं मिला।",
	"err.csrf":      "फ़ॉर्म की अवधि समाप्त हो गई। वापस जाएँ, पेज फिर से खोलें और कोशिश करें।",
	"err.invalid":   "स्वीकार नहीं हुआ: %[1]s",
	"err.conflict":  "नहीं हो सका: %[1]s",
	"err.internal":  "आंतरिक त्रुटि।",
}

var consoleAR = map[string]string{
	"app":           "لوحة ون ستوب",
	"nav.today":     "اليوم",
	"nav.contacts":  "سجل الاتصالات",
	"nav.callbacks": "قائمة معاودة الاتصال",
	"nav.referrals": "الإحالات",
	"nav.directory": "الدليل",
	"nav.exports":   "التصدير",
	"nav.audit":     "التدقيق",
	"nav.users":     "المستخدمون",
	"nav.password":  "كلمة المرور",
	"logout":        "تسجيل الخروج",
	"language":      "اللغة",
	"change":        "تغيير",
	"none":          "لا شيء.",
	"yes":           "نعم",
	"no":            "لا",
	"next":          "الأقدم",
	"open":          "فتح",

	"login.title":       "تسجيل الدخول",
	"login.name":        "الاسم",
	"login.password":    "كلمة المرور",
	"login.submit":      "دخول",
	"login.failed":      "الاسم أو كلمة المرور غير صحيحة، أو محاولات كثيرة. انتظري بضع دقائق وحاولي مجددًا.",
	"password.title":    "تغيير كلمة المرور",
	"password.current":  "كلمة المرور الحالية",
	"password.new":      "كلمة المرور الجديدة",
	"password.confirm":  "كلمة المرور الجديدة مرة أخرى",
	"password.submit":   "تغيير كلمة المرور",
	"password.must":     "اختاري كلمة مرور جديدة قبل المتابعة.",
	"password.mismatch": "كلمتا المرور الجديدتان مختلفتان.",
	"password.short":    "تحتاج كلمة المرور إلى %[1]s أحرف على الأقل.",
	"password.wrong":    "كلمة المرور الحالية غير صحيحة.",
	"password.done":     "تم تغيير كلمة المرور.",

	"today.title":                   "اليوم",
	"today.urgent":                  "اتصالات عاجلة (٤٨ ساعة)",
	"today.due":                     "معاودات اتصال مستحقة الآن",
	"today.overdue":                 "إحالات متأخرة",
	"today.districts":               "الاتصالات حسب المحافظة (٣٠ يومًا)",
	"today.perday":                  "الاتصالات يوميًا حسب الإلحاح (١٤ يومًا)",
	"today.perdistrict":             "الاتصالات حسب المحافظة (٣٠ يومًا)",
	"today.recent":                  "اتصالات أخرى (٤٨ ساعة)",
	"problem.nobody-on-duty":        "لا أحد في المناوبة: التنبيه يذهب إلى القائمة البديلة",
	"problem.no-fallback":           "ولا أحد في القائمة البديلة أيضًا: ينتظر التنبيه حتى يكون أحد في المناوبة أو في القائمة",
	"problem.not-queued":            "لم يُوضع في قائمة الإرسال",
	"problem.not-delivered":         "لم يصل",
	"problem.retrying":              "تعذّر الإرسال، وستُعاد المحاولة",
	"problem.escalated-no-fallback": "رُفعت للمتابعة، لكن لا أحد في القائمة البديلة",
	"problem.unreadable":            "تعذّرت قراءة السجل: راجع الحالة وصندوق الصادر",
	"today.nobody":                  "لا أحد في المناوبة الآن: التنبيهات العاجلة تذهب إلى القائمة البديلة.",
	"today.onduty":                  "في المناوبة الآن:",
	"today.unacked":                 "اتصالات عاجلة لم يتسلّمها أحد بعد",
	"today.escalated":               "رُفعت للمتابعة",
	"urgent.title":                  "متابعة عاجلة",
	"urgent.ack":                    "تسلّم: سأتولّى هذه الحالة",
	"urgent.acked":                  "تسلّمها %[1]s",
	"urgent.sent":                   "أُرسل",
	"urgent.notacked":               "لم يتسلّم أحد هذا الاتصال العاجل بعد.",

	"col.time":     "الوقت",
	"col.ref":      "المرجع",
	"col.number":   "الرقم",
	"col.country":  "البلد",
	"col.district": "المحافظة",
	"col.channel":  "القناة",
	"col.lang":     "اللغة",
	"col.urgency":  "الإلحاح",
	"col.status":   "الحالة",
	"col.window":   "الوقت الآمن (بتوقيتها)",
	"col.count":    "الاتصالات",
	"col.centre":   "المركز",
	"col.actor":    "من",
	"col.action":   "الإجراء",
	"col.subject":  "بخصوص",
	"col.detail":   "التفاصيل",
	"col.role":     "الدور",
	"col.name":     "الاسم",
	"col.kind":     "النوع",
	"col.dial":     "الرقم المختصر",
	"col.phones":   "الهواتف",
	"col.verified": "موثق",
	"col.cover":    "إذا أجاب شخص آخر",
	"col.outcome":  "النتيجة",
	"col.note":     "ملاحظة",
	"col.place":    "المكان",
	"col.worker":   "العاملة",
	"col.updated":  "آخر تحديث",
	"col.week":     "الأسبوع",

	"urgency.urgent":        "عاجل",
	"urgency.non-urgent":    "غير عاجل",
	"urgency.information":   "معلومات",
	"status.open":           "مفتوح",
	"status.dropped":        "انقطع",
	"status.done":           "مكتمل",
	"status.do-not-contact": "لا تتصلوا",
	"channel.ussd":          "USSD",
	"channel.sms":           "رسالة نصية",
	"channel.voice":         "مكالمة",
	"outcome.reached":       "تم التواصل",
	"outcome.not-safe":      "غير آمن",
	"outcome.no-answer":     "لا رد",
	"role.counsellor":       "مرشدة",
	"role.supervisor":       "مشرفة",
	"role.admin":            "مديرة النظام",
	"referral.received":     "مستلمة",
	"referral.assigned":     "مُسندة",
	"referral.contacted":    "تم التواصل",
	"referral.closed":       "مغلقة",
	"referral.declined":     "مرفوضة",
	"window.now":            "الآن",
	"window.morning":        "الصباح",
	"window.afternoon":      "بعد الظهر",
	"window.evening":        "المساء",

	"contacts.title": "سجل الاتصالات",
	"filter.from":    "من",
	"filter.to":      "إلى",
	"filter.any":     "الكل",
	"filter.apply":   "تصفية",

	"case.title":     "الحالة %[1]s",
	"case.plan":      "خطة التواصل الآمن",
	"case.maycall":   "يمكن الاتصال بها",
	"case.nocall":    "لا تتصلوا",
	"case.other":     "على رقم آخر أعطته",
	"case.own":       "على الرقم الذي اتصلت منه",
	"case.noplan":    "لا خطة: طلبت عدم التواصل، أو لم تُكمل.",
	"case.reveal":    "إظهار الرقم كاملًا",
	"case.reason":    "السبب (يُكتب في سجل التدقيق)",
	"case.revealed":  "الرقم كاملًا",
	"case.timeline":  "التسلسل الزمني",
	"case.note":      "إضافة ملاحظة",
	"case.save":      "حفظ الملاحظة",
	"case.short":     "اكتبي سببًا من %[1]s أحرف على الأقل.",
	"case.elsewhere": "إحالات العاملات المجتمعيات في صفحة الإحالات.",
	"ev.contact":     "سُجّل الاتصال",
	"ev.plan":        "وافقت على الخطة",
	"ev.opens":       "يبدأ الوقت الآمن",
	"ev.closes":      "ينتهي الوقت الآمن",
	"ev.attempt":     "محاولة معاودة اتصال: %[1]s",
	"ev.note":        "ملاحظة من %[1]s",
	"ev.reveal":      "أظهر %[1]s الرقم",
	"ev.override":    "تصرّف %[1]s خارج وقتها",
	"case.outside":   "هذا خارج الوقت الذي اختارته. لا يمكن ذلك الآن إلا للمشرفة، مع ذكر السبب.",
	"case.override":  "لماذا الآن، خارج وقتها (يُكتب في سجل التدقيق)",
	"case.overshort": "للتصرف خارج وقتها، اكتبي سببًا من %[1]s أحرف على الأقل.",
	"case.attempt":   "تسجيل محاولة اتصال خارج وقتها",

	"callbacks.title":  "قائمة معاودة الاتصال",
	"callbacks.help":   "فقط معاودات الاتصال التي وقتها الآمن مفتوح الآن بتوقيتها المحلي. اسألي أولًا إن كان الحديث آمنًا.",
	"callbacks.record": "تسجيل",
	"callbacks.call":   "اتصال",
	"call.refused":     "رُفض الاتصال ولم يُجرَ: %s",
	"ev.call":          "مكالمة موصولة: %s",
	"callbacks.done":   "تم التسجيل.",

	"referrals.title":      "الإحالات",
	"referrals.overdue":    "متأخرة",
	"referrals.update":     "تحديث",
	"referrals.unverified": "مرسِل غير موثق",
	"referrals.done":       "تم تحديث الإحالة.",

	"directory.title":    "الدليل",
	"directory.import":   "استيراد ملف CSV للدليل",
	"directory.file":     "ملف CSV",
	"directory.dryrun":   "تحقق فقط دون تغيير أي شيء",
	"directory.submit":   "تحقق",
	"directory.ok":       "%[1]s مراكز، لا مشاكل.",
	"directory.problems": "%[1]s مشاكل؛ لم يتغير شيء:",
	"directory.would":    "لا مشاكل. الاستيراد سيغيّر جدول %[1]s:",
	"directory.applied":  "تم الاستيراد إلى جدول %[1]s؛ وهو معتمد الآن:",
	"directory.added":    "أُضيف",
	"directory.changed":  "تغيّر",
	"directory.removed":  "حُذف",
	"directory.same":     "لا مشاكل، ولن يتغير شيء.",
	"directory.download": "تنزيل الجدول المعتمد لتعديله",
	"directory.areas":    "المناطق",
	"directory.centres":  "المراكز",
	"directory.inside":   "المناطق داخل",

	"exports.title":      "التصدير",
	"exports.aggregate":  "أرقام مجمّعة: الاتصالات حسب المحافظة والأسبوع والقناة والإلحاح. بلا أسماء ولا أرقام هواتف.",
	"exports.identified": "تصدير بالهوية: كل اتصال مع رقمه كاملًا. يحتاج سببًا ويُكتب في سجل التدقيق.",
	"exports.download":   "تنزيل CSV",
	"exports.days":       "عدد الأيام",

	"audit.title":  "سجل التدقيق",
	"audit.ok":     "السلسلة سليمة: تم فحص %[1]s قيود.",
	"audit.broken": "السلسلة مكسورة: %[1]s",

	"users.title":    "المستخدمون",
	"users.add":      "إضافة مستخدم",
	"users.temp":     "كلمة مرور مؤقتة (١٢ حرفًا على الأقل؛ تُغيَّر عند أول دخول)",
	"users.submit":   "إضافة",
	"users.disable":  "تعطيل",
	"users.enable":   "تفعيل",
	"users.reset":    "تعيين كلمة مرور مؤقتة",
	"users.disabled": "معطّل",
	"users.done":     "تم.",

	"err.title":     "حدث خطأ",
	"err.forbidden": "دورك لا يسمح بهذا.",
	"err.notfound":  "غير موجود.",
	"err.csrf":      "انتهت صلاحية النموذج. ارجعي وأعيدي تحميل الصفحة وحاولي مجددًا.",
	"err.invalid":   "لم يُقبل: %[1]s",
	"err.conflict":  "تعذّر ذلك: %[1]s",
	"err.internal":  "خطأ داخلي.",
}

var catalogue = map[onestop.Lang]map[string]string{
	onestop.English: consoleEN,
	onestop.Bengali: consoleBN,
	onestop.Hindi:   consoleHI,
	onestop.Arabic:  consoleAR,
}

// loc formats words, numbers and times for one console user's language.
type loc struct {
	Lang    onestop.Lang
	printer *message.Printer
	zero    rune
	// viewer, when known, is the zone of the person reading the page (viewerZone): times are
	// shown in it, with the caller's local time beside.
	viewer *time.Location
}

func newLoc(lang onestop.Lang) *loc {
	if !lang.Valid() {
		lang = onestop.English
	}
	zero := '0'
	switch lang {
	case onestop.Bengali:
		zero = '০'
	case onestop.Arabic:
		zero = '٠'
	}
	return &loc{Lang: lang, printer: message.NewPrinter(language.Make(string(lang))), zero: zero}
}

// Dir is the page's writing direction.
func (l *loc) Dir() string {
	if l.Lang == onestop.Arabic {
		return "rtl"
	}
	return "ltr"
}

// T returns the catalogue text for key, formatted with args; English when the language lacks it.
func (l *loc) T(key string, args ...any) string {
	s, ok := catalogue[l.Lang][key]
	if !ok {
		if s, ok = consoleEN[key]; !ok {
			return key
		}
	}
	if len(args) == 0 || !strings.Contains(s, "%") {
		return s
	}
	for i, a := range args {
		if n, ok := a.(int); ok {
			args[i] = l.N(n)
		}
	}
	return fmt.Sprintf(s, args...)
}

// E translates an enumerated value: E "urgency" "urgent".
func (l *loc) E(kind string, v any) string {
	s := fmt.Sprint(v)
	if s == "" {
		return "–"
	}
	return l.T(kind + "." + s)
}

// N formats a count (any integer type) with the language's digits and grouping.
func (l *loc) N(n any) string { return l.printer.Sprintf("%d", n) }

// Digits writes the ASCII digits of s in the language's script.
func (l *loc) Digits(s string) string {
	if l.zero == '0' {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return l.zero + (r - '0')
		}
		return r
	}, s)
}

// Time formats t in zone country's local time (the survivor's, for her contacts), with the
// language's digits and the zone's abbreviation, so nobody has to guess whose clock it is.
func (l *loc) Time(t time.Time, country string) string {
	if t.IsZero() {
		return "–"
	}
	lt := t.In(zoneOf(country))
	if l.viewer != nil {
		return l.viewerTime(t, lt, country)
	}
	return l.Digits(lt.Format("2006-01-02 15:04")) + " " + zoneLabel(lt)
}

// Clock formats only the hour and minute of t in country's local time.
func (l *loc) Clock(t time.Time, country string) string {
	return l.Digits(t.In(zoneOf(country)).Format("15:04"))
}

func zoneLabel(t time.Time) string {
	name, off := t.Zone()
	if name != "" && (name[0] < '0' || name[0] > '9') && name[0] != '+' && name[0] != '-' {
		return name
	}
	return fmt.Sprintf("UTC%+d", off/3600)
}

// zoneOf is the local time zone of a served country; UTC for anything else.
func zoneOf(country string) *time.Location {
	name := map[string]string{"BD": "Asia/Dhaka", "IN": "Asia/Kolkata", "PS": "Asia/Hebron"}[country]
	if name == "" {
		return time.UTC
	}
	z, err := onestop.LoadZone(name)
	if err != nil {
		return time.UTC
	}
	return z
}
