package metrics

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNotFound is returned when a record does not exist (or has expired).
var ErrNotFound = errors.New("not found")

// Alert is one alert's stored metrics. It names the person in crisis
// (UserID), so it is shown only to the CRT, never in reports.
type Alert struct {
	AlertID        string `json:"alert_id"`
	AlertMessageID string `json:"alert_message_id"`
	UserID         string `json:"user_id"`
	ChannelID      string `json:"channel_id"`
	Severity       string `json:"severity"`
	// Source is "detected" or "flagged"; empty in records written before
	// the recorder stored it.
	Source             string    `json:"source,omitempty"`
	ChannelSensitivity float64   `json:"channel_sensitivity"`
	CreatedAt          time.Time `json:"alert_created_at"`

	AcknowledgedAt     *time.Time `json:"acknowledged_at"`
	AcknowledgedBy     string     `json:"acknowledged_by,omitempty"`
	AshContactedAt     *time.Time `json:"ash_contacted_at"`
	AshContactedBy     string     `json:"ash_contacted_by,omitempty"`
	WasAutoInitiated   bool       `json:"was_auto_initiated"`
	UserOptedOutAt     *time.Time `json:"user_opted_out_at"`
	UserOptedOut       bool       `json:"user_opted_out"`
	FirstResponseAt    *time.Time `json:"first_response_at"`
	FirstResponseBy    string     `json:"first_response_by,omitempty"`
	ResolvedAt         *time.Time `json:"resolved_at"`
	ResolvedBy         string     `json:"resolved_by,omitempty"`
	SessionID          string     `json:"session_id,omitempty"`
	SessionStartedAt   *time.Time `json:"session_started_at"`
	SessionEndedAt     *time.Time `json:"session_ended_at"`
	SessionEndReason   string     `json:"session_end_reason,omitempty"`
	FollowupSentAt     *time.Time `json:"followup_sent_at"`
	FollowupAnsweredAt *time.Time `json:"followup_answered_at"`
	FollowupSessionID  string     `json:"followup_session_id,omitempty"`
	EscalatedAt        *time.Time `json:"escalated_at"`       // level 1: the CRT roles again
	EscalatedLeadsAt   *time.Time `json:"escalated_leads_at"` // level 2: the escalation roles

	TimeToAcknowledgeSeconds *int64 `json:"time_to_acknowledge_seconds"`
	TimeToAshSeconds         *int64 `json:"time_to_ash_seconds"`
	TimeToResponseSeconds    *int64 `json:"time_to_response_seconds"`
	TimeToResolveSeconds     *int64 `json:"time_to_resolve_seconds"`
	SessionSeconds           *int64 `json:"session_seconds"`

	ExpiresAt *time.Time `json:"expires_at"` // nil if the key has no TTL
}

// Store answers queries over recorded metrics.
type Store struct {
	rdb redis.UniversalClient
	now func() time.Time
}

// NewStore returns a Store reading through rdb; now tells expiry times.
func NewStore(rdb redis.UniversalClient, now func() time.Time) *Store {
	return &Store{rdb: rdb, now: now}
}

// Alert loads one alert by its alert id.
func (s *Store) Alert(ctx context.Context, alertID string) (*Alert, error) {
	pipe := s.rdb.Pipeline()
	all := pipe.HGetAll(ctx, alertKey(alertID))
	ttl := pipe.PTTL(ctx, alertKey(alertID))
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("load alert %s: %w", alertID, checkType(alertKey(alertID), err))
	}
	h := all.Val()
	if len(h) == 0 {
		return nil, fmt.Errorf("alert %s: %w", alertID, ErrNotFound)
	}
	a, err := decodeAlert(alertID, h)
	if err != nil {
		return nil, fmt.Errorf("load alert %s: %w", alertID, err)
	}
	if d := ttl.Val(); d > 0 {
		exp := s.now().Add(d).UTC().Truncate(time.Second)
		a.ExpiresAt = &exp
	}
	return a, nil
}

// AlertByMessage loads the alert whose alert message has this Discord id.
func (s *Store) AlertByMessage(ctx context.Context, messageID string) (*Alert, error) {
	id, err := s.rdb.Get(ctx, lookupKey(messageID)).Result()
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("alert for message %s: %w", messageID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("look up alert for message %s: %w", messageID, checkType(lookupKey(messageID), err))
	}
	return s.Alert(ctx, id)
}

func decodeAlert(id string, h map[string]string) (*Alert, error) {
	t0ms, err := strconv.ParseInt(h[fT0], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("field %s: %w", fT0, err)
	}
	t0 := time.UnixMilli(t0ms).UTC()
	a := &Alert{
		AlertID: id, AlertMessageID: h[fMessage], UserID: h[fUser], ChannelID: h[fChannel],
		Severity: h[fSeverity], Source: h[fSource], ChannelSensitivity: 1.0, CreatedAt: t0,
	}
	if v, ok := h[fSens]; ok {
		if a.ChannelSensitivity, err = strconv.ParseFloat(v, 64); err != nil {
			return nil, fmt.Errorf("field %s: %w", fSens, err)
		}
	}
	// at reads a millisecond offset field into a time and its whole seconds.
	at := func(f string) (*time.Time, *int64, error) {
		v, ok := h[f]
		if !ok {
			return nil, nil, nil
		}
		ms, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("field %s: %w", f, err)
		}
		t := t0.Add(time.Duration(ms) * time.Millisecond)
		secs := ms / 1000
		return &t, &secs, nil
	}
	for _, f := range []struct {
		field string
		t     **time.Time
		secs  **int64
	}{
		{fAck, &a.AcknowledgedAt, &a.TimeToAcknowledgeSeconds},
		{fAsh, &a.AshContactedAt, &a.TimeToAshSeconds},
		{fOptOut, &a.UserOptedOutAt, nil},
		{fFirst, &a.FirstResponseAt, &a.TimeToResponseSeconds},
		{fResolved, &a.ResolvedAt, &a.TimeToResolveSeconds},
		{fSessStart, &a.SessionStartedAt, nil},
		{fSessEnd, &a.SessionEndedAt, nil},
		{fFollowup, &a.FollowupSentAt, nil},
		{fAnswered, &a.FollowupAnsweredAt, nil},
		{fEscTeam, &a.EscalatedAt, nil},
		{fEscLeads, &a.EscalatedLeadsAt, nil},
	} {
		t, secs, err := at(f.field)
		if err != nil {
			return nil, err
		}
		*f.t = t
		if f.secs != nil {
			*f.secs = secs
		}
	}
	if a.SessionStartedAt != nil && a.SessionEndedAt != nil {
		secs := int64(a.SessionEndedAt.Sub(*a.SessionStartedAt) / time.Second)
		a.SessionSeconds = &secs
	}
	a.AcknowledgedBy, a.AshContactedBy, a.FirstResponseBy, a.ResolvedBy = h[fAckBy], h[fAshBy], h[fFirstBy], h[fResolveBy]
	a.WasAutoInitiated = a.AshContactedBy == "auto"
	a.UserOptedOut = a.UserOptedOutAt != nil
	a.SessionID, a.SessionEndReason = h[fSession], h[fSessWhy]
	a.FollowupSessionID = h[fAnswerSID]
	return a, nil
}
