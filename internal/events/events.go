// Package events defines the alert lifecycle events that feed the response
// metrics: their types, the JSONL wire format of product.md section 2, and
// the validation that every event passes before it may touch storage.
package events

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Type names one kind of lifecycle event.
type Type string

// The lifecycle event types, in the order an alert usually lives them.
const (
	AlertCreated   Type = "alert_created"
	Acknowledged   Type = "acknowledged"
	AshContacted   Type = "ash_contacted"
	UserOptedOut   Type = "user_opted_out"
	FirstResponse  Type = "first_response"
	Resolved       Type = "resolved"
	SessionStarted Type = "session_started"
	SessionEnded   Type = "session_ended"
	// FollowupSent: Ash sent a follow-up check-in about the alert (once
	// per alert); FollowupAnswered: the person answered it, which started
	// a new Ash session linked to the alert (SessionID).
	FollowupSent     Type = "followup_sent"
	FollowupAnswered Type = "followup_answered"
	// Escalated: the alert was still unacknowledged after its
	// severity's escalation time; Level 1 mentions the CRT roles again,
	// level 2 the escalation roles.
	Escalated Type = "escalated"
)

// Escalation levels of an escalated event.
const (
	EscalationTeam  = 1 // the CRT roles, mentioned again in the thread
	EscalationLeads = 2 // BOT_ESCALATION_ROLE_IDS and the escalation channel
)

// Severity of an alert as the classifier (or a flagger) judged it.
type Severity string

// Severities from least to most urgent.
const (
	Low      Severity = "low"
	Medium   Severity = "medium"
	High     Severity = "high"
	Critical Severity = "critical"
)

// Severities lists every severity from most to least urgent, the order
// reports show them in.
var Severities = []Severity{Critical, High, Medium, Low}

// ParseSeverity accepts exactly the lower-case names.
func ParseSeverity(s string) (Severity, error) {
	switch Severity(s) {
	case Low, Medium, High, Critical:
		return Severity(s), nil
	}
	return "", fmt.Errorf("unknown severity %q (want low, medium, high or critical)", s)
}

// Rank orders severities: low 1 .. critical 4.
func (s Severity) Rank() int {
	switch s {
	case Low:
		return 1
	case Medium:
		return 2
	case High:
		return 3
	case Critical:
		return 4
	}
	return 0
}

// EndReason says why an Ash session ended.
type EndReason string

// Session end reasons. The first five count as completed sessions.
const (
	EndCompleted   EndReason = "completed"
	EndUserEnded   EndReason = "user_ended"
	EndTimeout     EndReason = "timeout"
	EndMaxDuration EndReason = "max_duration"
	EndHandoff     EndReason = "handoff"
	EndOptedOut    EndReason = "opted_out"
	EndError       EndReason = "error"
)

// EndReasons lists every reason.
var EndReasons = []EndReason{EndCompleted, EndUserEnded, EndTimeout, EndMaxDuration, EndHandoff, EndOptedOut, EndError}

// Completed reports whether a session that ended this way counts as
// completed in the weekly report (product.md section 3).
func (r EndReason) Completed() bool {
	switch r {
	case EndCompleted, EndUserEnded, EndTimeout, EndMaxDuration, EndHandoff:
		return true
	}
	return false
}

// Sources of an alert: Ash-NLP's detection, or a member's flag.
const (
	SourceDetected = "detected"
	SourceFlagged  = "flagged"
)

// AutoBy is the `by` of an automatic Ash contact.
const AutoBy = "auto"

// Event is one lifecycle event. Which fields are set depends on Type; Validate
// checks that exactly the right ones are.
type Event struct {
	Type    Type
	AlertID string
	At      time.Time

	// alert_created
	AlertMessageID     string
	UserID             string
	ChannelID          string
	Severity           Severity
	ChannelSensitivity float64 // 0 means the default, 1.0
	// Source is SourceDetected or SourceFlagged; empty when not known
	// (events written before it existed).
	Source string

	// acknowledged, ash_contacted, first_response, resolved
	By   string
	Auto bool

	// session_started, session_ended, followup_answered
	SessionID string
	Reason    EndReason

	// escalated: EscalationTeam or EscalationLeads
	Level int
}

// Validate checks the fields an event of its type needs. Rules that depend on
// stored state (the alert exists, `at` is not before its creation) are the
// recorder's.
func (e Event) Validate() error {
	if err := checkID("alert_id", e.AlertID); err != nil {
		return err
	}
	if e.At.IsZero() {
		return fmt.Errorf("missing field at")
	}
	switch e.Type {
	case AlertCreated:
		for _, f := range []struct{ name, v string }{
			{"alert_message_id", e.AlertMessageID}, {"user_id", e.UserID}, {"channel_id", e.ChannelID},
		} {
			if err := checkSnowflake(f.name, f.v); err != nil {
				return err
			}
		}
		if _, err := ParseSeverity(string(e.Severity)); err != nil {
			return err
		}
		if e.Source != "" && e.Source != SourceDetected && e.Source != SourceFlagged {
			return fmt.Errorf("source %q: want %s or %s", e.Source, SourceDetected, SourceFlagged)
		}
		// Zero means "not given": the default modifier 1.0.
		if math.IsNaN(e.ChannelSensitivity) || e.ChannelSensitivity < 0 || e.ChannelSensitivity > 10 {
			return fmt.Errorf("channel_sensitivity %v out of range (0, 10]", e.ChannelSensitivity)
		}
	case Acknowledged, FirstResponse, Resolved:
		return checkSnowflake("by", e.By)
	case AshContacted:
		if e.Auto != (e.By == AutoBy) {
			return fmt.Errorf("ash_contacted: by %q does not match auto=%t (auto contacts have by \"auto\")", e.By, e.Auto)
		}
		if !e.Auto {
			return checkSnowflake("by", e.By)
		}
	case UserOptedOut, FollowupSent:
	case SessionStarted, FollowupAnswered:
		return checkID("session_id", e.SessionID)
	case Escalated:
		if e.Level != EscalationTeam && e.Level != EscalationLeads {
			return fmt.Errorf("escalated: level %d (want 1 or 2)", e.Level)
		}
	case SessionEnded:
		if err := checkID("session_id", e.SessionID); err != nil {
			return err
		}
		for _, r := range EndReasons {
			if e.Reason == r {
				return nil
			}
		}
		return fmt.Errorf("unknown reason %q (want one of completed, user_ended, timeout, max_duration, handoff, opted_out, error)", e.Reason)
	default:
		return fmt.Errorf("unknown event type %q", e.Type)
	}
	return nil
}

// checkID accepts the ids ashbot mints and Discord snowflakes. Braces are
// refused because Redis Cluster would read them as a hash tag in key names.
func checkID(field, v string) error {
	if v == "" {
		return fmt.Errorf("missing field %s", field)
	}
	if len(v) > 64 {
		return fmt.Errorf("%s longer than 64 characters", field)
	}
	for _, c := range v {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
		if !ok {
			return fmt.Errorf("%s %q: only letters, digits, '_', '-' and '.' are allowed", field, v)
		}
	}
	return nil
}

// checkSnowflake accepts a Discord id: a decimal uint64 without sign or
// leading zeros.
func checkSnowflake(field, v string) error {
	if v == "" {
		return fmt.Errorf("missing field %s", field)
	}
	if _, err := strconv.ParseUint(v, 10, 64); err != nil || v[0] == '0' {
		return fmt.Errorf("%s %q is not a Discord id (decimal digits)", field, v)
	}
	return nil
}

// Sensitivity is the channel sensitivity modifier with its default applied.
func (e Event) Sensitivity() float64 {
	if e.ChannelSensitivity == 0 {
		return 1.0
	}
	return e.ChannelSensitivity
}
