package metrics

import (
	"context"
	"testing"

	"github.com/alphabetcartel/ashbot/internal/events"
)

// lifecycle has one event of every kind, in an order the alert can live.
func lifecycle() []events.Event {
	sess := func(typ events.Type, at string, why events.EndReason) events.Event {
		return events.Event{Type: typ, AlertID: "a1", At: ts(at), SessionID: "s1", Reason: why}
	}
	return []events.Event{
		created("a1", "2026-01-05T12:00:00Z", events.High),
		ev(events.Acknowledged, "a1", "2026-01-05T12:02:30Z", "111"),
		ev(events.AshContacted, "a1", "2026-01-05T12:03:00Z", "auto"),
		sess(events.SessionStarted, "2026-01-05T12:03:01Z", ""),
		{Type: events.UserOptedOut, AlertID: "a1", At: ts("2026-01-05T12:04:00Z")},
		sess(events.SessionEnded, "2026-01-05T12:10:01Z", events.EndCompleted),
		ev(events.FirstResponse, "a1", "2026-01-05T12:12:00Z", "222"),
		ev(events.Resolved, "a1", "2026-01-05T13:00:00Z", "111"),
	}
}

func dayDump(t *testing.T, f fixture) map[string]string {
	t.Helper()
	return f.rdb.HGetAll(context.Background(), "ash:metrics:daily:2026-01-05").Val()
}

func sameDay(t *testing.T, kind events.Type, when string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s lost, %s: day %v, want %v", kind, when, got, want)
		return
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s lost, %s: day %v, want %v", kind, when, got, want)
			return
		}
	}
}

// If the day script of any event is lost (a crash between the two round
// trips, a lost reply), the alert record holds the event and the next
// event of the alert, whatever its kind, brings the day up to date; so
// does a replay of the lost event itself.
func TestAnyLaterEventHealsALostDayUpdate(t *testing.T) {
	all := lifecycle()
	// want[j]: the day after the first j events, all recorded in full.
	want := make([]map[string]string, len(all)+1)
	for j := range want {
		ref := setup(t)
		ref.must(t, Recorded, all[:j]...)
		want[j] = dayDump(t, ref)
	}

	for i, lost := range all {
		for _, healer := range []string{"the next event", "a replay"} {
			f := setup(t)
			f.must(t, Recorded, all[:i]...)
			// The first round trip only: the alert record has the event,
			// the day does not.
			if _, err := f.rec.apply(context.Background(), lost, now); err != nil {
				t.Fatal(err)
			}
			done := i + 1
			switch {
			case healer == "a replay":
				f.must(t, Duplicate, lost)
			case i+1 < len(all):
				f.must(t, Recorded, all[i+1])
				done++
			default:
				// Nothing comes after the resolution but replays of
				// earlier events, which heal as well.
				f.must(t, Duplicate, all[0])
			}
			sameDay(t, lost.Type, "healed by "+healer, dayDump(t, f), want[done])
		}
	}
}
