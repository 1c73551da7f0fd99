package alerts

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestClaimEscalation(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	const lease = 2 * time.Minute
	if _, _, err := s.ClaimEscalation(ctx, "a1", 1, now, lease); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown alert: %v", err)
	}
	if err := s.SaveCreated(ctx, posted("a1")); err != nil {
		t.Fatal(err)
	}
	step := func(level int, at time.Time, want StepClaim) State {
		t.Helper()
		got, st, err := s.ClaimEscalation(ctx, "a1", level, at, lease)
		if err != nil || got != want {
			t.Fatalf("level %d at +%v: %v %v, want %v", level, at.Sub(now), got, err, want)
		}
		return st
	}
	if st := step(1, now, StepWon); st.AlertMessageID != "666" || st.Severity != "high" {
		t.Errorf("won claim's state %+v", st)
	}
	step(1, now.Add(time.Minute), StepBusy) // the holder is still posting
	step(2, now.Add(time.Minute), StepWon)  // levels are claimed apart
	step(1, now.Add(lease), StepWon)        // the holder died: taken over
	if err := s.EscalationDone(ctx, "a1", 1, now.Add(lease)); err != nil {
		t.Fatal(err)
	}
	step(1, now.Add(time.Hour), StepDone)
	if err := s.ReleaseEscalation(ctx, "a1", 2); err != nil {
		t.Fatal(err)
	}
	step(2, now.Add(time.Minute), StepWon) // released: at once again
	if _, _, err := s.Claim(ctx, "a1", ClaimAck, "777", now, nil); err != nil {
		t.Fatal(err)
	}
	step(2, now.Add(time.Hour), StepAnswered)
}
