package migrate

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/earlierbot"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/followup"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/redistest"
	"github.com/alphabetcartel/ashbot/internal/retention"
)

var srv *redistest.Server

// DEBUG DIGEST proves a dry run (and a second run) changes nothing; Redis
// 7 refuses DEBUG unless it is enabled.
func TestMain(m *testing.M) { os.Exit(redistest.Main(m, &srv, "enable-debug-command local")) }

const day = 24 * time.Hour

var rets = retention.Retentions{
	AlertMetrics: 90 * day, Aggregates: 365 * day, MessageHistory: 7 * day, SessionData: 30 * day, OptOuts: 30 * day,
}

// env is a Redis seeded by the earlier bot, and what migrate needs.
type env struct {
	t   *testing.T
	ctx context.Context
	rdb redis.UniversalClient
	// now is the real time (held fixed): Redis applies PEXPIREAT on its
	// own clock.
	now time.Time
}

func newEnv(t *testing.T, rdb redis.UniversalClient) *env {
	return &env{t: t, ctx: context.Background(), rdb: rdb, now: time.Now().UTC().Truncate(time.Millisecond)}
}

func (e *env) clock() time.Time { return e.now }

func (e *env) iso(t time.Time) string { return earlierbot.FormatTime(t) }

// naive is Python's datetime.utcnow().isoformat() (+ "Z" in its metrics
// models).
func naive(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000") + "Z" }

func (e *env) set(key, value string, ttl time.Duration) {
	e.t.Helper()
	if err := e.rdb.Set(e.ctx, key, value, ttl).Err(); err != nil {
		e.t.Fatal(err)
	}
}

// zadd writes members as the earlier bot did: ZADD then EXPIRE (seconds).
func (e *env) zadd(key string, ttl time.Duration, zs ...redis.Z) {
	e.t.Helper()
	if err := e.rdb.ZAdd(e.ctx, key, zs...).Err(); err != nil {
		e.t.Fatal(err)
	}
	if ttl > 0 {
		e.rdb.Expire(e.ctx, key, ttl)
	}
}

func secs(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }

// Alert ids and times of the seeded earlier alerts.
const (
	earlierAlert = "alert_0123456789ab"
	pendingAlert = "6002" // the flagged message of the pending alert
)

// seed writes every key form of earlier-bot.md the way the earlier bot's
// code writes it (JSON from Python's json.dumps, ISO times, second scores).
func (e *env) seed() {
	now := e.now
	// Opt-outs: its JSON form with and without TTL, ashbot's older unix-ms
	// form, and a value nobody can read.
	e.set("ash:optout:111", fmt.Sprintf(`{"user_id": 111, "opted_out": true, "opted_out_at": %q, "expires_at": %q}`,
		e.iso(now.Add(-10*day)), e.iso(now.Add(20*day))), 20*day)
	e.set("ash:optout:112", fmt.Sprintf(`{"user_id": 112, "opted_out": true, "opted_out_at": %q, "expires_at": %q}`,
		e.iso(now.Add(-20*day)), e.iso(now.Add(10*day))), 0)
	e.set("ash:optout:113", fmt.Sprint(now.Add(-5*day).UnixMilli()), 25*day)
	e.set("ash:optout:114", "yes", 0)

	// Message history: three messages, one malformed.
	msg := func(t time.Time, text string) redis.Z {
		return redis.Z{Score: secs(t), Member: fmt.Sprintf(`{"message": %q, "timestamp": %q, "crisis_score": 0.7, "severity": "high", "message_id": 42}`, text, e.iso(t))}
	}
	e.zadd("ash:history:900:111", 14*day, msg(now.Add(-3*day), "a"), msg(now.Add(-time.Hour), "b"),
		redis.Z{Score: secs(now.Add(-time.Minute)), Member: "not json"})

	// Pending auto-initiates: due, past, cancelled, below our minimum.
	pending := func(id, alertMsg, sev string, created time.Time, cancelled bool) {
		due := created.Add(3 * time.Minute)
		v := fmt.Sprintf(`{"alert_message_id": %s, "alert_channel_id": 800, "user_id": 111, "original_message_id": %s, "original_channel_id": 801, "severity": %q, "created_at": %q, "expires_at": %q, "auto_initiated": false, "cancelled": %t}`,
			alertMsg, id, sev, e.iso(created), e.iso(due), cancelled)
		e.set("ash:pending_alert:"+alertMsg, v, max(due.Add(300*time.Second).Sub(now), time.Minute))
	}
	pending(pendingAlert, "7002", "high", now.Add(-time.Minute), false)
	pending("6003", "7003", "critical", now.Add(-5*time.Minute), false)
	pending("6004", "7004", "high", now.Add(-time.Minute), true)
	pending("6005", "7005", "low", now.Add(-time.Minute), false)

	// Session metadata: one that lost its TTL (a plain SET at the end of
	// the chat), one that has it.
	e.set("ash:session:meta:abc123", fmt.Sprintf(`{"session_id": "abc123", "user_id": 111, "user_name": "Robin", "severity": "high", "started_at": %q, "status": "ended", "ended_at": %q, "duration_seconds": 600.0, "message_count": 7, "end_reason": "user_ended"}`,
		e.iso(now.Add(-2*day-10*time.Minute)), e.iso(now.Add(-2*day))), 0)
	e.set("ash:session:meta:def456", fmt.Sprintf(`{"session_id": "def456", "user_id": 112, "started_at": %q, "status": "active", "ended_at": null}`, e.iso(now.Add(-time.Hour))), 30*day)

	// Follow-ups.
	e.set("ash:followup:scheduled:f1", `{"user_id": 111, "scheduled_for": "x"}`, 0)
	e.set("ash:followup:last:111", fmt.Sprintf(`{"followup_id": "fu_abc123", "sent_at": %q}`, e.iso(now.Add(-2*time.Hour))), 24*time.Hour)

	// Phase 8: an alert's snapshots (created; acknowledged; Ash and first
	// response), its lookup, a day's aggregate; an alert nobody can read.
	created := now.Add(-2 * day).Truncate(time.Second)
	snap := func(at time.Time, extra string) redis.Z {
		return redis.Z{Score: secs(at), Member: fmt.Sprintf(`{"alert_id": %q, "alert_message_id": 7001, "user_id": 111, "channel_id": 801, "severity": "high", "channel_sensitivity": 1.0, "alert_created_at": %q%s}`,
			earlierAlert, naive(created), extra)}
	}
	e.zadd("ash:metrics:alert:"+earlierAlert, 90*day,
		snap(created, `, "acknowledged_at": null, "was_auto_initiated": false, "user_opted_out": false`),
		snap(created.Add(2*time.Minute), fmt.Sprintf(`, "acknowledged_at": %q, "acknowledged_by": 555, "time_to_acknowledge_seconds": 120`, naive(created.Add(2*time.Minute)))),
		snap(created.Add(5*time.Minute), fmt.Sprintf(`, "acknowledged_at": %q, "acknowledged_by": 555, "ash_contacted_at": %q, "ash_initiated_by": "555", "first_response_at": %q, "first_responder_id": 556, "resolved_at": %q, "user_opted_out": true`,
			naive(created.Add(2*time.Minute)), naive(created.Add(3*time.Minute)), naive(created.Add(4*time.Minute)), naive(created.Add(5*time.Minute)))))
	e.zadd("ash:metrics:alert_lookup:7001", 90*day, redis.Z{Score: secs(created), Member: earlierAlert})
	e.zadd("ash:metrics:daily:"+created.Format(time.DateOnly), 365*day,
		redis.Z{Score: secs(created.Add(2 * time.Minute)), Member: `{"date": "x", "total_alerts": 1, "by_severity": {"low": 0, "medium": 0, "high": 1, "critical": 0}}`})
	e.zadd("ash:metrics:alert:alert_bad", 90*day, redis.Z{Score: secs(created), Member: "garbage"})

	// Not the earlier bot's: never touched.
	e.set("other:key", "x", 0)
}

func (e *env) migrator(dry bool) *Migrator {
	e.t.Helper()
	rec, err := metrics.NewRecorder(e.rdb, metrics.RecorderOptions{Enabled: true, AlertTTL: rets.AlertMetrics, AggregateTTL: rets.Aggregates, Now: e.clock})
	if err != nil {
		e.t.Fatal(err)
	}
	store, err := alerts.NewStore(e.rdb, alerts.StoreOptions{TTL: rets.AlertMetrics, Now: e.clock})
	if err != nil {
		e.t.Fatal(err)
	}
	ai, err := ash.NewAutoInit(ash.NewDueSet(e.rdb, ash.AutoInitKey), 3*time.Minute, events.Medium)
	if err != nil {
		e.t.Fatal(err)
	}
	m, err := New(e.rdb, Options{DryRun: dry, Retentions: rets, Recorder: rec, Alerts: store, AutoInit: ai, Now: e.clock,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

func (e *env) run(dry bool) *Report {
	e.t.Helper()
	rep, err := e.migrator(dry).Run(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		e.t.Fatalf("migration errors: %v", err)
	}
	return rep
}

func (e *env) digest() string {
	e.t.Helper()
	d, err := e.rdb.Do(e.ctx, "DEBUG", "DIGEST").Text()
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

func (e *env) ttl(key string) time.Duration { return e.rdb.PTTL(e.ctx, key).Val() }

// near reports whether key expires at want, give or take the seconds a
// test takes.
func (e *env) wantExpiry(key string, want time.Time) {
	e.t.Helper()
	got := e.now.Add(e.ttl(key))
	if d := got.Sub(want); d > 5*time.Second || d < -5*time.Second || e.ttl(key) < 0 {
		e.t.Errorf("%s expires %v (ttl %v), want %v", key, got, e.ttl(key), want)
	}
}

func outcome(rep *Report, kind, prefix string) int64 {
	for o, n := range rep.kind(kind).Outcomes {
		if strings.HasPrefix(o, prefix) {
			return n
		}
	}
	return 0
}

func TestDryRunChangesNothing(t *testing.T) {
	e := newEnv(t, srv.Fresh(t))
	e.seed()
	before := e.digest()
	rep := e.run(true)
	if after := e.digest(); after != before {
		t.Fatal("a dry run changed the data (DEBUG DIGEST differs)")
	}
	for kind, want := range map[string]int64{
		KindOptOuts: 4, KindHistory: 1, KindPending: 4, KindSessions: 2, KindFollowUps: 2,
		KindMetricsAlerts: 2, KindMetricsLookups: 1, KindMetricsDaily: 1,
	} {
		if got := rep.kind(kind).Found; got != want {
			t.Errorf("%s: found %d, want %d", kind, got, want)
		}
	}
	if n := outcome(rep, KindOptOuts, "unix ms: would"); n != 1 {
		t.Errorf("dry run: %d opt-outs to rewrite, want 1", n)
	}
	if n := outcome(rep, KindPending, "due: would"); n != 1 {
		t.Errorf("dry run: %d timers to set, want 1", n)
	}
	if n := outcome(rep, KindFollowUps, "last check-in: would"); n != 1 {
		t.Errorf("dry run: %d last check-ins to carry over, want 1", n)
	}
	// created, acknowledged, ash_contacted, user_opted_out, first_response
	if n := outcome(rep, KindEvents, "events to record"); n != 5 {
		t.Errorf("dry run: %d events to record, want 5", n)
	}
	var text bytes.Buffer
	rep.WriteText(&text)
	if !strings.Contains(text.String(), "dry run, nothing was changed") || strings.Contains(text.String(), "111") {
		t.Errorf("dry-run text (must not name the person):\n%s", text.String())
	}
}

func TestMigrateTwiceThenCleanupAndReport(t *testing.T) {
	e := newEnv(t, srv.Fresh(t))
	e.seed()
	optOut111 := e.rdb.Get(e.ctx, "ash:optout:111").Val()
	history := e.rdb.ZRangeWithScores(e.ctx, "ash:history:900:111", 0, -1).Val()

	rep := e.run(false)

	// Opt-outs: the earlier form stays; ours becomes it; all have a TTL.
	if v := e.rdb.Get(e.ctx, "ash:optout:111").Val(); v != optOut111 {
		t.Errorf("earlier opt-out changed: %s", v)
	}
	e.wantExpiry("ash:optout:112", e.now.Add(10*day))
	v := e.rdb.Get(e.ctx, "ash:optout:113").Val()
	if o, err := earlierbot.ParseOptOut(v); err != nil || o.UserID != "113" || !o.OptedOutAt.Equal(e.now.Add(-5*day)) {
		t.Errorf("ash:optout:113 = %s (%v), want the earlier JSON form of the same opt-out", v, err)
	}
	e.wantExpiry("ash:optout:113", e.now.Add(25*day))
	e.wantExpiry("ash:optout:114", e.now.Add(30*day))

	// History: as it was, and reported.
	if got := e.rdb.ZRangeWithScores(e.ctx, "ash:history:900:111", 0, -1).Val(); fmt.Sprint(got) != fmt.Sprint(history) {
		t.Errorf("history changed: %v", got)
	}
	if outcome(rep, KindHistory, "messages") != 3 || outcome(rep, KindHistory, "malformed") != 1 {
		t.Errorf("history report %+v", rep.kind(KindHistory).Outcomes)
	}

	// Pending: the due one is our timer at the earlier due time, with
	// alert state and an alert record; the others are not.
	due := e.rdb.ZScore(e.ctx, ash.AutoInitKey, pendingAlert).Val()
	if want := e.now.Add(-time.Minute).Add(3 * time.Minute).Truncate(time.Microsecond).UnixMilli(); int64(due) != want {
		t.Errorf("auto-initiate timer at %v, want %v", int64(due), want)
	}
	if n := e.rdb.ZCard(e.ctx, ash.AutoInitKey).Val(); n != 1 {
		t.Errorf("%d timers, want 1 (past, cancelled and low ones are not fired)", n)
	}
	if outcome(rep, KindPending, "past due") != 1 || outcome(rep, KindPending, "acknowledged") != 1 || outcome(rep, KindPending, "below") != 1 {
		t.Errorf("pending report %+v", rep.kind(KindPending).Outcomes)
	}
	store, _ := alerts.NewStore(e.rdb, alerts.StoreOptions{TTL: rets.AlertMetrics, Now: e.clock})
	if st, err := store.Load(e.ctx, pendingAlert); err != nil || st.AlertMessageID != "7002" || st.UserID != "111" || st.Severity != events.High {
		t.Errorf("alert state of the pending alert: %+v %v", st, err)
	}

	// Sessions and follow-ups get their TTLs.
	e.wantExpiry("ash:session:meta:abc123", e.now.Add(-2*day).Add(30*day))
	e.wantExpiry("ash:followup:scheduled:f1", e.now.Add(72*time.Hour))
	// When alice last got a check-in holds for ashbot's one a day.
	if got, want := e.rdb.Get(e.ctx, followup.LastKey("111")).Val(), strconv.FormatInt(e.now.Add(-2*time.Hour).Truncate(time.Millisecond).UnixMilli(), 10); got != want {
		t.Errorf("last check-in carried over as %q, want %q", got, want)
	}
	if outcome(rep, KindFollowUps, "last check-in carried") != 1 || outcome(rep, KindFollowUps, "not carried over") != 1 {
		t.Errorf("follow-ups report %+v", rep.kind(KindFollowUps).Outcomes)
	}

	// Metrics: ours now, with the earlier record kept in its backup.
	ms := metrics.NewStore(e.rdb, e.clock)
	a, err := ms.AlertByMessage(e.ctx, "7001")
	if err != nil {
		t.Fatalf("alert by message after migration: %v", err)
	}
	if a.AlertID != earlierAlert || a.TimeToAcknowledgeSeconds == nil || *a.TimeToAcknowledgeSeconds != 120 ||
		a.AshContactedBy != "555" || a.FirstResponseBy != "556" || !a.UserOptedOut || a.ResolvedAt != nil {
		t.Errorf("converted alert %+v", a)
	}
	if typ := e.rdb.Type(e.ctx, backupKey("ash:metrics:alert:"+earlierAlert)).Val(); typ != "zset" || e.ttl(backupKey("ash:metrics:alert:"+earlierAlert)) <= 0 {
		t.Errorf("backup of the earlier alert: %s, ttl %v", typ, e.ttl(backupKey("ash:metrics:alert:"+earlierAlert)))
	}
	if e.rdb.Exists(e.ctx, "ash:metrics:alert:alert_bad").Val() != 0 || outcome(rep, KindEvents, "alerts not carried over") != 1 {
		t.Errorf("unreadable earlier alert: still in the way, or not reported: %+v", rep.kind(KindEvents).Outcomes)
	}
	if e.rdb.Get(e.ctx, "other:key").Val() != "x" {
		t.Error("a foreign key was touched")
	}

	// The second run changes nothing.
	before := e.digest()
	rep2 := e.run(false)
	if e.digest() != before {
		t.Error("the second run changed the data")
	}
	if outcome(rep2, KindEvents, "events recorded") != 0 || outcome(rep2, KindEvents, "events already recorded") != 5 {
		t.Errorf("second run events %+v", rep2.kind(KindEvents).Outcomes)
	}

	// Cleanup and the weekly report work on the result.
	cl, err := retention.NewCleaner(e.rdb, retention.Config{Retentions: rets, Clock: fixedClock(e.now), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	crep, err := cl.Run(e.ctx, retention.Options{})
	if err != nil || crep.Err() != nil {
		t.Fatalf("cleanup after migration: %v %v", err, crep.Err())
	}
	sum, err := ms.Weekly(e.ctx, e.now)
	if err != nil {
		t.Fatal(err)
	}
	if sum.TotalAlerts != 2 || len(sum.Unreadable) != 0 || sum.TimeToAcknowledge.Count != 1 {
		t.Errorf("weekly summary after migration: %d alerts, %d acknowledged, unreadable %v", sum.TotalAlerts, sum.TimeToAcknowledge.Count, sum.Unreadable)
	}
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// Before migrating, the earlier keys are in the way of ours: recording,
// the report, `alert show` and cleanup say which key and what fixes it,
// and go on with the rest.
func TestWrongTypeNeverBlocks(t *testing.T) {
	e := newEnv(t, srv.Fresh(t))
	e.seed()
	rec, _ := metrics.NewRecorder(e.rdb, metrics.RecorderOptions{Enabled: true, AlertTTL: rets.AlertMetrics, AggregateTTL: rets.Aggregates, Now: e.clock})
	created := e.now.Add(-2 * day).Truncate(time.Second)

	_, err := rec.Record(e.ctx, events.Event{Type: events.Acknowledged, AlertID: earlierAlert, At: e.now, By: "555"})
	if !metrics.IsRejected(err) || !strings.Contains(err.Error(), "ash:metrics:alert:"+earlierAlert) || !strings.Contains(err.Error(), metrics.MigrateCommand) {
		t.Errorf("recording onto an earlier alert: %v; want a rejection naming the key and the command", err)
	}
	// A new alert on the day of an earlier aggregate: its record is
	// stored, the day's counts are refused with the reason.
	_, err = rec.Record(e.ctx, events.Event{Type: events.AlertCreated, AlertID: "new1", At: created.Add(time.Hour),
		AlertMessageID: "9001", UserID: "111", ChannelID: "801", Severity: events.High})
	if !metrics.IsRejected(err) || !strings.Contains(err.Error(), "ash:metrics:daily:") {
		t.Errorf("recording onto an earlier aggregate: %v", err)
	}
	// Another day is not held up.
	if _, err := rec.Record(e.ctx, events.Event{Type: events.AlertCreated, AlertID: "new2", At: e.now.Add(-time.Hour),
		AlertMessageID: "9002", UserID: "111", ChannelID: "801", Severity: events.High}); err != nil {
		t.Errorf("recording an alert of another day: %v", err)
	}

	ms := metrics.NewStore(e.rdb, e.clock)
	sum, err := ms.Weekly(e.ctx, e.now)
	if err != nil {
		t.Fatalf("weekly summary with an earlier aggregate in the week: %v", err)
	}
	if sum.TotalAlerts < 1 || len(sum.Unreadable) != 1 || !strings.Contains(sum.Unreadable[0], metrics.MigrateCommand) {
		t.Errorf("weekly summary: %d alerts, unreadable %v", sum.TotalAlerts, sum.Unreadable)
	}
	if _, err := ms.AlertByMessage(e.ctx, "7001"); err == nil || !strings.Contains(err.Error(), "ash:metrics:alert_lookup:7001") || !strings.Contains(err.Error(), metrics.MigrateCommand) {
		t.Errorf("alert show --message on an earlier lookup: %v", err)
	}
	if _, err := ms.Alert(e.ctx, earlierAlert); err == nil || !strings.Contains(err.Error(), metrics.MigrateCommand) {
		t.Errorf("alert show on an earlier alert: %v", err)
	}

	cl, _ := retention.NewCleaner(e.rdb, retention.Config{Retentions: rets, Clock: fixedClock(e.now), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	crep, err := cl.Run(e.ctx, retention.Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := crep.Err(); err == nil || !strings.Contains(err.Error(), metrics.MigrateCommand) {
		t.Errorf("cleanup over earlier keys: %v", err)
	}

	// Migrating clears the way: the rejected acknowledgment goes through.
	e.run(false)
	if out, err := rec.Record(e.ctx, events.Event{Type: events.Resolved, AlertID: earlierAlert, At: e.now, By: "555"}); err != nil || out != metrics.Recorded {
		t.Errorf("recording after migration: %v %v", out, err)
	}
}

// The whole migration on a three-node Redis Cluster: any step that needed
// two hash slots would fail with CROSSSLOT.
func TestMigrateOnCluster(t *testing.T) {
	cl, err := redistest.StartCluster(3)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Stop()
	rdb := cl.Client()
	defer rdb.Close()
	e := newEnv(t, rdb)
	e.seed()
	e.run(false)
	rep := e.run(false)
	if outcome(rep, KindEvents, "events already recorded") != 5 || rep.kind(KindOptOuts).Found != 4 {
		t.Errorf("second run on the cluster: %+v %+v", rep.kind(KindEvents).Outcomes, rep.kind(KindOptOuts).Outcomes)
	}
}

// A run stopped between any two steps of moving an earlier alert loses
// nothing: after the copy (both keys there), and after the removal (only
// the backup there), the next run records the alert.
func TestResumesAfterACrash(t *testing.T) {
	for _, removed := range []bool{false, true} {
		t.Run(fmt.Sprintf("original removed %v", removed), func(t *testing.T) {
			e := newEnv(t, srv.Fresh(t))
			e.seed()
			key := "ash:metrics:alert:" + earlierAlert
			dump := e.rdb.Dump(e.ctx, key).Val()
			if err := e.rdb.RestoreReplace(e.ctx, backupKey(key), 90*day, dump).Err(); err != nil {
				t.Fatal(err)
			}
			if removed {
				e.rdb.Del(e.ctx, key)
			}
			rep := e.run(false)
			if n := outcome(rep, KindEvents, "events recorded"); n != 5 {
				t.Errorf("%d events recorded, want 5: %+v", n, rep.kind(KindEvents).Outcomes)
			}
			a, err := metrics.NewStore(e.rdb, e.clock).Alert(e.ctx, earlierAlert)
			if err != nil || a.AcknowledgedBy != "555" {
				t.Errorf("alert after resuming: %+v %v", a, err)
			}
			if e.rdb.Type(e.ctx, backupKey(key)).Val() != "zset" {
				t.Error("backup lost")
			}
		})
	}
}

// An earlier alert older than our alert retention (an earlier bot that
// kept its records longer) counts in its day's aggregate, as an import
// counts it, and has no record of ours.
func TestAlertOlderThanAlertRetentionCountsInAggregatesOnly(t *testing.T) {
	e := newEnv(t, srv.Fresh(t))
	created := e.now.Add(-120 * day).Truncate(time.Second)
	const id = "alert_old1"
	e.zadd("ash:metrics:alert:"+id, 30*day,
		redis.Z{Score: secs(created), Member: fmt.Sprintf(`{"alert_id": %q, "alert_message_id": 7101, "user_id": 111, "channel_id": 801, "severity": "critical", "alert_created_at": %q, "acknowledged_at": %q, "acknowledged_by": 555}`,
			id, naive(created), naive(created.Add(90*time.Second)))})

	rep := e.run(false)
	if n := outcome(rep, KindEvents, "events counted in the daily aggregates only"); n != 2 {
		t.Errorf("%d events counted aggregate-only, want 2: %+v", n, rep.kind(KindEvents).Outcomes)
	}
	if n := outcome(rep, KindEvents, "events rejected"); n != 0 {
		t.Errorf("%d events rejected: %+v", n, rep.kind(KindEvents).Problems)
	}
	if e.rdb.Exists(e.ctx, "ash:metrics:alert:"+id).Val() != 0 {
		t.Error("an alert record was written for an alert past the alert retention")
	}
	d, err := metrics.NewStore(e.rdb, e.clock).Daily(e.ctx, created.Truncate(day))
	if err != nil {
		t.Fatal(err)
	}
	if d.TotalAlerts != 1 || d.BySeverity["critical"] != 1 || d.Acknowledge != (metrics.Sum{Count: 1, SumSeconds: 90}) || d.Responders["555"] != 1 {
		t.Errorf("daily aggregate %+v", d)
	}

	// Again: nothing new is counted.
	before := e.digest()
	e.run(false)
	if e.digest() != before {
		t.Error("the second run changed the data")
	}
}
