package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/metrics"
)

// Night hours, in the report's time zone: an alert created from 22:00 up
// to 06:00 came while most volunteers sleep.
const (
	NightStart = 22
	NightEnd   = 6
)

// NightHour reports whether t falls in the night hours in loc (UTC when
// nil).
func NightHour(t time.Time, loc *time.Location) bool {
	if loc == nil {
		loc = time.UTC
	}
	h := t.In(loc).Hour()
	return h >= NightStart || h < NightEnd
}

// MemberLoad is one CRT member's share of the period's work. Only CRT
// members appear here: a step taken by the person an alert is about is
// credited to nobody (metrics.AlertFacts).
type MemberLoad struct {
	UserID  string
	Mention string
	// Acknowledgments comes from the daily aggregates and is exact while
	// they live; the other counts come from the alert records and are nil
	// when some of them have passed retention (Load.Missing).
	Acknowledgments int64
	FirstResponses  *int64
	Resolutions     *int64
	// Handoffs is how many Ash handoffs the member took over (see Load).
	Handoffs *int64
	// NightAlerts is how many alerts created in the night hours the
	// member acknowledged, answered first or resolved (each alert once).
	NightAlerts *int64
}

// Load is the volunteer load of the period: every CRT member who
// acknowledged, answered first or resolved an alert, not only the top five.
//
// An Ash handoff is an alert whose Ash chat ended with reason handoff (the
// person asked for a human). The alert records hold who answered first in
// the alert's thread and who resolved it, with their times, so a handoff
// is credited to the member who answered first at or after the handoff,
// or, when the thread's first answer came before it, to the member who
// resolved the alert at or after it; to nobody otherwise.
type Load struct {
	Members []MemberLoad
	// Handoffs is the period's number of Ash handoffs, TakenOver how many
	// were credited to a member; nil when records are missing.
	Handoffs, TakenOver *int64
	// Missing is set when some of the period's alert records have passed
	// retention: "4 of 10 alert records past retention".
	Missing string
	// Zone is the time zone of the night hours.
	Zone *time.Location
}

// NightLabel names the night hours with their time zone: "22:00-06:00 UTC".
func (l Load) NightLabel() string {
	zone := "UTC"
	if l.Zone != nil {
		zone = l.Zone.String()
	}
	return fmt.Sprintf("%02d:00-%02d:00 %s", NightStart, NightEnd, zone)
}

// buildLoad counts each member's work in s.
func buildLoad(s *metrics.Summary, zone *time.Location) Load {
	if zone == nil {
		zone = time.UTC
	}
	l := Load{Zone: zone}
	byID := map[string]*MemberLoad{}
	member := func(id string) *MemberLoad {
		m, ok := byID[id]
		if !ok {
			m = &MemberLoad{UserID: id, Mention: Mention(id)}
			byID[id] = m
		}
		return m
	}
	acks := s.Acknowledgers
	if acks == nil {
		// A summary built by hand (tests, tools) ranks only its top five.
		acks = s.TopResponders
	}
	for _, a := range acks {
		member(a.UserID).Acknowledgments = a.Acknowledgments
	}
	complete := int64(len(s.Alerts)) >= s.TotalAlerts
	if !complete {
		l.Missing = fmt.Sprintf("%d of %d alert records past retention", s.TotalAlerts-int64(len(s.Alerts)), s.TotalAlerts)
	}
	type counts struct{ first, res, handoffs, night int64 }
	work := map[string]*counts{}
	of := func(id string) *counts {
		c, ok := work[id]
		if !ok {
			c = &counts{}
			work[id] = c
		}
		return c
	}
	var handoffs, taken int64
	for _, f := range s.Alerts {
		if crt(f.FirstResponseBy) {
			of(f.FirstResponseBy).first++
		}
		if crt(f.ResolvedBy) {
			of(f.ResolvedBy).res++
		}
		if f.HandedOff {
			handoffs++
			if by := takenOverBy(f); by != "" {
				of(by).handoffs++
				taken++
			}
		}
		if NightHour(f.Created, zone) {
			var seen []string
			for _, id := range []string{f.AcknowledgedBy, f.FirstResponseBy, f.ResolvedBy} {
				if crt(id) && !slices.Contains(seen, id) {
					seen = append(seen, id)
					of(id).night++
				}
			}
		}
	}
	if complete {
		l.Handoffs, l.TakenOver = &handoffs, &taken
	}
	for id, c := range work {
		m := member(id)
		if complete {
			m.FirstResponses, m.Resolutions, m.Handoffs, m.NightAlerts = &c.first, &c.res, &c.handoffs, &c.night
		}
	}
	if complete {
		zero := int64(0)
		for _, m := range byID {
			if m.FirstResponses == nil {
				m.FirstResponses, m.Resolutions, m.Handoffs, m.NightAlerts = &zero, &zero, &zero, &zero
			}
		}
	}
	for _, m := range byID {
		l.Members = append(l.Members, *m)
	}
	// Most acknowledgments first, as the top five rank; then most first
	// answers and resolutions, then by id, so the order is stable.
	slices.SortFunc(l.Members, func(a, b MemberLoad) int {
		if c := cmp.Compare(b.Acknowledgments, a.Acknowledgments); c != 0 {
			return c
		}
		if c := cmp.Compare(deref(b.FirstResponses)+deref(b.Resolutions), deref(a.FirstResponses)+deref(a.Resolutions)); c != 0 {
			return c
		}
		return compareIDs(a.UserID, b.UserID)
	})
	return l
}

// crt reports whether id names a CRT member: not empty (the person in
// crisis, or nobody) and not the automatic contact.
func crt(id string) bool { return id != "" && id != events.AutoBy }

// takenOverBy is the member credited with a handoff (see Load).
func takenOverBy(f metrics.AlertFacts) string {
	switch {
	case crt(f.FirstResponseBy) && f.FirstResponse != metrics.Never && f.FirstResponse >= f.SessionEnd:
		return f.FirstResponseBy
	case crt(f.ResolvedBy) && f.Resolve != metrics.Never && f.Resolve >= f.SessionEnd:
		return f.ResolvedBy
	}
	return ""
}

func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// LoadLines renders the volunteer load one member a line, for the private
// `/ash report responders:true` answer: "<@111>: 5 acknowledgments, 3
// first responses, 4 resolutions, 1 handoff taken over, 2 night-hour
// alerts".
func LoadLines(l Load) []string {
	var out []string
	for _, m := range l.Members {
		parts := []string{plural(m.Acknowledgments, "acknowledgment", "acknowledgments")}
		if l.Missing == "" {
			parts = append(parts,
				plural(deref(m.FirstResponses), "first response", "first responses"),
				plural(deref(m.Resolutions), "resolution", "resolutions"),
				plural(deref(m.Handoffs), "handoff taken over", "handoffs taken over"),
				plural(deref(m.NightAlerts), "night-hour alert", "night-hour alerts"))
		}
		out = append(out, m.Mention+": "+strings.Join(parts, ", "))
	}
	return out
}

// jsonLoadOut is the volunteer load in the summary JSON: counts that come
// from the alert records are null when some have passed retention.
type jsonLoadOut struct {
	NightHours string       `json:"night_hours"`
	Handoffs   *int64       `json:"handoffs"`
	TakenOver  *int64       `json:"handoffs_taken_over"`
	Missing    string       `json:"missing,omitempty"`
	Members    []jsonMember `json:"members"`
}

type jsonMember struct {
	UserID          string `json:"user_id"`
	Acknowledgments int64  `json:"acknowledgments"`
	FirstResponses  *int64 `json:"first_responses"`
	Resolutions     *int64 `json:"resolutions"`
	Handoffs        *int64 `json:"handoffs_taken_over"`
	NightAlerts     *int64 `json:"night_hour_alerts"`
}

func jsonLoad(l Load) jsonLoadOut {
	out := jsonLoadOut{NightHours: l.NightLabel(), Handoffs: l.Handoffs, TakenOver: l.TakenOver, Missing: l.Missing, Members: []jsonMember{}}
	for _, m := range l.Members {
		out.Members = append(out.Members, jsonMember{UserID: m.UserID, Acknowledgments: m.Acknowledgments,
			FirstResponses: m.FirstResponses, Resolutions: m.Resolutions, Handoffs: m.Handoffs, NightAlerts: m.NightAlerts})
	}
	return out
}
