package demo

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/config"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/redistest"
)

var srv *redistest.Server

func TestMain(m *testing.M) { os.Exit(redistest.Main(m, &srv)) }

// The demo week ends up in the metrics exactly as acted out.
func TestDemoWeek(t *testing.T) {
	rdb := srv.Fresh(t)
	host, port, _ := net.SplitHostPort(srv.Addr)
	env := map[string]string{"BOT_REDIS_HOST": host, "BOT_REDIS_PORT": port, "BOT_SECRETS_DIR": t.TempDir()}
	cfg, _, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, os.ReadFile)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	logger := slog.New(slog.DiscardHandler)
	if os.Getenv("ASHBOT_TEST_LOG") != "" {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := Run(ctx, cfg, Options{Out: &out, Logger: logger, KeepGatewayOpen: raceEnabled})
	if err != nil {
		t.Fatalf("%v\nnarration so far:\n%s", err, out.String())
	}
	t.Log("\n" + out.String())
	// 14 alerts: 13 detected on their own (one of them late, after
	// Ash-NLP's outage, one an escalation from a lower severity, one that
	// nobody acknowledged for 12 minutes), 1 flagged by a member.
	if res.Alerts != 14 || !res.ReportPosted || res.WeekEnd.Sub(res.WeekStart) != 6*24*time.Hour {
		t.Errorf("result %+v", res)
	}
	// Every request of the week is one Discord would take.
	for _, v := range res.Violations {
		t.Errorf("request does not conform to Discord's rules: %s", v)
	}
	sum, err := metrics.NewStore(rdb, time.Now).Weekly(context.Background(), res.WeekEnd)
	if err != nil {
		t.Fatal(err)
	}
	if sum.TotalAlerts != 14 || sum.BySeverity.Critical != 3 || sum.BySeverity.High != 6 || sum.BySeverity.Medium != 4 || sum.BySeverity.Low != 1 {
		t.Errorf("alerts %d by severity %+v", sum.TotalAlerts, sum.BySeverity)
	}
	if sum.TimeToAcknowledge.Count != 14 || sum.TimeToResolve.Count != 14 || sum.TimeToFirstResponse.Count != 9 {
		t.Errorf("acknowledged %d, resolved %d, first responses %d", sum.TimeToAcknowledge.Count, sum.TimeToResolve.Count, sum.TimeToFirstResponse.Count)
	}
	// Alex's alert on day 6 reached the leads; no other alert waited past
	// its escalation time.
	if e := sum.Escalations; e.Alerts != 1 || e.ToLeads != 1 || e.BySeverity.Critical != 1 {
		t.Errorf("escalations %+v", e)
	}
	a := sum.Ash
	if a.SessionsStarted != 6 || a.Manual != 5 || a.AutoInitiated != 1 || a.UserOptedOut != 1 || a.SessionsCompleted != 5 {
		t.Errorf("Ash %+v", a)
	}
	// Check-ins a day after the chats of 5 minutes or more: Kai's of day 1
	// (22:43-22:48, answered on day 2), Sam's of day 2 (6 minutes),
	// Robin's of day 5 (8 minutes). Robin's of
	// day 1 was too short, Alex opted out, and Kai's of day 7 is due after
	// the week. The chat that answered Kai's is no new session of the
	// week: a linked chat records followup_answered instead of
	// session_started and no session_ended (internal/ash/linked.go), so the
	// sessions and their average (180+300+360+480+1800 s over 5) are as
	// before.
	if a.FollowupsSent != 3 || a.FollowupsAnswered != 1 {
		t.Errorf("check-ins sent %d, answered %d", a.FollowupsSent, a.FollowupsAnswered)
	}
	// The response times of the week as week.story tells it (the numbers
	// of `make demo`'s report): count, average, p50, p90 in seconds. The
	// late alert's times run from when it was raised, after the outage.
	for name, tc := range map[string]struct {
		got  metrics.Durations
		want string
	}{
		"acknowledge":    {sum.TimeToAcknowledge, "14 280.7142857142857 180 720"},
		"Ash contact":    {sum.TimeToAshContact, "6 170 120 420"},
		"first response": {sum.TimeToFirstResponse, "9 366.6666666666667 360 780"},
		"resolve":        {sum.TimeToResolve, "14 2065.714285714286 1800 3180"},
	} {
		if got := durations(tc.got); got != tc.want {
			t.Errorf("time to %s %s, want %s", name, got, tc.want)
		}
	}
	if a.AvgSessionSeconds == nil || *a.AvgSessionSeconds != 624 {
		t.Errorf("average Ash session %v", deref(a.AvgSessionSeconds))
	}
	// Friday: Alex's alert and Riley's, escalated.
	if p := sum.PeakDay; p == nil || p.Date != res.WeekStart.AddDate(0, 0, 2).Format(time.DateOnly) || p.Alerts != 3 {
		t.Errorf("peak day %+v", p)
	}
	if p := sum.PeakHour; p == nil || p.Hour != 22 || p.Alerts != 3 {
		t.Errorf("peak hour %+v", p)
	}
	var acks []int64
	for _, r := range sum.TopResponders {
		acks = append(acks, r.Acknowledgments)
	}
	if fmt.Sprint(acks) != "[4 4 3 3]" {
		t.Errorf("responders' acknowledgments %v", acks)
	}
	for _, want := range []string{
		"Ash reached out to Kai by DM", "DMs are closed", "opted out", "maximum length", "/ash report post:true",
		"the bot detects Robin's message on its own -> MEDIUM alert", "within the cooldown", "escalated from the open alert",
		"detection is DOWN", "detection is back after 5m0s. 2 message(s) could not be classified", "classified 5m0s late",
		"Alex flags Jordan's message as LOW",
		"the bot mentions the CRT again in the thread", "critical alert unacknowledged for 10 minutes",
		// Ash's replies are the model stand-in's, written from what the
		// person said (demoModel).
		"Ash: \"Thank you for telling me. “i'm scared of what i might do”",
		"Ash checks in with Kai by DM", "Ash checks in with Sam by DM", "Ash checks in with Robin by DM",
		"Kai answered the check-in", "+ the crisis resources", "Ash: \"I'm really glad to hear that. “hey. a bit better than yesterday",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("narration lacks %q:\n%s", want, out.String())
		}
	}
}

func durations(d metrics.Durations) string {
	s := fmt.Sprint(d.Count)
	if d.AvgSeconds != nil && d.P50Seconds != nil && d.P90Seconds != nil {
		s += fmt.Sprintf(" %v %d %d", *d.AvgSeconds, *d.P50Seconds, *d.P90Seconds)
	}
	return s
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
