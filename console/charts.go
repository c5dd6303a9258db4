package console

import (
	"fmt"
	"time"

	"github.com/onestop-helpline/onestop"
)

// Charts are drawn here as plain SVG shapes the template writes out: no script, no library, a
// few hundred bytes on the wire. In a right-to-left language they are mirrored, so time runs
// from right to left and bars grow from the right, as the rest of the page reads.

type chart struct {
	W, H   int
	Label  string
	Bars   []bar
	Texts  []text
	Legend []legendItem
}

type bar struct {
	X, Y, W, H float64
	Class      string
	Title      string
}

type text struct {
	X, Y   float64
	Anchor string
	Text   string
}

type legendItem struct{ Class, Text string }

// flip mirrors a shape [x, x+w) across a chart of width total when rtl.
func flip(rtl bool, x, w, total float64) float64 {
	if rtl {
		return total - x - w
	}
	return x
}

var urgencies = []onestop.Urgency{onestop.Urgent, onestop.NonUrgent, onestop.Information}

// perDayChart stacks each day's contacts by urgency over the last days days (UTC days).
func perDayChart(l *loc, contacts []*onestop.Contact, now time.Time, days int) *chart {
	const w, h, top, bottom = 560.0, 170.0, 8.0, 22.0
	rtl := l.Dir() == "rtl"
	end := now.UTC().Truncate(24 * time.Hour)
	counts := make([]map[onestop.Urgency]int, days)
	for i := range counts {
		counts[i] = map[onestop.Urgency]int{}
	}
	for _, c := range contacts {
		d := int(end.Sub(c.Time.UTC().Truncate(24*time.Hour)) / (24 * time.Hour))
		if d >= 0 && d < days {
			counts[days-1-d][c.Urgency]++
		}
	}
	max := 1
	for _, m := range counts {
		if n := m[onestop.Urgent] + m[onestop.NonUrgent] + m[onestop.Information]; n > max {
			max = n
		}
	}
	ch := &chart{W: int(w), H: int(h), Label: l.T("today.perday")}
	slot := w / float64(days)
	scale := (h - top - bottom) / float64(max)
	for i, m := range counts {
		day := end.AddDate(0, 0, i-(days-1))
		y := h - bottom
		for _, u := range urgencies {
			if m[u] == 0 {
				continue
			}
			bh := float64(m[u]) * scale
			y -= bh
			ch.Bars = append(ch.Bars, bar{X: flip(rtl, float64(i)*slot+2, slot-4, w), Y: y, W: slot - 4, H: bh, Class: "u-" + string(u),
				Title: fmt.Sprintf("%s · %s: %s", l.Digits(day.Format("01-02")), l.E("urgency", u), l.N(m[u]))})
		}
		if i%2 == (days-1)%2 {
			ch.Texts = append(ch.Texts, text{X: flip(rtl, float64(i)*slot+slot/2, 0, w), Y: h - 6, Anchor: "middle", Text: l.Digits(day.Format("01-02"))})
		}
	}
	ch.Texts = append(ch.Texts, text{X: flip(rtl, 2, 0, w), Y: top + 8, Anchor: anchor(rtl, "start"), Text: l.N(max)})
	for _, u := range urgencies {
		ch.Legend = append(ch.Legend, legendItem{Class: "u-" + string(u), Text: l.E("urgency", u)})
	}
	return ch
}

func anchor(rtl bool, a string) string {
	if !rtl {
		return a
	}
	switch a {
	case "start":
		return "end"
	case "end":
		return "start"
	}
	return a
}

// perDistrictChart draws one horizontal bar per district, the busiest first.
func perDistrictChart(l *loc, districts []districtCount, most int, areaName func(string, onestop.Lang) string) *chart {
	const w, row, labelW = 560.0, 22.0, 110.0
	rtl := l.Dir() == "rtl"
	if len(districts) > most {
		districts = districts[:most]
	}
	ch := &chart{W: int(w), H: int(row*float64(len(districts)) + 4), Label: l.T("today.perdistrict")}
	max := 1
	for _, d := range districts {
		if d.Count > max {
			max = d.Count
		}
	}
	scale := (w - labelW - 50) / float64(max)
	for i, d := range districts {
		y := float64(i)*row + 2
		name := d.Country + " · " + areaName(d.Area, l.Lang)
		bw := float64(d.Count) * scale
		ch.Texts = append(ch.Texts, text{X: flip(rtl, labelW-6, 0, w), Y: y + row*0.7, Anchor: anchor(rtl, "end"), Text: name})
		ch.Bars = append(ch.Bars, bar{X: flip(rtl, labelW, bw, w), Y: y + 3, W: bw, H: row - 6, Class: "district", Title: name + ": " + l.N(d.Count)})
		ch.Texts = append(ch.Texts, text{X: flip(rtl, labelW+bw+4, 0, w), Y: y + row*0.7, Anchor: anchor(rtl, "start"), Text: l.N(d.Count)})
	}
	return ch
}
