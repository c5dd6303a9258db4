// Package ussd lays a conversation's screen out as USSD pages: pages that fit each aggregator's
// limit (Pager: 182 GSM-7 or 80 UCS-2 units by default, measured by locales), "98 More" and "99 Back"
// between them, "0" to exit, and the CON/END of the replies that Africa's Talking and the
// gateways that copy it expect.
//
// It knows nothing of a conversation's states, of the store or of any aggregator's request
// format; it must never change what a screen says, only how it is broken into pages.
package ussd

import (
	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/locales"
)

// Pager lays screens out at each provider's page size: the limit of a USSD page is the
// aggregator's, so it is looked up by the provider the session came through.
type Pager struct {
	// Limits is the page size per provider; Default serves any other (zero: locales.DefaultLimit).
	Limits  map[string]locales.Limit
	Default locales.Limit
}

// Limit returns provider's page size.
func (p Pager) Limit(provider string) locales.Limit {
	if l, ok := p.Limits[provider]; ok {
		return l
	}
	if p.Default != (locales.Limit{}) {
		return p.Default
	}
	return locales.DefaultLimit
}

// Pages lays s out as the pages of provider's size.
func (p Pager) Pages(provider string, s onestop.Screen) []string { return Pages(s, p.Limit(provider)) }

// Pages lays s out over as many pages as lim needs. An ending is one page, as it is. Returns at
// least one page.
func Pages(s onestop.Screen, lim locales.Limit) []string {
	if s.End {
		return []string{s.Prompt}
	}
	nav := locales.Nav{Back: s.Back, Exit: s.Exit}
	head := s.Prompt
	switch {
	case s.Hint == "":
	case head == "":
		head = s.Hint
	default:
		head = s.Hint + "\n" + head
	}
	if s.Prose {
		return locales.Prose(s.Lang, lim, head, nav)
	}
	opts := make([]locales.Option, len(s.Options))
	for i, o := range s.Options {
		opts[i] = locales.Option{Key: o.Key, Label: o.Label}
	}
	p := locales.Menu(s.Lang, lim, head, opts, nav)
	if s.HintAlone && s.Hint != "" && s.Prompt != "" && len(p) > 1 {
		// The hint and the question do not share a page with the options: the hint stands in
		// for the question, so that the options stay on the first page.
		p = locales.Menu(s.Lang, lim, s.Hint, opts, nav)
	}
	return p
}

// Page returns the page of s she is on: s.Text as it was first laid out when the engine set it,
// otherwise s.Page of Pages(s, lim) (the last page, if s.Page is past it).
func Page(s onestop.Screen, lim locales.Limit) string {
	if s.Text != "" || s.End {
		if s.Text != "" {
			return s.Text
		}
		return s.Prompt
	}
	p := Pages(s, lim)
	return p[min(max(s.Page, 0), len(p)-1)]
}

// Reply is s as an Africa's Talking style reply body: "CON " and the page when the session goes
// on, "END " and the text when it ends.
func Reply(s onestop.Screen, lim locales.Limit) string {
	if s.End {
		return "END " + Page(s, lim)
	}
	return "CON " + Page(s, lim)
}
