// Package scheduletest provides a fake schedule.Clock so that tests of
// scheduled work can move time by hours or weeks without waiting.
package scheduletest

import (
	"context"
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
