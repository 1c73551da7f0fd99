package ash

import (
	"context"
	"testing"
	"time"
)

func TestClearOptOut(t *testing.T) {
	st, _ := newStore(t)
	ctx := context.Background()
	if had, err := st.ClearOptOut(ctx, "u1"); had || err != nil {
		t.Fatalf("lifted an opt-out nobody made: %v %v", had, err)
	}
	if _, err := st.OptOut(ctx, "u1", now); err != nil {
		t.Fatal(err)
	}
	if had, err := st.ClearOptOut(ctx, "u1"); !had || err != nil {
		t.Fatalf("lift: %v %v", had, err)
	}
	if _, ok, err := st.OptedOut(ctx, "u1"); ok || err != nil {
		t.Errorf("still opted out after the lift: %v %v", ok, err)
	}
}

func TestDueSetLen(t *testing.T) {
	s := NewDueSet(srv.Fresh(t), SessionDeadlinesKey)
	ctx := context.Background()
	for i, m := range []string{"s1", "s2", "s1"} {
		if err := s.Add(ctx, m, now.Add(time.Duration(i)*time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.Len(ctx); n != 2 || err != nil {
		t.Errorf("len %d %v, want 2 (s1 set twice)", n, err)
	}
}
