// Package earlierbot reads (and, for opt-outs, writes) the values the
// earlier Python Ash-Bot kept in Redis, as docs/migrating-from-ash-bot.md
// lists them. ashbot reads these forms wherever it meets them, so that a
// deployment switching over loses nothing, and writes opt-outs in the
// earlier form so that a rollback keeps them.
//
// The earlier bot wrote times with Python's datetime.isoformat(): with an
// offset ("+00:00") when the datetime was aware, without one (meaning UTC,
// from datetime.utcnow()) otherwise, sometimes with "Z" appended; and
// sorted-set scores as unix seconds (float).
package earlierbot

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// isoLayouts are the forms of Python's isoformat() without an offset, read
// as UTC.
var isoLayouts = []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"}

// ParseTime reads a time the earlier bot wrote: ISO-8601 with or without
// an offset (UTC when absent), or unix seconds as a number.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errors.New("empty time")
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02 15:04:05.999999999Z07:00", s); err == nil {
		return t.UTC(), nil
	}
	for _, l := range isoLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f > 0 && f < 1e11 {
		return SecondsTime(f), nil
	}
	return time.Time{}, fmt.Errorf("time %q is neither ISO-8601 nor unix seconds", s)
}

// SecondsTime turns a unix-seconds score into a time, to the microsecond
// (what a float64 of today's seconds holds).
func SecondsTime(f float64) time.Time {
	return time.UnixMicro(int64(f * 1e6)).UTC()
}

// FormatTime writes t as the earlier bot's aware datetimes do, which its
// datetime.fromisoformat() reads and compares with aware "now" (a time
// without offset would break that comparison, and the opt-out with it).
func FormatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000") + "+00:00"
}

// jsonTime is a time field that may be ISO text, a number of seconds or
// null.
type jsonTime struct{ time.Time }

func (j *jsonTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		s = string(b) // a number
	}
	t, err := ParseTime(s)
	if err != nil {
		return err
	}
	j.Time = t
	return nil
}

// ID is a Discord id written as a JSON number (as the earlier bot did,
// from Python ints) or a string.
type ID string

func (id *ID) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			// Not the value: it may be a person's id, and this error reaches
			// migrate's report.
			return fmt.Errorf("an id that is neither a number nor a string (%d bytes)", len(b))
		}
		s = n.String()
	}
	*id = ID(s)
	return nil
}

// OptOut is the value of ash:optout:{user_id} in the earlier form.
type OptOut struct {
	UserID     string
	OptedOutAt time.Time // zero when the value has none
	ExpiresAt  time.Time // zero when the value has none
}

// ParseOptOut reads the earlier JSON form. An opt-out the earlier bot
// marked opted_out: false is no opt-out, and an error.
func ParseOptOut(v string) (OptOut, error) {
	var raw struct {
		UserID     ID       `json:"user_id"`
		OptedOut   *bool    `json:"opted_out"`
		OptedOutAt jsonTime `json:"opted_out_at"`
		ExpiresAt  jsonTime `json:"expires_at"`
	}
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return OptOut{}, fmt.Errorf("opt-out value is not the earlier JSON form: %w", err)
	}
	if raw.OptedOut != nil && !*raw.OptedOut {
		return OptOut{}, errors.New("opt-out value says opted_out: false")
	}
	return OptOut{UserID: string(raw.UserID), OptedOutAt: raw.OptedOutAt.Time, ExpiresAt: raw.ExpiresAt.Time}, nil
}

// EncodeOptOut writes an opt-out in the earlier JSON form. A Discord id is
// written as a JSON number, as the earlier bot wrote it (it reads the id
// with int(), which takes a string of digits too); anything else as a
// string.
func EncodeOptOut(userID string, at, expires time.Time) string {
	id := strconv.Quote(userID)
	if _, err := strconv.ParseUint(userID, 10, 64); err == nil && userID[0] != '0' {
		id = userID
	}
	return fmt.Sprintf(`{"user_id": %s, "opted_out": true, "opted_out_at": %q, "expires_at": %q}`,
		id, FormatTime(at), FormatTime(expires))
}

// SessionMeta is the value of ash:session:meta:{session_id}. Only ids,
// times and counts are read: user_name and the rest stay where they are.
type SessionMeta struct {
	SessionID string
	StartedAt time.Time
	EndedAt   time.Time
	Status    string
}

// ParseSessionMeta reads the earlier session metadata.
func ParseSessionMeta(v string) (SessionMeta, error) {
	var raw struct {
		SessionID ID       `json:"session_id"`
		StartedAt jsonTime `json:"started_at"`
		EndedAt   jsonTime `json:"ended_at"`
		Status    string   `json:"status"`
	}
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return SessionMeta{}, fmt.Errorf("session metadata is not the earlier JSON form: %w", err)
	}
	return SessionMeta{SessionID: string(raw.SessionID), StartedAt: raw.StartedAt.Time, EndedAt: raw.EndedAt.Time, Status: raw.Status}, nil
}

// Age returns the time the session's retention counts from: its end, else
// its start; zero when neither is known.
func (m SessionMeta) Age() time.Time {
	if !m.EndedAt.IsZero() {
		return m.EndedAt
	}
	return m.StartedAt
}

// PendingAlert is the value of ash:pending_alert:{alert_message_id}: an
// alert waiting for the earlier bot's auto-initiate. ExpiresAt is when Ash
// was to reach out.
type PendingAlert struct {
	AlertMessageID    string
	AlertChannelID    string
	UserID            string
	OriginalMessageID string
	OriginalChannelID string
	Severity          string
	CreatedAt         time.Time
	ExpiresAt         time.Time
	AutoInitiated     bool
	Cancelled         bool
}

// ParsePendingAlert reads a pending alert; every id and both times are
// required, as the earlier bot's own from_dict requires them.
func ParsePendingAlert(v string) (PendingAlert, error) {
	var raw struct {
		AlertMessageID    ID       `json:"alert_message_id"`
		AlertChannelID    ID       `json:"alert_channel_id"`
		UserID            ID       `json:"user_id"`
		OriginalMessageID ID       `json:"original_message_id"`
		OriginalChannelID ID       `json:"original_channel_id"`
		Severity          string   `json:"severity"`
		CreatedAt         jsonTime `json:"created_at"`
		ExpiresAt         jsonTime `json:"expires_at"`
		AutoInitiated     bool     `json:"auto_initiated"`
		Cancelled         bool     `json:"cancelled"`
	}
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return PendingAlert{}, fmt.Errorf("pending alert is not the earlier JSON form: %w", err)
	}
	p := PendingAlert{
		AlertMessageID: string(raw.AlertMessageID), AlertChannelID: string(raw.AlertChannelID), UserID: string(raw.UserID),
		OriginalMessageID: string(raw.OriginalMessageID), OriginalChannelID: string(raw.OriginalChannelID),
		Severity: strings.ToLower(raw.Severity), CreatedAt: raw.CreatedAt.Time, ExpiresAt: raw.ExpiresAt.Time,
		AutoInitiated: raw.AutoInitiated, Cancelled: raw.Cancelled,
	}
	for _, f := range []struct{ name, v string }{
		{"alert_message_id", p.AlertMessageID}, {"alert_channel_id", p.AlertChannelID}, {"user_id", p.UserID},
		{"original_message_id", p.OriginalMessageID}, {"original_channel_id", p.OriginalChannelID},
	} {
		if f.v == "" {
			return PendingAlert{}, fmt.Errorf("pending alert: missing %s", f.name)
		}
	}
	if p.CreatedAt.IsZero() || p.ExpiresAt.IsZero() {
		return PendingAlert{}, errors.New("pending alert: missing created_at or expires_at")
	}
	return p, nil
}
