package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/alphabetcartel/ashbot/internal/events"
)

// ImportResult counts what an import did with each line.
type ImportResult struct {
	Recorded int `json:"recorded"`
	// AggregateOnly counts the new events of alerts older than the alert
	// retention: counted in their day's aggregate, without an alert record.
	AggregateOnly int `json:"recorded_aggregate_only"`
	Duplicate     int `json:"duplicate"`
	Rejected      int `json:"rejected"`
}

// ImportOptions tune Import.
type ImportOptions struct {
	// ShiftTo, when set, moves every event's time by whole days so that the
	// first valid event falls on this UTC day, to replay a sample or a
	// drill as if it had just happened.
	ShiftTo time.Time
	// OnReject is told each rejected line (1-based) and why. Lines held
	// for an alert the file creates later are told at the end, if their
	// alert never came.
	OnReject func(line int, reason string)
	// MaxHeld bounds the events held for alerts not yet known; 0 means
	// DefaultMaxHeld.
	MaxHeld int
	// MaxPast bounds the alerts older than the alert retention that one
	// import remembers (see past.go); 0 means DefaultMaxPast.
	MaxPast int
}

// DefaultMaxHeld is how many events an import holds, at most, waiting for
// an earlier event: a held event takes at most about 400 bytes (the parsed
// event, its longest ids and its share of the index by alert), so the bound
// is about 40 MB however large the input.
const DefaultMaxHeld = 100_000

// DefaultMaxPast is how many alerts older than the alert retention an
// import remembers, at most: each takes about 400 bytes (what its record
// would hold, its id and its share of the index), so about 40 MB. Such an
// alert's events find its creation only there.
const DefaultMaxPast = 100_000

// StoppedError says how far an import got before a storage failure or a
// cancellation stopped it. Every line before Resume is settled (recorded,
// a duplicate or rejected); importing the file again, or its lines from
// Resume on, finishes the job.
type StoppedError struct {
	Resume int   // first line not settled
	Err    error // why it stopped
}

func (e *StoppedError) Error() string {
	return fmt.Sprintf("stopped before line %d: %v", e.Resume, e.Err)
}

func (e *StoppedError) Unwrap() error { return e.Err }

// held is an event that waited for an earlier event when it was tried.
type held struct {
	line   int
	ev     events.Event
	reason string // why it was refused when last tried
}

// Import records every event of a JSONL stream by the same rules as the
// live bot. Blank lines are skipped. A rejected line is reported and
// skipped. An event that needs an earlier event the input has not yet given
// (its alert's creation, or its session's start) is held and retried as
// soon as that event is stored, so the order of the lines does not change
// the result; what still waits at the end is rejected. An alert older
// than the alert retention, and within the aggregate retention, counts in
// its day's aggregate only (see past.go). A storage failure or the end of
// ctx stops the import with a *StoppedError; importing the same file
// again is safe, since recorded events are duplicates.
func Import(ctx context.Context, r io.Reader, rec *Recorder, opts ImportOptions) (ImportResult, error) {
	im := importer{rec: rec, opts: opts}
	if im.opts.MaxHeld == 0 {
		im.opts.MaxHeld = DefaultMaxHeld
	}
	if im.opts.MaxPast == 0 {
		im.opts.MaxPast = DefaultMaxPast
	}
	lr := events.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return im.res, im.stopped(lr.Line()+1, err)
		}
		line, b, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, events.ErrLineTooLong) {
			im.reject(line, err.Error())
			continue
		}
		if err != nil {
			return im.res, im.stopped(line+1, err)
		}
		if isBlank(b) {
			continue
		}
		ev, err := events.Parse(b)
		if err != nil {
			im.reject(line, err.Error())
			continue
		}
		if err := im.record(ctx, line, ev); err != nil {
			return im.res, im.stopped(line, err)
		}
	}
	im.rejectHeld()
	return im.res, nil
}

type importer struct {
	rec   *Recorder
	opts  ImportOptions
	res   ImportResult
	shift time.Duration
	first bool              // the shift is known
	held  map[string][]held // by alert id, in line order
	nHeld int
	// past remembers the alerts older than the alert retention, by id, for
	// the rest of the input: no alert record holds them.
	past map[string]*pastAlert
}

func (im *importer) reject(line int, reason string) {
	im.res.Rejected++
	if im.opts.OnReject != nil {
		im.opts.OnReject(line, reason)
	}
}

// record applies the shift and stores the event of a line.
func (im *importer) record(ctx context.Context, line int, ev events.Event) error {
	if !im.opts.ShiftTo.IsZero() {
		if !im.first {
			im.first = true
			im.shift = im.opts.ShiftTo.Sub(ev.At.UTC().Truncate(24 * time.Hour))
		}
		ev.At = ev.At.Add(im.shift)
	}
	return im.store(ctx, held{line: line, ev: ev})
}

// store records one event. One that waits for an earlier event is held
// while there is room; one that is stored releases the events held for its
// alert. It returns only storage failures.
func (im *importer) store(ctx context.Context, h held) error {
	out, err := im.recordOne(ctx, h)
	var rej *RejectedError
	switch {
	case errors.As(err, &rej) && rej.waits:
		if im.nHeld >= im.opts.MaxHeld {
			im.reject(h.line, fmt.Sprintf("%s (not retried: more than %d events of this input wait for an earlier event)", rej.Reason, im.opts.MaxHeld))
			return nil
		}
		h.reason = rej.Reason
		if im.held == nil {
			im.held = map[string][]held{}
		}
		im.held[h.ev.AlertID] = append(im.held[h.ev.AlertID], h)
		im.nHeld++
		return nil
	case errors.As(err, &rej):
		im.reject(h.line, rej.Reason)
		return nil
	case err != nil:
		return fmt.Errorf("line %d: %w", h.line, err)
	case out == Disabled:
		return fmt.Errorf("metrics are disabled (BOT_METRICS_ENABLED=false): nothing imported")
	case out == Duplicate:
		im.res.Duplicate++
	case out == RecordedAggregateOnly:
		im.res.AggregateOnly++
	default:
		im.res.Recorded++
	}
	return im.release(ctx, h.ev.AlertID)
}

// recordOne records an event: in its day's aggregate only when its alert
// is older than the alert retention, else as the live bot does.
func (im *importer) recordOne(ctx context.Context, h held) (Outcome, error) {
	id := h.ev.AlertID
	if pa := im.past[id]; pa != nil {
		return im.rec.recordPast(ctx, h.ev, pa)
	}
	if h.ev.Type != events.AlertCreated || !im.rec.pastRetention(h.ev.At) {
		return im.rec.Record(ctx, h.ev)
	}
	if len(im.past) >= im.opts.MaxPast {
		return 0, reject("alert created %s is older than the metrics retention (%d days) and more than %d such alerts came in this input: import it in parts",
			h.ev.At.UTC().Format(time.RFC3339), days(im.rec.opts.AlertTTL), im.opts.MaxPast)
	}
	pa := &pastAlert{line: h.line}
	out, err := im.rec.recordPast(ctx, h.ev, pa)
	if err == nil && out != Disabled {
		if im.past == nil {
			im.past = map[string]*pastAlert{}
		}
		im.past[id] = pa
	}
	return out, err
}

// release retries, in line order, the events held for an alert once one
// of its events is stored: its creation lets them all in, a session's
// start lets its end in (store releases again after each success).
func (im *importer) release(ctx context.Context, alertID string) error {
	waiting := im.held[alertID]
	if len(waiting) == 0 {
		return nil
	}
	delete(im.held, alertID)
	im.nHeld -= len(waiting)
	for i, w := range waiting {
		if err := im.store(ctx, w); err != nil {
			// Not settled: this event and the ones after it.
			im.held[alertID] = append(im.held[alertID], waiting[i:]...)
			im.nHeld += len(waiting) - i
			return err
		}
	}
	return nil
}

// rejectHeld rejects, in line order, what still waits at the end of the
// input: its alert (or its session's start) never came.
func (im *importer) rejectHeld() {
	var rest []held
	for _, hs := range im.held {
		rest = append(rest, hs...)
	}
	slices.SortFunc(rest, func(a, b held) int { return a.line - b.line })
	for _, h := range rest {
		im.reject(h.line, h.reason)
	}
	im.held, im.nHeld = nil, 0
}

// stopped reports a stop: resume is the first line not settled, unless a
// held line comes before it, or the creation of an alert older than the
// alert retention (whose later events, anywhere in the input, find it only
// in this import's memory).
func (im *importer) stopped(resume int, err error) error {
	for _, hs := range im.held {
		for _, h := range hs {
			resume = min(resume, h.line)
		}
	}
	for _, pa := range im.past {
		resume = min(resume, pa.line)
	}
	return &StoppedError{Resume: resume, Err: err}
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}
