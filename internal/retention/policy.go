// Package retention owns how long each kind of data ashbot keeps in Redis
// lives, and the cleanup that enforces it (plan step 8.3).
//
// Every key the bot writes carries a TTL, so Redis does most of the work.
// Cleanup is the safety net: it removes what is past its retention whatever
// its TTL says (retention may have been shortened), gives keys that lost
// their TTL one computed from their age, prunes old members inside sorted
// sets and old index fields inside daily aggregates, and leaves every key it
// does not own untouched.
package retention

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Category groups keys that share one retention setting.
type Category string

// The categories cleanup manages. Their names appear in reports and logs.
const (
	AlertMetrics   Category = "alert_metrics"
	Aggregates     Category = "aggregates"
	MessageHistory Category = "message_history"
	OptOuts        Category = "optouts"
	SessionData    Category = "session_data"
	Scheduler      Category = "scheduler"
	// AlertState is the alert loop state behind the alert buttons
	// (ash:alert:*). It lives as long as the alert's metrics: a button on
	// an alert still in the metrics must keep working.
	AlertState Category = "alert_state"
	// PersonAlerts is the index of each person's alerts behind /ash
	// history (ash:metrics:user:{user_id}). It lives as long as the alert
	// records it points to, but names a person, which alert_metrics keys
	// do not.
	PersonAlerts Category = "person_alerts"
)

// Categories lists every category in report order.
func Categories() []Category {
	return []Category{AlertMetrics, Aggregates, MessageHistory, OptOuts, SessionData, Scheduler, AlertState, PersonAlerts}
}

// namesPeople reports whether keys of c carry a person's id in their name
// (ash:optout:{user_id}, ash:session:user:{user_id},
// ash:session:followup-last:{user_id}, ash:history:{user_id},
// ash:metrics:user:{user_id}) or what they wrote (ash:chat:{session_id},
// message_history too).
// Reports, logs and errors never name such keys: they give the category and
// a count instead.
func (c Category) namesPeople() bool {
	switch c {
	case OptOuts, SessionData, MessageHistory, PersonAlerts:
		return true
	}
	return false
}

// SchedulerRetention bounds keys under ash:schedule:. The scheduler's
// done-markers live 35 days, long enough to outlive a weekly period and the
// one after it.
const SchedulerRetention = 35 * 24 * time.Hour

// Retentions are the configured retention periods (BOT_RETENTION_*).
type Retentions struct {
	AlertMetrics   time.Duration // BOT_RETENTION_ALERT_METRICS_DAYS (shorter of it and BOT_METRICS_RETENTION_DAYS)
	Aggregates     time.Duration // BOT_RETENTION_AGGREGATES_DAYS
	MessageHistory time.Duration // BOT_RETENTION_MESSAGE_HISTORY_DAYS
	SessionData    time.Duration // BOT_RETENTION_SESSION_DATA_DAYS
	OptOuts        time.Duration // BOT_USER_OPTOUT_TTL_DAYS
}

// Validate reports every retention that is not positive.
func (r Retentions) Validate() error {
	var errs []error
	for _, f := range []struct {
		name string
		d    time.Duration
	}{
		{"alert metrics", r.AlertMetrics}, {"aggregates", r.Aggregates},
		{"message history", r.MessageHistory}, {"session data", r.SessionData}, {"opt-outs", r.OptOuts},
	} {
		if f.d <= 0 {
			errs = append(errs, fmt.Errorf("retention for %s must be positive, got %v", f.name, f.d))
		}
	}
	return errors.Join(errs...)
}

func (r Retentions) of(c Category) time.Duration {
	switch c {
	case AlertMetrics:
		return r.AlertMetrics
	case Aggregates:
		return r.Aggregates
	case MessageHistory:
		return r.MessageHistory
	case SessionData:
		return r.SessionData
	case OptOuts:
		return r.OptOuts
	case Scheduler:
		return SchedulerRetention
	case AlertState, PersonAlerts:
		return r.AlertMetrics
	}
	return 0
}

// Policy describes one managed key pattern, for `ashbot storage`, `config
// check` and the docs.
type Policy struct {
	Category  Category      `json:"category"`
	Pattern   string        `json:"pattern"`
	Retention time.Duration `json:"retention"`
	// Age says where a key's age is read from, and what cleanup does
	// when it cannot be read.
	Age string `json:"age"`
}

// kind is how cleanup reads and treats one key pattern.
type kind int

const (
	kindNone kind = iota
	kindAlert
	kindLookup
	kindDaily
	kindFacts
	kindHistory
	kindOptOut
	kindSession
	kindScheduler
	kindAlertState
	kindBackup
	kindPerson
	kindChat
)

// Key prefixes of the managed patterns. None is a prefix of another.
const (
	prefixAlert      = "ash:metrics:alert:"
	prefixLookup     = "ash:metrics:alert_lookup:"
	prefixDaily      = "ash:metrics:daily:"
	prefixFacts      = "ash:metrics:facts:"
	prefixHistory    = "ash:history:"
	prefixOptOut     = "ash:optout:"
	prefixSession    = "ash:session:"
	prefixScheduler  = "ash:schedule:"
	prefixAlertState = "ash:alert:"
	prefixPerson     = "ash:metrics:user:"
	// prefixChat holds what is said in an Ash chat (internal/ash's
	// ChatKey), deleted when the chat ends.
	prefixChat = "ash:chat:"
	// prefixBackup holds the earlier Ash-Bot's metrics keys that `ashbot
	// migrate from-ash-bot` converted, kept for a rollback.
	prefixBackup = "ash:migrate:"
	// prefixSessionMeta is the earlier bot's session metadata (JSON
	// strings), inside the session_data pattern.
	prefixSessionMeta = prefixSession + "meta:"
)

// managed lists every key pattern cleanup owns, with its kind, its
// category and where a key's age is read from.
var managed = []struct {
	prefix string
	kind   kind
	cat    Category
	age    string
}{
	{prefixAlert, kindAlert, AlertMetrics,
		"hash field t0 (alert creation, unix ms); full retention from now when absent"},
	{prefixLookup, kindLookup, AlertMetrics,
		"unknown: a key without TTL gets the full retention from now"},
	{prefixDaily, kindDaily, Aggregates,
		"the date in the key (kept for the retention after the day ends); its a:* index fields go once the day is past the alert-metrics retention"},
	{prefixFacts, kindFacts, AlertMetrics,
		"the date in the key (each alert's facts for reports, kept for the retention after the day ends)"},
	{prefixHistory, kindHistory, MessageHistory,
		"member scores (message time in unix seconds, the earlier bot's layout; a score above 1e11 is read as ms): older members are removed, the key expires the retention after its newest member"},
	{prefixChat, kindChat, MessageHistory,
		"unknown (the TTL is renewed to the retention at every turn, and the key is deleted when the chat ends): a key without TTL gets the full retention from now"},
	{prefixOptOut, kindOptOut, OptOuts,
		"the value (opt-out unix ms, or opted_out_at of the earlier bot's JSON); full retention from now when unparsable"},
	{prefixSession, kindSession, SessionData,
		"hash field updated_at, else started_at (unix ms); ended_at, else started_at of the earlier bot's meta:* JSON; full retention from now otherwise"},
	{prefixScheduler, kindScheduler, Scheduler,
		"unknown: TTL capped at the maximum; a key without TTL gets it from now"},
	{prefixAlertState, kindAlertState, AlertState,
		"hash field created_at, else claimed_at (unix ms); other keys (thread map, flag counters, notes, the open-alerts index): full retention from now"},
	{prefixPerson, kindPerson, PersonAlerts,
		"member scores (alert creation, unix ms): members past the alert-metrics retention are removed, the key expires the retention after its newest member"},
	{prefixBackup, kindBackup, AlertMetrics,
		"unknown (the earlier bot's converted metrics, kept for a rollback): a key without TTL gets the full retention from now"},
}

// Policies returns the policy of every managed key pattern.
func Policies(r Retentions) []Policy {
	out := make([]Policy, len(managed))
	for i, m := range managed {
		out[i] = Policy{Category: m.cat, Pattern: m.prefix + "*", Retention: r.of(m.cat), Age: m.age}
	}
	return out
}

// Classify returns the category that owns key, or false for keys cleanup
// never touches (foreign keys and ash: keys of no category).
func Classify(key string) (Category, bool) {
	k, c := classify(key)
	return c, k != kindNone
}

func classify(key string) (kind, Category) {
	if !strings.HasPrefix(key, "ash:") {
		return kindNone, ""
	}
	for _, m := range managed {
		// A bare prefix ("ash:history:") names nothing the bot writes.
		if len(key) > len(m.prefix) && strings.HasPrefix(key, m.prefix) {
			return m.kind, m.cat
		}
	}
	return kindNone, ""
}
