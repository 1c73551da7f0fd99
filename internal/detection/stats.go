package detection

import (
	"hash/fnv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/events"
)

// Stats are the intake's counters since start, for /metrics. They never
// hold message text or who wrote it.
type Stats struct {
	Seen        int64                     // messages in monitored channels
	Handled     int64                     // classified and acted on (alert, note or nothing)
	Skipped     map[string]int64          // by reason
	Classified  map[events.Severity]int64 // by severity after sensitivity, "safe" included
	Degraded    int64                     // answers with is_degraded
	Errors      map[string]int64          // classification errors by kind
	Alerts      map[events.Severity]int64 // detected alerts posted
	Notes       int64                     // messages added to an open alert's thread
	Escalations int64
	Overflow    int64 // messages that found the queue full
	Dropped     int64 // messages never classified (backlog too old or full)
	Notices     int64 // down and back notices
	QueueDepth  int   // messages waiting for a worker
	Backlog     int   // messages waiting for detection to work again
	Down        bool
}

// Latencies are the bot's own latency over the last few thousand
// messages: from the gateway event to the /analyze call (messages that
// did not wait in the backlog), and from the answer to the alert post.
type Latencies struct {
	ToClassify, ToAlert []time.Duration
	// Queued is the part of ToClassify spent waiting for a worker.
	Queued []time.Duration
}

// Latencies returns the recent latencies.
func (in *Intake) Latencies() Latencies {
	s := in.stats
	s.mu.Lock()
	defer s.mu.Unlock()
	return Latencies{ToClassify: s.toClassify.values(), ToAlert: s.toAlert.values(), Queued: s.queued.values()}
}

type stats struct {
	seen, handled, degraded, notes, escalations, overflow, dropped, notices atomic.Int64

	mu         sync.Mutex
	skipped    map[string]int64
	class      map[events.Severity]int64
	errors     map[string]int64
	alerts     map[events.Severity]int64
	toClassify *window
	toAlert    *window
	queued     *window
}

func newStats() *stats {
	return &stats{
		skipped: map[string]int64{}, class: map[events.Severity]int64{}, errors: map[string]int64{},
		alerts: map[events.Severity]int64{}, toClassify: newWindow(4096), toAlert: newWindow(4096), queued: newWindow(4096),
	}
}

func (s *stats) skip(reason string) { s.mu.Lock(); s.skipped[reason]++; s.mu.Unlock() }

func (s *stats) errorKind(kind string) { s.mu.Lock(); s.errors[kind]++; s.mu.Unlock() }

func (s *stats) alerted(sev events.Severity) { s.mu.Lock(); s.alerts[sev]++; s.mu.Unlock() }

func (s *stats) classified(sev events.Severity, degraded bool) {
	if degraded {
		s.degraded.Add(1)
	}
	s.mu.Lock()
	s.class[sev]++
	s.mu.Unlock()
}

// classifyStarted records the time from receipt to the call, for messages
// that did not wait in the backlog (those measure the outage, not the bot).
func (s *stats) classifyStarted(received, now time.Time) {
	s.mu.Lock()
	s.toClassify.add(now.Sub(received))
	s.mu.Unlock()
}

func (s *stats) queueWait(d time.Duration) {
	s.mu.Lock()
	s.queued.add(d)
	s.mu.Unlock()
}

func (s *stats) alertLatency(d time.Duration) {
	s.mu.Lock()
	s.toAlert.add(d)
	s.mu.Unlock()
}

// Stats returns a snapshot of the counters.
func (in *Intake) Stats() Stats {
	s := in.stats
	out := Stats{
		Seen: s.seen.Load(), Handled: s.handled.Load(), Degraded: s.degraded.Load(), Notes: s.notes.Load(), Escalations: s.escalations.Load(),
		Overflow: s.overflow.Load(), Dropped: s.dropped.Load(), Notices: s.notices.Load(),
	}
	s.mu.Lock()
	out.Skipped, out.Classified = clone(s.skipped), clone(s.class)
	out.Errors, out.Alerts = clone(s.errors), clone(s.alerts)
	s.mu.Unlock()
	in.mu.Lock()
	out.Backlog, out.Down = len(in.backlog), in.state != up
	in.mu.Unlock()
	out.QueueDepth = in.queue.depth()
	return out
}

func clone[K comparable](m map[K]int64) map[K]int64 {
	out := make(map[K]int64, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// window keeps the last n durations.
type window struct {
	buf  []time.Duration
	next int
	full bool
}

func newWindow(n int) *window { return &window{buf: make([]time.Duration, n)} }

func (w *window) add(d time.Duration) {
	w.buf[w.next] = d
	w.next = (w.next + 1) % len(w.buf)
	if w.next == 0 {
		w.full = true
	}
}

func (w *window) values() []time.Duration {
	if w.full {
		return append([]time.Duration(nil), w.buf...)
	}
	return append([]time.Duration(nil), w.buf[:w.next]...)
}

// textMemory remembers a hash of the text of the last n messages, to tell
// an edit from an update that left the text as it was.
type textMemory struct {
	mu    sync.Mutex
	hash  map[snowflake.ID]uint64
	order []snowflake.ID
	next  int
}

func newTextMemory(n int) *textMemory {
	return &textMemory{hash: map[snowflake.ID]uint64{}, order: make([]snowflake.ID, n)}
}

// remember stores the text's hash and reports whether it differs from the
// one remembered (true for a message not remembered).
func (t *textMemory) remember(id snowflake.ID, text string) bool {
	h := fnv.New64a()
	h.Write([]byte(text))
	sum := h.Sum64()
	t.mu.Lock()
	defer t.mu.Unlock()
	old, ok := t.hash[id]
	if ok {
		t.hash[id] = sum
		return old != sum
	}
	if evict := t.order[t.next]; evict != 0 {
		delete(t.hash, evict)
	}
	t.order[t.next] = id
	t.next = (t.next + 1) % len(t.order)
	t.hash[id] = sum
	return true
}
