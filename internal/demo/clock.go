package demo

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// clock is the demo's manual clock, shared by the simulated Discord (ids
// and timestamps) and the bot (timers). The demo moves it; goroutines
// waiting in After wake when it passes their deadline.
type clock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
	changed chan struct{} // closed and replaced whenever waiters change
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func newClock(start time.Time) *clock { return &clock{now: start, changed: make(chan struct{})} }

// Now returns the demo time.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After fires once the demo time reaches now+d.
func (c *clock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{at: c.now.Add(d), ch: ch})
	c.notifyLocked()
	return ch
}

// set moves the clock to t (never back) and wakes the waiters now due.
func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.Before(c.now) {
		return
	}
	c.now = t
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if w.at.After(t) {
			kept = append(kept, w)
			continue
		}
		w.ch <- t
	}
	c.waiters = kept
	c.notifyLocked()
}

func (c *clock) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// waitIdle waits until n goroutines wait on the clock: the bot's timer
// pollers have done everything due at the current time.
func (c *clock) waitIdle(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		got, changed := len(c.waiters), c.changed
		c.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return fmt.Errorf("demo: %d of %d timer pollers idle: %w", got, n, ctx.Err())
		}
	}
}
