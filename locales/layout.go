package locales

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/onestop-helpline/onestop"
)

// Option is one numbered line of a menu: Key is what she types ("1", "2" …), Label its text.
type Option struct{ Key, Label string }

// Nav says which navigation lines a page carries besides "98 More" (added automatically on every
// page but the last).
type Nav struct {
	Back bool // "99 Back" on the first page (later pages always carry 99 Back)
	Exit bool // "0 Exit" on every page
}

// Menu lays out header (may be empty; shown on the first page only) and the options over as many
// pages as lim needs; each page ends with its navigation lines in lang ("98 <More>", "99 <Back>",
// "0 <Exit>", in that order). Lines are joined with "\n". Options are never split or reordered; a
// single option too long for a page is truncated at a rune boundary with "…" ("..." when the page
// is otherwise GSM-7, as "…" would switch the whole page to UCS-2 and halve it). Returns at least
// one page; every page fits lim (see Limit for the smallest honoured).
//
// A header too long to share a page with the first option gets a page of its own (or, longer
// still, several, broken at spaces), so nothing of a question is lost on a small screen. A page
// too small for the navigation words beside its content, or whose words would force an option to
// be truncated or a word to be cut, carries the bare keys "98", "99", "0" instead.
func Menu(lang onestop.Lang, lim Limit, header string, options []Option, nav Nav) []string {
	bs := make([]block, 0, len(options)+2)
	bs = appendLines(bs, header)
	for _, o := range options {
		bs = append(bs, optionBlock(o))
	}
	return layout(lang, lim, bs, nav)
}

// Prose lays out free text (an information screen, a list of centres with phones) over pages,
// breaking only at spaces or newlines where possible (a single word longer than a page is cut at
// a rune boundary, where it can between syllables), with the same navigation lines as Menu. Every
// page fits lim.
//
// A line that fits on a page of its own is not broken across two, so a "name: number" entry stays
// together; blank lines and space around lines are dropped, as a USSD page has none to spare.
func Prose(lang onestop.Lang, lim Limit, body string, nav Nav) []string {
	return layout(lang, lim, appendLines(nil, body), nav)
}

// The keys of the navigation lines, the same in every language: feature-phone keypads type ASCII.
var navKeys = [3]string{"98", "99", "0"}

// navWords holds each language's navigation lines in full: "98 More", "99 Back", "0 Exit".
var navWords = func() map[onestop.Lang][3]string {
	m := make(map[onestop.Lang][3]string, len(catalogues))
	for lang := range catalogues {
		m[lang] = [3]string{
			navKeys[0] + " " + Text(lang, More),
			navKeys[1] + " " + Text(lang, Back),
			navKeys[2] + " " + Text(lang, Exit),
		}
	}
	return m
}()

// block is one thing to lay out: an option line, never split, or a line of text, broken at
// spaces when it must be.
type block struct {
	text   string
	label  int // where an option's label starts in text
	option bool
}

func optionBlock(o Option) block {
	switch {
	case o.Key == "":
		return block{text: o.Label, option: true}
	case o.Label == "":
		return block{text: o.Key, label: len(o.Key), option: true}
	}
	return block{text: o.Key + " " + o.Label, label: len(o.Key) + 1, option: true}
}

// appendLines adds s's non-blank lines, trimmed, as text blocks.
func appendLines(bs []block, s string) []block {
	for s != "" {
		var line string
		line, s, _ = strings.Cut(s, "\n")
		if line = strings.TrimSpace(line); line != "" {
			bs = append(bs, block{text: line})
		}
	}
	return bs
}

// navLines is the navigation a page ends with.
type navLines struct {
	lines [3]string
	n     int
	z     size // the lines joined by newlines
}

func pageNav(words [3]string, nav Nav, first, last bool) navLines {
	var nl navLines
	add := func(s string) {
		if nl.n > 0 {
			nl.z = nl.z.plus(newline)
		}
		nl.z = nl.z.plus(measure(s))
		nl.lines[nl.n] = s
		nl.n++
	}
	if !last {
		add(words[0])
	}
	if !first || nav.Back {
		add(words[1])
	}
	if nav.Exit {
		add(words[2])
	}
	return nl
}

// layout fills pages in order. A page is tried first as the last one (no "98"), then as one that
// continues. It ends with the navigation words, or with the bare keys when the words leave no
// room for a line or would force something to be broken that the keys keep whole: an option
// truncated, or a word (a phone number) cut between characters. Only below the smallest Limit
// does a page carry what does not fit.
func layout(lang onestop.Lang, lim Limit, bs []block, nav Nav) []string {
	words, ok := navWords[lang]
	if !ok {
		words = navWords[onestop.English]
	}
	var pages []string
	var bufW, bufK []string
	off := 0 // bytes of bs[0].text already laid out
	for {
		first := len(pages) == 0
		p := tryPage(bs, off, lim, words, nav, first, bufW)
		bufW = p.lines[:0]
		if !p.ok || p.broken {
			k := tryPage(bs, off, lim, navKeys, nav, first, bufK)
			bufK = k.lines[:0]
			if k.ok && (!p.ok || !k.broken) {
				p = k
			}
		}
		if !p.ok {
			p = forcePage(bs, off, nav, first)
		}
		pages = append(pages, render(p.lines, p.nav))
		if len(p.rest) == 0 {
			return pages
		}
		bs, off = p.rest, p.off
	}
}

// page is one page laid out, and what is left for the next.
type page struct {
	lines  []string
	nav    navLines
	rest   []block
	off    int
	broken bool // an option was truncated or a word cut between characters to fit
	ok     bool // the page fits and carries something, or is the last
}

func tryPage(bs []block, off int, lim Limit, words [3]string, nav Nav, first bool, buf []string) page {
	last := pageNav(words, nav, first, true)
	if !lim.holds(last.z) {
		return page{lines: buf}
	}
	lines, rest, roff, broken := fill(bs, off, lim, last, buf)
	if len(rest) == 0 {
		return page{lines: lines, nav: last, broken: broken, ok: true}
	}
	more := pageNav(words, nav, first, false)
	if !lim.holds(more.z) {
		return page{lines: lines}
	}
	lines, rest, roff, broken = fill(bs, off, lim, more, lines)
	switch {
	case len(rest) == 0: // all of it fits after all: the page is the last
		return page{lines: lines, nav: last, broken: broken, ok: true}
	case len(lines) == 0:
		return page{lines: lines}
	}
	return page{lines: lines, nav: more, rest: rest, off: roff, broken: broken, ok: true}
}

// forcePage takes the least that makes progress, for a Limit too small for anything to fit.
func forcePage(bs []block, off int, nav Nav, first bool) page {
	if len(bs) == 0 {
		return page{nav: pageNav(navKeys, nav, first, true)}
	}
	var line string
	b := bs[0]
	if b.option {
		line, bs, off = strings.TrimSpace(b.text[:b.label])+"…", bs[1:], 0
	} else {
		_, w := utf8.DecodeRuneInString(b.text[off:])
		line = b.text[off : off+w]
		if rest := strings.TrimLeft(b.text[off+w:], " "); rest == "" {
			bs, off = bs[1:], 0
		} else {
			off = len(b.text) - len(rest)
		}
	}
	return page{lines: []string{line}, nav: pageNav(navKeys, nav, first, len(bs) == 0), rest: bs, off: off}
}

// fill lays out as much of bs (its first block from byte off) as fits on one page ending with
// nl. It returns the page's lines, what is left, and whether it broke an option or a word.
func fill(bs []block, off int, lim Limit, nl navLines, buf []string) ([]string, []block, int, bool) {
	lines := buf[:0]
	broken := false
	used, n := nl.z, nl.n
	with := func(z size) size { // the page with one more line of size z
		if n > 0 {
			z = z.plus(newline)
		}
		return used.plus(z)
	}
	add := func(line string) {
		used, n = with(measure(line)), n+1
		lines = append(lines, line)
	}
	for len(bs) > 0 {
		b := bs[0]
		text := b.text[off:]
		z := measure(text)
		if lim.holds(with(z)) {
			add(text)
			bs, off = bs[1:], 0
			continue
		}
		empty := len(lines) == 0
		if b.option {
			if empty {
				if line, ok := truncate(b, lim, with(size{})); ok {
					add(line)
					bs, broken = bs[1:], true
				}
			}
			break
		}
		alone := nl.z
		if nl.n > 0 {
			alone = alone.plus(newline)
		}
		if !empty && lim.holds(alone.plus(z)) {
			break // the line fits a page of its own: keep it whole on the next
		}
		if head, next, atSpace := cutText(text, lim, with(size{}), empty); head != "" {
			add(head)
			broken = broken || !atSpace
			if off += next; off >= len(b.text) {
				bs, off = bs[1:], 0
			}
		}
		break
	}
	return lines, bs, off, broken
}

// cutText returns the longest head of s, ending at a space, that fits beside base, and where the
// rest starts. On an otherwise empty page a word too long for any page is cut between characters
// instead, preferring a place that does not tear a syllable.
func cutText(s string, lim Limit, base size, empty bool) (head string, next int, atSpace bool) {
	z := base
	space, good, fit := 0, 0, 0
	var prev rune
	for i, r := range s {
		if i > 0 && lim.holds(z) {
			fit = i
			if r == ' ' {
				space = i
			}
			if boundary(prev, r) {
				good = i
			}
		}
		if z = z.plus(runeSize(r)); !lim.holds(z) {
			break
		}
		prev = r
	}
	cut, atSpace := space, space > 0
	if !atSpace {
		if !empty {
			return "", 0, false
		}
		if cut = good; cut == 0 {
			cut = fit
		}
	}
	if cut == 0 {
		return "", 0, false
	}
	rest := strings.TrimLeft(s[cut:], " ")
	return strings.TrimRight(s[:cut], " "), len(s) - len(rest), atSpace
}

// truncate shortens an option alone on a page so that it fits beside base.
func truncate(b block, lim Limit, base size) (string, bool) {
	key, label := b.text[:b.label], b.text[b.label:]
	ellipsis := "…"
	if !base.ucs2 && !measure(b.text).ucs2 {
		ellipsis = "..."
	}
	z := base.plus(measure(key)).plus(measure(ellipsis))
	if !lim.holds(z) {
		return "", false
	}
	good, fit := 0, 0
	var prev rune
	for i, r := range label {
		if i > 0 && lim.holds(z) {
			fit = i
			if boundary(prev, r) {
				good = i
			}
		}
		if z = z.plus(runeSize(r)); !lim.holds(z) {
			break
		}
		prev = r
	}
	if good == 0 {
		good = fit
	}
	return key + strings.TrimRight(label[:good], " ") + ellipsis, true
}

// boundary reports whether a page may end between prev and next without tearing a syllable:
// not before a vowel sign or other mark, not after a virama, not beside a joiner.
func boundary(prev, next rune) bool {
	const (
		zwnj             = '\u200C'
		zwj              = '\u200D'
		devanagariVirama = '\u094D'
		bengaliVirama    = '\u09CD'
	)
	switch {
	case unicode.In(next, unicode.M), next == zwj, next == zwnj:
		return false
	case prev == zwj, prev == devanagariVirama, prev == bengaliVirama:
		return false
	}
	return true
}

// render joins a page's lines and its navigation.
func render(lines []string, nl navLines) string {
	n := len(lines) + nl.n - 1
	for _, l := range lines {
		n += len(l)
	}
	for _, l := range nl.lines[:nl.n] {
		n += len(l)
	}
	var b strings.Builder
	b.Grow(max(n, 0))
	for i, l := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
	}
	for i, l := range nl.lines[:nl.n] {
		if i > 0 || len(lines) > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
	}
	return b.String()
}
