package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// NoData is what every renderer shows for a figure that could not be
// measured, so that a missing value never reads like a measured zero.
const NoData = "no data"

// NotAvailable is what renderers show for a percentile that cannot be
// computed because some of the alerts it would cover have no alert record
// any more: a percentile of the others would look exact and be wrong.
const NotAvailable = "not available"

// missingPercentiles is the note that says which percentiles are not
// available and why, or "" when all are.
func missingPercentiles(r Report) string {
	var parts []string
	for _, t := range r.Times {
		if t.Missing != "" {
			parts = append(parts, t.Short+": "+t.Missing)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "Median and p90 are not available where alert records have passed their retention (" + strings.Join(parts, "; ") + "). Counts and averages still include every alert."
}

// FormatDuration renders whole seconds the way the plan's report does:
// "45s", "2m 45s", "1h 05m", "2d 03h". Coarser units drop the finer ones
// because a CRT lead compares minutes, not seconds, once an hour has passed.
// Fractions are rounded to the nearest unit shown.
func FormatDuration(seconds float64) string {
	if math.IsNaN(seconds) || seconds < 0 {
		return NoData
	}
	s := int64(math.Round(seconds))
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm %02ds", s/60, s%60)
	}
	m := int64(math.Round(seconds / 60))
	if m < 24*60 {
		return fmt.Sprintf("%dh %02dm", m/60, m%60)
	}
	h := int64(math.Round(seconds / 3600))
	return fmt.Sprintf("%dd %02dh", h/24, h%24)
}

// displaySeconds rounds seconds to the resolution FormatDuration shows, so
// that week-over-week comparisons never call two equal-looking values
// different.
func displaySeconds(seconds float64) int64 {
	s := int64(math.Round(seconds))
	switch {
	case s < 3600:
		return s
	case int64(math.Round(seconds/60)) < 24*60:
		return int64(math.Round(seconds/60)) * 60
	}
	return int64(math.Round(seconds/3600)) * 3600
}

// FormatHourRange renders a UTC hour of day as a one-hour range on the
// 12-hour clock: 22 -> "10 PM - 11 PM", 0 -> "12 AM - 1 AM".
func FormatHourRange(hour int) string {
	if hour < 0 || hour > 23 {
		return NoData
	}
	return clock12(hour) + " - " + clock12((hour+1)%24)
}

func clock12(h int) string {
	suffix := "AM"
	if h >= 12 {
		suffix = "PM"
	}
	h %= 12
	if h == 0 {
		h = 12
	}
	return strconv.Itoa(h) + " " + suffix
}

// FormatWeek renders the week's dates as the report header does:
// "January 1 - January 7, 2026", with the first year only when it differs.
func FormatWeek(start, end string) string {
	s, err1 := time.Parse(time.DateOnly, start)
	e, err2 := time.Parse(time.DateOnly, end)
	if err1 != nil || err2 != nil {
		// The summary's dates are always well formed; show them raw rather
		// than fail a report over a cosmetic header.
		return start + " - " + end
	}
	if s.Year() != e.Year() {
		return s.Format("January 2, 2006") + " - " + e.Format("January 2, 2006")
	}
	return s.Format("January 2") + " - " + e.Format("January 2, 2006")
}

// plural returns "1 alert" or "3 alerts".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}

// Mention is the Discord mention for a user id. Reports name CRT members
// only by mention so that Discord shows each reader the name they know,
// and nothing else about them is stored or printed.
func Mention(userID string) string { return "<@" + userID + ">" }

// width is the number of terminal columns s takes: emoji and other wide
// characters take two, variation selectors none. It is only as precise as
// the report's own strings need.
func width(s string) int {
	w := 0
	for _, r := range s {
		switch {
		case r == 0xFE0F || r == 0x200D:
		case r >= 0x1F000 || (r >= 0x2600 && r <= 0x27BF) || (r >= 0x2300 && r <= 0x23FF):
			w += 2
		default:
			w++
		}
	}
	return w
}

// padRight pads s with spaces to col terminal columns, keeping at least
// one space so label and value never run together.
func padRight(s string, col int) string {
	return s + strings.Repeat(" ", max(1, col-width(s)))
}

// alignRight places value so that it ends at column end, after label.
func alignRight(label, value string, end int) string {
	return label + strings.Repeat(" ", max(1, end-width(label)-utf8.RuneCountInString(value))) + value
}
