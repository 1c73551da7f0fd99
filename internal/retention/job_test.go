package retention

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/schedule"
	"github.com/alphabetcartel/ashbot/internal/schedule/scheduletest"
	"github.com/redis/go-redis/v9"
)

// The scheduler runs on a fake calendar clock; the cleaner measures ages on
// the fixture's clock, which Redis expiry must agree with.
func (f *fixture) dailyRunner(clock schedule.Clock, s Schedule, after func(context.Context, Report)) *schedule.Runner {
	f.t.Helper()
	r, err := NewDailyRunner(f.rdb, f.cleaner(), s, schedule.Options{
		Clock: clock, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, after)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

func calTime(d, h int) time.Time { return time.Date(2026, time.January, d, h, 0, 0, 0, time.UTC) }

func (f *fixture) markCleanupDone(periodID string) {
	f.set(schedule.DoneKey(JobName, periodID, ""), "test", time.Hour)
}

func TestDailyCleanupRunsAtConfiguredHour(t *testing.T) {
	f := newFixture(t)
	f.markCleanupDone("2026-01-04")
	f.set("ash:optout:gone", f.ms(40*day), 0)
	clock := scheduletest.NewClock(calTime(5, 4))
	var reports atomic.Int32
	r := f.dailyRunner(clock, Schedule{Enabled: true, Hour: 5}, func(context.Context, Report) { reports.Add(1) })
	if want := calTime(5, 5); !r.Next().Equal(want) {
		t.Errorf("Next = %v, want %v", r.Next(), want)
	}
	scheduletest.Start(t, r)
	clock.BlockUntil(t, 1)
	if !f.exists("ash:optout:gone") {
		t.Fatal("cleanup ran before its hour")
	}
	clock.Set(calTime(5, 5))
	clock.BlockUntil(t, 1)
	f.wantGone("ash:optout:gone")
	if reports.Load() != 1 {
		t.Errorf("after hook ran %d times, want 1", reports.Load())
	}
	if !f.exists(schedule.DoneKey(JobName, "2026-01-05", "")) {
		t.Error("no done marker")
	}
}

func TestDailyCleanupRestartAndReplicas(t *testing.T) {
	f := newFixture(t)
	f.markCleanupDone("2026-01-04")
	var reports atomic.Int32
	after := func(context.Context, Report) { reports.Add(1) }

	// Two replicas at the due time: one pass.
	clock := scheduletest.NewClock(calTime(5, 3))
	a := f.dailyRunner(clock, Schedule{Enabled: true, Hour: 3}, after)
	b := f.dailyRunner(clock, Schedule{Enabled: true, Hour: 3}, after)
	stopA, stopB := scheduletest.Start(t, a), scheduletest.Start(t, b)
	clock.BlockUntil(t, 2)
	clock.Advance(schedule.DefaultPoll) // let a replica that found the claim taken look again
	clock.BlockUntil(t, 2)
	if reports.Load() != 1 {
		t.Fatalf("%d cleanup passes by two replicas, want 1", reports.Load())
	}
	stopA()
	stopB()

	// A restart later in the window does not clean again.
	f.set("ash:optout:gone", f.ms(40*day), 0)
	clock = scheduletest.NewClock(calTime(5, 9))
	scheduletest.Start(t, f.dailyRunner(clock, Schedule{Enabled: true, Hour: 3}, after))
	clock.BlockUntil(t, 1)
	if reports.Load() != 1 || !f.exists("ash:optout:gone") {
		t.Fatal("restart inside the period ran cleanup again")
	}
	clock.Set(calTime(6, 3))
	clock.BlockUntil(t, 1)
	if reports.Load() != 2 {
		t.Fatal("next day's cleanup did not run")
	}
	f.wantGone("ash:optout:gone")
}

func TestDailyCleanupCatchesUpAfterDowntime(t *testing.T) {
	f := newFixture(t)
	f.markCleanupDone("2026-01-04")
	f.set("ash:optout:gone", f.ms(40*day), 0)
	// Down over 03:00, back at 20:00 the same day.
	clock := scheduletest.NewClock(calTime(5, 20))
	scheduletest.Start(t, f.dailyRunner(clock, Schedule{Enabled: true, Hour: 3}, nil))
	clock.BlockUntil(t, 1)
	f.wantGone("ash:optout:gone")
	if at, _ := clock.NextDeadline(); !at.Equal(calTime(6, 3)) {
		t.Errorf("next wake-up %v, want the next day's hour", at)
	}
}

func TestDailyCleanupDisabled(t *testing.T) {
	f := newFixture(t)
	f.set("ash:optout:gone", f.ms(40*day), 0)
	r := f.dailyRunner(scheduletest.NewClock(calTime(5, 3)), Schedule{Enabled: false, Hour: 3}, nil)
	if r != nil {
		t.Fatal("disabled cleanup returned a runner")
	}
	if !f.exists("ash:optout:gone") {
		t.Error("disabled cleanup removed a key")
	}
	if keys := f.rdb.Keys(f.ctx, "ash:schedule:*").Val(); len(keys) != 0 {
		t.Errorf("disabled cleanup wrote %v", keys)
	}
	if _, err := NewDailyRunner(f.rdb, f.cleaner(), Schedule{Enabled: true, Hour: 24}, schedule.Options{}, nil); err == nil {
		t.Error("hour 24 accepted")
	}
}

// Only an incomplete pass is retried: errors on single keys are reported
// and the pass counts as done, with the after hook run on its report.
func TestCleanupJobRetriesOnlyIncompletePasses(t *testing.T) {
	f := newFixture(t)
	f.hset("ash:optout:wrongtype", 0, "x", 1)
	f.set("ash:optout:gone", f.ms(40*day), 0)
	var reps []Report
	after := func(_ context.Context, rep Report) { reps = append(reps, rep) }
	task := schedule.Task{Period: schedule.Period{ID: "2026-01-05"}}

	job, err := f.cleaner().Job(3, after)
	if err != nil {
		t.Fatal(err)
	}
	if err := job.Run(f.ctx, task); err != nil {
		t.Fatalf("pass with a key error returned %v; it would be retried", err)
	}
	f.wantGone("ash:optout:gone")
	if len(reps) != 1 || reps[0].Totals.Errors != 1 || !reps[0].Completed {
		t.Fatalf("after hook got %+v, want one completed report with one error", reps)
	}

	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 100 * time.Millisecond})
	t.Cleanup(func() { down.Close() })
	c, err := NewCleaner(down, Config{Retentions: testRetentions, Clock: fixedClock(f.now),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if job, err = c.Job(3, after); err != nil {
		t.Fatal(err)
	}
	if err := job.Run(f.ctx, task); err == nil || schedule.IsPermanent(err) {
		t.Errorf("incomplete pass returned %v, want an error to retry", err)
	}
	if len(reps) != 1 {
		t.Errorf("after hook ran for an incomplete pass")
	}
}
