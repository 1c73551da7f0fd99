// Package weekly posts the weekly CRT report to Discord: on its schedule
// (one schedule.Runner unit per channel, so each channel gets each week's
// report exactly once across restarts and replicas), and on demand through
// Trigger.Post, which the CLI (`ashbot report post`) and the slash command
// call too.
package weekly

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/disgoorg/disgo/discord"

	"github.com/alphabetcartel/ashbot/internal/discordapi"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/report"
)

// JobName names the weekly report in the scheduler's Redis keys, in post
// nonces and in logs. It must stay stable across releases, or a restart
// after an upgrade would post the current week again.
const JobName = "weekly-report"

// Summaries gives the summary of the whole UTC days first..last;
// *metrics.Store is one.
type Summaries interface {
	Period(ctx context.Context, first, last time.Time) (*metrics.Summary, error)
}

// WarnUnreadable wraps s so that every key a summary could not read (one
// of another type, left by the earlier Ash-Bot) is passed to warn: the
// report still goes out with the rest, and someone learns what to fix.
func WarnUnreadable(s Summaries, warn func(msg string)) Summaries {
	return warnSummaries{s, warn, &sync.Mutex{}}
}

// warnSummaries calls warn under mu: Build reads two periods at once, and
// warn may write to a plain file or buffer.
type warnSummaries struct {
	Summaries
	warn func(string)
	mu   *sync.Mutex
}

func (w warnSummaries) Period(ctx context.Context, first, last time.Time) (*metrics.Summary, error) {
	sum, err := w.Summaries.Period(ctx, first, last)
	if sum != nil {
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, u := range sum.Unreadable {
			w.warn(u)
		}
	}
	return sum, err
}

// Poster sends a message to a channel; *discordapi.Poster is one. Errors
// should be *discordapi.Error so that permanent failures can be told from
// passing ones.
type Poster interface {
	Post(ctx context.Context, channelID string, msg discord.MessageCreate, nonce string) (*discord.Message, error)
}

// Options configure a Trigger.
type Options struct {
	// Version is the ashbot version named in the report's footer.
	Version string
	Logger  *slog.Logger
	// Targets are the response targets the report measures.
	Targets []report.Target
	// Now tells which alerts' targets are still pending; nil is time.Now.
	Now func() time.Time
	// Zone is BOT_REPORT_TIMEZONE, for the night hours of the volunteer
	// load; nil is UTC.
	Zone *time.Location
	// Extras, when set, adds the trend panel and the coverage by hour.
	Extras *ExtrasOptions
}

// Trigger builds and posts the report.
type Trigger struct {
	summaries Summaries
	poster    Poster
	version   string
	targets   []report.Target
	now       func() time.Time
	zone      *time.Location
	extras    *ExtrasOptions
	log       *slog.Logger
}

// NewTrigger returns a Trigger reading summaries and posting with poster.
func NewTrigger(summaries Summaries, poster Poster, opts Options) (*Trigger, error) {
	if summaries == nil || poster == nil {
		return nil, errors.New("weekly report: summaries and poster are required")
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	warn := func(msg string) { log.Warn("weekly report: a key was left out", "problem", msg) }
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	return &Trigger{summaries: WarnUnreadable(summaries, warn), poster: poster, version: opts.Version,
		targets: opts.Targets, now: now, zone: opts.Zone, extras: opts.Extras, log: log.With("job", JobName)}, nil
}

// Build reads this week's and last week's summaries and builds the report
// of the 7 UTC days ending with end.
func (t *Trigger) Build(ctx context.Context, end time.Time) (report.Report, error) {
	return t.BuildPeriod(ctx, report.Week.SpanOf(end))
}

// BuildPeriod builds the report of any period, compared with the one
// before: /ash report period:month.
func (t *Trigger) BuildPeriod(ctx context.Context, span report.Span) (report.Report, error) {
	r, err := Build(ctx, t.summaries, span, report.Options{Version: t.version, Targets: t.targets, Now: t.now(), Zone: t.zone})
	if err != nil || t.extras == nil {
		return r, err
	}
	if err := AddExtras(ctx, &r, *t.extras); err != nil {
		t.log.Warn("report: trend or coverage left out", "period_end", r.Summary.EndDate, "error", err.Error())
	}
	return r, nil
}

// Build builds the report of span, compared with the period of the same
// kind before it, without posting it: `ashbot report --format` renders
// it, and needs no Discord credentials for that. opts.Period is span's.
func Build(ctx context.Context, summaries Summaries, span report.Span, opts report.Options) (report.Report, error) {
	noun := span.Period.Noun()
	// Both periods are read at once: each is mostly waiting on Redis, and
	// a month or quarter reads many alert records.
	before := span.Before()
	var prev *metrics.Summary
	var prevErr error
	var wg sync.WaitGroup
	wg.Go(func() { prev, prevErr = summaries.Period(ctx, before.First, before.Last) })
	this, err := summaries.Period(ctx, span.First, span.Last)
	wg.Wait()
	if err != nil {
		return report.Report{}, fmt.Errorf("%s report: %w", noun, err)
	}
	if prevErr != nil {
		return report.Report{}, fmt.Errorf("%s report, previous %s: %w", noun, noun, prevErr)
	}
	opts.Period = span.Period
	return report.Build(this, prev, opts), nil
}

// Post posts the report of the 7 UTC days ending with end to every
// channel, and returns the failures joined (nil when all went out). A
// channel that fails does not stop the others. Each post carries a nonce
// made of the job, the week and the channel, so repeating a post for the
// same week and channel within Discord's nonce window (minutes) returns the
// message already posted instead of showing it twice.
func (t *Trigger) Post(ctx context.Context, end time.Time, channels []string) error {
	if len(channels) == 0 {
		return errors.New("weekly report: no channel to post to")
	}
	r, err := t.Build(ctx, end)
	if err != nil {
		return err
	}
	chart, err := report.PNG(r)
	if err != nil {
		// The figures matter more than the picture: post without it.
		t.log.Warn("weekly report chart failed; posting without it", "week_end", r.Summary.EndDate, "error", err.Error())
		chart = nil
	}
	var heatmap []byte
	if r.Coverage != nil {
		if heatmap, err = report.HeatmapPNG(r); err != nil {
			t.log.Warn("weekly report heatmap failed; posting without it", "week_end", r.Summary.EndDate, "error", err.Error())
			heatmap = nil
		}
	}
	var errs []error
	for _, ch := range channels {
		// A message's file reader is used up by sending it, so every post
		// gets a fresh message.
		msg := report.Discord(r, chart)
		if heatmap != nil {
			msg.Files = append(msg.Files, report.HeatmapAttachment(heatmap))
		}
		m, err := t.poster.Post(ctx, ch, msg, discordapi.Nonce(JobName, r.Summary.EndDate, ch))
		if err != nil {
			errs = append(errs, fmt.Errorf("weekly report for %s..%s: %w", r.Summary.StartDate, r.Summary.EndDate, err))
			continue
		}
		t.log.Info("weekly report posted", "channel_id", ch, "message_id", m.ID.String(),
			"week_start", r.Summary.StartDate, "week_end", r.Summary.EndDate, "total_alerts", r.Summary.TotalAlerts)
	}
	return errors.Join(errs...)
}

// WeekEndingBefore returns the last day of the report posted at t: the 7
// UTC days that ended before t's UTC day.
func WeekEndingBefore(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day()-1, 0, 0, 0, 0, time.UTC)
}
