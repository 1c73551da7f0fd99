package events

import (
	"strings"
	"testing"
)

// alert_created may say how the alert came about; anything but the two
// sources is refused, and the field survives a round trip.
func TestAlertCreatedSource(t *testing.T) {
	const base = `{"type":"alert_created","alert_id":"a1","at":"2026-01-01T00:00:00Z","alert_message_id":"1300000000000000011","user_id":"400000000000000007","channel_id":"900000000000000001","severity":"high"`
	for src, wantErr := range map[string]string{`"detected"`: "", `"flagged"`: "", `"guessed"`: `source "guessed"`, `""`: "missing field source", `3`: "must be a string"} {
		e, err := Parse([]byte(base + `,"source":` + src + `}`))
		if wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), wantErr) {
				t.Errorf("source %s: error %v, want %q", src, err, wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("source %s: %v", src, err)
		}
		b, err := e.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(b)
		if err != nil || back.Source != e.Source || `"`+back.Source+`"` != src {
			t.Errorf("source %s: round trip %q, %v", src, back.Source, err)
		}
	}
	e, err := Parse([]byte(base + `}`))
	if err != nil || e.Source != "" {
		t.Errorf("without source: %q, %v", e.Source, err)
	}
	if b, _ := e.MarshalJSON(); strings.Contains(string(b), "source") {
		t.Errorf("an unknown source is written: %s", b)
	}
}
