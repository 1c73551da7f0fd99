package bot

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/metrics"
)

var listNow = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// However many alerts are open, the list fits one Discord message and
// says how many it left out.
func TestRenderOpenBounded(t *testing.T) {
	var open alerts.OpenAlerts
	for n := range listRead {
		open.Alerts = append(open.Alerts, alerts.State{
			AlertID: fmt.Sprint(1300000000000000000 + n), Severity: events.Critical, CreatedAt: listNow.Add(-time.Duration(listRead-n) * time.Hour),
			AlertChannelID: "1300000000000000100", AlertMessageID: fmt.Sprint(1300000000000000200 + n),
			Ack: alerts.Claim{By: "1300000000000000300", At: listNow},
		})
	}
	open.Total = 130
	got := renderOpen(open, "1300000000000000001", listNow)
	if n := utf8.RuneCountInString(got); n > 2000 {
		t.Fatalf("%d characters", n)
	}
	shown := strings.Count(got, "\n🔴")
	if shown < 5 || !strings.HasSuffix(got, fmt.Sprintf("…and %d more.", 130-shown)) || !strings.HasPrefix(got, "**Open alerts: 130**") {
		t.Errorf("%d shown:\n%s", shown, got)
	}
	if !strings.Contains(got, "🔴 critical · 2d 2h old · acknowledged by <@1300000000000000300>") {
		t.Errorf("oldest first:\n%s", got)
	}
	if got := renderOpen(alerts.OpenAlerts{}, "1", listNow); !strings.Contains(got, "No open alerts") {
		t.Errorf("none open: %q", got)
	}
}

func TestRenderHistoryBounded(t *testing.T) {
	user := snowflake.ID(1300000000000000400)
	var pa metrics.PersonAlerts
	for n := range listRead {
		at := listNow.Add(-time.Duration(n) * time.Hour)
		s0, s1 := at.Add(time.Minute), at.Add(20*time.Minute)
		pa.Alerts = append(pa.Alerts, &metrics.Alert{
			AlertID: fmt.Sprint(1300000000000000000 + n), UserID: user.String(), Severity: "high", CreatedAt: at,
			AlertMessageID: "1300000000000000500", AcknowledgedAt: &at, AcknowledgedBy: user.String(),
			SessionStartedAt: &s0, SessionEndedAt: &s1, SessionEndReason: string(events.EndHandoff),
		})
	}
	pa.Total = listRead
	got := renderHistory(user, pa, nil, "1", 90*24*time.Hour)
	if n := utf8.RuneCountInString(got); n > 2000 {
		t.Fatalf("%d characters", n)
	}
	shown := strings.Count(got, "\n• ")
	if shown < 5 || !strings.HasSuffix(got, fmt.Sprintf("…and %d earlier.", listRead-shown)) {
		t.Errorf("%d shown:\n%s", shown, got)
	}
	// Someone who acknowledged their own alert (a CRT member in crisis) is
	// not shown as a responder.
	for _, want := range []string{"acknowledged by themselves", "Ash talked with them (19m), ended: a CRT member took over", "source unknown", "alert 1300000000000000000"} {
		if !strings.Contains(got, want) {
			t.Errorf("history lacks %q:\n%s", want, got)
		}
	}
}

// /ash alert shows the newest notes, each shortened so that the whole
// answer stays within one message.
func TestAlertNotesBounded(t *testing.T) {
	var notes []alerts.Note
	for n := range alerts.MaxNotes {
		notes = append(notes, alerts.Note{By: "1300000000000000300", At: listNow, Text: fmt.Sprintf("note %02d ", n) + strings.Repeat("long\n", alerts.MaxNoteRunes/5-2)})
	}
	timeline := strings.Repeat("t", 700)
	got := alertNotes(notes, maxBlock-len(timeline))
	if n := utf8.RuneCountInString(timeline + got); n > 2000 {
		t.Fatalf("%d characters", n)
	}
	if !strings.Contains(got, "**Notes (25)** (the newest 10; 15 earlier in the alert's thread)") ||
		!strings.Contains(got, "note 24 long long") || strings.Contains(got, "note 14") || !strings.Contains(got, "…") {
		t.Errorf("notes:\n%s", got)
	}
	if alertNotes(nil, 1000) != "" {
		t.Error("no notes rendered something")
	}
}

func TestAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Minute: "0m", 59 * time.Second: "0m", 45 * time.Minute: "45m", 3*time.Hour + 5*time.Minute: "3h 5m", 52 * time.Hour: "2d 4h",
	} {
		if got := age(d); got != want {
			t.Errorf("age(%v) = %q, want %q", d, got, want)
		}
	}
}
