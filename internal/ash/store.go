package ash

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/earlierbot"
	"github.com/alphabetcartel/ashbot/internal/events"
)

// Key prefixes of session and opt-out data (retention categories
// session_data and optouts). Session ids are 8 hex characters, so no
// session key can be mistaken for a user mapping.
const (
	SessionPrefix = "ash:session:"
	userPrefix    = SessionPrefix + "user:"
	OptOutPrefix  = "ash:optout:"
)

// SessionKey names a session's hash; its started_at and updated_at fields
// (unix ms) are what retention cleanup reads as its age.
func SessionKey(id string) string { return SessionPrefix + id }

// UserSessionKey names the mapping from a user to their active session.
func UserSessionKey(userID string) string { return userPrefix + userID }

// OptOutKey names a user's opt-out. Its value is the earlier Ash-Bot's
// JSON form (earlierbot.EncodeOptOut), so that a rollback to that bot
// keeps every opt-out; values written before as unix ms text are read too
// (ParseOptOut).
func OptOutKey(userID string) string { return OptOutPrefix + userID }

// ErrNoSession means the session does not exist (or expired).
var ErrNoSession = errors.New("no such session")

// Session is one Ash chat. It holds ids and times only, never what anyone
// wrote.
type Session struct {
	ID      string
	UserID  string
	AlertID string
	By      string // CRT member who asked Ash, or events.AutoBy

	StartedAt time.Time
	UpdatedAt time.Time
	Turns     int // messages from the person so far

	DMChannelID      string
	WelcomeMessageID string

	EndedAt   time.Time
	EndReason events.EndReason

	// AlertSeverity is the alert's severity when the chat began.
	AlertSeverity events.Severity
	// Severities holds Ash-NLP's class of the person's messages by turn
	// (1 for the first); a message not classified has none.
	Severities map[int]events.Severity
}

// Classes of a message beyond events' severities: Ash-NLP's class of a
// message of no concern, and what a message has that Ash-NLP did not
// classify (an outage).
const (
	SeveritySafe         events.Severity = "safe"
	SeverityUnclassified events.Severity = "unclassified"
)

// SeverityList is the class of each of the person's messages in order,
// SeverityUnclassified for one that was not classified; empty when none
// was.
func (s Session) SeverityList() []events.Severity {
	if len(s.Severities) == 0 {
		return nil
	}
	out := make([]events.Severity, s.Turns)
	for i := range out {
		out[i] = SeverityUnclassified
	}
	for n, sev := range s.Severities {
		if n >= 1 && n <= len(out) {
			out[n-1] = sev
		}
	}
	return out
}

// Auto reports whether Ash reached out on its own (auto-initiate).
func (s Session) Auto() bool { return s.By == events.AutoBy }

// Active reports whether the chat is still going.
func (s Session) Active() bool { return s.EndedAt.IsZero() }

// NewSessionID returns a short random session id: 8 hex characters.
func NewSessionID() (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("session id: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// Store keeps sessions and opt-outs in Redis. Every operation is on a
// single key.
type Store struct {
	rdb        redis.UniversalClient
	sessionTTL time.Duration // BOT_RETENTION_SESSION_DATA_DAYS
	optOutTTL  time.Duration // BOT_USER_OPTOUT_TTL_DAYS
	now        func() time.Time
}

// NewStore returns a Store.
func NewStore(rdb redis.UniversalClient, sessionTTL, optOutTTL time.Duration, now func() time.Time) (*Store, error) {
	if rdb == nil || now == nil {
		return nil, errors.New("ash: store needs a redis client and a clock")
	}
	if sessionTTL <= 0 || optOutTTL <= 0 {
		return nil, fmt.Errorf("ash: session (%v) and opt-out (%v) retention must be positive", sessionTTL, optOutTTL)
	}
	return &Store{rdb: rdb, sessionTTL: sessionTTL, optOutTTL: optOutTTL, now: now}, nil
}

// msText and msTime write and read times as unix milliseconds, the unit
// of every time Ash keeps in Redis (hash fields and timer scores).
func msText(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// Begin creates session s, unless the user already has an active one: then
// it returns that one's id and creates nothing. The user mapping is taken
// with SET NX, so two simultaneous contacts cannot both start a chat.
func (st *Store) Begin(ctx context.Context, s Session) (existing string, err error) {
	for range 2 {
		ok, err := st.rdb.SetNX(ctx, UserSessionKey(s.UserID), s.ID, st.sessionTTL).Result()
		if err != nil {
			return "", fmt.Errorf("begin session %s: %w", s.ID, err)
		}
		if ok {
			break
		}
		cur, err := st.rdb.Get(ctx, UserSessionKey(s.UserID)).Result()
		if errors.Is(err, redis.Nil) {
			continue // ended meanwhile
		}
		if err != nil {
			return "", fmt.Errorf("begin session %s: %w", s.ID, err)
		}
		old, err := st.Load(ctx, cur)
		if err == nil && old.Active() {
			return cur, nil
		}
		if err != nil && !errors.Is(err, ErrNoSession) {
			return "", err
		}
		// A mapping left behind by a session that ended or expired (its
		// removal failed): clear it and try once more.
		if err := st.ReleaseUser(ctx, s.UserID, cur); err != nil {
			return "", err
		}
	}
	key := SessionKey(s.ID)
	_, err = st.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key, "user_id", s.UserID, "alert_id", s.AlertID, "by", s.By,
			"started_at", msText(s.StartedAt), "updated_at", msText(s.StartedAt), "turns", 0,
			"alert_severity", string(s.AlertSeverity))
		p.PExpire(ctx, key, st.sessionTTL)
		return nil
	})
	if err != nil {
		st.ReleaseUser(context.WithoutCancel(ctx), s.UserID, s.ID)
		return "", fmt.Errorf("begin session %s: %w", s.ID, err)
	}
	return "", nil
}

// Started records when the chat really began (Ash's first message) and
// where it happens.
func (st *Store) Started(ctx context.Context, id string, at time.Time, dmChannelID, welcomeID string) error {
	err := st.rdb.HSet(ctx, SessionKey(id), "started_at", msText(at), "updated_at", msText(at),
		"dm_channel_id", dmChannelID, "welcome_message_id", welcomeID).Err()
	if err != nil {
		return fmt.Errorf("start session %s: %w", id, err)
	}
	return nil
}

// Abort removes a session that never started (the DM could not be sent).
func (st *Store) Abort(ctx context.Context, s Session) error {
	if err := st.rdb.Del(ctx, SessionKey(s.ID)).Err(); err != nil {
		return fmt.Errorf("abort session %s: %w", s.ID, err)
	}
	return st.ReleaseUser(ctx, s.UserID, s.ID)
}

var releaseUserScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// ReleaseUser removes the user's mapping if it still points to session id.
func (st *Store) ReleaseUser(ctx context.Context, userID, id string) error {
	if err := releaseUserScript.Run(ctx, st.rdb, []string{UserSessionKey(userID)}, id).Err(); err != nil {
		return fmt.Errorf("release the person from session %s: %w", id, err)
	}
	return nil
}

// Load returns a session, or ErrNoSession.
func (st *Store) Load(ctx context.Context, id string) (Session, error) {
	h, err := st.rdb.HGetAll(ctx, SessionKey(id)).Result()
	if err != nil {
		return Session{}, fmt.Errorf("load session %s: %w", id, err)
	}
	if len(h) == 0 {
		return Session{}, fmt.Errorf("session %s: %w", id, ErrNoSession)
	}
	t := func(f string) time.Time {
		n, err := strconv.ParseInt(h[f], 10, 64)
		if err != nil {
			return time.Time{}
		}
		return msTime(n)
	}
	turns, _ := strconv.Atoi(h["turns"])
	s := Session{
		ID: id, UserID: h["user_id"], AlertID: h["alert_id"], By: h["by"],
		StartedAt: t("started_at"), UpdatedAt: t("updated_at"), Turns: turns,
		DMChannelID: h["dm_channel_id"], WelcomeMessageID: h["welcome_message_id"],
		EndedAt: t("ended_at"), EndReason: events.EndReason(h["end_reason"]),
		AlertSeverity: events.Severity(h["alert_severity"]),
	}
	for f, v := range h {
		if rest, ok := strings.CutPrefix(f, sevField); ok {
			if n, err := strconv.Atoi(rest); err == nil {
				if s.Severities == nil {
					s.Severities = map[int]events.Severity{}
				}
				s.Severities[n] = events.Severity(v)
			}
		}
	}
	return s, nil
}

// ActiveFor returns the user's active session, if any.
func (st *Store) ActiveFor(ctx context.Context, userID string) (Session, bool, error) {
	id, err := st.rdb.Get(ctx, UserSessionKey(userID)).Result()
	if errors.Is(err, redis.Nil) {
		return Session{}, false, nil
	}
	if err != nil {
		return Session{}, false, fmt.Errorf("active session of a person: %w", err)
	}
	s, err := st.Load(ctx, id)
	if errors.Is(err, ErrNoSession) {
		return Session{}, false, nil
	}
	if err != nil {
		return Session{}, false, err
	}
	return s, s.Active(), nil
}

// touchScript counts a message in an active session, moves updated_at
// and renews the TTL, so the data lives its retention after the last
// activity (which is how cleanup reads its age). -1: no active session.
var touchScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'ended_at') == 1 then return -1 end
redis.call('HSET', KEYS[1], 'updated_at', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return redis.call('HINCRBY', KEYS[1], 'turns', 1)`)

// Touch records a message from the person at at and returns the turn
// number, or -1 when the session is not active.
func (st *Store) Touch(ctx context.Context, id string, at time.Time) (int, error) {
	n, err := touchScript.Run(ctx, st.rdb, []string{SessionKey(id)}, msText(at), st.sessionTTL.Milliseconds()).Int()
	if err != nil {
		return 0, fmt.Errorf("touch session %s: %w", id, err)
	}
	return n, nil
}

// endScript ends a session once: 1 for the caller that ended it, 0 when it
// had ended already, -1 when it does not exist.
var endScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HEXISTS', KEYS[1], 'ended_at') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'ended_at', ARGV[1], 'end_reason', ARGV[2], 'updated_at', ARGV[1])
return 1`)

// ClaimEnd marks the session ended for reason at at, once.
func (st *Store) ClaimEnd(ctx context.Context, id string, reason events.EndReason, at time.Time) (bool, error) {
	n, err := endScript.Run(ctx, st.rdb, []string{SessionKey(id)}, msText(at), string(reason)).Int()
	if err != nil {
		return false, fmt.Errorf("end session %s: %w", id, err)
	}
	if n == -1 {
		return false, fmt.Errorf("end session %s: %w", id, ErrNoSession)
	}
	return n == 1, nil
}

// sevField prefixes the hash fields of the messages' classes (sev:3 is
// the third message's); told_rank is the highest rank the team was told
// of, alert_severity the alert's.
const sevField = "sev:"

// classifiedScript stores message ARGV[1]'s class ARGV[2] (rank ARGV[3])
// in a session that exists, and reports 1 when the rank is high or above
// and beats both the alert's and what the team was told: the caller tells
// them, once across replicas.
var classifiedScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
redis.call('HSET', KEYS[1], 'sev:' .. ARGV[1], ARGV[2])
local r = tonumber(ARGV[3])
if r < 3 then return 0 end
local told = tonumber(redis.call('HGET', KEYS[1], 'told_rank') or '0') or 0
local alert = tonumber(ARGV[4])
if r > told and r > alert then
  redis.call('HSET', KEYS[1], 'told_rank', r)
  return 1
end
return 0`)

// Classified records sev as the class of the person's message n and
// reports whether it is a rise the team must hear of: high or critical,
// above the alert's severity and above any rise told before.
func (st *Store) Classified(ctx context.Context, id string, n int, sev events.Severity) (bool, error) {
	alert, err := st.rdb.HGet(ctx, SessionKey(id), "alert_severity").Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return false, fmt.Errorf("classify in session %s: %w", id, err)
	}
	r, err := classifiedScript.Run(ctx, st.rdb, []string{SessionKey(id)}, n, string(sev), sev.Rank(), events.Severity(alert).Rank()).Int()
	if err != nil {
		return false, fmt.Errorf("classify in session %s: %w", id, err)
	}
	return r == 1, nil
}

// FirstTrouble reports whether kind is the first model failure of its
// kind in the session (HSETNX), so the team hears of each kind once.
func (st *Store) FirstTrouble(ctx context.Context, id, kind string) (bool, error) {
	ok, err := st.rdb.HSetNX(ctx, SessionKey(id), "trouble:"+kind, 1).Result()
	if err != nil {
		return false, fmt.Errorf("record model trouble in session %s: %w", id, err)
	}
	return ok, nil
}

// OptOut stores the user's opt-out, made at at, for the opt-out retention.
func (st *Store) OptOut(ctx context.Context, userID string, at time.Time) (until time.Time, err error) {
	until = st.now().Add(st.optOutTTL)
	v := earlierbot.EncodeOptOut(userID, at, until)
	if err := st.rdb.Set(ctx, OptOutKey(userID), v, st.optOutTTL).Err(); err != nil {
		return time.Time{}, fmt.Errorf("store an opt-out: %w", err)
	}
	return until, nil
}

// ParseOptOut reads an opt-out value in either form: the earlier bot's
// JSON (which ashbot writes too), or unix ms text (ashbot before it wrote
// JSON). at is when the person opted out; expires is zero when the value
// does not say.
func ParseOptOut(v string) (at, expires time.Time, err error) {
	if ms, perr := strconv.ParseInt(v, 10, 64); perr == nil {
		return msTime(ms), time.Time{}, nil
	}
	o, err := earlierbot.ParseOptOut(v)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	return o.OptedOutAt, o.ExpiresAt, nil
}

// OptedOut reports whether the user opted out of Ash, and until when.
func (st *Store) OptedOut(ctx context.Context, userID string) (until time.Time, ok bool, err error) {
	d, err := st.rdb.PTTL(ctx, OptOutKey(userID)).Result()
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read an opt-out: %w", err)
	}
	switch {
	case d == -2: // no key
		return time.Time{}, false, nil
	case d < 0: // no TTL: cleanup will give it one; the opt-out stands
		if v, err := st.rdb.Get(ctx, OptOutKey(userID)).Result(); err == nil {
			if _, exp, err := ParseOptOut(v); err == nil && !exp.IsZero() {
				return exp, true, nil
			}
		}
		return time.Time{}, true, nil
	}
	return st.now().Add(d), true, nil
}
