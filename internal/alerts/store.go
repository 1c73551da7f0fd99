package alerts

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/events"
)

// Key prefixes (see the package documentation).
const (
	KeyPrefix    = "ash:alert:"
	threadPrefix = KeyPrefix + "thread:"
	flagsPrefix  = KeyPrefix + "flags:"
	notesPrefix  = KeyPrefix + "notes:"
	// OpenKey indexes the alerts not yet resolved (open.go).
	OpenKey = KeyPrefix + "open"
)

// StateKey names an alert's loop state hash.
func StateKey(alertID string) string { return KeyPrefix + alertID }

// ThreadKey names the thread-to-alert mapping.
func ThreadKey(threadID string) string { return threadPrefix + threadID }

// FlagsKey names a member's flag counter.
func FlagsKey(userID string) string { return flagsPrefix + userID }

// Fields of the state hash. Times are unix milliseconds. created_at (else
// claimed_at) is what retention cleanup reads as the key's age.
const (
	fClaimedAt    = "claimed_at"
	fCreatedAt    = "created_at"
	fSeverity     = "severity"
	fUser         = "user_id"
	fChannel      = "channel_id"
	fSourceMsg    = "source_message_id"
	fAlertChannel = "alert_channel_id"
	fAlertMessage = "alert_message_id"
	fThread       = "thread_id"
	fSession      = "session_id"
	fAshStatus    = "ash_status"
	fAshStatusAt  = "ash_status_at"
	fRestored     = "restored"
	fSource       = "source" // SourceDetected or SourceFlagged
)

// ErrNotFound means Redis holds no state for the alert (never written, or
// expired).
var ErrNotFound = errors.New("alert state not found")

// ClaimKind names a step of the alert loop that happens once per alert.
type ClaimKind string

// Claim kinds; each is stored as {kind}_by and {kind}_at.
const (
	ClaimAck           ClaimKind = "ack"
	ClaimContact       ClaimKind = "ash" // Ash contact, by a CRT member or "auto"
	ClaimFirstResponse ClaimKind = "fr"
	ClaimResolve       ClaimKind = "res"
)

// Claim is who did a step and when; the zero Claim means not yet.
type Claim struct {
	By string
	At time.Time
}

// Done reports whether the step happened.
func (c Claim) Done() bool { return c.By != "" }

// State is an alert's loop state.
type State struct {
	AlertID         string
	ClaimedAt       time.Time
	CreatedAt       time.Time // the alert message's time
	Severity        events.Severity
	UserID          string // the person concerned
	ChannelID       string // where the flagged message was
	SourceMessageID string
	AlertChannelID  string
	AlertMessageID  string
	ThreadID        string
	// Source is SourceDetected or SourceFlagged; empty for state rebuilt
	// from an alert message or migrated from the earlier bot.
	Source string

	Ack, Contact, FirstResponse, Resolve Claim

	SessionID   string // the Ash session started for this alert
	AshStatus   AshStatus
	AshStatusAt time.Time
	// Restored is true when the state was rebuilt from an alert message
	// after Redis had lost it (or never got it).
	Restored bool
}

// Thread returns the id of the alert's CRT thread: a thread started from a
// message shares the message's id, so the alert message's id stands in
// when the thread id was not stored.
func (s State) Thread() string {
	if s.ThreadID != "" {
		return s.ThreadID
	}
	return s.AlertMessageID
}

// Status returns what the alert message shows of the state.
func (s State) Status() Status {
	return Status{Ack: s.Ack, Contact: s.Contact, Resolve: s.Resolve, Ash: s.AshStatus, AshAt: s.AshStatusAt}
}

// StoreOptions configure a Store.
type StoreOptions struct {
	// TTL is the alert retention (config Metrics.AlertTTL), counted from the
	// alert's creation.
	TTL time.Duration
	// PendingTTL bounds a flag claim whose alert was never posted (a crash
	// between claim and post), so the message can be flagged again.
	// Default 10 minutes.
	PendingTTL time.Duration
	Now        func() time.Time
}

// Store keeps alert loop state in Redis.
type Store struct {
	rdb  redis.UniversalClient
	opts StoreOptions
}

// NewStore validates opts and returns a Store.
func NewStore(rdb redis.UniversalClient, opts StoreOptions) (*Store, error) {
	if rdb == nil {
		return nil, errors.New("alerts: nil redis client")
	}
	if opts.TTL <= 0 {
		return nil, fmt.Errorf("alerts: TTL must be positive, got %v", opts.TTL)
	}
	if opts.Now == nil {
		return nil, errors.New("alerts: Now is required")
	}
	if opts.PendingTTL <= 0 {
		opts.PendingTTL = 10 * time.Minute
	}
	return &Store{rdb: rdb, opts: opts}, nil
}

// claimFlagScript claims a message for an alert: NX on the whole state
// key, so a message is alerted once however many members flag it at once.
var claimFlagScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'claimed_at', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`)

// ClaimFlag claims alertID for a new alert. false means someone already
// flagged it (or the alert exists).
func (s *Store) ClaimFlag(ctx context.Context, alertID string) (bool, error) {
	n, err := claimFlagScript.Run(ctx, s.rdb, []string{StateKey(alertID)},
		s.opts.Now().UnixMilli(), s.opts.PendingTTL.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("claim alert %s: %w", alertID, err)
	}
	return n == 1, nil
}

// releaseFlagScript gives a claim back when the alert could not be posted,
// but never deletes the state of a posted alert.
var releaseFlagScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], 'alert_message_id') == 1 then return 0 end
return redis.call('DEL', KEYS[1])`)

// ReleaseFlag undoes ClaimFlag for an alert that was not posted, so the
// message can be flagged again at once.
func (s *Store) ReleaseFlag(ctx context.Context, alertID string) error {
	if err := releaseFlagScript.Run(ctx, s.rdb, []string{StateKey(alertID)}).Err(); err != nil {
		return fmt.Errorf("release alert claim %s: %w", alertID, err)
	}
	return nil
}

// countScript counts one event in a fixed window that starts with the
// first event; the TTL is set again if the key ever lost it.
var countScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`)

// CountFlag counts a flag by userID and returns how many they made in the
// current window.
func (s *Store) CountFlag(ctx context.Context, userID string, window time.Duration) (int64, error) {
	n, err := countScript.Run(ctx, s.rdb, []string{FlagsKey(userID)}, window.Milliseconds()).Int64()
	if err != nil {
		return 0, fmt.Errorf("count a member's flags: %w", err)
	}
	return n, nil
}

// ttlFrom is the lifetime left to state of an alert created at created.
func (s *Store) ttlFrom(created time.Time) time.Duration {
	ttl := created.Add(s.opts.TTL).Sub(s.opts.Now())
	// An alert is never older than its retention when written; a minute
	// keeps the key valid if clocks disagree.
	return max(ttl, time.Minute)
}

func ms(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

// createdFields are the fields written when an alert is posted, and the
// fallback written when a click finds no state.
func createdFields(st State) []any {
	f := []any{fCreatedAt, ms(st.CreatedAt), fUser, st.UserID, fAlertChannel, st.AlertChannelID,
		fAlertMessage, st.AlertMessageID}
	for _, kv := range [][2]string{
		{fSeverity, string(st.Severity)}, {fChannel, st.ChannelID}, {fSourceMsg, st.SourceMessageID}, {fThread, st.ThreadID},
		{fSource, st.Source},
	} {
		if kv[1] != "" {
			f = append(f, kv[0], kv[1])
		}
	}
	return f
}

// SaveCreated stores a posted alert, its thread mapping and its entry in
// the open-alerts index, with TTLs counted from the alert's creation.
func (s *Store) SaveCreated(ctx context.Context, st State) error {
	ttl := s.ttlFrom(st.CreatedAt)
	key := StateKey(st.AlertID)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key, createdFields(st)...)
		p.PExpire(ctx, key, ttl)
		return nil
	})
	if err != nil {
		return fmt.Errorf("save alert %s: %w", st.AlertID, err)
	}
	// Each command below touches one key, so Cluster routes them apart;
	// they ride in one round trip.
	_, err = s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if st.ThreadID != "" {
			p.Set(ctx, ThreadKey(st.ThreadID), st.AlertID, ttl)
		}
		s.addOpen(ctx, p, st.AlertID, st.CreatedAt)
		return nil
	})
	if err != nil {
		return fmt.Errorf("save thread and open entry of alert %s: %w", st.AlertID, err)
	}
	return nil
}

// Load returns an alert's state, or ErrNotFound.
func (s *Store) Load(ctx context.Context, alertID string) (State, error) {
	h, err := s.rdb.HGetAll(ctx, StateKey(alertID)).Result()
	if err != nil {
		return State{}, fmt.Errorf("load alert %s: %w", alertID, err)
	}
	if len(h) == 0 {
		return State{}, fmt.Errorf("alert %s: %w", alertID, ErrNotFound)
	}
	return decodeState(alertID, h), nil
}

func decodeState(id string, h map[string]string) State {
	t := func(f string) time.Time {
		n, err := strconv.ParseInt(h[f], 10, 64)
		if err != nil {
			return time.Time{}
		}
		return time.UnixMilli(n).UTC()
	}
	claim := func(k ClaimKind) Claim {
		return Claim{By: h[string(k)+"_by"], At: t(string(k) + "_at")}
	}
	return State{
		AlertID: id, ClaimedAt: t(fClaimedAt), CreatedAt: t(fCreatedAt), Severity: events.Severity(h[fSeverity]),
		UserID: h[fUser], ChannelID: h[fChannel], SourceMessageID: h[fSourceMsg],
		AlertChannelID: h[fAlertChannel], AlertMessageID: h[fAlertMessage], ThreadID: h[fThread],
		Ack: claim(ClaimAck), Contact: claim(ClaimContact), FirstResponse: claim(ClaimFirstResponse), Resolve: claim(ClaimResolve),
		SessionID: h[fSession], AshStatus: AshStatus(h[fAshStatus]), AshStatusAt: t(fAshStatusAt),
		Restored: h[fRestored] == "1", Source: h[fSource],
	}
}

// AlertForThread returns the alert whose CRT thread threadID is, or
// ErrNotFound.
func (s *Store) AlertForThread(ctx context.Context, threadID string) (string, error) {
	id, err := s.rdb.Get(ctx, ThreadKey(threadID)).Result()
	if errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("thread %s: %w", threadID, ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("look up alert of thread %s: %w", threadID, err)
	}
	return id, nil
}

// claimScript records a once-per-alert step atomically on the state hash:
// the first caller wins, later ones learn who won. When the alert has no
// posted state and fallback fields are given (read from the alert message
// the click came from), they are written first, with the alert's TTL, so
// state lost in an outage heals on the next click. The reply carries the
// whole state, so a click costs one round trip.
//
// KEYS[1] state; ARGV: kind, by, at, ttl_ms, then fallback field/value pairs.
// Replies {1|0, restored, field, value, ...} or {-1} for an unknown alert
// without fallback.
var claimScript = redis.NewScript(`
local restored = 0
if redis.call('HEXISTS', KEYS[1], 'alert_message_id') == 0 then
  if #ARGV < 5 then return {-1} end
  for i = 5, #ARGV, 2 do redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i+1]) end
  redis.call('HSET', KEYS[1], 'restored', '1')
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
  restored = 1
end
local won = 0
if redis.call('HSETNX', KEYS[1], ARGV[1] .. '_by', ARGV[2]) == 1 then
  redis.call('HSET', KEYS[1], ARGV[1] .. '_at', ARGV[3])
  won = 1
end
local out = {won, restored}
for _, v in ipairs(redis.call('HGETALL', KEYS[1])) do out[#out+1] = v end
return out`)

// Claim records that by did kind at at, once per alert. won is false when
// someone did it before; the returned state then says who and when (its
// claim of kind). fallback, when not nil, rebuilds missing state (see
// claimScript); without it an alert with no state gives ErrNotFound.
func (s *Store) Claim(ctx context.Context, alertID string, kind ClaimKind, by string, at time.Time, fallback *State) (won bool, st State, err error) {
	args := []any{string(kind), by, at.UnixMilli(), int64(0)}
	if fallback != nil {
		args[3] = s.ttlFrom(fallback.CreatedAt).Milliseconds()
		args = append(args, createdFields(*fallback)...)
	}
	res, err := claimScript.Run(ctx, s.rdb, []string{StateKey(alertID)}, args...).Slice()
	if err != nil {
		return false, State{}, fmt.Errorf("claim %s of alert %s: %w", kind, alertID, err)
	}
	code, _ := res[0].(int64)
	if code == -1 {
		return false, State{}, fmt.Errorf("claim %s of alert %s: %w", kind, alertID, ErrNotFound)
	}
	if len(res) < 2 || len(res)%2 != 0 {
		return false, State{}, fmt.Errorf("claim %s of alert %s: unexpected reply %v", kind, alertID, res)
	}
	h := make(map[string]string, (len(res)-2)/2)
	for i := 2; i+1 < len(res); i += 2 {
		k, _ := res[i].(string)
		v, _ := res[i+1].(string)
		h[k] = v
	}
	st = decodeState(alertID, h)
	restored, _ := res[1].(int64)
	if restored == 1 && fallback.ThreadID != "" {
		// Best effort: the mapping only serves first-response detection,
		// which has its own fallback.
		s.rdb.SetNX(ctx, ThreadKey(fallback.ThreadID), alertID, s.ttlFrom(fallback.CreatedAt))
	}
	// Best effort too: the step is done whatever the index says, and Open
	// drops entries whose state is resolved or gone when it reads them.
	switch {
	case st.Resolve.Done():
		s.rdb.ZRem(ctx, OpenKey, alertID)
	case restored == 1:
		p := s.rdb.Pipeline()
		s.addOpen(ctx, p, alertID, st.CreatedAt)
		_, _ = p.Exec(ctx)
	}
	return code == 1, st, nil
}

// releaseScript undoes a claim, but only the caller's own.
var releaseScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], ARGV[1] .. '_by') == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1] .. '_by', ARGV[1] .. '_at')
end
return 0`)

// Release gives back a claim by made, when the step did not happen after all
// (Ash could not reach the person).
func (s *Store) Release(ctx context.Context, alertID string, kind ClaimKind, by string) error {
	if err := releaseScript.Run(ctx, s.rdb, []string{StateKey(alertID)}, string(kind), by).Err(); err != nil {
		return fmt.Errorf("release %s of alert %s: %w", kind, alertID, err)
	}
	return nil
}

// setIfExistsScript updates fields of an existing state only: a stray
// update for an expired alert must not create a key without a TTL.
var setIfExistsScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1`)

// SetAsh records Ash's part in the alert, shown on the alert message.
// sessionID is stored when not empty.
func (s *Store) SetAsh(ctx context.Context, alertID string, status AshStatus, at time.Time, sessionID string) error {
	args := []any{fAshStatus, string(status), fAshStatusAt, ms(at)}
	if sessionID != "" {
		args = append(args, fSession, sessionID)
	}
	if err := setIfExistsScript.Run(ctx, s.rdb, []string{StateKey(alertID)}, args...).Err(); err != nil {
		return fmt.Errorf("set Ash status of alert %s: %w", alertID, err)
	}
	return nil
}
