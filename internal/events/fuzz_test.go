package events

import (
	"encoding/json"
	"testing"
)

// FuzzParse: no input makes Parse panic, everything it accepts is valid,
// and what it accepts survives a round trip through the wire format.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"type":"alert_created","alert_id":"a","at":"2026-01-05T12:00:00Z","alert_message_id":"13","user_id":"40","channel_id":"90","severity":"low"}`,
		`{"type":"ash_contacted","alert_id":"a","at":"2026-01-05T12:00:00+02:00","by":"auto","auto":true}`,
		`{"type":"session_ended","alert_id":"a","at":"2026-01-05T12:00:00Z","session_id":"s","reason":"timeout"}`,
		`{"type":"alert_created","alert_id":"a","at":"2026-01-05T12:00:00.5-23:59","alert_message_id":"13","user_id":"40","channel_id":"90","severity":"high","channel_sensitivity":2.5}`,
		`{"type":"resolved","alert_id":"a","at":"2026-01-05T12:00:00Z","by":"1","type":"acknowledged"}`,
		`{"type":"acknowledged","alert_id":"a","at":"2026-01-05T12:00:00Z","by":{"x":[{"z":1,"z":2}]}}`,
		`{"type":"acknowledged","alert_id":"a","at":"2026-01-05T12:00:00+24:00","by":"1"}`,
		`{"type":"acknowledged","alert_id":"a","at":"2026-01-05T12:00:00,5Z","by":"1"}`,
		`{"type":"ash_contacted","alert_id":"a","at":"2026-01-05T12:00:00Z","by":"1","auto":null}`,
		`{"type":"alert_created","alert_id":"a","at":"2026-01-05T12:00:00Z","alert_message_id":"13","user_id":"40","channel_id":"90","severity":"low","channel_sensitivity":"1.5"}`,
		"\ufeff{\"type\":\"user_opted_out\",\"alert_id\":\"a\",\"at\":\"2026-01-05T12:00:00Z\"}",
		`{}`, `[]`, `null`, `{"type":1}`, `{"a":{},"b":[[],{}],"a":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		ev, err := Parse(line)
		if err != nil {
			return
		}
		if err := ev.Validate(); err != nil {
			t.Fatalf("Parse accepted an invalid event %+v: %v", ev, err)
		}
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(b)
		if err != nil {
			t.Fatalf("round trip of %s failed: %v", b, err)
		}
		if !back.At.Equal(ev.At) {
			t.Fatalf("time changed in the round trip: %v -> %v", ev.At, back.At)
		}
		back.At = ev.At
		if back != ev {
			t.Fatalf("round trip changed the event:\n%+v\n%+v", ev, back)
		}
	})
}
