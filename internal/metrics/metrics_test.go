package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/redistest"
)

var srv *redistest.Server

func TestMain(m *testing.M) { os.Exit(redistest.Main(m, &srv)) }

// now is the fixed clock of these tests: a Saturday, after the test week.
var now = time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)

const (
	alertTTL = 90 * 24 * time.Hour
	aggTTL   = 365 * 24 * time.Hour
)

type fixture struct {
	rdb   *redis.Client
	rec   *Recorder
	store *Store
}

func setup(t *testing.T) fixture {
	t.Helper()
	rdb := srv.Fresh(t)
	rec, err := NewRecorder(rdb, RecorderOptions{Enabled: true, AlertTTL: alertTTL, AggregateTTL: aggTTL, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{rdb: rdb, rec: rec, store: NewStore(rdb, func() time.Time { return now })}
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func created(id, at string, sev events.Severity) events.Event {
	return events.Event{Type: events.AlertCreated, AlertID: id, At: ts(at), AlertMessageID: "9" + fmt.Sprint(len(id)) + "00" + fmt.Sprint(ts(at).Unix()),
		UserID: "555000111", ChannelID: "777000111", Severity: sev}
}

func ev(typ events.Type, id, at, by string) events.Event {
	e := events.Event{Type: typ, AlertID: id, At: ts(at), By: by}
	if typ == events.AshContacted {
		e.Auto = by == events.AutoBy
	}
	return e
}

func (f fixture) must(t *testing.T, want Outcome, es ...events.Event) {
	t.Helper()
	for _, e := range es {
		got, err := f.rec.Record(context.Background(), e)
		if err != nil {
			t.Fatalf("record %s %s: %v", e.Type, e.AlertID, err)
		}
		if got != want {
			t.Fatalf("record %s %s: outcome %v, want %v", e.Type, e.AlertID, got, want)
		}
	}
}

func TestFullLifecycle(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	c := created("a1", "2026-01-05T12:00:00Z", events.High)
	c.ChannelSensitivity = 1.5
	f.must(t, Recorded,
		c,
		ev(events.Acknowledged, "a1", "2026-01-05T12:02:30.999Z", "111"),
		ev(events.AshContacted, "a1", "2026-01-05T12:01:00Z", "111"),
		events.Event{Type: events.SessionStarted, AlertID: "a1", At: ts("2026-01-05T12:01:01Z"), SessionID: "s1"},
		ev(events.FirstResponse, "a1", "2026-01-05T12:05:00.5Z", "222"),
		events.Event{Type: events.SessionEnded, AlertID: "a1", At: ts("2026-01-05T12:13:16.9Z"), SessionID: "s1", Reason: events.EndUserEnded},
		ev(events.Resolved, "a1", "2026-01-05T13:00:00Z", "111"),
	)
	a, err := f.store.Alert(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name string
		got  *int64
		want int64
	}{
		{"ack", a.TimeToAcknowledgeSeconds, 150}, // 150.999 s rounds down
		{"ash", a.TimeToAshSeconds, 60},
		{"first", a.TimeToResponseSeconds, 300},
		{"resolve", a.TimeToResolveSeconds, 3600},
		{"session", a.SessionSeconds, 735},
	}
	for _, c := range checks {
		if c.got == nil || *c.got != c.want {
			t.Errorf("%s seconds = %v, want %d", c.name, deref(c.got), c.want)
		}
	}
	if a.Severity != "high" || a.ChannelSensitivity != 1.5 || a.AcknowledgedBy != "111" || a.FirstResponseBy != "222" ||
		a.WasAutoInitiated || a.SessionEndReason != "user_ended" || a.UserOptedOut {
		t.Errorf("alert = %+v", a)
	}
	if !a.CreatedAt.Equal(ts("2026-01-05T12:00:00Z")) || !a.AcknowledgedAt.Equal(ts("2026-01-05T12:02:30.999Z")) {
		t.Errorf("times: created %v ack %v", a.CreatedAt, a.AcknowledgedAt)
	}
	byMsg, err := f.store.AlertByMessage(ctx, c.AlertMessageID)
	if err != nil || byMsg.AlertID != "a1" {
		t.Fatalf("by message: %v %v", byMsg, err)
	}

	d, err := f.store.Daily(ctx, ts("2026-01-05T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if d.TotalAlerts != 1 || d.BySeverity["high"] != 1 || d.ByHour[12] != 1 ||
		d.Acknowledge != (Sum{1, 150}) || d.AshContact != (Sum{1, 60}) || d.FirstResponse != (Sum{1, 300}) ||
		d.Resolve != (Sum{1, 3600}) || d.AshManual != 1 || d.AshAuto != 0 || d.SessionsStarted != 1 ||
		d.SessionsCompleted != (Sum{1, 735}) || d.SessionsEnded["user_ended"] != 1 || d.Responders["111"] != 1 || d.IndexedAlerts != 1 {
		t.Errorf("daily = %+v", d)
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestEveryEventCountsOncePerAlert(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	first := []events.Event{
		created("a1", "2026-01-05T12:00:00Z", events.Critical),
		ev(events.Acknowledged, "a1", "2026-01-05T12:01:00Z", "111"),
		ev(events.AshContacted, "a1", "2026-01-05T12:02:00Z", "auto"),
		{Type: events.UserOptedOut, AlertID: "a1", At: ts("2026-01-05T12:03:00Z")},
		ev(events.FirstResponse, "a1", "2026-01-05T12:04:00Z", "222"),
		ev(events.Resolved, "a1", "2026-01-05T12:05:00Z", "111"),
		{Type: events.SessionStarted, AlertID: "a1", At: ts("2026-01-05T12:02:00Z"), SessionID: "s1"},
		{Type: events.SessionEnded, AlertID: "a1", At: ts("2026-01-05T12:03:00Z"), SessionID: "s1", Reason: events.EndOptedOut},
		{Type: events.Escalated, AlertID: "a1", At: ts("2026-01-05T12:00:30Z"), Level: events.EscalationTeam},
		{Type: events.Escalated, AlertID: "a1", At: ts("2026-01-05T12:00:50Z"), Level: events.EscalationLeads},
		{Type: events.FollowupSent, AlertID: "a1", At: ts("2026-01-06T12:00:00Z")},
		{Type: events.FollowupAnswered, AlertID: "a1", At: ts("2026-01-06T12:10:00Z"), SessionID: "s3"},
	}
	f.must(t, Recorded, first...)
	before := dump(t, f.rdb)
	// Replays, and later events of the same kinds by other people, are
	// duplicates: the first one stands.
	later := []events.Event{
		created("a1", "2026-01-05T12:00:00Z", events.Critical),
		ev(events.Acknowledged, "a1", "2026-01-05T12:09:00Z", "333"),
		ev(events.AshContacted, "a1", "2026-01-05T12:09:00Z", "333"),
		{Type: events.UserOptedOut, AlertID: "a1", At: ts("2026-01-05T12:09:00Z")},
		ev(events.FirstResponse, "a1", "2026-01-05T12:09:00Z", "333"),
		ev(events.Resolved, "a1", "2026-01-05T12:09:00Z", "333"),
		{Type: events.SessionStarted, AlertID: "a1", At: ts("2026-01-05T12:09:00Z"), SessionID: "s2"},
		{Type: events.SessionEnded, AlertID: "a1", At: ts("2026-01-05T12:09:00Z"), SessionID: "s1", Reason: events.EndCompleted},
		{Type: events.Escalated, AlertID: "a1", At: ts("2026-01-05T12:09:00Z"), Level: events.EscalationTeam},
		{Type: events.Escalated, AlertID: "a1", At: ts("2026-01-05T12:09:00Z"), Level: events.EscalationLeads},
		{Type: events.FollowupSent, AlertID: "a1", At: ts("2026-01-06T12:09:00Z")},
		{Type: events.FollowupAnswered, AlertID: "a1", At: ts("2026-01-06T12:19:00Z"), SessionID: "s4"},
	}
	f.must(t, Duplicate, append(first, later...)...)
	if after := dump(t, f.rdb); after != before {
		t.Errorf("duplicates changed stored data:\nbefore %s\nafter  %s", before, after)
	}
	d, err := f.store.Daily(ctx, ts("2026-01-05T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if d.TotalAlerts != 1 || d.AshAuto != 1 || d.OptedOut != 1 || d.SessionsCompleted.Count != 0 || d.SessionsEnded["opted_out"] != 1 ||
		d.FollowupsSent != 1 || d.FollowupsAnswered != 1 || d.Escalated["critical"] != 1 || d.EscalatedLeads["critical"] != 1 {
		t.Errorf("daily = %+v", d)
	}
	a, err := f.store.Alert(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if !a.EscalatedAt.Equal(ts("2026-01-05T12:00:30Z")) || !a.EscalatedLeadsAt.Equal(ts("2026-01-05T12:00:50Z")) ||
		!a.FollowupSentAt.Equal(ts("2026-01-06T12:00:00Z")) || !a.FollowupAnsweredAt.Equal(ts("2026-01-06T12:10:00Z")) || a.FollowupSessionID != "s3" {
		t.Errorf("alert = %+v", a)
	}
}

func TestRejectedEventsChangeNothing(t *testing.T) {
	f := setup(t)
	f.must(t, Recorded,
		created("a1", "2026-01-05T12:00:00Z", events.Low),
		events.Event{Type: events.SessionStarted, AlertID: "a1", At: ts("2026-01-05T12:10:00Z"), SessionID: "s1"},
	)
	before := dump(t, f.rdb)
	cases := []struct {
		name string
		e    events.Event
	}{
		{"unknown alert", ev(events.Acknowledged, "nope", "2026-01-05T12:01:00Z", "111")},
		{"before creation", ev(events.Acknowledged, "a1", "2026-01-05T11:59:59.999Z", "111")},
		{"session end without start", events.Event{Type: events.SessionEnded, AlertID: "nope", At: ts("2026-01-05T12:01:00Z"), SessionID: "s1", Reason: events.EndTimeout}},
		{"session id mismatch", events.Event{Type: events.SessionEnded, AlertID: "a1", At: ts("2026-01-05T12:20:00Z"), SessionID: "s9", Reason: events.EndTimeout}},
		{"session ends before start", events.Event{Type: events.SessionEnded, AlertID: "a1", At: ts("2026-01-05T12:09:00Z"), SessionID: "s1", Reason: events.EndTimeout}},
		{"past retention", created("old", "2025-10-01T00:00:00Z", events.High)},
		{"future", created("fut", "2026-01-10T12:06:00Z", events.High)},
		{"bad severity", created("bad", "2026-01-05T12:00:00Z", "severe")},
		{"missing by", ev(events.Resolved, "a1", "2026-01-05T12:30:00Z", "")},
		{"auto mismatch", events.Event{Type: events.AshContacted, AlertID: "a1", At: ts("2026-01-05T12:30:00Z"), By: "111", Auto: true}},
		{"unknown type", events.Event{Type: "paged", AlertID: "a1", At: ts("2026-01-05T12:30:00Z")}},
		{"answer without check-in", events.Event{Type: events.FollowupAnswered, AlertID: "a1", At: ts("2026-01-06T12:30:00Z"), SessionID: "s7"}},
		{"escalation level 3", events.Event{Type: events.Escalated, AlertID: "a1", At: ts("2026-01-05T12:30:00Z"), Level: 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.rec.Record(context.Background(), c.e)
			if !IsRejected(err) {
				t.Fatalf("err = %v, want a rejection", err)
			}
		})
	}
	if after := dump(t, f.rdb); after != before {
		t.Errorf("rejected events changed stored data:\nbefore %s\nafter  %s", before, after)
	}
}

func TestEveryKeyHasTheRightTTL(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	// Imported history: a 30-day-old alert keeps 60 days, not 90 from now.
	c := created("old", "2025-12-11T12:00:00Z", events.Medium)
	f.must(t, Recorded, c, ev(events.Acknowledged, "old", "2025-12-11T12:05:00Z", "111"))
	keys, err := f.rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{
		"ash:metrics:alert:old":                        ts("2025-12-11T12:00:00Z").Add(alertTTL),
		"ash:metrics:alert_lookup:" + c.AlertMessageID: ts("2025-12-11T12:00:00Z").Add(alertTTL),
		"ash:metrics:daily:2025-12-11":                 ts("2025-12-12T00:00:00Z").Add(aggTTL),
		"ash:metrics:user:" + c.UserID:                 ts("2025-12-11T12:00:00Z").Add(alertTTL),
		// Per-alert data of the whole day: the alert retention from its end.
		"ash:metrics:facts:2025-12-11": ts("2025-12-12T00:00:00Z").Add(alertTTL),
	}
	if len(keys) != len(want) {
		t.Fatalf("keys = %v, want %d keys", keys, len(want))
	}
	for k, exp := range want {
		got, err := f.rdb.PTTL(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		if d := got - exp.Sub(now); d < -time.Second || d > 0 {
			t.Errorf("%s TTL %v, want %v", k, got, exp.Sub(now))
		}
	}
}

func TestDisabledWritesNothing(t *testing.T) {
	f := setup(t)
	rec, err := NewRecorder(f.rdb, RecorderOptions{Enabled: false, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []events.Event{created("a1", "2026-01-05T12:00:00Z", events.High), ev(events.Acknowledged, "a1", "2026-01-05T12:01:00Z", "1")} {
		out, err := rec.Record(context.Background(), e)
		if err != nil || out != Disabled {
			t.Fatalf("record = %v, %v", out, err)
		}
	}
	if n := f.rdb.DBSize(context.Background()).Val(); n != 0 {
		t.Fatalf("disabled recorder wrote %d keys", n)
	}
}

func TestConcurrentClicksCountOnce(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.must(t, Recorded, created("a1", "2026-01-05T12:00:00Z", events.High))
	const n = 50
	var wg sync.WaitGroup
	outcomes := make(chan Outcome, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			out, err := f.rec.Record(ctx, ev(events.Acknowledged, "a1", "2026-01-05T12:02:00Z", fmt.Sprint(1000+i)))
			if err != nil {
				t.Error(err)
			}
			outcomes <- out
		})
	}
	close(start)
	wg.Wait()
	close(outcomes)
	recorded := 0
	for o := range outcomes {
		if o == Recorded {
			recorded++
		}
	}
	if recorded != 1 {
		t.Fatalf("%d acknowledgments recorded, want 1", recorded)
	}
	d, err := f.store.Daily(ctx, ts("2026-01-05T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	var responders int64
	for _, c := range d.Responders {
		responders += c
	}
	a, _ := f.store.Alert(ctx, "a1")
	if d.Acknowledge != (Sum{1, 120}) || responders != 1 || d.Responders[a.AcknowledgedBy] != 1 || d.TotalAlerts != 1 {
		t.Fatalf("daily = %+v (ack by %s)", d, a.AcknowledgedBy)
	}
}

func TestConcurrentCreationCountsOnce(t *testing.T) {
	f := setup(t)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := f.rec.Record(context.Background(), created("a1", "2026-01-05T12:00:00Z", events.High)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	d, err := f.store.Daily(context.Background(), ts("2026-01-05T00:00:00Z"))
	if err != nil || d.TotalAlerts != 1 || d.BySeverity["high"] != 1 {
		t.Fatalf("daily = %+v, %v", d, err)
	}
}

func TestUTCDayAndHourAttribution(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.must(t, Recorded,
		// 23:30 in UTC-05:00 is 04:30 UTC the next day.
		created("tz", "2026-01-04T23:30:00-05:00", events.Medium),
		created("late", "2026-01-05T23:59:59.999Z", events.High),
		// Acknowledged after midnight: still counts on the alert's day.
		ev(events.Acknowledged, "late", "2026-01-06T00:00:09Z", "111"),
	)
	d5, err := f.store.Daily(ctx, ts("2026-01-05T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if d5.TotalAlerts != 2 || d5.ByHour[4] != 1 || d5.ByHour[23] != 1 || d5.Acknowledge != (Sum{1, 9}) {
		t.Errorf("2026-01-05 = %+v", d5)
	}
	if _, err := f.store.Daily(ctx, ts("2026-01-06T00:00:00Z")); err == nil {
		t.Error("2026-01-06 has an aggregate; the acknowledgment belongs to the alert's day")
	}
	if _, err := f.store.Daily(ctx, ts("2026-01-04T00:00:00Z")); err == nil {
		t.Error("2026-01-04 has an aggregate; the alert was on 01-05 UTC")
	}
}

// A lost reply between the alert update and the daily update must not lose
// the alert from the counts: the next event of the alert heals the day.
func TestLaterEventHealsLostCreationAggregate(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.must(t, Recorded, created("a1", "2026-01-05T12:00:00Z", events.Critical))
	f.rdb.Del(ctx, "ash:metrics:daily:2026-01-05")
	f.must(t, Recorded, ev(events.Acknowledged, "a1", "2026-01-05T12:01:00Z", "111"))
	d, err := f.store.Daily(ctx, ts("2026-01-05T00:00:00Z"))
	if err != nil || d.TotalAlerts != 1 || d.BySeverity["critical"] != 1 || d.Acknowledge.Count != 1 {
		t.Fatalf("daily = %+v, %v", d, err)
	}
	// And a replay of the creation alone heals it as well.
	f.rdb.Del(ctx, "ash:metrics:daily:2026-01-05")
	f.must(t, Duplicate, created("a1", "2026-01-05T12:00:00Z", events.Critical))
	if d, _ := f.store.Daily(ctx, ts("2026-01-05T00:00:00Z")); d == nil || d.TotalAlerts != 1 {
		t.Fatalf("daily after replay = %+v", d)
	}
}

func TestRedisDownReturnsError(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	rec, err := NewRecorder(rdb, RecorderOptions{Enabled: true, AlertTTL: alertTTL, AggregateTTL: aggTTL, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	_, err = rec.Record(context.Background(), created("a1", "2026-01-05T12:00:00Z", events.High))
	if err == nil || IsRejected(err) {
		t.Fatalf("err = %v, want a storage error", err)
	}
	if _, err := NewStore(rdb, func() time.Time { return now }).Weekly(context.Background(), now); err == nil {
		t.Fatal("weekly with Redis down: no error")
	}
}

// dump renders every key with its type, value and expiry, to compare states.
func dump(t *testing.T, rdb *redis.Client) string {
	t.Helper()
	ctx := context.Background()
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	for _, k := range keys {
		exp := rdb.PTTL(ctx, k).Val() > 0
		switch rdb.Type(ctx, k).Val() {
		case "hash":
			out[k] = []any{rdb.HGetAll(ctx, k).Val(), exp}
		case "string":
			out[k] = []any{rdb.Get(ctx, k).Val(), exp}
		default:
			out[k] = "?"
		}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// After SCRIPT FLUSH (or a Redis restart) the cached scripts are gone: the
// pipelined EVALSHA fails with NOSCRIPT and the recorder loads them again.
func TestRecordsAfterScriptFlush(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	f.must(t, Recorded, created("a1", "2026-01-05T12:00:00Z", events.High))
	if err := f.rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	f.must(t, Recorded, created("a2", "2026-01-05T13:00:00Z", events.Low))
	if err := f.rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	f.must(t, Recorded, ev(events.Acknowledged, "a2", "2026-01-05T13:01:00Z", "111"))
	d, err := f.store.Daily(ctx, ts("2026-01-05T00:00:00Z"))
	if err != nil || d.TotalAlerts != 2 || d.Acknowledge.Count != 1 {
		t.Fatalf("daily = %+v, %v", d, err)
	}
	if a, err := f.store.AlertByMessage(ctx, created("a2", "2026-01-05T13:00:00Z", events.Low).AlertMessageID); err != nil || a.AlertID != "a2" {
		t.Fatalf("lookup after flush: %v %v", a, err)
	}
	if ids, total := personIDs(t, f, "555000111", 10); len(ids) != 2 || total != 2 {
		t.Fatalf("person index after flush: %v (%d)", ids, total)
	}
}
