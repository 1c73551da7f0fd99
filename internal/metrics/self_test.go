package metrics

import (
	"context"
	"testing"

	"github.com/alphabetcartel/ashbot/internal/events"
)

// The person an alert is about (created's UserID, "555000111") can be a
// CRT member: their acknowledgment counts, but never as a responder, on
// the first recording, on a replay and in the day's aggregate itself.
func TestSelfAcknowledgmentIsNoResponder(t *testing.T) {
	f := setup(t)
	const person = "555000111"
	f.must(t, Recorded,
		created("a1", "2026-01-05T10:00:00Z", events.High),
		ev(events.Acknowledged, "a1", "2026-01-05T10:01:00Z", person),
		ev(events.FirstResponse, "a1", "2026-01-05T10:02:00Z", person),
		created("a2", "2026-01-05T11:00:00Z", events.Low),
		ev(events.Acknowledged, "a2", "2026-01-05T11:03:00Z", "666000111"),
	)
	f.must(t, Duplicate, ev(events.Acknowledged, "a1", "2026-01-05T10:01:00Z", person))

	d, err := f.store.Daily(context.Background(), ts("2026-01-05T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Acknowledge.Count != 2 || d.Acknowledge.SumSeconds != 240 {
		t.Errorf("acknowledgments %+v, want 2 over 240 s", d.Acknowledge)
	}
	if len(d.Responders) != 1 || d.Responders["666000111"] != 1 {
		t.Errorf("responders %v, want only 666000111", d.Responders)
	}
	sum, err := f.store.Weekly(context.Background(), ts("2026-01-09T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.TopResponders) != 1 || sum.TopResponders[0].UserID != "666000111" {
		t.Errorf("top responders %+v", sum.TopResponders)
	}
}
