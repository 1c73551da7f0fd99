// Package scheduletest provides a fake schedule.Clock so that tests of
// scheduled work can move time by hours or weeks without waiting, and a
// helper that runs a schedule.Runner for the length of a test.
package scheduletest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/schedule"
)

// Clock is a schedule.ManualClock with test helpers.
type Clock struct{ *schedule.ManualClock }

// NewClock returns a clock standing at start.
func NewClock(start time.Time) *Clock { return &Clock{schedule.NewManualClock(start)} }

// BlockUntil waits until n goroutines are waiting in After, which is how a
// test knows the code under test has done all it can at the current time.
// It fails the test after a generous real-time limit instead of hanging.
func (c *Clock) BlockUntil(t testing.TB, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.WaitIdle(ctx, n); err != nil {
		t.Fatalf("scheduletest: %v", err)
	}
}

// Start runs r in the background until the test ends, and returns a stop
// function that cancels it and waits for Run to return; stop may be called
// early (a restart) and more than once. A Run that returns an error, or
// does not return within 5 seconds of stop, fails the test.
func Start(t testing.TB, r *schedule.Runner) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := r.Run(ctx); err != nil {
			t.Errorf("scheduletest: Run: %v", err)
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("scheduletest: Run did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}
