package detection

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/alphabetcartel/ashbot/internal/ashnlp"
)

// The backlog: messages that could not be classified wait here (bounded
// in age and number) until detection works again, and the state machine
// that says when it is down and when it is back.

// holdLocked puts a message in the backlog, dropping the oldest when full.
func (in *Intake) holdLocked(it item) {
	if in.opts.BacklogFor <= 0 {
		in.outage.dropped++
		in.stats.dropped.Add(1)
		return
	}
	if it.backlogAt.IsZero() {
		it.backlogAt = in.opts.Clock.Now()
		in.outage.held++
	}
	if len(in.backlog) >= in.opts.BacklogMax {
		in.backlog = slices.Delete(in.backlog, 0, 1)
		in.outage.dropped++
		in.stats.dropped.Add(1)
	}
	in.backlog = append(in.backlog, it)
	in.signal()
}

func (in *Intake) signal() {
	select {
	case in.wake <- struct{}{}:
	default:
	}
}

// expireLocked drops backlog messages older than BacklogFor.
func (in *Intake) expireLocked(now time.Time) {
	n := 0
	for n < len(in.backlog) && now.Sub(in.backlog[n].received) > in.opts.BacklogFor {
		n++
	}
	if n > 0 {
		in.backlog = slices.Delete(in.backlog, 0, n)
		in.outage.dropped += n
		in.stats.dropped.Add(int64(n))
	}
}

// goDownLocked marks detection down and sends the CRT's notice, once per
// outage.
func (in *Intake) goDownLocked(s state, reason string) {
	if in.state == down || in.state == s {
		return
	}
	wasUp := in.state == up
	in.state, in.reason = s, reason
	if wasUp {
		in.since = in.opts.Clock.Now()
		in.outage = outage{}
		in.notice(downNotice(reason, in.opts.BacklogFor))
	}
	in.signal()
}

// DownAtStart marks detection down because its classifier failed its
// health check at start-up, with the CRT's notice, so the team knows
// before the first message goes unclassified; the probe finds out when it
// is back and says so, as after any outage.
func (in *Intake) DownAtStart() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.goDownLocked(down, "Ash-NLP did not pass its health check when ashbot started")
}

// backUpLocked marks detection up and tells the CRT what the outage cost.
func (in *Intake) backUpLocked() {
	if in.state == up {
		return
	}
	in.state = up
	took := in.opts.Clock.Now().Sub(in.since)
	in.notice(upNotice(took, in.outage, len(in.backlog)))
	in.signal()
}

// runBacklog probes a down classifier and drains the backlog.
func (in *Intake) runBacklog(ctx context.Context) {
	for {
		in.mu.Lock()
		in.expireLocked(in.opts.Clock.Now())
		st, n := in.state, len(in.backlog)
		in.mu.Unlock()
		switch {
		case st == down:
			select {
			case <-ctx.Done():
				return
			case <-in.opts.Clock.After(in.opts.ProbeInterval):
			}
			in.probe(ctx)
		case n > 0 || st == overflow: // an emptied backlog after an overflow: back up
			in.drain(ctx)
		default:
			select {
			case <-ctx.Done():
				return
			case <-in.wake:
			}
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// probe tries the oldest waiting message (or the classifier's health when
// none waits); success means detection is back.
func (in *Intake) probe(ctx context.Context) {
	in.mu.Lock()
	if len(in.backlog) == 0 {
		in.mu.Unlock()
		hc, ok := in.opts.Classifier.(healthChecker)
		if !ok || hc.Health(ctx) != nil {
			return
		}
		in.mu.Lock()
		in.backUpLocked()
		in.mu.Unlock()
		return
	}
	it := in.backlog[0]
	in.mu.Unlock()

	res, err := in.classify(ctx, it)
	in.mu.Lock()
	if len(in.backlog) > 0 && in.backlog[0].seq == it.seq {
		in.backlog = in.backlog[1:]
	}
	if err != nil {
		if rejected(err) {
			in.mu.Unlock()
			in.rejected(it, err)
			return
		}
		in.stats.errorKind(errorKind(err))
		in.backlog = append([]item{it}, in.backlog...)
		in.reason = reasonOf(err)
		in.mu.Unlock()
		return
	}
	in.backUpLocked()
	in.mu.Unlock()
	in.handle(ctx, it, res)
}

// drain moves the backlog into the queues, oldest first, while detection
// works; new messages join the backlog meanwhile, so order holds.
func (in *Intake) drain(ctx context.Context) {
	for {
		in.mu.Lock()
		in.expireLocked(in.opts.Clock.Now())
		if in.state == down {
			in.draining = false
			in.mu.Unlock()
			return
		}
		if len(in.backlog) == 0 {
			// After an overflow, back only once the queue has room to
			// spare: at its brim, detection would flap down and up.
			if in.state == overflow && in.queue.depth() > in.opts.QueueSize/2 {
				in.mu.Unlock()
				if !in.queue.waitBelow(ctx, in.opts.QueueSize/2) {
					return
				}
				continue
			}
			in.draining = false
			in.backUpLocked()
			in.mu.Unlock()
			return
		}
		in.draining = true
		it := in.backlog[0]
		in.backlog = in.backlog[1:]
		in.mu.Unlock()
		if !in.queue.pushWait(ctx, it) {
			return
		}
	}
}

// failed keeps a message that could not be classified and marks detection
// down; a request the service rejects (4xx) cannot succeed later and is
// counted and logged instead.
func (in *Intake) failed(it item, err error) {
	if rejected(err) {
		in.rejected(it, err)
		return
	}
	in.stats.errorKind(errorKind(err))
	in.mu.Lock()
	defer in.mu.Unlock()
	in.goDownLocked(down, reasonOf(err))
	if in.state == down {
		in.reason = reasonOf(err)
	}
	in.holdLocked(it)
}

func (in *Intake) rejected(it item, err error) {
	in.stats.errorKind("rejected")
	in.stats.skip(skipRejected)
	in.log.Error("Ash-NLP rejected a message: not classified (a bug: please report)",
		"message_id", it.msg.MessageID, "channel_id", it.msg.ChannelID, "error", err.Error())
}

// rejected reports a 4xx answer: the same request cannot succeed later.
func rejected(err error) bool {
	var se *ashnlp.StatusError
	return errors.As(err, &se) && se.Code >= 400 && se.Code < 500
}

func errorKind(err error) string {
	var se *ashnlp.StatusError
	switch {
	case errors.Is(err, ashnlp.ErrBreakerOpen):
		return "breaker_open"
	case errors.As(err, &se) && se.Code >= 500:
		return "server_error"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "other"
}

// ErrorKinds lists every error kind, for /metrics.
func ErrorKinds() []string {
	return []string{"breaker_open", "server_error", "timeout", "rejected", "other"}
}

func reasonOf(err error) string {
	switch errorKind(err) {
	case "breaker_open":
		return "Ash-NLP kept failing, so it is not being called for a while (circuit breaker open)"
	case "server_error":
		return "Ash-NLP answers with server errors"
	case "timeout":
		return "Ash-NLP does not answer in time"
	}
	return "Ash-NLP cannot be reached"
}
