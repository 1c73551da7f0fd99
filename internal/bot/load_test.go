package bot

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/report"
)

func TestLoadMessage(t *testing.T) {
	sum := &metrics.Summary{StartDate: "2026-01-01", EndDate: "2026-01-07", TotalAlerts: 1,
		Alerts:        []metrics.AlertFacts{{Created: time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC), Severity: "high", Acknowledge: 60, AcknowledgedBy: "111", AshContact: -1, FirstResponse: -1, Resolve: -1, SessionEnd: -1}},
		Acknowledgers: []metrics.Responder{{UserID: "111", Acknowledgments: 1}}}
	u := loadMessage(report.Build(sum, nil, report.Options{}))
	want := "**Volunteer load, Week of January 1 - January 7, 2026** (night hours 22:00-06:00 UTC)\n<@111>: 1 acknowledgment, 0 first responses, 0 resolutions, 0 handoffs taken over, 0 night-hour alerts"
	if u.Content == nil || *u.Content != want || len(u.Files) != 0 {
		t.Errorf("content %q, %d files", deref(u.Content), len(u.Files))
	}
	if u.AllowedMentions == nil || len(u.AllowedMentions.Parse) != 0 || len(u.AllowedMentions.Users) != 0 {
		t.Errorf("allowed mentions %+v: the load must ping nobody", u.AllowedMentions)
	}

	// A team too large for one message gets the list as a file.
	sum.TotalAlerts, sum.Alerts, sum.Acknowledgers = 0, nil, nil
	for i := range 200 {
		sum.Acknowledgers = append(sum.Acknowledgers, metrics.Responder{UserID: fmt.Sprintf("%018d", 100000000000000000+i), Acknowledgments: int64(300 - i)})
	}
	u = loadMessage(report.Build(sum, nil, report.Options{}))
	if u.Content == nil || !strings.HasSuffix(*u.Content, "(attached: 200 members)") || len(u.Files) != 1 {
		t.Fatalf("content %q, %d files", deref(u.Content), len(u.Files))
	}
	body, _ := io.ReadAll(u.Files[0].Reader)
	if n := strings.Count(string(body), "acknowledgments"); n != 200 {
		t.Errorf("file lists %d members, want 200", n)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}
