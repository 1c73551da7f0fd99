package metrics

import (
	"context"
	"testing"

	"github.com/alphabetcartel/ashbot/internal/events"
)

func TestLatestOf(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	other := func(e events.Event) events.Event { e.UserID = "555000222"; return e }
	f.must(t, Recorded,
		created("1001", "2026-01-02T10:00:00Z", events.High),
		created("1002", "2026-01-08T09:00:00Z", events.Medium),
		created("1003", "2026-01-08T11:00:00Z", events.High),
		other(created("1004", "2026-01-08T12:00:00Z", events.Critical)),
		other(created("1005", "2026-01-10T08:00:00Z", events.Low)),
	)
	cases := []struct {
		user   string
		days   int
		want   string
		wantOK bool
	}{
		{"555000111", 30, "1003", true}, // newest of that day, past a newer day of someone else
		{"555000111", 2, "", false},     // only the 9th and 10th
		{"555000222", 30, "1005", true},
		{"555000333", 30, "", false},
	}
	for _, c := range cases {
		got, ok, err := f.store.LatestOf(ctx, c.user, now, c.days)
		if err != nil || got != c.want || ok != c.wantOK {
			t.Errorf("LatestOf(%s, %d days) = %q %v %v, want %q %v", c.user, c.days, got, ok, err, c.want, c.wantOK)
		}
	}
}
