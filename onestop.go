// Package onestop holds the helpline's domain: the words every other package shares (languages,
// channels, urgency, a caller's Safe Contact Plan, a recorded contact) and the error type whose
// codes the gateway and the console turn into statuses and screens.
//
// It imports nothing of the project's own and none of its storage or HTTP dependencies, so that
// every package can depend on it and it on none of them.
package onestop

import (
	"time"
)

// Lang is a catalogue language: one of the four the helpline speaks.
type Lang string

// The languages the helpline speaks.
const (
	Bengali Lang = "bn"
	Hindi   Lang = "hi"
	Arabic  Lang = "ar"
	English Lang = "en"
)

// Langs lists the helpline's languages in the order the language menu offers them.
var Langs = []Lang{Bengali, Hindi, Arabic, English}

// Valid reports whether l is one of the helpline's languages.
func (l Lang) Valid() bool {
	switch l {
	case Bengali, Hindi, Arabic, English:
		return true
	}
	return false
}

// Channel is the way a contact reached the helpline.
type Channel string

// The channels.
const (
	USSD  Channel = "ussd"
	SMS   Channel = "sms"
	Voice Channel = "voice"
)

// Urgency is how a contact is classified, as India's 181 sorts its calls.
type Urgency string

// The classifications. Every contact has exactly one.
const (
	Urgent      Urgency = "urgent"
	NonUrgent   Urgency = "non-urgent"
	Information Urgency = "information"
)

// Window is when a survivor said a call is safe, in her local time.
type Window string

// The windows a survivor can choose. Their hours are set by WindowHours.
const (
	Now       Window = "now"
	Morning   Window = "morning"
	Afternoon Window = "afternoon"
	Evening   Window = "evening"
)

// WindowHours gives the local hours [from, to) of each named window. Now has none: it means the
// next NowMinutes minutes from the moment she agreed.
var WindowHours = map[Window][2]int{
	Morning:   {8, 12},
	Afternoon: {12, 17},
	Evening:   {17, 21},
}

// NowMinutes is how long a "now" window stays open after she agreed to it.
const NowMinutes = 30

// SafeContactPlan is what a survivor said, in one conversation, about being contacted. Nothing is
// sent to her, and no call is made to her, outside it.
type SafeContactPlan struct {
	// MayCall is false when she said not to call: nothing is ever placed to her then.
	MayCall bool `json:"mayCall"`
	// Number is the E.164 number she chose: her own or another she gave. Empty when MayCall is
	// false. Sealed at rest with the rest of the contact's personal data.
	Number string `json:"number,omitempty"`
	// OtherNumber is true when Number is one she typed rather than the one she called from.
	OtherNumber bool `json:"otherNumber,omitempty"`
	// Window is when she said it is safe; Opens and Closes are that window as instants.
	Window Window    `json:"window,omitempty"`
	Opens  time.Time `json:"opens,omitempty"`
	Closes time.Time `json:"closes,omitempty"`
	// TZ is the IANA zone her window was read in.
	TZ string `json:"tz,omitempty"`
	// Cover names the neutral story the caller tells if someone else answers (a catalogue key).
	Cover string `json:"cover,omitempty"`
	// AgreedAt is when she confirmed the plan.
	AgreedAt time.Time `json:"agreedAt"`
}

// Allows reports whether the plan allows a call to number at t.
func (p *SafeContactPlan) Allows(number string, t time.Time) bool {
	if p == nil || !p.MayCall || p.Number == "" || p.Number != number {
		return false
	}
	return !t.Before(p.Opens) && t.Before(p.Closes)
}

// ContactStatus is where a contact stands.
type ContactStatus string

// The statuses of a contact.
const (
	// Open: the conversation is going on, or ended with a plan still to act on.
	Open ContactStatus = "open"
	// Dropped: the session ended before she finished. A dropped contact never causes an
	// outbound call or message by itself.
	Dropped ContactStatus = "dropped"
	// Done: the conversation ended normally.
	Done ContactStatus = "done"
	// DoNotContact: she said contact is not safe.
	DoNotContact ContactStatus = "do-not-contact"
)

// Contact is one recorded contact with the helpline: a USSD session, a call or an SMS. It is
// anonymous unless a callback or referral needs her number, and then the number is sealed at rest.
type Contact struct {
	ID        uint64        `json:"id"`
	Ref       string        `json:"ref"`
	Time      time.Time     `json:"time"`
	Updated   time.Time     `json:"updated"`
	Channel   Channel       `json:"channel"`
	Provider  string        `json:"provider"`
	SessionID string        `json:"sessionId"`
	Country   string        `json:"country"`
	Area      string        `json:"area,omitempty"`
	Network   string        `json:"network,omitempty"`
	Lang      Lang          `json:"lang"`
	Urgency   Urgency       `json:"urgency"`
	Status    ContactStatus `json:"status"`
	// Caller is her number, kept only when a plan needs it (sealed at rest); otherwise empty.
	Caller string `json:"caller,omitempty"`
	// Masked is her number as staff may see it, e.g. "+880 17** ***001"; kept for every contact.
	Masked string           `json:"masked,omitempty"`
	Plan   *SafeContactPlan `json:"plan,omitempty"`
}

// ReferralStatus is where a referral stands. A referral moves received → assigned → contacted
// → closed, or is declined.
type ReferralStatus string

// The statuses of a referral.
const (
	Received  ReferralStatus = "received"
	Assigned  ReferralStatus = "assigned"
	Contacted ReferralStatus = "contacted"
	Closed    ReferralStatus = "closed"
	Declined  ReferralStatus = "declined"
)

// ReferralEvent is one change in a referral's life: who changed it, when, to what.
type ReferralEvent struct {
	Time   time.Time      `json:"time"`
	Status ReferralStatus `json:"status"`
	By     string         `json:"by"` // "worker", "system", or a console user's name
	Note   string         `json:"note,omitempty"`
}

// Referral is a case a community worker texted in. The worker's number and the free text are
// sealed at rest.
type Referral struct {
	ID      uint64         `json:"id"`
	Ref     string         `json:"ref"`
	Time    time.Time      `json:"time"`
	Updated time.Time      `json:"updated"`
	Channel Channel        `json:"channel"`
	Country string         `json:"country"`
	Area    string         `json:"area,omitempty"`   // the area code the place was matched to
	Place   string         `json:"place,omitempty"`  // the place as she wrote it
	Centre  string         `json:"centre,omitempty"` // the directory id of the assigned centre
	Status  ReferralStatus `json:"status"`
	// Verified is false when the sender is not a registered worker: such a referral waits for
	// a supervisor and nothing is sent on it.
	Verified   bool   `json:"verified"`
	WorkerName string `json:"workerName,omitempty"`
	Lang       Lang   `json:"lang"`
	// Worker is the sender's E.164 number and Need the free text: both sealed at rest.
	Worker  string          `json:"worker,omitempty"`
	Need    string          `json:"need,omitempty"`
	History []ReferralEvent `json:"history,omitempty"`
	// Reminded is when the last follow-up reminder was queued.
	Reminded time.Time `json:"reminded,omitempty"`
}
