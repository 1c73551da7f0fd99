// Package outbox delivers lifecycle events to the metrics recorder in the
// background. Discord handlers hand an event over and return at once, so a
// slow or unreachable Redis never delays an alert or a button answer; events
// wait here, in order, until Redis takes them, and survive a restart in a
// spool file.
package outbox

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/metrics"
)

// Recorder stores one event; *metrics.Recorder is the real one.
type Recorder interface {
	Record(context.Context, events.Event) (metrics.Outcome, error)
}

// Options configure an Outbox. Zero values take the defaults.
type Options struct {
	// Capacity bounds the events held in memory (default 10,000). Past it
	// new events go straight to the spool file, or are dropped (and
	// counted) when there is none.
	Capacity int
	// SpoolPath, when set, is a JSONL file that keeps undelivered events
	// across restarts: read back by New, written by Close.
	SpoolPath string
	// MinBackoff and MaxBackoff bound the wait between attempts while
	// Redis fails (default 250ms doubling to 30s).
	MinBackoff, MaxBackoff time.Duration
	// After waits; tests pass a fake. Default time.After.
	After  func(time.Duration) <-chan time.Time
	Logger *slog.Logger
}

// Stats counts what the outbox did.
type Stats struct {
	Delivered, Duplicates, Rejected, Retries, Dropped, Pending int
}

// Outbox is a FIFO of events between the bot and the recorder.
type Outbox struct {
	rec  Recorder
	opts Options
	log  *slog.Logger

	mu    sync.Mutex
	queue []events.Event
	stats Stats
	wake  chan struct{} // signalled when the queue gains an event
	idle  chan struct{} // closed while the queue is empty and nothing is in flight
	// fromSpool counts the events at the head of the queue that were loaded
	// from the spool; the loaded file is kept until they are all delivered,
	// so a crash in between replays them (as harmless duplicates).
	fromSpool int
}

// New returns an Outbox and loads events left in the spool file by an
// earlier run.
func New(rec Recorder, opts Options) (*Outbox, error) {
	if opts.Capacity <= 0 {
		opts.Capacity = 10_000
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = 250 * time.Millisecond
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(30*time.Second, opts.MinBackoff)
	}
	if opts.After == nil {
		opts.After = time.After
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	o := &Outbox{rec: rec, opts: opts, log: opts.Logger, wake: make(chan struct{}, 1), idle: make(chan struct{})}
	close(o.idle)
	if opts.SpoolPath != "" {
		spooled, err := loadSpool(opts.SpoolPath, o.log)
		if err != nil {
			return nil, err
		}
		if len(spooled) > 0 {
			o.log.Info("outbox: events from the spool file will be delivered", "events", len(spooled), "spool", opts.SpoolPath)
			o.queue, o.fromSpool = spooled, len(spooled)
			o.idle = make(chan struct{})
			o.signal()
		}
	}
	return o, nil
}

// inflight is where loaded spool events stay until they are delivered.
func inflight(spool string) string { return spool + ".inflight" }

// Add queues an event and returns at once.
func (o *Outbox) Add(ev events.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.queue) >= o.opts.Capacity {
		if o.opts.SpoolPath != "" {
			err := appendSpool(o.opts.SpoolPath, []events.Event{ev})
			if err == nil {
				o.log.Warn("outbox: memory queue full; event written to the spool file", "type", ev.Type, "alert_id", ev.AlertID)
				return
			}
			o.log.Error("outbox: spool write failed", "err", err)
		}
		o.stats.Dropped++
		o.log.Error("outbox: queue full, event dropped", "type", ev.Type, "alert_id", ev.AlertID, "capacity", o.opts.Capacity)
		return
	}
	if len(o.queue) == 0 && o.isIdle() {
		o.idle = make(chan struct{})
	}
	o.queue = append(o.queue, ev)
	o.signal()
}

func (o *Outbox) isIdle() bool {
	select {
	case <-o.idle:
		return true
	default:
		return false
	}
}

func (o *Outbox) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// Stats returns the counters and the current queue length.
func (o *Outbox) Stats() Stats {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.stats
	s.Pending = len(o.queue)
	return s
}

// Run delivers events in order until ctx ends. A storage failure is retried
// with backoff on the same event, so order is kept (an alert's creation is
// always recorded before its acknowledgment); a rejected event is logged
// and skipped.
func (o *Outbox) Run(ctx context.Context) {
	backoff := o.opts.MinBackoff
	for {
		o.mu.Lock()
		if len(o.queue) == 0 {
			if !o.isIdle() {
				close(o.idle)
			}
			o.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-o.wake:
				continue
			}
		}
		ev := o.queue[0]
		o.mu.Unlock()

		out, err := o.rec.Record(ctx, ev)
		o.mu.Lock()
		switch {
		case err == nil || metrics.IsRejected(err):
			o.queue = o.queue[1:]
			if o.fromSpool > 0 {
				if o.fromSpool--; o.fromSpool == 0 {
					if err := os.Remove(inflight(o.opts.SpoolPath)); err != nil && !errors.Is(err, os.ErrNotExist) {
						o.log.Error("outbox: remove delivered spool", "err", err)
					}
				}
			}
			switch {
			case err != nil:
				o.stats.Rejected++
				o.log.Warn("outbox: event rejected", "type", ev.Type, "alert_id", ev.AlertID, "reason", err.Error())
			case out == metrics.Duplicate:
				o.stats.Duplicates++
			case out == metrics.Disabled:
				// BOT_METRICS_ENABLED=false: nothing to write, nothing to count.
			default:
				o.stats.Delivered++
			}
			o.mu.Unlock()
			backoff = o.opts.MinBackoff
			continue
		}
		o.stats.Retries++
		pending := len(o.queue)
		o.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
		o.log.Warn("outbox: recording failed, will retry", "type", ev.Type, "alert_id", ev.AlertID, "err", err, "retry_in", backoff, "pending", pending)
		select {
		case <-ctx.Done():
			return
		case <-o.opts.After(backoff):
		}
		backoff = min(backoff*2, o.opts.MaxBackoff)
	}
}

// Drain waits until every queued event is delivered or ctx ends.
func (o *Outbox) Drain(ctx context.Context) error {
	o.mu.Lock()
	idle := o.idle
	o.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("outbox: %d events not delivered: %w", o.Stats().Pending, ctx.Err())
	}
}

// Close saves undelivered events to the spool file. Call it after Run has
// returned. Without a spool file, undelivered events are lost, and Close
// says how many.
func (o *Outbox) Close() error {
	o.mu.Lock()
	rest, loaded := o.queue, o.fromSpool
	o.queue, o.fromSpool = nil, 0
	o.mu.Unlock()
	if len(rest) == 0 {
		return nil
	}
	if o.opts.SpoolPath == "" {
		return fmt.Errorf("outbox: %d undelivered events lost (no spool file configured)", len(rest))
	}
	if err := appendSpool(o.opts.SpoolPath, rest); err != nil {
		return fmt.Errorf("outbox: %d undelivered events lost: %w", len(rest), err)
	}
	if loaded > 0 {
		// Their undelivered part is in the spool again.
		if err := os.Remove(inflight(o.opts.SpoolPath)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("outbox: remove loaded spool: %w", err)
		}
	}
	o.log.Warn("outbox: undelivered events saved for the next start", "events", len(rest), "spool", o.opts.SpoolPath)
	return nil
}

// loadSpool reads the events a crash left in flight, then the spool file,
// and moves the spool aside as in flight until they are delivered.
func loadSpool(path string, log *slog.Logger) ([]events.Event, error) {
	prev, err := readEvents(inflight(path), log)
	if err != nil {
		return nil, err
	}
	cur, err := readEvents(path, log)
	if err != nil {
		return nil, err
	}
	all := append(prev, cur...)
	if len(cur) > 0 {
		if len(prev) > 0 {
			if err := appendSpool(inflight(path), cur); err != nil {
				return nil, fmt.Errorf("outbox: %w", err)
			}
			if err := os.Remove(path); err != nil {
				return nil, fmt.Errorf("outbox: %w", err)
			}
		} else if err := os.Rename(path, inflight(path)); err != nil {
			return nil, fmt.Errorf("outbox: %w", err)
		}
	}
	return all, nil
}

// readEvents reads a spool file. A line that is not an event (cut short
// by a crash while it was written, or damaged) or is 1 MiB or longer is
// skipped and logged by its number, so the rest is still delivered; the
// log never shows the line itself, nor the parser's reason, which can
// quote an id of the person an alert is about. Only a failure to read the
// file is an error.
func readEvents(path string, log *slog.Logger) ([]events.Event, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("outbox: open spool: %w", err)
	}
	defer f.Close()
	var out []events.Event
	lr := events.NewReader(f)
	for {
		line, b, err := lr.Next()
		switch {
		case errors.Is(err, io.EOF):
			return out, nil
		case errors.Is(err, events.ErrLineTooLong):
			log.Error("outbox: spool line skipped", "spool", path, "line", line, "reason", "1 MiB or longer")
			continue
		case err != nil:
			return nil, fmt.Errorf("outbox: read spool %s: %w", path, err)
		case len(bytes.TrimSpace(b)) == 0:
			continue
		}
		ev, err := events.Parse(b)
		if err != nil {
			log.Error("outbox: spool line skipped", "spool", path, "line", line, "reason", "not a valid event")
			continue
		}
		out = append(out, ev)
	}
}

func appendSpool(path string, evs []events.Event) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open spool: %w", err)
	}
	w := bufio.NewWriter(f)
	for _, ev := range evs {
		b, err := json.Marshal(ev)
		if err != nil {
			f.Close()
			return fmt.Errorf("encode event: %w", err)
		}
		w.Write(b)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("write spool: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("sync spool: %w", err)
	}
	return f.Close()
}
