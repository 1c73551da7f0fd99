package bot

import (
	"testing"
	"time"
)

// What the flag command carried is there for the severity menu once, and
// not after the interaction token's lifetime.
func TestFlagTargets(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	f := newFlagTargets(func() time.Time { return now })
	f.put(1, 10, 100, "text")
	if got, ok := f.take(2, 10); ok {
		t.Errorf("another member's menu got %+v", got)
	}
	got, ok := f.take(1, 10)
	if !ok || got.authorID != 100 || got.content != "text" {
		t.Errorf("take = %+v %v", got, ok)
	}
	if _, ok := f.take(1, 10); ok {
		t.Error("taken twice")
	}
	f.put(1, 11, 100, "old")
	now = now.Add(flagTargetTTL)
	if _, ok := f.take(1, 11); ok {
		t.Error("kept past the token's lifetime")
	}
}
