package migrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/earlierbot"
	"github.com/alphabetcartel/ashbot/internal/followup"
)

// Key prefixes of the earlier bot (docs/migrating-from-ash-bot.md).
const (
	optOutPrefix      = ash.OptOutPrefix
	historyPrefix     = "ash:history:"
	pendingPrefix     = "ash:pending_alert:"
	sessionMetaPrefix = ash.SessionPrefix + "meta:"
	followUpPrefix    = "ash:followup:"
)

// The earlier bot's follow-up key lifetimes, given to a key that lost its
// TTL.
var followUpTTLs = []struct {
	prefix string
	ttl    time.Duration
}{
	{followUpPrefix + "scheduled:", 72 * time.Hour},
	{followUpPrefix + "last:", 24 * time.Hour},
	{followUpPrefix + "pending:", 48 * time.Hour},
}

// replaceScript swaps a string's value for ARGV[2] if it still is ARGV[1],
// keeping its TTL, and gives it the expiry ARGV[3] (unix ms) if it has none
// and ARGV[3] is not 0. 0 means the value changed meanwhile.
var replaceScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
if ARGV[3] ~= '0' and redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIREAT', KEYS[1], ARGV[3]) end
return 1`)

// read returns a key's type, and for strings its value, with its TTL.
func (m *Migrator) read(ctx context.Context, key string, wantString bool) (typ, value string, pttl time.Duration, err error) {
	pipe := m.rdb.Pipeline()
	t := pipe.Type(ctx, key)
	p := pipe.PTTL(ctx, key)
	if _, err := pipe.Exec(ctx); err != nil {
		return "", "", 0, err
	}
	typ, pttl = t.Val(), p.Val()
	if wantString && typ == "string" {
		value, err = m.rdb.Get(ctx, key).Result()
		if errors.Is(err, redis.Nil) {
			return "none", "", 0, nil
		}
	}
	return typ, value, pttl, err
}

// expireAt gives key the expiry at (when it has none): "TTL given", or in a
// dry run "TTL to be given". A deadline already past is left to cleanup,
// which removes such keys by the same rule.
func (m *Migrator) expireAt(ctx context.Context, rep *Report, kind, key string, at time.Time) error {
	if !at.After(m.opts.Now()) {
		rep.count(kind, "past its retention: `ashbot cleanup` removes it", 1)
		return nil
	}
	if m.opts.DryRun {
		rep.count(kind, "without expiry: would get one", 1)
		return nil
	}
	// NX-like: only a key still without expiry gets it (another writer may
	// have set one meanwhile).
	if err := expireIfNone.Run(ctx, m.rdb, []string{key}, at.UnixMilli()).Err(); err != nil {
		return keyErr(rep, kind, "set expiry", err)
	}
	rep.count(kind, "without expiry: given one", 1)
	return nil
}

var expireIfNone = redis.NewScript(`
if redis.call('PTTL', KEYS[1]) == -1 then return redis.call('PEXPIREAT', KEYS[1], ARGV[1]) end
return 0`)

// optOut keeps the earlier JSON form (ashbot writes it too), rewrites
// ashbot's older unix-ms form into it, and gives a TTL where none is.
func (m *Migrator) optOut(ctx context.Context, rep *Report, key string) error {
	rep.found(KindOptOuts)
	typ, v, pttl, err := m.read(ctx, key, true)
	if err != nil {
		return keyErr(rep, KindOptOuts, "read an opt-out", err)
	}
	switch {
	case typ == "none":
		return nil
	case typ != "string":
		rep.problem(KindOptOuts, fmt.Sprintf("an opt-out of type %s, not string: left alone", typ), false)
		rep.count(KindOptOuts, "unreadable: left alone", 1)
		return nil
	}
	userID := strings.TrimPrefix(key, optOutPrefix)
	at, expires, perr := ash.ParseOptOut(v)
	if perr != nil {
		rep.problem(KindOptOuts, "an opt-out with an unreadable value (kept; it stands as an opt-out): "+perr.Error(), false)
		rep.count(KindOptOuts, "unreadable value: kept", 1)
		if pttl == -1 {
			return m.expireAt(ctx, rep, KindOptOuts, key, m.opts.Now().Add(m.opts.Retentions.OptOuts))
		}
		return nil
	}
	if expires.IsZero() {
		expires = at.Add(m.opts.Retentions.OptOuts)
		if pttl > 0 {
			expires = m.opts.Now().Add(pttl)
		}
	}
	if strings.HasPrefix(strings.TrimSpace(v), "{") {
		rep.count(KindOptOuts, "in the earlier JSON form: kept", 1)
		if pttl == -1 {
			return m.expireAt(ctx, rep, KindOptOuts, key, expires)
		}
		return nil
	}
	if m.opts.DryRun {
		rep.count(KindOptOuts, "unix ms: would be rewritten in the earlier JSON form", 1)
		return nil
	}
	var expireAt int64
	if pttl == -1 && expires.After(m.opts.Now()) {
		expireAt = expires.UnixMilli()
	}
	n, err := replaceScript.Run(ctx, m.rdb, []string{key}, v, earlierbot.EncodeOptOut(userID, at, expires), expireAt).Int()
	if err != nil {
		return keyErr(rep, KindOptOuts, "rewrite an opt-out", err)
	}
	if n == 1 {
		rep.count(KindOptOuts, "unix ms: rewritten in the earlier JSON form", 1)
	} else {
		rep.count(KindOptOuts, "changed during the run: left as it is now", 1)
	}
	return nil
}

// historyMember is one message of the earlier (and today's) history.
type historyMember struct {
	Timestamp string `json:"timestamp"`
}

// history verifies a message history: ashbot reads the earlier layout as
// it is (sorted set, scores unix seconds, JSON members).
func (m *Migrator) history(ctx context.Context, rep *Report, key string) error {
	rep.found(KindHistory)
	typ, _, pttl, err := m.read(ctx, key, false)
	if err != nil {
		return keyErr(rep, KindHistory, "read a history", err)
	}
	switch {
	case typ == "none":
		return nil
	case typ != "zset":
		rep.problem(KindHistory, fmt.Sprintf("a history of type %s, not a sorted set: left alone", typ), false)
		rep.count(KindHistory, "unreadable: left alone", 1)
		return nil
	}
	var members, malformed int64
	const page = 1000
	for start := int64(0); ; start += page {
		zs, err := m.rdb.ZRangeWithScores(ctx, key, start, start+page-1).Result()
		if err != nil {
			return keyErr(rep, KindHistory, "read a history", err)
		}
		for _, z := range zs {
			members++
			s, _ := z.Member.(string)
			var h historyMember
			// Scores are unix seconds; a score in milliseconds (or
			// nonsense) would be read as a time far in the future.
			if json.Unmarshal([]byte(s), &h) != nil || h.Timestamp == "" || z.Score < 1e9 || z.Score > 1e11 {
				malformed++
			}
		}
		if len(zs) < page {
			break
		}
	}
	rep.count(KindHistory, "kept as they are (same layout)", 1)
	rep.count(KindHistory, "messages in them", members)
	if malformed > 0 {
		rep.count(KindHistory, "malformed messages (not JSON with a timestamp, or a score that is not unix seconds)", malformed)
	}
	if pttl == -1 {
		rep.count(KindHistory, "without expiry: `ashbot cleanup` gives one", 1)
	}
	return nil
}

// sessionMeta gives the earlier session metadata an expiry where it has
// none (the earlier bot's plain SET at a chat's end dropped it): the
// session-data retention from its end, else its start.
func (m *Migrator) sessionMeta(ctx context.Context, rep *Report, key string) error {
	rep.found(KindSessions)
	typ, v, pttl, err := m.read(ctx, key, true)
	if err != nil {
		return keyErr(rep, KindSessions, "read session metadata", err)
	}
	if typ == "none" {
		return nil
	}
	if typ != "string" {
		rep.problem(KindSessions, fmt.Sprintf("%s: type %s, not string: left alone", key, typ), false)
		rep.count(KindSessions, "unreadable: left alone", 1)
		return nil
	}
	rep.count(KindSessions, "kept (ashbot does not resume earlier chats)", 1)
	if pttl != -1 {
		return nil
	}
	deadline := m.opts.Now().Add(m.opts.Retentions.SessionData)
	if meta, err := earlierbot.ParseSessionMeta(v); err != nil || meta.Age().IsZero() {
		rep.problem(KindSessions, key+": no readable started_at or ended_at: the retention counts from now", false)
	} else if d := meta.Age().Add(m.opts.Retentions.SessionData); d.Before(deadline) {
		deadline = d
	}
	return m.expireAt(ctx, rep, KindSessions, key, deadline)
}

// followUp reports the earlier bot's follow-up check-ins. When a person
// last got one (ash:followup:last:{user_id}, JSON with sent_at) is carried
// over, so that one check-in a day holds across the switch. Scheduled and
// pending ones are not: an ashbot check-in belongs to an ashbot alert (its
// thread is told, a reply links to it), and the earlier ones have none.
// Each earlier key keeps (or gets) the earlier bot's lifetime.
func (m *Migrator) followUp(ctx context.Context, rep *Report, key string) error {
	rep.found(KindFollowUps)
	_, value, pttl, err := m.read(ctx, key, true)
	if err != nil {
		return keyErr(rep, KindFollowUps, "read a follow-up", err)
	}
	if pttl == -2 {
		return nil
	}
	if userID, ok := strings.CutPrefix(key, followUpPrefix+"last:"); ok {
		if err := m.lastFollowUp(ctx, rep, userID, value); err != nil {
			return err
		}
	} else {
		rep.count(KindFollowUps, "not carried over (an ashbot check-in belongs to an ashbot alert)", 1)
	}
	if pttl != -1 {
		return nil
	}
	ttl := 72 * time.Hour
	for _, f := range followUpTTLs {
		if strings.HasPrefix(key, f.prefix) {
			ttl = f.ttl
		}
	}
	return m.expireAt(ctx, rep, KindFollowUps, key, m.opts.Now().Add(ttl))
}

// lastFollowUp carries when a person last got a check-in.
func (m *Migrator) lastFollowUp(ctx context.Context, rep *Report, userID, value string) error {
	var v struct {
		SentAt string `json:"sent_at"`
	}
	var sent time.Time
	_, err := strconv.ParseUint(userID, 10, 64)
	if err == nil {
		err = json.Unmarshal([]byte(value), &v)
	}
	if err == nil {
		sent, err = earlierbot.ParseTime(v.SentAt)
	}
	switch {
	case err != nil:
		rep.count(KindFollowUps, "last check-in unreadable: not carried over", 1)
		return nil
	case m.opts.Now().Sub(sent) >= 24*time.Hour:
		rep.count(KindFollowUps, "last check-in over a day ago: nothing to carry over", 1)
		return nil
	case m.opts.DryRun:
		rep.count(KindFollowUps, "last check-in: would be carried over (one a day)", 1)
		return nil
	}
	if _, err := followup.CarryLast(ctx, m.rdb, userID, sent, m.opts.Now()); err != nil {
		return keyErr(rep, KindFollowUps, "carry a last check-in", err)
	}
	rep.count(KindFollowUps, "last check-in carried over (one a day)", 1)
	return nil
}
