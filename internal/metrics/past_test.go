package metrics

import (
	"context"
	"errors"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/events"
)

// pastShift moves the test week 28 weeks back: its alerts are about 200
// days old, past the alert retention (90 days) and within the aggregate
// retention (365 days), and every date keeps its weekday.
const pastShift = -196 * 24 * time.Hour

func shifted(es []events.Event, by time.Duration) []events.Event {
	out := slices.Clone(es)
	for i := range out {
		out[i].At = out[i].At.Add(by)
	}
	return out
}

func shuffled(es []events.Event, seed uint64) []events.Event {
	out := slices.Clone(es)
	rng := rand.New(rand.NewPCG(seed, seed+1))
	rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// storedDays returns every daily aggregate stored, by date.
func storedDays(t *testing.T, f fixture) map[string]map[string]string {
	t.Helper()
	ctx := context.Background()
	keys, err := f.rdb.Keys(ctx, dailyPrefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, k := range keys {
		out[strings.TrimPrefix(k, dailyPrefix)] = f.rdb.HGetAll(ctx, k).Val()
	}
	return out
}

// History older than the alert retention counts in its days' aggregates
// exactly as if it had been recorded live, in any order of its lines and
// however often it is imported, and writes no alert record.
func TestImportOlderThanAlertRetentionCountsInAggregatesOnly(t *testing.T) {
	week := weekEvents()
	live := setup(t)
	live.mustAll(t, week)
	want := map[string]map[string]string{}
	for date, h := range storedDays(t, live) {
		d, _ := time.Parse(time.DateOnly, date)
		want[d.Add(pastShift).Format(time.DateOnly)] = h
	}
	ls, err := live.store.Weekly(context.Background(), ts("2026-01-07T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}

	f := setup(t) // a fresh database
	old := shifted(week, pastShift)
	res, rej := importString(t, f, jsonl(t, shuffled(old, 1)), ImportOptions{})
	if res != (ImportResult{AggregateOnly: len(old)}) || rej != nil {
		t.Fatalf("first import: %+v, rejected %v", res, rej)
	}
	if got := storedDays(t, f); !maps.EqualFunc(got, want, maps.Equal) {
		t.Errorf("aggregates\n got %v\nwant %v", got, want)
	}
	keys := f.rdb.Keys(context.Background(), "*").Val()
	for _, k := range keys {
		if !strings.HasPrefix(k, dailyPrefix) {
			t.Errorf("wrote %s: only daily aggregates may be written for such history", k)
			continue
		}
		day, _ := time.Parse(time.DateOnly, strings.TrimPrefix(k, dailyPrefix))
		wantTTL := day.Add(24 * time.Hour).Add(aggTTL).Sub(now)
		if got := f.rdb.PTTL(context.Background(), k).Val(); got > wantTTL || got < wantTTL-time.Second {
			t.Errorf("%s TTL %v, want %v", k, got, wantTTL)
		}
	}
	stored := dump(t, f.rdb)

	// Again, in another order: every line is a duplicate and nothing changes.
	res, rej = importString(t, f, jsonl(t, shuffled(old, 2)), ImportOptions{})
	if res != (ImportResult{Duplicate: len(old)}) || rej != nil {
		t.Errorf("second import: %+v, rejected %v", res, rej)
	}
	if dump(t, f.rdb) != stored {
		t.Error("second import changed the stored data")
	}

	// The week's counts and averages are those of the live week; its
	// percentiles are unknown, and the summary says why.
	s, err := f.store.Weekly(context.Background(), ts("2026-01-07T00:00:00Z").Add(pastShift))
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range []Durations{s.TimeToAcknowledge, s.TimeToAshContact, s.TimeToFirstResponse, s.TimeToResolve} {
		l := []Durations{ls.TimeToAcknowledge, ls.TimeToAshContact, ls.TimeToFirstResponse, ls.TimeToResolve}[i]
		if d.Count != l.Count || d.Count == 0 || *d.AvgSeconds != *l.AvgSeconds || d.P50Seconds != nil || d.P90Seconds != nil || d.Records != 0 {
			t.Errorf("duration %d: %+v, live %+v", i, d, l)
		}
	}
	if s.TotalAlerts != ls.TotalAlerts || s.BySeverity != ls.BySeverity || !reflect.DeepEqual(s.Ash, ls.Ash) || s.Escalations != ls.Escalations || ls.Escalations.Alerts == 0 ||
		!slices.Equal(s.TopResponders, ls.TopResponders) || s.PeakHour.Hour != ls.PeakHour.Hour {
		t.Errorf("summary %+v\nlive %+v", s, ls)
	}
}

// Without an alert record the first event of a kind still wins, the person
// an alert is about never ranks as a responder, and the record's checks
// still reject what they would reject.
func TestImportOlderThanAlertRetentionKeepsTheRules(t *testing.T) {
	f := setup(t)
	sess := func(typ events.Type, at, sid string, why events.EndReason) events.Event {
		return events.Event{Type: typ, AlertID: "p1", At: ts(at), SessionID: sid, Reason: why}
	}
	c := created("p1", "2025-06-24T08:00:00Z", events.Critical)
	in := jsonl(t, []events.Event{
		c,
		ev(events.Acknowledged, "p1", "2025-06-24T08:01:00Z", c.UserID), // by the person: counts, ranks nobody
		ev(events.Acknowledged, "p1", "2025-06-24T08:00:30Z", "111"),    // later line: a duplicate
		ev(events.Acknowledged, "p1", "2025-06-24T07:59:00Z", "111"),    // before creation
		sess(events.SessionStarted, "2025-06-24T08:02:00Z", "s1", ""),
		sess(events.SessionEnded, "2025-06-24T08:05:00Z", "s9", events.EndCompleted),
		sess(events.SessionEnded, "2025-06-24T08:01:30Z", "s1", events.EndCompleted),
		sess(events.SessionEnded, "2025-06-24T08:12:00Z", "s1", events.EndCompleted),
		sess(events.SessionEnded, "2025-06-24T08:20:00Z", "s1", events.EndTimeout),
		created("p1", "2025-06-24T09:00:00Z", events.Low),
	})
	res, rej := importString(t, f, in, ImportOptions{})
	if res != (ImportResult{AggregateOnly: 4, Duplicate: 3, Rejected: 3}) {
		t.Errorf("result %+v", res)
	}
	wantRej := []rejection{
		{4, "at is before the alert was created"},
		{6, "session_id does not match the started session"},
		{7, "session ended before it started"},
	}
	if !slices.Equal(rej, wantRej) {
		t.Errorf("rejections %v, want %v", rej, wantRej)
	}
	d, err := f.store.Daily(context.Background(), ts("2025-06-24T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if d.TotalAlerts != 1 || d.BySeverity["critical"] != 1 || d.ByHour[8] != 1 || d.Acknowledge != (Sum{1, 60}) ||
		len(d.Responders) != 0 || d.SessionsStarted != 1 || d.SessionsCompleted != (Sum{1, 600}) || d.SessionsEnded["timeout"] != 0 {
		t.Errorf("daily %+v", d)
	}
}

// An alert older than the aggregate retention would not be kept at all:
// it is rejected with the reason, and so are its events.
func TestImportRejectsAlertOlderThanAggregateRetention(t *testing.T) {
	f := setup(t)
	in := jsonl(t, []events.Event{
		created("gone", "2025-01-09T12:00:00Z", events.High),
		ev(events.Acknowledged, "gone", "2025-01-09T12:05:00Z", "111"),
	})
	res, rej := importString(t, f, in, ImportOptions{})
	if res != (ImportResult{Rejected: 2}) || len(rej) != 2 {
		t.Fatalf("%+v %v", res, rej)
	}
	if rej[0].line != 1 || rej[0].reason != "alert created 2025-01-09T12:00:00Z is older than the aggregate retention (365 days): nothing of it would be kept" {
		t.Errorf("rejection %v", rej[0])
	}
	if rej[1] != (rejection{2, "unknown alert"}) {
		t.Errorf("rejection %v", rej[1])
	}
	if got := dump(t, f.rdb); got != "{}" {
		t.Errorf("stored %s", got)
	}
}

// A week that straddles the alert retention has counts and averages over
// all of its alerts, and no percentiles: they would be over some of them.
func TestWeekWithSomeAlertRecordsHasNoPercentiles(t *testing.T) {
	f := setup(t)
	in := jsonl(t, []events.Event{
		created("x1", "2025-10-12T10:00:00Z", events.High), // past the alert retention
		ev(events.Acknowledged, "x1", "2025-10-12T10:01:00Z", "111"),
		created("x2", "2025-10-12T14:00:00Z", events.High), // within it
		ev(events.Acknowledged, "x2", "2025-10-12T14:03:00Z", "111"),
	})
	res, rej := importString(t, f, in, ImportOptions{})
	if res != (ImportResult{Recorded: 2, AggregateOnly: 2}) || rej != nil {
		t.Fatalf("%+v %v", res, rej)
	}
	s, err := f.store.Weekly(context.Background(), ts("2025-10-12T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	ack := s.TimeToAcknowledge
	if ack.Count != 2 || *ack.AvgSeconds != 120 || ack.Records != 1 || ack.P50Seconds != nil || ack.P90Seconds != nil {
		t.Errorf("ack %+v", ack)
	}
	if s.TopResponders[0] != (Responder{"111", 2}) {
		t.Errorf("responders %v", s.TopResponders)
	}
}

// An import stopped after the creation of an alert older than the alert
// retention resumes from that creation: its later events find it only in
// the import's memory.
func TestImportStoppedAfterOldAlertResumesFromItsCreation(t *testing.T) {
	in := jsonl(t, []events.Event{
		created("a1", "2026-01-05T12:00:00Z", events.High),
		created("p1", "2025-06-24T08:00:00Z", events.Low),
		ev(events.Acknowledged, "a1", "2026-01-05T12:01:00Z", "111"),
		ev(events.Acknowledged, "p1", "2025-06-24T08:01:00Z", "111"),
		ev(events.Resolved, "p1", "2025-06-24T08:09:00Z", "111"),
	})
	ref := setup(t)
	if _, rej := importString(t, ref, in, ImportOptions{}); rej != nil {
		t.Fatal(rej)
	}
	want := dump(t, ref.rdb)

	f := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	_, err := Import(ctx, &cancelAfter{strings.NewReader(in), 4, cancel}, f.rec, ImportOptions{})
	cancel()
	var stop *StoppedError
	if !errors.As(err, &stop) || stop.Resume != 2 {
		t.Fatalf("err %v, want a stop resuming from line 2", err)
	}
	rest := strings.Join(strings.SplitAfter(in, "\n")[stop.Resume-1:], "")
	if _, rej := importString(t, f, rest, ImportOptions{}); rej != nil {
		t.Fatal(rej)
	}
	if got := dump(t, f.rdb); got != want {
		t.Errorf("after a resume: stored\n%s\nwant\n%s", got, want)
	}
}

// The alerts older than the alert retention that one import remembers are
// bounded; past the bound, such an alert is rejected with the reason.
func TestImportBoundsRememberedOldAlerts(t *testing.T) {
	f := setup(t)
	in := jsonl(t, []events.Event{
		created("p1", "2025-06-24T08:00:00Z", events.Low),
		created("p2", "2025-06-24T09:00:00Z", events.Low),
		created("a1", "2026-01-05T12:00:00Z", events.High),
	})
	res, rej := importString(t, f, in, ImportOptions{MaxPast: 1})
	if res != (ImportResult{Recorded: 1, AggregateOnly: 1, Rejected: 1}) || len(rej) != 1 || rej[0].line != 2 ||
		!strings.Contains(rej[0].reason, "more than 1 such alerts came in this input: import it in parts") {
		t.Errorf("%+v %v", res, rej)
	}
}
