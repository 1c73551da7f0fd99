// Package export writes what the metrics hold for spreadsheets and
// meetings: one row per alert record (CSV or JSON lines), and the daily
// aggregates (CSV). It streams: rows are written as they are read, a
// batch at a time, so an export of a year needs no more memory than one
// of a day.
//
// The person in crisis is never in an export. Their user id is replaced
// by a pseudonym made with a key drawn afresh for every export (HMAC-
// SHA256), so two alerts about one person share a pseudonym within one
// export and nothing links them across exports or back to the person.
// The same goes for anything that would lead back to them: the alert id
// and the alert's message and session ids are Discord ids of, or tied to,
// the person's own message, so alerts are named by a pseudonym too, and
// channel and message ids are left out. A responder who is the person the
// alert is about (a CRT member can be in crisis too) appears as that
// person's pseudonym.
package export

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/alphabetcartel/ashbot/internal/metrics"
)

// Source is where exports read from; *metrics.Store is one.
type Source interface {
	EachAlert(ctx context.Context, from, to time.Time, fn func(*metrics.Alert) error) (metrics.EachStats, error)
	Daily(ctx context.Context, day time.Time) (*metrics.Daily, error)
}

// KeySize is the length of a pseudonym key in bytes.
const KeySize = 32

// Pseudonyms names people and alerts within one export.
type Pseudonyms struct{ key []byte }

// NewPseudonyms uses key (KeySize random bytes; tests pass a fixed one).
func NewPseudonyms(key []byte) (Pseudonyms, error) {
	if len(key) < KeySize {
		return Pseudonyms{}, fmt.Errorf("pseudonym key: %d bytes, want %d", len(key), KeySize)
	}
	return Pseudonyms{key: key}, nil
}

// RandomPseudonyms draws a fresh key, for one export. The key is never
// stored or printed: once the export is written nobody can tell whom a
// pseudonym stands for.
func RandomPseudonyms() (Pseudonyms, error) {
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return Pseudonyms{}, fmt.Errorf("pseudonym key: %w", err)
	}
	return Pseudonyms{key: key}, nil
}

// Person is the pseudonym of a user id: "person-" and 16 hex digits
// (64 bits: no two people of an export collide in practice).
func (p Pseudonyms) Person(userID string) string { return "person-" + p.mac("person", userID) }

// Alert is the pseudonym of an alert id.
func (p Pseudonyms) Alert(alertID string) string { return "alert-" + p.mac("alert", alertID) }

// mac keeps the two kinds apart, so that an alert id equal to a user id
// (both are snowflakes) does not give the same pseudonym.
func (p Pseudonyms) mac(kind, id string) string {
	m := hmac.New(sha256.New, p.key)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(id))
	return hex.EncodeToString(m.Sum(nil)[:8])
}

// Row is one alert as exported. Times are RFC 3339 in UTC, durations
// whole seconds from the alert's creation; empty where the step did not
// happen.
type Row struct {
	Alert                string `json:"alert"`
	Person               string `json:"person"`
	CreatedAt            string `json:"created_at"`
	Severity             string `json:"severity"`
	Source               string `json:"source"`
	AcknowledgedAt       string `json:"acknowledged_at,omitempty"`
	AcknowledgedBy       string `json:"acknowledged_by,omitempty"`
	AcknowledgeSeconds   *int64 `json:"time_to_acknowledge_seconds,omitempty"`
	AshContactedAt       string `json:"ash_contacted_at,omitempty"`
	AshContactedBy       string `json:"ash_contacted_by,omitempty"`
	AshSeconds           *int64 `json:"time_to_ash_contact_seconds,omitempty"`
	UserOptedOut         bool   `json:"user_opted_out"`
	FirstResponseAt      string `json:"first_response_at,omitempty"`
	FirstResponseBy      string `json:"first_response_by,omitempty"`
	FirstResponseSeconds *int64 `json:"time_to_first_response_seconds,omitempty"`
	ResolvedAt           string `json:"resolved_at,omitempty"`
	ResolvedBy           string `json:"resolved_by,omitempty"`
	ResolveSeconds       *int64 `json:"time_to_resolve_seconds,omitempty"`
	SessionStartedAt     string `json:"session_started_at,omitempty"`
	SessionEndedAt       string `json:"session_ended_at,omitempty"`
	SessionEndReason     string `json:"session_end_reason,omitempty"`
	SessionSeconds       *int64 `json:"session_seconds,omitempty"`
}

// UnknownSource is the source of an alert whose record does not say
// (recorded before ashbot stored it, or imported without it).
const UnknownSource = "unknown"

// RowOf is the exported form of a.
func (p Pseudonyms) RowOf(a *metrics.Alert) Row {
	person := p.Person(a.UserID)
	// who is a responder as exported: the person's pseudonym when it is
	// the person the alert is about.
	who := func(id string) string {
		if id != "" && id == a.UserID {
			return person
		}
		return id
	}
	src := a.Source
	if src == "" {
		src = UnknownSource
	}
	return Row{
		Alert: p.Alert(a.AlertID), Person: person, CreatedAt: stamp(&a.CreatedAt), Severity: a.Severity, Source: src,
		AcknowledgedAt: stamp(a.AcknowledgedAt), AcknowledgedBy: who(a.AcknowledgedBy), AcknowledgeSeconds: a.TimeToAcknowledgeSeconds,
		AshContactedAt: stamp(a.AshContactedAt), AshContactedBy: who(a.AshContactedBy), AshSeconds: a.TimeToAshSeconds,
		UserOptedOut:    a.UserOptedOut,
		FirstResponseAt: stamp(a.FirstResponseAt), FirstResponseBy: who(a.FirstResponseBy), FirstResponseSeconds: a.TimeToResponseSeconds,
		ResolvedAt: stamp(a.ResolvedAt), ResolvedBy: who(a.ResolvedBy), ResolveSeconds: a.TimeToResolveSeconds,
		SessionStartedAt: stamp(a.SessionStartedAt), SessionEndedAt: stamp(a.SessionEndedAt),
		SessionEndReason: a.SessionEndReason, SessionSeconds: a.SessionSeconds,
	}
}

func stamp(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
