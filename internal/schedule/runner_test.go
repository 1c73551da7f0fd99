package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/redistest"
	"github.com/alphabetcartel/ashbot/internal/schedule"
	"github.com/alphabetcartel/ashbot/internal/schedule/scheduletest"
	"github.com/redis/go-redis/v9"
)

var srv *redistest.Server

func TestMain(m *testing.M) { os.Exit(redistest.Main(m, &srv)) }

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// recorder is a job that records the tasks it ran and fails on demand.
type recorder struct {
	mu    sync.Mutex
	tasks []schedule.Task
	fail  func(n int, t schedule.Task) error // n counts calls, from 1
	calls int
}

func (r *recorder) run(_ context.Context, t schedule.Task) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.fail != nil {
		if err := r.fail(r.calls, t); err != nil {
			return err
		}
	}
	r.tasks = append(r.tasks, t)
	return nil
}

func (r *recorder) ids() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ids []string
	for _, t := range r.tasks {
		id := t.Period.ID
		if t.Target != "" {
			id += "/" + t.Target
		}
		ids = append(ids, id)
	}
	return ids
}

// wantRan fails t unless the tasks run so far are want, as "period" or
// "period/target".
func (r *recorder) wantRan(t *testing.T, want ...string) {
	t.Helper()
	if got := r.ids(); !slices.Equal(got, want) {
		t.Fatalf("ran %v, want %v", got, want)
	}
}

func newTestRunner(t *testing.T, rdb redis.UniversalClient, clock schedule.Clock, cal schedule.Calendar, run func(context.Context, schedule.Task) error, opts schedule.Options) *schedule.Runner {
	t.Helper()
	opts.Clock = clock
	opts.Logger = quietLogger()
	r, err := schedule.NewRunner(rdb, schedule.Job{Name: "test-job", Calendar: cal, Run: run}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func markDone(t *testing.T, rdb redis.UniversalClient, periodID string) {
	t.Helper()
	if err := rdb.Set(context.Background(), schedule.DoneKey("test-job", periodID, ""), "test", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
}

func daily3(t *testing.T) schedule.Calendar {
	cal, err := schedule.Daily(3)
	if err != nil {
		t.Fatal(err)
	}
	return cal
}

func TestRunnerRunsAtDueTime(t *testing.T) {
	rdb := srv.Fresh(t)
	clock := scheduletest.NewClock(utc(2026, time.January, 5, 2, 0))
	markDone(t, rdb, "2026-01-04")
	rec := &recorder{}
	r := newTestRunner(t, rdb, clock, daily3(t), rec.run, schedule.Options{})
	if got, want := r.Next(), utc(2026, time.January, 5, 3, 0); !got.Equal(want) {
		t.Fatalf("Next = %v, want %v", got, want)
	}
	scheduletest.Start(t, r)

	clock.BlockUntil(t, 1)
	clock.Set(utc(2026, time.January, 5, 3, 0).Add(-time.Nanosecond))
	clock.BlockUntil(t, 1)
	if n := len(rec.ids()); n != 0 {
		t.Fatalf("job ran %d times before its due time", n)
	}

	clock.Set(utc(2026, time.January, 5, 3, 0))
	clock.BlockUntil(t, 1)
	rec.wantRan(t, "2026-01-05")
	if at, _ := clock.NextDeadline(); !at.Equal(utc(2026, time.January, 6, 3, 0)) {
		t.Errorf("next wake-up %v, want the next due time", at)
	}
	ttl := rdb.TTL(context.Background(), schedule.DoneKey("test-job", "2026-01-05", "")).Val()
	if ttl < 34*24*time.Hour {
		t.Errorf("done marker TTL %v, want about 35 days", ttl)
	}
	if n := rdb.Exists(context.Background(), schedule.LockKey("test-job", "2026-01-05", "")).Val(); n != 0 {
		t.Error("claim not released after the run")
	}

	clock.Set(utc(2026, time.January, 6, 3, 0))
	clock.BlockUntil(t, 1)
	rec.wantRan(t, "2026-01-05", "2026-01-06")
	if s := r.Stats(); s.Runs != 2 || s.Failures != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestRunnerRestartInsideWindowDoesNotRerun(t *testing.T) {
	rdb := srv.Fresh(t)
	clock := scheduletest.NewClock(utc(2026, time.January, 5, 3, 0))
	rec := &recorder{}
	first := newTestRunner(t, rdb, clock, daily3(t), rec.run, schedule.Options{})
	stop := scheduletest.Start(t, first)
	clock.BlockUntil(t, 1)
	stop()

	// A new clock: the stopped runner's abandoned wait would count as a waiter.
	clock = scheduletest.NewClock(utc(2026, time.January, 5, 5, 0))
	second := newTestRunner(t, rdb, clock, daily3(t), rec.run, schedule.Options{})
	scheduletest.Start(t, second)
	clock.BlockUntil(t, 1)
	rec.wantRan(t, "2026-01-05")
	if s := second.Stats(); s.Runs != 0 || s.Skips != 1 {
		t.Errorf("restarted runner stats %+v, want one skip", s)
	}
}

func TestTwoReplicasRunOnce(t *testing.T) {
	rdb := srv.Fresh(t)
	clock := scheduletest.NewClock(utc(2026, time.January, 5, 2, 0))
	markDone(t, rdb, "2026-01-04")
	var (
		mu      sync.Mutex
		runs    int
		entered = make(chan struct{}, 2)
		release = make(chan struct{})
	)
	job := func(ctx context.Context, _ schedule.Task) error {
		mu.Lock()
		runs++
		mu.Unlock()
		entered <- struct{}{}
		<-release
		return nil
	}
	a := newTestRunner(t, rdb, clock, daily3(t), job, schedule.Options{Owner: "a"})
	b := newTestRunner(t, rdb, clock, daily3(t), job, schedule.Options{Owner: "b"})
	scheduletest.Start(t, a)
	scheduletest.Start(t, b)
	clock.BlockUntil(t, 2)

	clock.Set(utc(2026, time.January, 5, 3, 0))
	<-entered
	// The replica that lost the claim polls while the winner runs.
	clock.BlockUntil(t, 1)
	close(release)
	clock.BlockUntil(t, 2)
	clock.Advance(schedule.DefaultPoll)
	clock.BlockUntil(t, 2)

	mu.Lock()
	defer mu.Unlock()
	if runs != 1 {
		t.Fatalf("job ran %d times across two replicas, want 1", runs)
	}
	sa, sb := a.Stats(), b.Stats()
	// Each replica also skipped the 2026-01-04 period, done before they started.
	if sa.Runs+sb.Runs != 1 || sa.Skips+sb.Skips != 3 {
		t.Errorf("stats a=%+v b=%+v, want one run and one skip of 2026-01-05", sa, sb)
	}
}

func TestDowntimeCatchUpWithinPeriod(t *testing.T) {
	rdb := srv.Fresh(t)
	markDone(t, rdb, "2026-01-04")
	// Down at 03:00, back at 10:00 the same day: the period is still open.
	clock := scheduletest.NewClock(utc(2026, time.January, 5, 10, 0))
	rec := &recorder{}
	r := newTestRunner(t, rdb, clock, daily3(t), rec.run, schedule.Options{})
	scheduletest.Start(t, r)
	clock.BlockUntil(t, 1)
	rec.wantRan(t, "2026-01-05")
	if due := rec.tasks[0].Period.Due; !due.Equal(utc(2026, time.January, 5, 3, 0)) {
		t.Errorf("task due %v, want the period's due time", due)
	}
	if s := r.Stats(); s.Missed != 0 {
		t.Errorf("stats %+v, want nothing missed", s)
	}
}

func TestMissedPeriodIsNotRunLate(t *testing.T) {
	rdb := srv.Fresh(t)
	markDone(t, rdb, "2026-01-04")
	// Down from before 2026-01-05 03:00 until after 2026-01-06 03:00.
	clock := scheduletest.NewClock(utc(2026, time.January, 6, 4, 0))
	rec := &recorder{}
	r := newTestRunner(t, rdb, clock, daily3(t), rec.run, schedule.Options{})
	scheduletest.Start(t, r)
	clock.BlockUntil(t, 1)
	rec.wantRan(t, "2026-01-06")
	if s := r.Stats(); s.Missed != 1 {
		t.Errorf("stats %+v, want one missed period", s)
	}
}

func TestFailureRetriedWithBackoff(t *testing.T) {
	rdb := srv.Fresh(t)
	markDone(t, rdb, "2026-01-04")
	t0 := utc(2026, time.January, 5, 3, 0)
	clock := scheduletest.NewClock(t0)
	rec := &recorder{fail: func(n int, _ schedule.Task) error {
		if n <= 4 {
			return errors.New("boom")
		}
		return nil
	}}
	r := newTestRunner(t, rdb, clock, daily3(t), rec.run, schedule.Options{Backoff: schedule.Backoff{Initial: time.Minute, Max: 3 * time.Minute}})
	scheduletest.Start(t, r)

	// 1m, doubling, capped at 3m.
	for i, want := range []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute, 3 * time.Minute} {
		clock.BlockUntil(t, 1)
		at, _ := clock.NextDeadline()
		if got := at.Sub(clock.Now()); got != want {
			t.Fatalf("retry %d after %v, want %v", i+1, got, want)
		}
		if n := rdb.Exists(context.Background(), schedule.LockKey("test-job", "2026-01-05", "")).Val(); n != 0 {
			t.Fatal("claim kept after a failure")
		}
		clock.Set(at)
	}
	clock.BlockUntil(t, 1)
	rec.wantRan(t, "2026-01-05")
	if s := r.Stats(); s.Runs != 1 || s.Failures != 4 {
		t.Errorf("stats %+v, want 1 run and 4 failures", s)
	}
	if at, _ := clock.NextDeadline(); !at.Equal(utc(2026, time.January, 6, 3, 0)) {
		t.Errorf("after success next wake-up %v, want next due time", at)
	}
}

func TestRetryNeverSpillsIntoNextPeriod(t *testing.T) {
	rdb := srv.Fresh(t)
	markDone(t, rdb, "2026-01-04")
	clock := scheduletest.NewClock(utc(2026, time.January, 6, 2, 30))
	rec := &recorder{fail: func(_ int, t schedule.Task) error {
		if t.Period.ID == "2026-01-05" {
			return errors.New("always failing that day")
		}
		return nil
	}}
	r := newTestRunner(t, rdb, clock, daily3(t), rec.run, schedule.Options{Backoff: schedule.Backoff{Initial: time.Hour, Max: time.Hour}})
	scheduletest.Start(t, r)
	clock.BlockUntil(t, 1)
	at, _ := clock.NextDeadline()
	if want := utc(2026, time.January, 6, 3, 0); !at.Equal(want) {
		t.Fatalf("retry at %v, want capped at the period end %v", at, want)
	}
	clock.Set(at)
	clock.BlockUntil(t, 1)
	rec.wantRan(t, "2026-01-06")
	if s := r.Stats(); s.Missed != 1 || s.Failures != 1 {
		t.Errorf("stats %+v, want the failed period counted as missed", s)
	}
}

func TestPermanentFailureIsNotRetried(t *testing.T) {
	rdb := srv.Fresh(t)
	markDone(t, rdb, "2026-01-04")
	clock := scheduletest.NewClock(utc(2026, time.January, 5, 3, 0))
	cause := errors.New("channel forbidden")
	rec := &recorder{fail: func(_ int, t schedule.Task) error {
		if t.Period.ID == "2026-01-05" {
			return fmt.Errorf("post: %w", schedule.Permanent(cause))
		}
		return nil
	}}
	r := newTestRunner(t, rdb, clock, daily3(t), rec.run, schedule.Options{})
	scheduletest.Start(t, r)
	clock.BlockUntil(t, 1)
	// Not retried: the runner sleeps until the next period.
	if at, _ := clock.NextDeadline(); !at.Equal(utc(2026, time.January, 6, 3, 0)) {
		t.Fatalf("next wake-up %v, want the next due time", at)
	}
	if n := rdb.Exists(context.Background(), schedule.DoneKey("test-job", "2026-01-05", "")).Val(); n != 1 {
		t.Error("permanently failed unit not marked done")
	}
	if s := r.Stats(); s.Runs != 0 || s.Failures != 1 || s.Missed != 0 {
		t.Errorf("stats %+v, want one failure, nothing missed", s)
	}
	// The next period runs as usual.
	clock.Set(utc(2026, time.January, 6, 3, 0))
	clock.BlockUntil(t, 1)
	rec.wantRan(t, "2026-01-06")
	if rec.calls != 2 {
		t.Errorf("job called %d times, want 2", rec.calls)
	}
}

func TestPermanent(t *testing.T) {
	if schedule.Permanent(nil) != nil {
		t.Error("Permanent(nil) is not nil")
	}
	cause := errors.New("cause")
	err := fmt.Errorf("wrapped: %w", schedule.Permanent(cause))
	if !schedule.IsPermanent(err) || !errors.Is(err, cause) || err.Error() != "wrapped: cause" {
		t.Errorf("Permanent error %q: permanent %v, wraps cause %v", err, schedule.IsPermanent(err), errors.Is(err, cause))
	}
	if schedule.IsPermanent(cause) || schedule.IsPermanent(nil) {
		t.Error("plain error counted as permanent")
	}
}

func TestTargetsAreIndependent(t *testing.T) {
	rdb := srv.Fresh(t)
	clock := scheduletest.NewClock(utc(2026, time.January, 5, 9, 0))
	cal, err := schedule.Weekly(time.Monday, 9)
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"111", "222"} {
		rdb.Set(context.Background(), schedule.DoneKey("weekly-report", "2026-W01", target), "x", time.Hour)
	}
	rec := &recorder{fail: func(n int, t schedule.Task) error {
		if t.Target == "222" && n == 2 {
			return errors.New("channel unavailable")
		}
		return nil
	}}
	r, err := schedule.NewRunner(rdb, schedule.Job{Name: "weekly-report", Calendar: cal, Targets: []string{"111", "222"}, Run: rec.run},
		schedule.Options{Clock: clock, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	scheduletest.Start(t, r)
	clock.BlockUntil(t, 1)
	clock.Advance(schedule.DefaultBackoffInitial)
	clock.BlockUntil(t, 1)
	rec.wantRan(t, "2026-W02/111", "2026-W02/222")
	for _, target := range []string{"111", "222"} {
		if rdb.Exists(context.Background(), schedule.DoneKey("weekly-report", "2026-W02", target)).Val() != 1 {
			t.Errorf("no done marker for target %s", target)
		}
	}
	if s := r.Stats(); s.Runs != 2 || s.Failures != 1 {
		t.Errorf("stats %+v", s)
	}
}

func TestPanicIsAFailure(t *testing.T) {
	rdb := srv.Fresh(t)
	markDone(t, rdb, "2026-01-04")
	clock := scheduletest.NewClock(utc(2026, time.January, 5, 3, 0))
	calls := 0
	r := newTestRunner(t, rdb, clock, daily3(t), func(ctx context.Context, _ schedule.Task) error {
		calls++
		if calls == 1 {
			panic("bad job")
		}
		if _, ok := ctx.Deadline(); !ok {
			t.Error("job context has no deadline inside the lease")
		}
		return nil
	}, schedule.Options{})
	scheduletest.Start(t, r)
	clock.BlockUntil(t, 1)
	clock.Advance(schedule.DefaultBackoffInitial)
	clock.BlockUntil(t, 1)
	if s := r.Stats(); s.Runs != 1 || s.Failures != 1 {
		t.Errorf("stats %+v, want the panic counted as a failure", s)
	}
}

func TestCancelStopsPromptly(t *testing.T) {
	rdb := srv.Fresh(t)
	clock := scheduletest.NewClock(utc(2026, time.January, 5, 2, 0))
	markDone(t, rdb, "2026-01-04")
	r := newTestRunner(t, rdb, clock, daily3(t), (&recorder{}).run, schedule.Options{})
	stop := scheduletest.Start(t, r)
	clock.BlockUntil(t, 1)
	began := time.Now()
	stop()
	if d := time.Since(began); d > time.Second {
		t.Errorf("Run took %v to stop", d)
	}
}

func TestNewRunnerValidates(t *testing.T) {
	rdb := srv.Fresh(t)
	cal := daily3(t)
	run := func(context.Context, schedule.Task) error { return nil }
	bad := []schedule.Job{
		{Name: "", Calendar: cal, Run: run},
		{Name: "has space", Calendar: cal, Run: run},
		{Name: "glob*", Calendar: cal, Run: run},
		{Name: "ok", Run: run},
		{Name: "ok", Calendar: cal},
		{Name: "ok", Calendar: cal, Run: run, Targets: []string{"a", "a"}},
	}
	for _, job := range bad {
		if _, err := schedule.NewRunner(rdb, job, schedule.Options{}); err == nil {
			t.Errorf("NewRunner accepted %+v", job)
		}
	}
}
