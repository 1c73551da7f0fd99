package schedule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// KeyPrefix starts every key this package writes. Retention cleanup owns
// keys under it as the "scheduler" category.
const KeyPrefix = "ash:schedule:"

// Defaults for Options fields left zero.
const (
	DefaultLease          = 15 * time.Minute
	DefaultDoneTTL        = 35 * 24 * time.Hour
	DefaultBackoffInitial = time.Minute
	DefaultBackoffMax     = 30 * time.Minute
	DefaultPoll           = time.Minute
)

// Task is what one execution of a job is for.
type Task struct {
	Period Period
	// Target is one of Job.Targets, or "" for a job without targets.
	Target string
}

// Job is a named piece of periodic work.
type Job struct {
	// Name identifies the job in Redis keys and logs; it must stay stable
	// across releases or the done-markers of the current period are lost.
	Name     string
	Calendar Calendar
	// Targets, when set, splits each period into independent units (the
	// weekly report's channels): each target is claimed, retried and marked
	// done on its own, so one failing channel neither blocks nor repeats the
	// others.
	Targets []string
	// Run does one unit's work. An error is retried with backoff until the
	// period ends, unless it is Permanent.
	Run func(ctx context.Context, t Task) error
}

// Backoff is the delay between retries of a failed run within a period:
// Initial, doubled after every failure, capped at Max.
type Backoff struct {
	Initial time.Duration
	Max     time.Duration
}

// Options tune a Runner. Zero values take the defaults above.
type Options struct {
	Clock  Clock
	Logger *slog.Logger
	// Lease bounds one run: the claim expires after it, so a replica that
	// dies mid-run is replaced, and the job's context is cancelled at it so
	// two replicas never run the same period at once.
	Lease time.Duration
	// DoneTTL keeps a done-marker; it must outlive the period and the next
	// one so missed periods can be told apart from finished ones.
	DoneTTL time.Duration
	Backoff Backoff
	// Poll is how soon to look again while another replica holds the claim.
	Poll time.Duration
	// Owner identifies this process in lock values; random when empty.
	Owner string
}

// Stats counts what a Runner did since it was created.
type Stats struct {
	Runs     int64 // successful job executions by this runner
	Failures int64 // failed attempts (job error, panic, or Redis error)
	Skips    int64 // units found already done (by another replica or a previous process)
	Missed   int64 // units whose period ended without a successful run
}

// Runner runs one Job on its Calendar until its context ends.
type Runner struct {
	rdb     redis.UniversalClient
	job     Job
	clock   Clock
	log     *slog.Logger
	lease   time.Duration
	doneTTL time.Duration
	backoff Backoff
	poll    time.Duration
	owner   string
	release *redis.Script

	runs, failures, skips, missed atomic.Int64
}

// Names end up inside Redis keys that cleanup matches with globs, so keep
// them free of glob and whitespace characters.
var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]*$`)

// compare-and-delete: only the holder of the claim may release it, so a run
// that outlived its lease cannot drop another replica's claim.
const releaseScript = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

// NewRunner validates job and opts and returns a Runner ready to Run.
func NewRunner(rdb redis.UniversalClient, job Job, opts Options) (*Runner, error) {
	if rdb == nil {
		return nil, errors.New("schedule: nil redis client")
	}
	if !validName.MatchString(job.Name) {
		return nil, fmt.Errorf("schedule: invalid job name %q", job.Name)
	}
	if job.Calendar == nil || job.Run == nil {
		return nil, fmt.Errorf("schedule: job %s needs a calendar and a run function", job.Name)
	}
	seen := make(map[string]bool, len(job.Targets))
	for _, t := range job.Targets {
		if !validName.MatchString(t) || seen[t] {
			return nil, fmt.Errorf("schedule: job %s: invalid or duplicate target %q", job.Name, t)
		}
		seen[t] = true
	}
	r := &Runner{
		rdb:     rdb,
		job:     job,
		clock:   opts.Clock,
		log:     opts.Logger,
		lease:   orDefault(opts.Lease, DefaultLease),
		doneTTL: orDefault(opts.DoneTTL, DefaultDoneTTL),
		backoff: Backoff{
			Initial: orDefault(opts.Backoff.Initial, DefaultBackoffInitial),
			Max:     orDefault(opts.Backoff.Max, DefaultBackoffMax),
		},
		poll:    orDefault(opts.Poll, DefaultPoll),
		owner:   opts.Owner,
		release: redis.NewScript(releaseScript),
	}
	if r.clock == nil {
		r.clock = SystemClock{}
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	if r.backoff.Max < r.backoff.Initial {
		r.backoff.Max = r.backoff.Initial
	}
	if r.owner == "" {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("schedule: owner token: %w", err)
		}
		r.owner = hex.EncodeToString(b[:])
	}
	r.log = r.log.With("job", job.Name)
	return r, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Next returns the next due time of the job after the clock's now. A
// period that is due but not yet done is run as soon as Run sees it, so
// this is also when the schedule next fires on a healthy deployment.
func (r *Runner) Next() time.Time { return r.job.Calendar.Next(r.clock.Now()) }

// Stats returns the counters so far. Safe to call while Run runs.
func (r *Runner) Stats() Stats {
	return Stats{
		Runs:     r.runs.Load(),
		Failures: r.failures.Load(),
		Skips:    r.skips.Load(),
		Missed:   r.missed.Load(),
	}
}

// LockKey and DoneKey name the claim and the done-marker of one unit of a
// job. They are exported for operators and tests; the runner owns them.
func LockKey(job, periodID, target string) string { return unitKey(job, periodID, target) + ":lock" }

// DoneKey names the done-marker; see LockKey.
func DoneKey(job, periodID, target string) string { return unitKey(job, periodID, target) + ":done" }

func unitKey(job, periodID, target string) string {
	k := KeyPrefix + job + ":" + periodID
	if target != "" {
		k += ":" + target
	}
	return k
}

// Run loops until ctx ends: whenever the current period has units not yet
// done it claims and runs them, retrying failures with backoff until the
// period ends. It returns nil when ctx is cancelled.
func (r *Runner) Run(ctx context.Context) error {
	now := r.clock.Now()
	p := r.job.Calendar.Due(now)
	r.log.Info("schedule started", "calendar", r.job.Calendar.String(),
		"next_run", r.job.Calendar.Next(now), "current_period", p.ID, "owner", r.owner)
	r.reportMissedBefore(ctx, p)

	var (
		cur     Period
		done    map[string]bool // units of cur known to be finished
		retries int
	)
	for ctx.Err() == nil {
		now := r.clock.Now()
		p := r.job.Calendar.Due(now)
		if p.ID != cur.ID {
			if done != nil {
				r.reportUnfinished(cur, done)
			}
			cur, done, retries = p, make(map[string]bool), 0
		}

		wait := cur.End.Sub(now)
		if len(done) < r.units() {
			switch r.attempt(ctx, cur, done) {
			case outcomeDone:
				r.log.Info("schedule period complete", "period", cur.ID, "next_run", cur.End)
			case outcomeFailed:
				wait = r.backoffFor(retries)
				retries++
				r.log.Warn("schedule retry planned", "period", cur.ID, "retry_in", wait.String())
			case outcomeBusy:
				wait = r.poll
			}
		}
		// Wake no later than the next period's due time, whatever the reason
		// for waiting, so a retry never spills into the following period.
		if untilEnd := cur.End.Sub(r.clock.Now()); wait > untilEnd {
			wait = untilEnd
		}
		if wait <= 0 {
			continue
		}
		select {
		case <-ctx.Done():
		case <-r.clock.After(wait):
		}
	}
	r.log.Info("schedule stopped")
	return nil
}

func (r *Runner) units() int { return max(1, len(r.job.Targets)) }

func (r *Runner) targets() []string {
	if len(r.job.Targets) == 0 {
		return []string{""}
	}
	return r.job.Targets
}

func (r *Runner) backoffFor(retries int) time.Duration {
	d := r.backoff.Initial
	for range retries {
		d *= 2
		if d >= r.backoff.Max {
			return r.backoff.Max
		}
	}
	return d
}

type outcome int

const (
	outcomeDone   outcome = iota // every unit of the period is finished
	outcomeFailed                // some unit failed: retry with backoff
	outcomeBusy                  // some unit is claimed elsewhere: look again soon
)

// attempt tries every unfinished unit of p once.
func (r *Runner) attempt(ctx context.Context, p Period, done map[string]bool) outcome {
	failed, busy := false, false
	for _, target := range r.targets() {
		if done[target] || ctx.Err() != nil {
			continue
		}
		switch r.runUnit(ctx, p, target) {
		case outcomeDone:
			done[target] = true
		case outcomeFailed:
			failed = true
		case outcomeBusy:
			busy = true
		}
	}
	switch {
	case failed:
		return outcomeFailed
	case busy || ctx.Err() != nil:
		return outcomeBusy
	}
	return outcomeDone
}

func (r *Runner) runUnit(ctx context.Context, p Period, target string) outcome {
	log := r.unitLog(p, target)
	lockKey, doneKey := LockKey(r.job.Name, p.ID, target), DoneKey(r.job.Name, p.ID, target)

	if n, err := r.rdb.Exists(ctx, doneKey).Result(); err != nil {
		return r.redisFailure(ctx, log, "check done marker", err)
	} else if n > 0 {
		r.skips.Add(1)
		log.Info("schedule period already done")
		return outcomeDone
	}
	claimed, err := r.rdb.SetNX(ctx, lockKey, r.owner, r.lease).Result()
	if err != nil {
		return r.redisFailure(ctx, log, "claim period", err)
	}
	if !claimed {
		log.Debug("schedule period claimed by another replica")
		return outcomeBusy
	}
	keepClaim := false
	defer func() {
		if !keepClaim {
			r.releaseLock(log, lockKey)
		}
	}()

	// Another replica may have finished between our check and our claim.
	if n, err := r.rdb.Exists(ctx, doneKey).Result(); err != nil {
		return r.redisFailure(ctx, log, "recheck done marker", err)
	} else if n > 0 {
		r.skips.Add(1)
		log.Info("schedule period already done")
		return outcomeDone
	}

	start := r.clock.Now()
	log.Info("schedule job starting", "due", p.Due, "late_by", start.Sub(p.Due).String())
	jobErr := r.call(ctx, Task{Period: p, Target: target})
	switch {
	case jobErr == nil:
		r.runs.Add(1)
	case IsPermanent(jobErr):
		r.failures.Add(1)
		log.Error("schedule job failed; not retried this period", "error", jobErr.Error())
	default:
		r.failures.Add(1)
		log.Error("schedule job failed", "error", jobErr.Error())
		return outcomeFailed
	}
	marker := r.owner + " " + r.clock.Now().UTC().Format(time.RFC3339)
	// The unit is over whether or not the marker lands: report it as done
	// so this process does not repeat it, and keep the claim until its
	// lease ends so that other replicas cannot repeat it straight away.
	if err := r.rdb.Set(context.WithoutCancel(ctx), doneKey, marker, r.doneTTL).Err(); err != nil {
		log.Error("schedule done marker not written; another replica may repeat the job after the lease",
			"error", err.Error())
		keepClaim = true
		return outcomeDone
	}
	if jobErr == nil {
		log.Info("schedule job finished", "duration", r.clock.Now().Sub(start).String())
	}
	return outcomeDone
}

// Permanent marks err as a failure that trying again within the period
// cannot mend: the job's target refuses the work until someone changes
// something (a channel the bot may not post to). The Runner counts and logs
// it as a failure but marks the unit done, so it is not retried until the
// next period. Permanent(nil) is nil.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err, or an error it wraps, came from Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// call runs the job with a deadline inside the lease and turns a panic into
// an error, so one bad run cannot take the bot down or outlive its claim.
func (r *Runner) call(ctx context.Context, t Task) (err error) {
	jobCtx, cancel := context.WithTimeout(ctx, r.lease)
	defer cancel()
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("job panicked: %v", v)
		}
	}()
	return r.job.Run(jobCtx, t)
}

func (r *Runner) redisFailure(ctx context.Context, log *slog.Logger, what string, err error) outcome {
	if ctx.Err() != nil {
		return outcomeBusy
	}
	r.failures.Add(1)
	log.Error("schedule redis error", "step", what, "error", err.Error())
	return outcomeFailed
}

func (r *Runner) releaseLock(log *slog.Logger, key string) {
	// Release even when ctx is cancelled: a clean shutdown should not make
	// the other replicas wait for the lease to run out.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.release.Run(ctx, r.rdb, []string{key}, r.owner).Err(); err != nil {
		log.Warn("schedule claim not released; it expires with its lease", "error", err.Error())
	}
}

// reportMissedBefore logs the units of the period before p that never got
// done: they were missed (the bot was down for the whole period) and are not
// run late, because a late cleanup or report for an old period helps nobody.
func (r *Runner) reportMissedBefore(ctx context.Context, p Period) {
	prev := r.job.Calendar.Due(p.Due.Add(-time.Nanosecond))
	for _, target := range r.targets() {
		n, err := r.rdb.Exists(ctx, DoneKey(r.job.Name, prev.ID, target)).Result()
		if err != nil || n > 0 {
			continue
		}
		r.missed.Add(1)
		r.unitLog(prev, target).Warn("schedule period missed; not run late", "due", prev.Due)
	}
}

func (r *Runner) reportUnfinished(p Period, done map[string]bool) {
	for _, target := range r.targets() {
		if done[target] {
			continue
		}
		r.missed.Add(1)
		r.unitLog(p, target).Error("schedule period ended without a successful run")
	}
}

func (r *Runner) unitLog(p Period, target string) *slog.Logger {
	if target == "" {
		return r.log.With("period", p.ID)
	}
	return r.log.With("period", p.ID, "target", target)
}
