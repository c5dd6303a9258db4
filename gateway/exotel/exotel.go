// Package exotel is Exotel (India) both ways: a survivor's call to an ExoPhone, answered on the
// helpline's voice conversation through the applets of a flow the operator builds once in
// Exotel's App Bazaar (voice.go), and the bridged callbacks that ring a counsellor first and then
// the survivor (call.go). It turns Exotel's GET requests into flows.Turn values, writes the JSON
// and the status codes the applets read, and places calls through Exotel's Calls/connect.
//
// Exotel signs nothing: every route hangs on gateway.Webhook, behind the operator's webhook
// token, and must be reached over HTTPS.
//
// It must never put a call through that her conversation did not ask to be put through, show
// her number to a counsellor's phone (calls go out from the helpline's ExoPhone), record a
// call's sound, log a whole number or a key she pressed, or import another provider's package.
//
// # Her call, in App Bazaar
//
// An applet's URL is fixed when the flow is built, so no hop number can ride in it as it does in
// Twilio's ?hop=N. The number is kept here instead, per CallSid, from the order the applets
// call in: each hop is one Gather fetch followed by one Passthru. A Passthru that comes again
// before the next Gather is a retry of its hop, and a Gather that comes again is asked the same
// question; neither moves the conversation on. The numbers live in memory: a call in progress
// when the process restarts is ended kindly with the helpline's number.
//
// The flow, applet by applet (BASE is the gateway's public URL, TOKEN its webhook token):
//
//	1 Gather    "configure parameters dynamically", Primary URL
//	            BASE/voice/exotel/gather/TOKEN; after it, go to 2
//	2 Passthru  BASE/voice/exotel/passthru/TOKEN, not async;
//	            200 OK → 1 (the next question); 302 → 3
//	3 Passthru  BASE/voice/exotel/route/TOKEN, not async;
//	            200 OK → 4 (put her through); 302 → 6 (goodbye)
//	4 Greeting  "read text like a robot" from BASE/voice/exotel/connecting/TOKEN; then 5
//	5 Connect   "dynamic URL" BASE/voice/exotel/connect/TOKEN (the counsellors on duty, from
//	            the helpline's number, not recorded); after the conversation → 8; nobody
//	            answers → 8
//	6 Greeting  text from BASE/voice/exotel/say/TOKEN; then Hangup
//	7 Greeting  text from BASE/voice/exotel/unanswered/TOKEN; then Hangup
//	8 Passthru  BASE/voice/exotel/dialed/TOKEN, not async (records what became of the
//	            Connect); 200 OK → Hangup; 302 → 7
//
// The bridged callbacks are another flow, described in call.go.
package exotel
