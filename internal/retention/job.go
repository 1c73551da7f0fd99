package retention

import (
	"context"
	"fmt"

	"github.com/alphabetcartel/ashbot/internal/schedule"
	"github.com/redis/go-redis/v9"
)

// JobName names the daily cleanup in the scheduler's Redis keys and logs.
const JobName = "retention-cleanup"

// Schedule says whether and when cleanup runs by itself.
type Schedule struct {
	Enabled bool // BOT_RETENTION_ENABLED
	Hour    int  // BOT_RETENTION_CLEANUP_HOUR, UTC
}

// Job returns the scheduler job that runs one cleanup pass a day at hour
// (UTC). after, when set, runs after each completed pass with its report
// (the bot hooks the storage check there); it handles its own errors, so a
// failed check never repeats a finished cleanup.
func (c *Cleaner) Job(hour int, after func(ctx context.Context, rep Report)) (schedule.Job, error) {
	cal, err := schedule.Daily(hour)
	if err != nil {
		return schedule.Job{}, fmt.Errorf("retention schedule: %w", err)
	}
	return schedule.Job{
		Name:     JobName,
		Calendar: cal,
		Run: func(ctx context.Context, _ schedule.Task) error {
			// Only an incomplete pass is retried: errors on single keys
			// (an unexpected type, a denied key) would fail the same way
			// again, and the report already logged them.
			rep, err := c.Run(ctx, Options{})
			if err != nil {
				return err
			}
			if after != nil {
				after(ctx, rep)
			}
			return nil
		},
	}, nil
}

// NewDailyRunner returns the runner of the daily cleanup, or nil when
// s.Enabled is false: a disabled cleanup starts nothing and writes nothing.
func NewDailyRunner(rdb redis.UniversalClient, c *Cleaner, s Schedule, opts schedule.Options, after func(ctx context.Context, rep Report)) (*schedule.Runner, error) {
	if !s.Enabled {
		return nil, nil
	}
	job, err := c.Job(s.Hour, after)
	if err != nil {
		return nil, err
	}
	return schedule.NewRunner(rdb, job, opts)
}
