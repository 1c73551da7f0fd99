package weekly

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/discordapi"
	"github.com/alphabetcartel/ashbot/internal/schedule"
)

// Schedule is when and where the report posts itself (plan step 8.2.3).
type Schedule struct {
	Enabled  bool         // BOT_WEEKLY_REPORT_ENABLED
	Channels []string     // BOT_WEEKLY_REPORT_CHANNEL_ID
	Day      time.Weekday // BOT_WEEKLY_REPORT_DAY
	Hour     int          // BOT_WEEKLY_REPORT_HOUR, UTC
}

// Active reports whether the schedule posts anything at all.
func (s Schedule) Active() bool { return s.Enabled && len(s.Channels) > 0 }

// NextRun returns when the report is next due after now, and false when
// the schedule is off. `ashbot config check` shows it; a bot that was down
// at the last due time still posts that week's report as soon as it is
// back, before this time.
func NextRun(s Schedule, now time.Time) (time.Time, bool, error) {
	if !s.Active() {
		return time.Time{}, false, nil
	}
	cal, err := schedule.Weekly(s.Day, s.Hour)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("weekly report schedule: %w", err)
	}
	return cal.Next(now), true, nil
}

// Job returns the scheduler job: on every due time, for each channel, the
// report of the 7 days that ended before the posting day.
//
// A failure that can pass (Redis, Discord's 5xx, the network, a rate limit
// disgo gave up on) is returned, so the runner retries it with backoff
// until the week's period ends. A failure that cannot (the bot lacks
// access to the channel, the channel is gone, the token is refused) is
// logged with its reason and returned as schedule.Permanent: the runner
// counts the failure and does not retry that channel this week, as
// retrying it every half hour for a week would only fill the logs. Fix the
// cause and run `ashbot report post` to post that week by hand.
func (t *Trigger) Job(s Schedule) (schedule.Job, error) {
	cal, err := schedule.Weekly(s.Day, s.Hour)
	if err != nil {
		return schedule.Job{}, fmt.Errorf("weekly report schedule: %w", err)
	}
	// A channel listed twice is one channel: it gets one report.
	var channels []string
	for _, ch := range s.Channels {
		if !slices.Contains(channels, ch) {
			channels = append(channels, ch)
		}
	}
	if len(channels) == 0 {
		return schedule.Job{}, errors.New("weekly report schedule: no channel")
	}
	return schedule.Job{
		Name:     JobName,
		Calendar: cal,
		Targets:  channels,
		Run: func(ctx context.Context, task schedule.Task) error {
			end := WeekEndingBefore(task.Period.Due)
			err := t.Post(ctx, end, []string{task.Target})
			if err == nil || discordapi.IsRetryable(err) {
				return err
			}
			attrs := []any{"channel_id", task.Target, "period", task.Period.ID,
				"week_end", end.Format(time.DateOnly), "error", err.Error()}
			var de *discordapi.Error
			if errors.As(err, &de) {
				attrs = append(attrs, "reason", de.Reason, "status", de.Status, "code", de.Code)
			}
			t.log.Error("weekly report not posted and not retried; fix the cause and run `ashbot report post`", attrs...)
			return schedule.Permanent(err)
		},
	}, nil
}

// NewRunner returns the runner of the scheduled report, or nil when the
// schedule is off: disabled, or no channel configured, which is logged as
// a warning and is no reason to stop the bot. The next due time is logged
// here and again by the runner when it starts.
func NewRunner(rdb redis.UniversalClient, t *Trigger, s Schedule, opts schedule.Options) (*schedule.Runner, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	switch {
	case !s.Enabled:
		log.Info("weekly report disabled", "job", JobName)
		return nil, nil
	case len(s.Channels) == 0:
		log.Warn("weekly report has no channel (BOT_WEEKLY_REPORT_CHANNEL_ID); not scheduled", "job", JobName)
		return nil, nil
	}
	job, err := t.Job(s)
	if err != nil {
		return nil, err
	}
	r, err := schedule.NewRunner(rdb, job, opts)
	if err != nil {
		return nil, fmt.Errorf("weekly report runner: %w", err)
	}
	log.Info("weekly report scheduled", "job", JobName, "calendar", job.Calendar.String(),
		"next_run", r.Next(), "channels", len(job.Targets))
	return r, nil
}
