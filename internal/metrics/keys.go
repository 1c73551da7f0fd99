// Package metrics records alert lifecycle events into Redis and answers the
// questions the weekly report asks of them. It owns the keys
// ash:metrics:alert:*, ash:metrics:alert_lookup:*, ash:metrics:daily:*,
// ash:metrics:facts:* and the per-person index ash:metrics:user:*;
// docs/storage.md describes their layout.
package metrics

import "time"

// Key prefixes. Each key is written by a single-key operation so the schema
// works unchanged on Redis Cluster.
const (
	alertPrefix  = "ash:metrics:alert:"
	lookupPrefix = "ash:metrics:alert_lookup:"
	dailyPrefix  = "ash:metrics:daily:"
	// factsPrefix is the per-day hash of each alert's facts (dayfacts.go).
	factsPrefix = "ash:metrics:facts:"
	// userPrefix indexes a person's alerts: a sorted set of alert ids
	// scored by creation (unix ms). Its name holds the person's id.
	userPrefix = "ash:metrics:user:"
)

func alertKey(alertID string) string    { return alertPrefix + alertID }
func lookupKey(messageID string) string { return lookupPrefix + messageID }
func dailyKey(day time.Time) string     { return dailyPrefix + day.UTC().Format(time.DateOnly) }
func userKey(userID string) string      { return userPrefix + userID }

// Fields of the per-alert hash. Times after creation are stored as
// millisecond offsets from t0: small integers that Redis packs tightly and
// that make every duration a subtraction.
const (
	fT0        = "t0" // creation, unix ms
	fSeverity  = "sev"
	fMessage   = "msg"
	fUser      = "uid"
	fChannel   = "ch"
	fSens      = "sens" // only when not 1.0
	fSource    = "src"  // detected or flagged; absent in older records
	fAck       = "ack"
	fAckBy     = "ack_by"
	fAsh       = "ash"
	fAshBy     = "ash_by" // "auto" for an automatic contact
	fOptOut    = "opt"
	fFirst     = "fr"
	fFirstBy   = "fr_by"
	fResolved  = "res"
	fResolveBy = "res_by"
	fSession   = "sid"
	fSessStart = "s0"
	fSessEnd   = "s1"
	fSessWhy   = "sr"
	fFollowup  = "fu"     // followup_sent
	fAnswered  = "fa"     // followup_answered
	fAnswerSID = "fa_sid" // the session the answer started
	fEscTeam   = "e1"     // escalated, level 1
	fEscLeads  = "e2"     // escalated, level 2
)

// Fields of the daily aggregate hash. Index fields ("a:" + alert id) hold a
// bitmask of the events already counted for that alert, which makes every
// aggregate update idempotent and lists the day's alerts for percentiles.
const (
	aAlerts        = "alerts"
	aSevPrefix     = "sev:"
	aHourPrefix    = "hour:"
	aAckN          = "ack:n"
	aAckSum        = "ack:sum"
	aAshN          = "ash:n"
	aAshSum        = "ash:sum"
	aFirstN        = "first:n"
	aFirstSum      = "first:sum"
	aResN          = "res:n"
	aResSum        = "res:sum"
	aAshManual     = "ash:manual"
	aAshAuto       = "ash:auto"
	aOptOut        = "optout"
	aSessStarted   = "sess:started"
	aSessEndPrefix = "sess:end:"
	aSessSum       = "sess:sum" // seconds, completed sessions only
	aRespPrefix    = "resp:"    // acknowledgments per CRT member
	aFollowups     = "fu:sent"
	aAnswered      = "fu:answered"
	aEscPrefix     = "esc:"  // alerts escalated at any level, per severity
	aEsc2Prefix    = "esc2:" // alerts escalated to the leads, per severity
	aIndexPrefix   = "a:"
)

// Bits of the per-alert mask in the daily index.
const (
	bitCreated = 1 << iota
	bitAck
	bitAsh
	bitOptOut
	bitFirst
	bitResolved
	bitSessStart
	bitSessEnd
	bitFollowup
	bitAnswered
	// In the daily mask bitEscTeam means "counted as escalated" (at either
	// level: a late escalation may post level 2 only); in the record it is
	// level 1.
	bitEscTeam
	bitEscLeads
)
