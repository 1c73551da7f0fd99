package events

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

// allowed lists the JSON fields each type may carry besides type, alert_id and at.
var allowed = map[Type][]string{
	AlertCreated:     {"alert_message_id", "user_id", "channel_id", "severity", "channel_sensitivity", "source"},
	Acknowledged:     {"by"},
	AshContacted:     {"by", "auto"},
	UserOptedOut:     {},
	FirstResponse:    {"by"},
	Resolved:         {"by"},
	SessionStarted:   {"session_id"},
	SessionEnded:     {"session_id", "reason"},
	FollowupSent:     {},
	FollowupAnswered: {"session_id"},
	Escalated:        {"level"},
}

// Parse decodes one JSONL line into a validated Event. The error says what is
// wrong in words an operator can act on.
func Parse(line []byte) (Event, error) {
	var raw map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return Event{}, fmt.Errorf("not a JSON object: %w", err)
	}
	if dec.More() {
		return Event{}, fmt.Errorf("more than one JSON value on the line")
	}
	if raw == nil {
		return Event{}, fmt.Errorf("not a JSON object")
	}
	// A map keeps the last of two equal keys, so a repeated "type" or
	// "alert_id" would silently change what the event is about.
	if err := checkDuplicateKeys(line); err != nil {
		return Event{}, err
	}
	var e Event
	typ, err := str(raw, "type")
	if err != nil {
		return Event{}, err
	}
	e.Type = Type(typ)
	fields, ok := allowed[e.Type]
	if !ok {
		return Event{}, fmt.Errorf("unknown event type %q", typ)
	}
	var extra []string
	for k := range raw {
		if k != "type" && k != "alert_id" && k != "at" && !slices.Contains(fields, k) {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return Event{}, fmt.Errorf("field %s not allowed in %s", strings.Join(extra, ", "), e.Type)
	}
	if e.AlertID, err = str(raw, "alert_id"); err != nil {
		return Event{}, err
	}
	at, err := str(raw, "at")
	if err != nil {
		return Event{}, err
	}
	if e.At, err = parseTime(at); err != nil {
		return Event{}, err
	}
	switch e.Type {
	case AlertCreated:
		if e.AlertMessageID, err = str(raw, "alert_message_id"); err != nil {
			return Event{}, err
		}
		if e.UserID, err = str(raw, "user_id"); err != nil {
			return Event{}, err
		}
		if e.ChannelID, err = str(raw, "channel_id"); err != nil {
			return Event{}, err
		}
		sev, err := str(raw, "severity")
		if err != nil {
			return Event{}, err
		}
		e.Severity = Severity(sev)
		if _, ok := raw["source"]; ok {
			src, err := str(raw, "source")
			if err != nil {
				return Event{}, err
			}
			e.Source = src
		}
		if v, ok := raw["channel_sensitivity"]; ok {
			// json.Number would also take a string that holds a number.
			var n json.Number
			if len(v) == 0 || v[0] == '"' || json.Unmarshal(v, &n) != nil {
				return Event{}, fmt.Errorf("channel_sensitivity must be a number")
			}
			if e.ChannelSensitivity, err = n.Float64(); err != nil || e.ChannelSensitivity <= 0 {
				return Event{}, fmt.Errorf("channel_sensitivity must be a number above 0")
			}
		}
	case Acknowledged, FirstResponse, Resolved:
		if e.By, err = str(raw, "by"); err != nil {
			return Event{}, err
		}
	case AshContacted:
		if e.By, err = str(raw, "by"); err != nil {
			return Event{}, err
		}
		v, ok := raw["auto"]
		if !ok {
			return Event{}, fmt.Errorf("missing field auto")
		}
		// Unmarshal leaves a bool alone on null: only the two literals count.
		switch string(v) {
		case "true":
			e.Auto = true
		case "false":
			e.Auto = false
		default:
			return Event{}, fmt.Errorf("auto must be true or false")
		}
	case Escalated:
		v, ok := raw["level"]
		if !ok {
			return Event{}, fmt.Errorf("missing field level")
		}
		switch string(v) {
		case "1":
			e.Level = EscalationTeam
		case "2":
			e.Level = EscalationLeads
		default:
			return Event{}, fmt.Errorf("level must be the number 1 or 2")
		}
	case SessionStarted, SessionEnded, FollowupAnswered:
		if e.SessionID, err = str(raw, "session_id"); err != nil {
			return Event{}, err
		}
		if e.Type == SessionEnded {
			r, err := str(raw, "reason")
			if err != nil {
				return Event{}, err
			}
			e.Reason = EndReason(r)
		}
	}
	if err := e.Validate(); err != nil {
		return Event{}, err
	}
	return e, nil
}

// checkDuplicateKeys walks a line that already decoded as one JSON value
// and refuses any object, at any depth, that names a key twice.
func checkDuplicateKeys(line []byte) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	// One set of keys per open object; nil for an open array. After a key
	// the next token is its value, so keys and values alternate in objects.
	var open []map[string]bool
	expectKey := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("not a JSON object: %w", err)
		}
		if expectKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				open = open[:len(open)-1]
				expectKey = len(open) > 0 && open[len(open)-1] != nil
				continue
			}
			k, _ := tok.(string)
			keys := open[len(open)-1]
			if keys[k] {
				return fmt.Errorf("duplicate key %q", k)
			}
			keys[k] = true
			expectKey = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			open = append(open, map[string]bool{})
			expectKey = true
			continue
		case json.Delim('['):
			open = append(open, nil)
			continue
		case json.Delim(']'):
			open = open[:len(open)-1]
		}
		// A value ended: inside an object the next token is a key again.
		expectKey = len(open) > 0 && open[len(open)-1] != nil
	}
}

// parseTime reads an RFC 3339 time with a zone. time.Parse is more lenient
// than RFC 3339 section 5.6: it takes a comma before the fraction and
// offsets such as +24:00, which are refused here.
func parseTime(s string) (time.Time, error) {
	bad := fmt.Errorf("at %q is not an RFC 3339 time with a zone", s)
	if len(s) < len("2006-01-02T15:04:05Z") {
		return time.Time{}, bad
	}
	zone := s[19:]
	if zone[0] == '.' {
		n := 1
		for n < len(zone) && zone[n] >= '0' && zone[n] <= '9' {
			n++
		}
		if n == 1 {
			return time.Time{}, bad
		}
		zone = zone[n:]
	}
	if zone != "Z" && !validOffset(zone) {
		return time.Time{}, bad
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, bad
	}
	return t, nil
}

// validOffset accepts +HH:MM or -HH:MM with hours 00-23 and minutes 00-59.
func validOffset(z string) bool {
	if len(z) != 6 || (z[0] != '+' && z[0] != '-') || z[3] != ':' {
		return false
	}
	for _, i := range []int{1, 2, 4, 5} {
		if z[i] < '0' || z[i] > '9' {
			return false
		}
	}
	return z[1:3] <= "23" && z[4] <= '5'
}

// str reads a required string field; a number where a string belongs is an
// error because snowflakes lose precision as JSON numbers.
func str(raw map[string]json.RawMessage, name string) (string, error) {
	v, ok := raw[name]
	if !ok {
		return "", fmt.Errorf("missing field %s", name)
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", fmt.Errorf("field %s must be a string", name)
	}
	if s == "" {
		return "", fmt.Errorf("missing field %s", name)
	}
	return s, nil
}

// MarshalJSON writes the wire form, with only the fields of the event's type.
func (e Event) MarshalJSON() ([]byte, error) {
	m := map[string]any{"type": e.Type, "alert_id": e.AlertID, "at": e.At.UTC().Format(time.RFC3339Nano)}
	switch e.Type {
	case AlertCreated:
		m["alert_message_id"], m["user_id"], m["channel_id"], m["severity"] = e.AlertMessageID, e.UserID, e.ChannelID, e.Severity
		if s := e.Sensitivity(); s != 1.0 {
			m["channel_sensitivity"] = s
		}
		if e.Source != "" {
			m["source"] = e.Source
		}
	case Acknowledged, FirstResponse, Resolved:
		m["by"] = e.By
	case AshContacted:
		m["by"], m["auto"] = e.By, e.Auto
	case SessionStarted, FollowupAnswered:
		m["session_id"] = e.SessionID
	case Escalated:
		m["level"] = e.Level
	case SessionEnded:
		m["session_id"], m["reason"] = e.SessionID, e.Reason
	}
	return json.Marshal(m)
}
