package metrics

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/redistest"
)

// person is the user_id of every alert of created(): the person in crisis.
const person = "555000111"

// factsEvents is the test week plus an alert the person handled themselves
// and one whose Ash chat ended in a handoff, so that every field of
// AlertFacts is exercised.
func factsEvents() []events.Event {
	return append(weekEvents(),
		created("s1", "2026-01-05T08:00:00Z", events.Low),
		ev(events.Acknowledged, "s1", "2026-01-05T08:01:00Z", person),
		ev(events.FirstResponse, "s1", "2026-01-05T08:01:30Z", person),
		ev(events.Resolved, "s1", "2026-01-05T08:02:00Z", person),
		created("h1", "2026-01-05T09:00:00Z", events.High),
		ev(events.AshContacted, "h1", "2026-01-05T09:00:20Z", events.AutoBy),
		events.Event{Type: events.SessionStarted, AlertID: "h1", At: ts("2026-01-05T09:00:20Z"), SessionID: "sh"},
		events.Event{Type: events.SessionEnded, AlertID: "h1", At: ts("2026-01-05T09:05:20Z"), SessionID: "sh", Reason: events.EndHandoff},
		ev(events.FirstResponse, "h1", "2026-01-05T09:06:00Z", "444"),
		ev(events.Resolved, "h1", "2026-01-05T09:30:00Z", "444"),
	)
}

func factsFixture(t *testing.T) fixture {
	f := setup(t)
	f.mustAll(t, factsEvents())
	return f
}

// The week, with the alert the day after it, whose creation day is the
// last of the period.
var periodFrom, periodLast = ts("2025-12-31T00:00:00Z"), ts("2026-01-08T00:00:00Z")

// recordFacts is what reading every indexed alert's record gives: the path
// reports took before the facts hash.
func recordFacts(t *testing.T, f fixture) []AlertFacts {
	t.Helper()
	ctx := context.Background()
	var ids []string
	for day := periodFrom; !day.After(periodLast); day = day.AddDate(0, 0, 1) {
		if d, err := f.store.Daily(ctx, day); err == nil {
			ids = append(ids, d.alertIDs...)
		}
	}
	all, unreadable, err := f.store.facts(ctx, ids)
	if err != nil || len(unreadable) > 0 {
		t.Fatalf("records: %v %v", unreadable, err)
	}
	var out []AlertFacts
	for _, a := range all {
		if !a.Created.IsZero() {
			out = append(out, a)
		}
	}
	return sorted(out)
}

// sorted orders facts by creation: a day's alerts come in no fixed order
// (the day's index is a hash), whichever way they are read.
func sorted(a []AlertFacts) []AlertFacts {
	out := slices.Clone(a)
	slices.SortFunc(out, func(x, y AlertFacts) int { return x.Created.Compare(y.Created) })
	return out
}

func factsKeys(t *testing.T, f fixture) []string {
	t.Helper()
	keys, err := f.rdb.Keys(context.Background(), factsPrefix+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestFactsHashEqualsTheRecords(t *testing.T) {
	f := factsFixture(t)
	ctx := context.Background()
	s, err := f.store.Period(ctx, periodFrom, periodLast)
	if err != nil {
		t.Fatal(err)
	}
	want := recordFacts(t, f)
	if len(want) != 10 || !reflect.DeepEqual(sorted(s.Alerts), want) {
		t.Fatalf("facts from the facts hashes:\n%+v\nfrom the records:\n%+v", s.Alerts, want)
	}
	// They came from the hashes: every indexed alert has its entry.
	var entries int64
	for _, k := range factsKeys(t, f) {
		entries += f.rdb.HLen(ctx, k).Val()
	}
	if entries != 10 {
		t.Errorf("%d facts entries, want 10", entries)
	}
	// And the records no longer matter while the entries live.
	for _, id := range []string{"w0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s1", "h1"} {
		f.rdb.Del(ctx, alertKey(id))
	}
	again, err := f.store.Period(ctx, periodFrom, periodLast)
	if err != nil || !reflect.DeepEqual(sorted(again.Alerts), want) {
		t.Fatalf("without records: %+v %v", again, err)
	}
	var h1 *AlertFacts
	for i := range want {
		if want[i].Created.Equal(ts("2026-01-05T09:00:00Z")) {
			h1 = &want[i]
		}
	}
	if h1 == nil || !h1.HandedOff || h1.SessionEnd != 320 || h1.AshContact != 20 || h1.ResolvedBy != "444" || h1.Acknowledge != Never {
		t.Errorf("handed-off alert = %+v", h1)
	}
}

// Days recorded before the facts hash existed, a lost write, an entry that
// does not parse: those alerts are read from their records, and the report
// is the same.
func TestPeriodFallsBackToTheRecords(t *testing.T) {
	f := factsFixture(t)
	ctx := context.Background()
	full, err := f.store.Period(ctx, periodFrom, periodLast)
	if err != nil {
		t.Fatal(err)
	}
	f.rdb.Del(ctx, factsKey(ts("2026-01-01T00:00:00Z")))        // a day without facts
	f.rdb.HDel(ctx, factsKey(ts("2026-01-05T00:00:00Z")), "s1") // one lost entry
	f.rdb.HSet(ctx, factsKey(ts("2026-01-03T00:00:00Z")), "a4", "1,critical,x")
	s, err := f.store.Period(ctx, periodFrom, periodLast)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sorted(s.Alerts), sorted(full.Alerts)) || !reflect.DeepEqual(contract(t, s), contract(t, full)) {
		t.Errorf("with fallback:\n%+v\nwith facts:\n%+v", s, full)
	}
	if len(s.Unreadable) != 0 {
		t.Errorf("unreadable %v", s.Unreadable)
	}
	// A facts key of another type is named, and its day read from the records.
	f.rdb.Del(ctx, factsKey(ts("2026-01-07T00:00:00Z")))
	f.rdb.Set(ctx, factsKey(ts("2026-01-07T00:00:00Z")), "x", 0)
	s, err = f.store.Period(ctx, periodFrom, periodLast)
	if err != nil || !reflect.DeepEqual(sorted(s.Alerts), sorted(full.Alerts)) || len(s.Unreadable) != 1 || !strings.Contains(s.Unreadable[0], "ash:metrics:facts:2026-01-07") {
		t.Errorf("wrong type: %v %v", s.Unreadable, err)
	}
}

func TestFactsDuplicatesChangeNothingAndLaterEventsHeal(t *testing.T) {
	f := factsFixture(t)
	ctx := context.Background()
	before := dump(t, f.rdb)
	f.must(t, Duplicate, factsEvents()...)
	if after := dump(t, f.rdb); after != before {
		t.Errorf("duplicates changed stored data:\nbefore %s\nafter  %s", before, after)
	}
	// A lost entry comes back with the alert's next event of a kind it holds,
	// even a duplicate.
	key := factsKey(ts("2026-01-01T00:00:00Z"))
	want := f.rdb.HGet(ctx, key, "a1").Val()
	f.rdb.HDel(ctx, key, "a1")
	f.must(t, Duplicate, ev(events.Resolved, "a1", "2026-01-01T22:26:40Z", "111"))
	if got := f.rdb.HGet(ctx, key, "a1").Val(); got != want || want == "" {
		t.Errorf("healed entry %q, want %q", got, want)
	}
	// And a whole day's hash, with its TTL.
	f.rdb.Del(ctx, key)
	f.must(t, Duplicate, ev(events.Resolved, "a1", "2026-01-01T22:26:40Z", "111"))
	if ttl := f.rdb.PTTL(ctx, key).Val(); ttl != ts("2026-01-02T00:00:00Z").Add(alertTTL).Sub(now) {
		t.Errorf("TTL after heal %v", ttl)
	}
}

// A CRT member can be in crisis too: their own steps count, but the facts
// never hold the id of the person an alert is about.
func TestFactsNeverNameThePerson(t *testing.T) {
	f := factsFixture(t)
	ctx := context.Background()
	keys := factsKeys(t, f)
	if len(keys) == 0 {
		t.Fatal("no facts written")
	}
	for _, k := range keys {
		for id, v := range f.rdb.HGetAll(ctx, k).Val() {
			if strings.Contains(v, person) {
				t.Errorf("%s %s = %q names the person", k, id, v)
			}
		}
	}
	v := f.rdb.HGet(ctx, factsKey(ts("2026-01-05T00:00:00Z")), "s1").Val()
	got, ok := parseFacts(v)
	want := AlertFacts{Created: ts("2026-01-05T08:00:00Z"), Severity: "low", Acknowledge: 60, AshContact: Never, FirstResponse: 90, Resolve: 120, SessionEnd: Never}
	if !ok || got != want {
		t.Errorf("self-handled alert %q = %+v, want %+v", v, got, want)
	}
}

func TestParseFactsRejectsWhatItDidNotWrite(t *testing.T) {
	empty := func(n int) string { return strings.Repeat(",", n) }
	for _, v := range []string{"", "x",
		"1,low" + empty(8),        // a field short
		"1,low" + empty(10),       // a field too many
		"1," + empty(9),           // no severity
		"x,low" + empty(9),        // no creation time
		"1,low,a" + empty(8),      // an offset that is no number
		"1,low" + empty(7) + "2,", // handed off neither "1" nor ""
	} {
		if f, ok := parseFacts(v); ok {
			t.Errorf("parseFacts(%q) = %+v", v, f)
		}
	}
	if f, ok := parseFacts("1767225600000,low" + empty(9)); !ok || f.Acknowledge != Never || f.SessionEnd != Never || f.Created.UnixMilli() != 1767225600000 {
		t.Errorf("minimal entry: %+v %v", f, ok)
	}
}

// Importing history older than the alert retention counts it in the
// aggregates only: no record, so no facts either.
func TestPastImportWritesNoFacts(t *testing.T) {
	f := setup(t)
	h := f.rec.History()
	old := created("p1", now.Add(-alertTTL-48*time.Hour).Format(time.RFC3339), events.High)
	if out, err := h.Record(context.Background(), old); err != nil || out != RecordedAggregateOnly {
		t.Fatalf("past creation: %v %v", out, err)
	}
	if keys := factsKeys(t, f); len(keys) != 0 {
		t.Errorf("facts keys %v", keys)
	}
}

// The facts hash on a real three-node Redis Cluster: written beside the
// day script and read by HGETALL, each a single-key command.
func TestFactsOnCluster(t *testing.T) {
	cl, err := redistest.StartCluster(3)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Stop()
	rdb := cl.Client()
	defer rdb.Close()
	ctx := context.Background()
	rec, err := NewRecorder(rdb, RecorderOptions{Enabled: true, AlertTTL: alertTTL, AggregateTTL: aggTTL, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	store := NewStore(rdb, func() time.Time { return now })
	for _, e := range factsEvents() {
		if _, err := rec.Record(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	full, err := store.Period(ctx, periodFrom, periodLast)
	if err != nil || len(full.Alerts) != 10 {
		t.Fatalf("period on cluster: %v %v", full, err)
	}
	// Without records, the facts alone give the same alerts.
	for _, id := range []string{"w0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s1", "h1"} {
		rdb.Del(ctx, alertKey(id))
	}
	s, err := store.Period(ctx, periodFrom, periodLast)
	if err != nil || !reflect.DeepEqual(sorted(s.Alerts), sorted(full.Alerts)) {
		t.Fatalf("facts on cluster: %+v %v", s, err)
	}
}

// pastRetention removes what the alert retention removes of an alert: its
// record and its entry in its day's facts hash.
func pastRetention(t *testing.T, f fixture, id string) {
	t.Helper()
	ctx := context.Background()
	f.rdb.Del(ctx, alertKey(id))
	for _, k := range factsKeys(t, f) {
		f.rdb.HDel(ctx, k, id)
	}
}

// The coverage (and the trend, which reads the days the same way) takes
// the facts hash too: without the records, nothing changes.
func TestCoverageFromTheFactsHash(t *testing.T) {
	f := factsFixture(t)
	ctx := context.Background()
	want, err := f.store.Coverage(ctx, periodFrom, periodLast, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	complete := 0
	for _, d := range want.Days {
		for _, c := range d.Hours {
			if c.Alerts > 0 && c.Complete && c.AckP50Seconds != nil {
				complete++
			}
		}
	}
	if complete == 0 {
		t.Fatalf("no cell with a median: %+v", want)
	}
	for _, id := range []string{"w0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s1", "h1"} {
		f.rdb.Del(ctx, alertKey(id))
	}
	got, err := f.store.Coverage(ctx, periodFrom, periodLast, time.UTC)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("coverage without records:\n%+v\nwant\n%+v (%v)", got, want, err)
	}
}
