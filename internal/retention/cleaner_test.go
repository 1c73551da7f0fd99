package retention

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/redistest"
	"github.com/redis/go-redis/v9"
)

var srv *redistest.Server

func TestMain(m *testing.M) { os.Exit(redistest.Main(m, &srv)) }

const day = 24 * time.Hour

var testRetentions = Retentions{
	AlertMetrics:   90 * day,
	Aggregates:     365 * day,
	MessageHistory: 7 * day,
	SessionData:    30 * day,
	OptOuts:        30 * day,
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// fixture builds data relative to now. Now is the real time at the start of
// the test (held fixed for the cleaner) because Redis applies PEXPIREAT on
// its own clock.
type fixture struct {
	t   *testing.T
	ctx context.Context
	rdb *redis.Client
	now time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return &fixture{t: t, ctx: context.Background(), rdb: srv.Fresh(t), now: time.Now().UTC().Truncate(time.Millisecond)}
}

func (f *fixture) cleaner(opts ...func(*Config)) *Cleaner {
	f.t.Helper()
	cfg := Config{Retentions: testRetentions, Clock: fixedClock(f.now), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, o := range opts {
		o(&cfg)
	}
	c, err := NewCleaner(f.rdb, cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) run(c *Cleaner, dry bool) Report {
	f.t.Helper()
	rep, err := c.Run(f.ctx, Options{DryRun: dry})
	if err != nil {
		f.t.Fatalf("Run: %v", err)
	}
	return rep
}

// ms returns the unix ms of the moment ago before now.
func (f *fixture) ms(ago time.Duration) int64 { return f.now.Add(-ago).UnixMilli() }

func (f *fixture) expire(key string, ttl time.Duration) {
	f.t.Helper()
	if ttl > 0 {
		if err := f.rdb.PExpire(f.ctx, key, ttl).Err(); err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f *fixture) hset(key string, ttl time.Duration, kv ...any) {
	f.t.Helper()
	if err := f.rdb.HSet(f.ctx, key, kv...).Err(); err != nil {
		f.t.Fatal(err)
	}
	f.expire(key, ttl)
}

func (f *fixture) set(key string, value any, ttl time.Duration) {
	f.t.Helper()
	if err := f.rdb.Set(f.ctx, key, value, ttl).Err(); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) zadd(key string, ttl time.Duration, scores ...int64) {
	f.t.Helper()
	for _, s := range scores {
		if err := f.rdb.ZAdd(f.ctx, key, redis.Z{Score: float64(s), Member: "m" + strconv.FormatInt(s, 10)}).Err(); err != nil {
			f.t.Fatal(err)
		}
	}
	f.expire(key, ttl)
}

func (f *fixture) exists(key string) bool { return f.rdb.Exists(f.ctx, key).Val() == 1 }

// expiry returns when key expires, or zero when it has no TTL.
func (f *fixture) expiry(key string) time.Time {
	f.t.Helper()
	d, err := f.rdb.PTTL(f.ctx, key).Result()
	if err != nil {
		f.t.Fatal(err)
	}
	if d < 0 {
		return time.Time{}
	}
	return time.Now().Add(d)
}

func (f *fixture) wantExpiry(key string, want time.Time) {
	f.t.Helper()
	got := f.expiry(key)
	if d := got.Sub(want); got.IsZero() || d > time.Second || d < -time.Second {
		f.t.Errorf("%s expires at %v, want %v", key, got, want)
	}
}

func (f *fixture) wantGone(keys ...string) {
	f.t.Helper()
	for _, k := range keys {
		if f.exists(k) {
			f.t.Errorf("%s still exists", k)
		}
	}
}

// snapshot is every key's serialized value and expiry, to prove that
// something changed nothing.
func (f *fixture) snapshot() map[string]string {
	f.t.Helper()
	out := map[string]string{}
	iter := f.rdb.Scan(f.ctx, 0, "*", 1000).Iterator()
	for iter.Next(f.ctx) {
		k := iter.Val()
		dump, err := f.rdb.Dump(f.ctx, k).Result()
		if err != nil {
			f.t.Fatal(err)
		}
		exp := "none"
		if e := f.expiry(k); !e.IsZero() {
			// Seconds: the snapshot is compared after time has passed.
			exp = strconv.FormatInt(e.Round(time.Second).Unix(), 10)
		}
		out[k] = dump + "|" + exp
	}
	if err := iter.Err(); err != nil {
		f.t.Fatal(err)
	}
	return out
}

func sameSnapshot(t *testing.T, before, after map[string]string) {
	t.Helper()
	if len(before) != len(after) {
		t.Errorf("%d keys before, %d after", len(before), len(after))
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s changed", k)
		}
	}
}

func dayKey(t time.Time) string { return "ash:metrics:daily:" + t.UTC().Format(time.DateOnly) }

func factsKey(t time.Time) string { return "ash:metrics:facts:" + t.UTC().Format(time.DateOnly) }

func TestExpiryPerCategory(t *testing.T) {
	f := newFixture(t)
	// Expired by age, each with a TTL that would have kept it longer (as
	// after retention is shortened).
	f.hset("ash:metrics:alert:old", 200*day, "t0", f.ms(91*day), "severity", "high")
	f.hset(dayKey(f.now.Add(-367*day)), 200*day, "total_alerts", 3)
	f.zadd("ash:history:old", 200*day, f.ms(9*day), f.ms(8*day))
	f.set("ash:optout:old", f.ms(31*day), 200*day)
	f.hset("ash:session:old", 200*day, "updated_at", f.ms(31*day), "started_at", f.ms(40*day))
	// Young, with the TTL their writers give them.
	f.hset("ash:metrics:alert:new", 80*day, "t0", f.ms(10*day))
	f.set("ash:metrics:alert_lookup:123", "new", 80*day)
	f.hset(dayKey(f.now), 0, "total_alerts", 1)
	f.rdb.PExpireAt(f.ctx, dayKey(f.now), f.now.Truncate(day).Add(day+365*day))
	f.zadd("ash:history:new", 7*day-time.Hour, f.ms(time.Hour))
	f.set("ash:optout:new", f.ms(day), 29*day)
	f.hset("ash:session:new", 30*day, "updated_at", f.ms(0), "started_at", f.ms(day))
	f.set("ash:schedule:job:2026-01-01:done", "x", 20*day)
	young := []string{"ash:metrics:alert:new", "ash:metrics:alert_lookup:123", dayKey(f.now), "ash:history:new",
		"ash:optout:new", "ash:session:new", "ash:schedule:job:2026-01-01:done"}
	expiries := map[string]time.Time{}
	for _, k := range young {
		expiries[k] = f.expiry(k)
	}

	rep := f.run(f.cleaner(), false)

	f.wantGone("ash:metrics:alert:old", dayKey(f.now.Add(-367*day)), "ash:history:old", "ash:optout:old", "ash:session:old")
	for _, k := range young {
		if !f.exists(k) {
			t.Errorf("%s removed", k)
		} else if d := f.expiry(k).Sub(expiries[k]); d > time.Second || d < -time.Second {
			t.Errorf("%s TTL changed by %v", k, d)
		}
	}
	for _, c := range []Category{AlertMetrics, Aggregates, MessageHistory, OptOuts, SessionData} {
		if got := rep.Categories[c].Removed; got != 1 {
			t.Errorf("%s removed %d, want 1", c, got)
		}
	}
	if rep.Totals.Removed != 5 || rep.Totals.TTLRepaired != 0 || rep.Totals.Errors != 0 || rep.Totals.Scanned != 12 {
		t.Errorf("totals %+v", rep.Totals)
	}
	if !rep.Completed || rep.DryRun {
		t.Errorf("report %+v", rep)
	}
}

func TestTTLRepair(t *testing.T) {
	f := newFixture(t)
	today := f.now.Truncate(day)
	cases := []struct {
		name  string
		setup func(key string)
		key   string
		want  time.Time
	}{
		{"alert from t0", func(k string) { f.hset(k, 0, "t0", f.ms(10*day)) }, "ash:metrics:alert:a1", f.now.Add(80 * day)},
		{"alert without t0", func(k string) { f.hset(k, 0, "severity", "low") }, "ash:metrics:alert:a2", f.now.Add(90 * day)},
		{"alert with TTL too long", func(k string) { f.hset(k, 300*day, "t0", f.ms(10*day)) }, "ash:metrics:alert:a3", f.now.Add(80 * day)},
		{"alert t0 in the future", func(k string) { f.hset(k, 0, "t0", f.ms(-400*day)) }, "ash:metrics:alert:a4", f.now.Add(90 * day)},
		{"lookup", func(k string) { f.set(k, "a1", 0) }, "ash:metrics:alert_lookup:m1", f.now.Add(90 * day)},
		{"lookup TTL too long", func(k string) { f.set(k, "a1", 100*day) }, "ash:metrics:alert_lookup:m2", f.now.Add(90 * day)},
		{"daily", func(k string) { f.hset(k, 0, "total_alerts", 2) }, dayKey(today.Add(-10 * day)), today.Add(-9*day + 365*day)},
		{"daily today", func(k string) { f.hset(k, 0, "total_alerts", 2) }, dayKey(today), today.Add(day + 365*day)},
		{"daily bad date", func(k string) { f.hset(k, 0, "total_alerts", 2) }, "ash:metrics:daily:latest", f.now.Add(365 * day)},
		{"facts", func(k string) { f.hset(k, 0, "a1", "x") }, factsKey(today.Add(-10 * day)), today.Add(-9*day + 90*day)},
		{"facts today", func(k string) { f.hset(k, 0, "a1", "x") }, factsKey(today), today.Add(day + 90*day)},
		{"facts TTL too long", func(k string) { f.hset(k, 300*day, "a1", "x") }, factsKey(today.Add(-20 * day)), today.Add(-19*day + 90*day)},
		{"facts bad date", func(k string) { f.hset(k, 0, "a1", "x") }, "ash:metrics:facts:latest", f.now.Add(90 * day)},
		{"history", func(k string) { f.zadd(k, 0, f.ms(3*day), f.ms(2*day)) }, "ash:history:c1", f.now.Add(5 * day)},
		{"optout", func(k string) { f.set(k, f.ms(day), 0) }, "ash:optout:u1", f.now.Add(29 * day)},
		{"optout unparsable", func(k string) { f.set(k, "yes", 0) }, "ash:optout:u2", f.now.Add(30 * day)},
		{"session updated_at", func(k string) { f.hset(k, 0, "updated_at", f.ms(2*day), "started_at", f.ms(5*day)) }, "ash:session:s1", f.now.Add(28 * day)},
		{"session started_at", func(k string) { f.hset(k, 0, "started_at", f.ms(5*day)) }, "ash:session:s2", f.now.Add(25 * day)},
		{"session string", func(k string) { f.set(k, "{}", 0) }, "ash:session:s3", f.now.Add(30 * day)},
		{"session list", func(k string) { f.rdb.RPush(f.ctx, k, "x") }, "ash:session:s4", f.now.Add(30 * day)},
		{"scheduler", func(k string) { f.set(k, "x", 0) }, "ash:schedule:x:1:done", f.now.Add(35 * day)},
		{"scheduler TTL too long", func(k string) { f.set(k, "x", 400*day) }, "ash:schedule:x:2:done", f.now.Add(35 * day)},
		{"alert state created_at", func(k string) { f.hset(k, 0, "created_at", f.ms(10*day), "claimed_at", f.ms(11*day)) }, "ash:alert:1", f.now.Add(80 * day)},
		{"alert state claimed_at", func(k string) { f.hset(k, 0, "claimed_at", f.ms(day)) }, "ash:alert:2", f.now.Add(89 * day)},
		{"alert state TTL too long", func(k string) { f.hset(k, 200*day, "created_at", f.ms(30*day)) }, "ash:alert:3", f.now.Add(60 * day)},
		{"alert thread map", func(k string) { f.set(k, "1", 0) }, "ash:alert:thread:9", f.now.Add(90 * day)},
	}
	for _, c := range cases {
		c.setup(c.key)
	}
	// Keys past their retention and without TTL are removed, not repaired.
	f.hset("ash:metrics:alert:gone", 0, "t0", f.ms(100*day))
	f.set("ash:optout:gone", f.ms(40*day), 0)
	f.hset(factsKey(today.Add(-91*day)), 0, "a1", "x")

	rep := f.run(f.cleaner(), false)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f.t = t
			f.wantExpiry(c.key, c.want)
		})
	}
	f.t = t
	f.wantGone("ash:metrics:alert:gone", "ash:optout:gone", factsKey(today.Add(-91*day)))
	if rep.Totals.TTLRepaired != int64(len(cases)) || rep.Totals.Removed != 3 {
		t.Errorf("totals %+v, want %d repaired and 3 removed", rep.Totals, len(cases))
	}

	// A second pass finds nothing left to do.
	again := f.run(f.cleaner(), false)
	if again.Totals.TTLRepaired != 0 || again.Totals.Removed != 0 || again.Totals.EntriesPruned != 0 {
		t.Errorf("second pass %+v, want no changes", again.Totals)
	}
}

func TestForeignAndUnmanagedKeysUntouched(t *testing.T) {
	f := newFixture(t)
	f.set("app:foo", "bar", 0)
	f.hset("app:old", 0, "t0", f.ms(1000*day))
	f.set("ash:other:thing", "x", 0)
	f.set("ash:metrics:weird:1", "x", 0)
	f.set("ash:history:", "bare prefix", 0)
	f.set("ashmetrics:alert:1", "x", 0)
	f.zadd("history:1", time.Hour, f.ms(100*day))
	f.set("ash:config", "x", 100*day)
	f.set("ash:optout:gone", f.ms(100*day), 0) // managed, to be sure the run did work
	before := f.snapshot()
	delete(before, "ash:optout:gone")

	rep := f.run(f.cleaner(), false)
	after := f.snapshot()
	sameSnapshot(t, before, after)
	if rep.Ignored != 4 {
		t.Errorf("ignored %d ash: keys, want 4", rep.Ignored)
	}
	if rep.Totals.Removed != 1 {
		t.Errorf("removed %d, want 1", rep.Totals.Removed)
	}
}

// mixedData writes keys of every category in every state.
func mixedData(f *fixture) {
	f.hset("ash:metrics:alert:old", 0, "t0", f.ms(91*day))
	f.hset("ash:metrics:alert:nottl", 0, "t0", f.ms(9*day))
	f.hset("ash:metrics:alert:ok", 50*day, "t0", f.ms(9*day))
	f.set("ash:metrics:alert_lookup:1", "ok", 0)
	old := f.now.Add(-100 * day)
	f.hset(dayKey(old), 300*day, "total_alerts", 2, "a:x1", 1, "a:x2", 1)
	f.zadd("ash:history:mixed", 0, f.ms(10*day), f.ms(8*day), f.ms(day))
	f.zadd("ash:history:old", time.Hour, f.ms(10*day))
	f.set("ash:optout:1", f.ms(31*day), 0)
	f.hset("ash:session:1", 0, "updated_at", f.ms(day))
	f.set("ash:schedule:x", "y", 0)
	f.set("app:foo", "bar", 0)
}

func TestDryRunChangesNothing(t *testing.T) {
	f := newFixture(t)
	mixedData(f)
	before := f.snapshot()
	dry := f.run(f.cleaner(), true)
	sameSnapshot(t, before, f.snapshot())
	if !dry.DryRun {
		t.Error("report does not say dry run")
	}

	real := f.run(f.cleaner(), false)
	for _, c := range Categories() {
		if d, r := dry.Categories[c].Counts, real.Categories[c].Counts; d != r {
			t.Errorf("%s: dry run said %+v, real run did %+v", c, d, r)
		}
	}
	want := Counts{Scanned: 10, Removed: 3, TTLRepaired: 6, EntriesPruned: 4}
	if real.Totals != want {
		t.Errorf("totals %+v, want %+v", real.Totals, want)
	}
}

func TestIndexFieldsPrunedAggregatesKept(t *testing.T) {
	f := newFixture(t)
	old := dayKey(f.now.Add(-100 * day))  // past alert retention, within aggregate retention
	young := dayKey(f.now.Add(-80 * day)) // alert records of that day may still exist
	big := dayKey(f.now.Add(-200 * day))
	f.hset(old, 300*day, "total_alerts", 2, "sev:high", 2, "a:x1", 1, "a:x2", 1)
	f.hset(young, 300*day, "total_alerts", 1, "a:y1", 1)
	// Beyond one HSCAN page and the listpack encoding.
	var kv []any
	for i := range 2500 {
		kv = append(kv, fmt.Sprintf("a:z%d", i), 1)
	}
	f.hset(big, 200*day, append(kv, "total_alerts", 2500)...)

	rep := f.run(f.cleaner(), false)
	for key, want := range map[string][]string{
		old:   {"sev:high", "total_alerts"},
		young: {"a:y1", "total_alerts"},
		big:   {"total_alerts"},
	} {
		got, _ := f.rdb.HKeys(f.ctx, key).Result()
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s fields %v, want %v", key, got, want)
		}
	}
	if got := rep.Categories[Aggregates].EntriesPruned; got != 2502 {
		t.Errorf("pruned %d index fields, want 2502", got)
	}
}

func TestHistoryPruning(t *testing.T) {
	f := newFixture(t)
	f.zadd("ash:history:c1", 7*day, f.ms(9*day), f.ms(8*day), f.ms(2*day), f.ms(time.Hour))
	f.zadd("ash:history:c2", 7*day, f.ms(9*day), f.ms(8*day))
	// Enough old members to need the chunked path.
	var zs []redis.Z
	for i := range 2500 {
		zs = append(zs, redis.Z{Score: float64(f.ms(8*day) + int64(i)), Member: i})
	}
	f.rdb.ZAdd(f.ctx, "ash:history:big", zs...)
	f.zadd("ash:history:big", 0, f.ms(time.Minute))

	rep := f.run(f.cleaner(), false)
	if got := f.rdb.ZCard(f.ctx, "ash:history:c1").Val(); got != 2 {
		t.Errorf("c1 has %d members, want 2", got)
	}
	f.wantExpiry("ash:history:c1", f.now.Add(7*day-time.Hour))
	f.wantGone("ash:history:c2")
	if got := f.rdb.ZCard(f.ctx, "ash:history:big").Val(); got != 1 {
		t.Errorf("big has %d members, want 1", got)
	}
	f.wantExpiry("ash:history:big", f.now.Add(7*day-time.Minute))
	c := rep.Categories[MessageHistory]
	if c.EntriesPruned != 2502 || c.Removed != 1 || c.TTLRepaired != 2 {
		t.Errorf("history %+v", c.Counts)
	}
}

// The earlier bot (and ashbot, which keeps its layout) scores history in
// unix seconds: read as milliseconds, every member would be from January
// 1970 and an existing deployment's history would vanish on the first run.
func TestHistoryScoresInSeconds(t *testing.T) {
	f := newFixture(t)
	sec := func(ago time.Duration) float64 { return float64(f.now.Add(-ago).UnixMicro()) / 1e6 }
	zadd := func(key string, scores ...float64) {
		for i, sc := range scores {
			f.rdb.ZAdd(f.ctx, key, redis.Z{Score: sc, Member: fmt.Sprintf("m%d", i)})
		}
		f.rdb.PExpire(f.ctx, key, 14*day)
	}
	zadd("ash:history:g:seconds", sec(9*day), sec(2*day), sec(time.Hour))
	zadd("ash:history:g:allold", sec(9*day), sec(8*day))
	// A set with both forms: each member is judged in its own unit.
	zadd("ash:history:g:mixed", sec(9*day), float64(f.ms(8*day)), sec(3*day), float64(f.ms(2*time.Hour)))
	var zs []redis.Z
	for i := range 1500 {
		zs = append(zs, redis.Z{Score: sec(8*day) + float64(i)/1000, Member: fmt.Sprintf("old%d", i)})
	}
	f.rdb.ZAdd(f.ctx, "ash:history:g:big", zs...)
	f.rdb.ZAdd(f.ctx, "ash:history:g:big", redis.Z{Score: sec(time.Minute), Member: "new"})

	rep := f.run(f.cleaner(), false)
	if got := f.rdb.ZRange(f.ctx, "ash:history:g:seconds", 0, -1).Val(); len(got) != 2 {
		t.Errorf("seconds set keeps %v, want the two younger members", got)
	}
	f.wantExpiry("ash:history:g:seconds", f.now.Add(7*day-time.Hour))
	f.wantGone("ash:history:g:allold")
	if got := f.rdb.ZRange(f.ctx, "ash:history:g:mixed", 0, -1).Val(); !slices.Equal(got, []string{"m2", "m3"}) {
		t.Errorf("mixed set keeps %v, want m2 (3 days, seconds) and m3 (2 hours, ms)", got)
	}
	f.wantExpiry("ash:history:g:mixed", f.now.Add(7*day-2*time.Hour))
	if got := f.rdb.ZRange(f.ctx, "ash:history:g:big", 0, -1).Val(); !slices.Equal(got, []string{"new"}) {
		t.Errorf("big set keeps %d members", len(got))
	}
	if c := rep.Categories[MessageHistory]; c.EntriesPruned != 1+2+1500 || c.Removed != 1 {
		t.Errorf("history %+v", c.Counts)
	}
}

func TestPartialFailureOtherCategoriesRun(t *testing.T) {
	f := newFixture(t)
	f.hset("ash:optout:wrongtype", 0, "x", 1)
	f.set("ash:optout:gone", f.ms(40*day), 0)
	f.hset("ash:metrics:alert:gone", 0, "t0", f.ms(100*day))
	f.zadd("ash:history:gone", 0, f.ms(10*day))

	rep := f.run(f.cleaner(), false)
	f.wantGone("ash:optout:gone", "ash:metrics:alert:gone", "ash:history:gone")
	if !f.exists("ash:optout:wrongtype") || f.rdb.PTTL(f.ctx, "ash:optout:wrongtype").Val() != -1 {
		t.Error("key of unexpected type was changed")
	}
	o := rep.Categories[OptOuts]
	if o.Errors != 1 || o.Removed != 1 || len(o.ErrorSamples) != 1 || !strings.Contains(o.ErrorSamples[0], "unexpected type hash") {
		t.Errorf("optouts %+v", o)
	}
	if err := rep.Err(); err == nil || !strings.Contains(err.Error(), "optouts") {
		t.Errorf("Report.Err() = %v", err)
	}
}

// A Redis ACL that denies one category's keys makes every command on them
// fail with NOPERM, a realistic failure injected without test hooks.
func TestPartialFailureDeniedCategory(t *testing.T) {
	f := newFixture(t)
	err := f.rdb.Do(f.ctx, "ACL", "SETUSER", "cleaner", "reset", "on", ">secret",
		"~ash:metrics:*", "~ash:history:*", "~ash:optout:*", "~ash:schedule:*", "+@all").Err()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.rdb.Do(context.Background(), "ACL", "DELUSER", "cleaner") })
	limited := redis.NewClient(&redis.Options{Addr: srv.Addr, Username: "cleaner", Password: "secret"})
	t.Cleanup(func() { limited.Close() })

	f.hset("ash:session:denied", 0, "updated_at", f.ms(100*day))
	f.set("ash:optout:gone", f.ms(40*day), 0)
	f.hset("ash:metrics:alert:nottl", 0, "t0", f.ms(day))

	c, err := NewCleaner(limited, Config{Retentions: testRetentions, Clock: fixedClock(f.now),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := c.Run(f.ctx, Options{})
	if err != nil {
		t.Fatalf("Run stopped: %v", err)
	}
	if !f.exists("ash:session:denied") {
		t.Error("denied key removed")
	}
	f.wantGone("ash:optout:gone")
	f.wantExpiry("ash:metrics:alert:nottl", f.now.Add(89*day))
	if s := rep.Categories[SessionData]; s.Errors != 1 || !strings.Contains(strings.Join(s.ErrorSamples, ""), "NOPERM") {
		t.Errorf("session_data %+v", s)
	}
	if rep.Categories[OptOuts].Errors != 0 || rep.Categories[AlertMetrics].TTLRepaired != 1 {
		t.Errorf("other categories affected: %+v", rep.Categories)
	}
}

func TestRunFailsWhenRedisIsDown(t *testing.T) {
	f := newFixture(t)
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { down.Close() })
	c, err := NewCleaner(down, Config{Retentions: testRetentions, Clock: fixedClock(f.now),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := c.Run(f.ctx, Options{})
	if err == nil || rep.Completed {
		t.Errorf("Run = %+v, %v; want an error", rep, err)
	}
}

func TestOneLogRecordPerRun(t *testing.T) {
	f := newFixture(t)
	mixedData(f)
	var buf bytes.Buffer
	c := f.cleaner(func(c *Config) { c.Logger = slog.New(slog.NewJSONHandler(&buf, nil)) })
	var calls int
	var last Progress
	_, err := c.Run(f.ctx, Options{Progress: func(p Progress) { calls++; last = p }})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d log records, want 1: %s", len(lines), buf.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"dry_run", "duration_ms", "keys_scanned", "removed", "ttl_repaired", "entries_pruned", "errors"} {
		if _, ok := rec[k]; !ok {
			t.Errorf("log record lacks %s: %s", k, lines[0])
		}
	}
	if g, ok := rec["message_history"].(map[string]any); !ok || g["entries_pruned"] != float64(2) {
		t.Errorf("log record's message_history group: %v", rec["message_history"])
	}
	if calls == 0 || last.Scanned != 10 || last.EstimatedKeys != 11 {
		t.Errorf("progress calls=%d last=%+v", calls, last)
	}
}

func TestReportText(t *testing.T) {
	f := newFixture(t)
	mixedData(f)
	rep := f.run(f.cleaner(), true)
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"dry run", "message_history", "total", "ttl_repaired"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, b.String())
		}
	}
}

func TestClassify(t *testing.T) {
	cases := map[string]Category{
		"ash:metrics:alert:1":          AlertMetrics,
		"ash:metrics:alert_lookup:1":   AlertMetrics,
		"ash:metrics:daily:2026-01-01": Aggregates,
		"ash:metrics:facts:2026-01-01": AlertMetrics,
		"ash:history:1":                MessageHistory,
		"ash:optout:1":                 OptOuts,
		"ash:session:1":                SessionData,
		"ash:schedule:x":               Scheduler,
		"ash:schedule:escalation":      Scheduler,
		"ash:alert:1":                  AlertState,
		"ash:alert:thread:1":           AlertState,
		"ash:alert:flags:1":            AlertState,
		"ash:alert:open":               AlertState,
		"ash:alert:notes:1":            AlertState,
		"ash:metrics:user:1":           PersonAlerts,
		"ash:session:meta:1":           SessionData,
		"ash:migrate:backup:x":         AlertMetrics,
		"ash:chat:abcd1234":            MessageHistory,
		"ash:chat:":                    "",
		"ash:alert:":                   "",
		"ash:alerts:1":                 "",
		"ash:metrics:alert:":           "",
		"ash:metrics:alertx:1":         "",
		"app:ash:history:1":            "",
	}
	for key, want := range cases {
		got, ok := Classify(key)
		if got != want || ok != (want != "") {
			t.Errorf("Classify(%q) = %q, %v; want %q", key, got, ok, want)
		}
	}
	if len(Policies(testRetentions)) != 12 {
		t.Error("a key pattern has no policy")
	}
	if err := (Retentions{}).Validate(); err == nil {
		t.Error("zero retentions accepted")
	}
}

// Alert loop state (ash:alert:*) lives as long as the alert metrics: its
// age is the alert's creation, else the flag claim; keys of other shapes
// keep at most the retention from now.
func TestAlertStateRetention(t *testing.T) {
	f := newFixture(t)
	f.hset("ash:alert:old", 200*day, "created_at", f.ms(91*day), "claimed_at", f.ms(91*day), "ack_by", "111")
	f.hset("ash:alert:pending", 200*day, "claimed_at", f.ms(95*day))
	f.hset("ash:alert:young", 80*day, "created_at", f.ms(10*day))
	f.set("ash:alert:thread:5", "young", 80*day)
	f.set("ash:alert:flags:7", "3", 10*time.Minute)
	young := map[string]time.Time{}
	for _, k := range []string{"ash:alert:young", "ash:alert:thread:5", "ash:alert:flags:7"} {
		young[k] = f.expiry(k)
	}

	rep := f.run(f.cleaner(), false)

	f.wantGone("ash:alert:old", "ash:alert:pending")
	for k, exp := range young {
		if !f.exists(k) {
			t.Errorf("%s removed", k)
		} else if d := f.expiry(k).Sub(exp); d > time.Second || d < -time.Second {
			t.Errorf("%s TTL changed by %v", k, d)
		}
	}
	if got := rep.Categories[AlertState]; got.Removed != 2 || got.Scanned != 5 || got.Errors != 0 {
		t.Errorf("alert_state counts %+v, want 5 scanned and 2 removed", got.Counts)
	}
	if got := rep.Categories[AlertMetrics]; got.Scanned != 0 {
		t.Errorf("ash:alert:* keys counted as alert metrics: %+v", got.Counts)
	}
}

func TestCategoryCount(t *testing.T) {
	if n := len(Categories()); n != numCategories {
		t.Fatalf("numCategories is %d, Categories() has %d", numCategories, n)
	}
	for i, c := range Categories() {
		if categoryIndex(c) != i {
			t.Errorf("categoryIndex(%s) = %d, want %d", c, categoryIndex(c), i)
		}
	}
}

// A person's alert index is pruned with the alert-metrics retention, not
// the message history's, and expires the retention after its newest
// alert; its errors never name the key.
func TestPersonIndexPruning(t *testing.T) {
	f := newFixture(t)
	// Imported history: the key's TTL (90 days from the write) outlives
	// its newest alert's record (10 days old).
	f.zadd("ash:metrics:user:111", 90*day, f.ms(95*day), f.ms(20*day), f.ms(10*day))
	f.zadd("ash:metrics:user:222", 90*day, f.ms(92*day), f.ms(91*day))
	f.zadd("ash:metrics:user:333", 0, f.ms(8*day))
	f.set("ash:metrics:user:444", "not a zset", 0)

	rep := f.run(f.cleaner(), false)
	if got := f.rdb.ZCard(f.ctx, "ash:metrics:user:111").Val(); got != 2 {
		t.Errorf("111 has %d members, want 2 (8 days is within 90, unlike message history's 7)", got)
	}
	f.wantExpiry("ash:metrics:user:111", f.now.Add(80*day))
	f.wantGone("ash:metrics:user:222")
	f.wantExpiry("ash:metrics:user:333", f.now.Add(82*day))
	c := rep.Categories[PersonAlerts]
	if c.EntriesPruned != 1 || c.Removed != 1 || c.TTLRepaired != 2 || c.Errors != 1 {
		t.Errorf("person_alerts %+v", c.Counts)
	}
	for _, s := range c.ErrorSamples {
		if strings.Contains(s, "444") {
			t.Errorf("error sample names the person: %q", s)
		}
	}
}
