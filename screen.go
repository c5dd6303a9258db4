package onestop

// Option is one choice on a screen: the key she presses ("1", "2" …) and its label.
type Option struct{ Key, Label string }

// Screen is what a caller is shown on one hop, as the conversation means it and before any
// channel lays it out: a renderer per channel (ussd's pager) turns it into the channel's pages
// or prompts. The conversation keeps which page she is on, so that "98 More" and "99 Back" are
// keys like any other.
type Screen struct {
	Lang Lang
	// Hint, after an invalid key, is the line that tells her so. It goes above the prompt.
	Hint string
	// Prompt is the question, or on a Prose screen the text to read.
	Prompt string
	// HintAlone says that when the hint, the prompt and the options do not fit one page, the
	// hint stands in for the prompt: in Bengali, Hindi and Arabic the options must not be pushed
	// to a second page.
	HintAlone bool
	Options   []Option
	// Prose says the prompt is free text (information, a list of centres), broken at spaces.
	Prose bool
	// Back and Exit say which of "99 Back" (on the first page; later pages always have it) and
	// "0 Exit" the screen offers.
	Back, Exit bool
	// End says the session ends with this screen; an ending is one text, never paged.
	End bool
	// Connect, on a voice call, says she asked to talk to someone now: after the prompt the
	// call is put through to the counsellors on duty. Other channels never set it.
	Connect bool
	// Page is the page she is on, from 0, for a channel that pages.
	Page int
	// Text is the page as laid out for her when the screen was first shown. The engine sets
	// it, and a retried hop gets it back byte for byte: a renderer sends it when it is set.
	Text string
}
