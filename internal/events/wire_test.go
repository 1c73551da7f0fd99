package events

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestParseValid(t *testing.T) {
	cases := []struct {
		line string
		want Event
	}{
		{`{"type":"alert_created","alert_id":"alert_1","at":"2026-01-05T12:00:00+02:00","alert_message_id":"1300000000000000001","user_id":"400000000000000001","channel_id":"900000000000000001","severity":"high","channel_sensitivity":1.5}`,
			Event{Type: AlertCreated, AlertID: "alert_1", At: time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC), AlertMessageID: "1300000000000000001", UserID: "400000000000000001", ChannelID: "900000000000000001", Severity: High, ChannelSensitivity: 1.5}},
		{`{"type":"acknowledged","alert_id":"a","at":"2026-01-05T12:00:00.250Z","by":"111"}`,
			Event{Type: Acknowledged, AlertID: "a", At: time.Date(2026, 1, 5, 12, 0, 0, 250e6, time.UTC), By: "111"}},
		{`{"type":"ash_contacted","alert_id":"a","at":"2026-01-05T12:00:00Z","by":"auto","auto":true}`,
			Event{Type: AshContacted, AlertID: "a", At: time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC), By: "auto", Auto: true}},
		{`{"type":"user_opted_out","alert_id":"a","at":"2026-01-05T12:00:00Z"}`,
			Event{Type: UserOptedOut, AlertID: "a", At: time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)}},
		{`{"type":"session_ended","alert_id":"a","at":"2026-01-05T12:00:00Z","session_id":"s-1","reason":"max_duration"}`,
			Event{Type: SessionEnded, AlertID: "a", At: time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC), SessionID: "s-1", Reason: EndMaxDuration}},
		{`{"type":"followup_sent","alert_id":"a","at":"2026-01-06T12:00:00Z"}`,
			Event{Type: FollowupSent, AlertID: "a", At: time.Date(2026, 1, 6, 12, 0, 0, 0, time.UTC)}},
		{`{"type":"followup_answered","alert_id":"a","at":"2026-01-06T13:00:00Z","session_id":"0a1b2c3d"}`,
			Event{Type: FollowupAnswered, AlertID: "a", At: time.Date(2026, 1, 6, 13, 0, 0, 0, time.UTC), SessionID: "0a1b2c3d"}},
		{`{"type":"escalated","alert_id":"a","at":"2026-01-05T12:05:00Z","level":2}`,
			Event{Type: Escalated, AlertID: "a", At: time.Date(2026, 1, 5, 12, 5, 0, 0, time.UTC), Level: EscalationLeads}},
	}
	for _, c := range cases {
		got, err := Parse([]byte(c.line))
		if err != nil {
			t.Errorf("Parse(%s): %v", c.line, err)
			continue
		}
		if !got.At.Equal(c.want.At) {
			t.Errorf("at = %v, want %v", got.At, c.want.At)
		}
		got.At, c.want.At = time.Time{}, time.Time{}
		if got != c.want {
			t.Errorf("Parse(%s)\n got %+v\nwant %+v", c.line, got, c.want)
		}
	}
}

func TestParseRejects(t *testing.T) {
	const created = `"type":"alert_created","alert_id":"a","at":"2026-01-05T12:00:00Z","alert_message_id":"13","user_id":"40","channel_id":"90"`
	cases := []struct{ line, reason string }{
		{`not json`, "not a JSON object"},
		{`[1,2]`, "not a JSON object"},
		{`null`, "not a JSON object"},
		{`{"type":"acknowledged","alert_id":"a","at":"2026-01-05T12:00:00Z","by":"1"} {}`, "more than one JSON value"},
		{`{"alert_id":"a","at":"2026-01-05T12:00:00Z"}`, "missing field type"},
		{`{"type":"paged","alert_id":"a","at":"2026-01-05T12:00:00Z"}`, `unknown event type "paged"`},
		{`{"type":"escalated","alert_id":"a","at":"2026-01-05T12:00:00Z"}`, "missing field level"},
		{`{"type":"escalated","alert_id":"a","at":"2026-01-05T12:00:00Z","level":3}`, "level must be the number 1 or 2"},
		{`{"type":"escalated","alert_id":"a","at":"2026-01-05T12:00:00Z","level":"1"}`, "level must be the number 1 or 2"},
		{`{"type":"followup_answered","alert_id":"a","at":"2026-01-05T12:00:00Z"}`, "missing field session_id"},
		{`{"type":"followup_sent","alert_id":"a","at":"2026-01-05T12:00:00Z","by":"1"}`, "field by not allowed in followup_sent"},
		{`{` + created + `}`, "missing field severity"},
		{`{` + created + `,"severity":"severe"}`, `unknown severity "severe"`},
		{`{` + created + `,"severity":"High"}`, `unknown severity "High"`},
		{`{` + created + `,"severity":"low","channel_sensitivity":"x"}`, "channel_sensitivity must be a number"},
		{`{` + created + `,"severity":"low","channel_sensitivity":0}`, "channel_sensitivity must be a number above 0"},
		{`{` + created + `,"severity":"low","channel_sensitivity":11}`, "out of range"},
		{`{"type":"alert_created","alert_id":"a","at":"2026-01-05T12:00:00Z","alert_message_id":13,"user_id":"40","channel_id":"90","severity":"low"}`, "field alert_message_id must be a string"},
		{`{"type":"alert_created","alert_id":"a","at":"2026-01-05T12:00:00Z","alert_message_id":"x13","user_id":"40","channel_id":"90","severity":"low"}`, "not a Discord id"},
		{`{"type":"acknowledged","alert_id":"a","at":"2026-01-05 12:00:00","by":"1"}`, "not an RFC 3339 time"},
		{`{"type":"acknowledged","alert_id":"a","at":"2026-01-05T12:00:00","by":"1"}`, "not an RFC 3339 time"},
		{`{"type":"acknowledged","alert_id":"a","at":"2026-01-05T12:00:00Z"}`, "missing field by"},
		{`{"type":"acknowledged","alert_id":"a","at":"2026-01-05T12:00:00Z","by":""}`, "missing field by"},
		{`{"type":"acknowledged","alert_id":"","at":"2026-01-05T12:00:00Z","by":"1"}`, "missing field alert_id"},
		{`{"type":"acknowledged","alert_id":"a{b}","at":"2026-01-05T12:00:00Z","by":"1"}`, "only letters"},
		{`{"type":"acknowledged","alert_id":"` + strings.Repeat("a", 65) + `","at":"2026-01-05T12:00:00Z","by":"1"}`, "longer than 64"},
		{`{"type":"acknowledged","alert_id":"a","at":"2026-01-05T12:00:00Z","by":"1","severity":"high"}`, "field severity not allowed in acknowledged"},
		{`{"type":"ash_contacted","alert_id":"a","at":"2026-01-05T12:00:00Z","by":"1"}`, "missing field auto"},
		{`{"type":"ash_contacted","alert_id":"a","at":"2026-01-05T12:00:00Z","by":"1","auto":"yes"}`, "auto must be true or false"},
		{`{"type":"ash_contacted","alert_id":"a","at":"2026-01-05T12:00:00Z","by":"1","auto":true}`, "does not match auto"},
		{`{"type":"ash_contacted","alert_id":"a","at":"2026-01-05T12:00:00Z","by":"auto","auto":false}`, "does not match auto"},
		{`{"type":"session_started","alert_id":"a","at":"2026-01-05T12:00:00Z"}`, "missing field session_id"},
		{`{"type":"session_ended","alert_id":"a","at":"2026-01-05T12:00:00Z","session_id":"s"}`, "missing field reason"},
		{`{"type":"session_ended","alert_id":"a","at":"2026-01-05T12:00:00Z","session_id":"s","reason":"bored"}`, `unknown reason "bored"`},
		// Strictness beyond encoding/json and time.Parse (both more lenient).
		{`{"type":"resolved","alert_id":"a","at":"2026-01-05T12:00:00Z","by":"1","type":"acknowledged"}`, `duplicate key "type"`},
		{`{"type":"acknowledged","alert_id":"a","at":"2026-01-05T12:00:00Z","by":"1","alert_id":"b"}`, `duplicate key "alert_id"`},
		{`{"type":"acknowledged","alert_id":"a","at":"2026-01-05T12:00:00Z","by":{"x":1,"y":[{"z":1,"z":2}]}}`, `duplicate key "z"`},
		{`{"type":"acknowledged","alert_id":"a","at":"2026-01-05T12:00:00+24:00","by":"1"}`, "not an RFC 3339 time"},
		{`{"type":"acknowledged","alert_id":"a","at":"2026-01-05T12:00:00-25:00","by":"1"}`, "not an RFC 3339 time"},
		{`{"type":"acknowledged","alert_id":"a","at":"2026-01-05T12:00:00+01:60","by":"1"}`, "not an RFC 3339 time"},
		{`{"type":"acknowledged","alert_id":"a","at":"2026-01-05T12:00:00+0100","by":"1"}`, "not an RFC 3339 time"},
		{`{"type":"acknowledged","alert_id":"a","at":"2026-01-05T12:00:00,5Z","by":"1"}`, "not an RFC 3339 time"},
		{`{"type":"acknowledged","alert_id":"a","at":"2026-01-05T12:00:00.Z","by":"1"}`, "not an RFC 3339 time"},
		{`{` + created + `,"severity":"low","channel_sensitivity":"1.5"}`, "channel_sensitivity must be a number"},
		{`{"type":"ash_contacted","alert_id":"a","at":"2026-01-05T12:00:00Z","by":"1","auto":null}`, "auto must be true or false"},
	}
	for _, c := range cases {
		_, err := Parse([]byte(c.line))
		if err == nil || !strings.Contains(err.Error(), c.reason) {
			t.Errorf("Parse(%s) error = %v, want it to say %q", c.line, err, c.reason)
		}
	}
}

func TestParseAcceptsOffsetsInRange(t *testing.T) {
	for _, at := range []string{"2026-01-05T12:00:00+23:59", "2026-01-05T12:00:00-23:59", "2026-01-05T12:00:00.123456789+05:30", "2026-01-05T12:00:00-00:00"} {
		line := `{"type":"acknowledged","alert_id":"a","at":"` + at + `","by":"1"}`
		if _, err := Parse([]byte(line)); err != nil {
			t.Errorf("Parse(%s): %v", line, err)
		}
	}
	// Keys that repeat only across objects are not duplicates.
	if _, err := Parse([]byte(`{"type":"acknowledged","alert_id":"a","at":"2026-01-05T12:00:00Z","by":"1"}`)); err != nil {
		t.Error(err)
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	for _, line := range []string{
		`{"alert_id":"a","alert_message_id":"13","at":"2026-01-05T12:00:00Z","channel_id":"90","channel_sensitivity":0.5,"severity":"low","type":"alert_created","user_id":"40"}`,
		`{"alert_id":"a","at":"2026-01-05T12:00:00.5Z","auto":false,"by":"7","type":"ash_contacted"}`,
		`{"alert_id":"a","at":"2026-01-05T12:00:00Z","reason":"handoff","session_id":"s","type":"session_ended"}`,
		`{"alert_id":"a","at":"2026-01-05T12:05:00Z","level":1,"type":"escalated"}`,
		`{"alert_id":"a","at":"2026-01-06T12:00:00Z","session_id":"s2","type":"followup_answered"}`,
	} {
		e, err := Parse([]byte(line))
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != line {
			t.Errorf("round trip\n got %s\nwant %s", b, line)
		}
	}
}

func TestCompletedReasons(t *testing.T) {
	want := map[EndReason]bool{EndCompleted: true, EndUserEnded: true, EndTimeout: true, EndMaxDuration: true, EndHandoff: true, EndOptedOut: false, EndError: false}
	for _, r := range EndReasons {
		if r.Completed() != want[r] {
			t.Errorf("%s completed = %t", r, r.Completed())
		}
	}
}
