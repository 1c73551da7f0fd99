package metrics

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// A person's alerts are indexed under ash:metrics:user:{user_id}: a sorted
// set of alert ids scored by creation (unix ms), written with alert_created
// in the round trip that sets the message lookup. It lives as long as the
// alert records it points to: members older than the alert retention are
// trimmed on every write and read, and the key expires the retention after
// its newest member's creation, so imported history keeps its own time as
// the records do. /ash history reads it in one call and the records in a
// second.

// personScript adds one alert to a person's index (KEYS[1]), trims what is
// past retention and sets the expiry from the newest member. ARGV: creation
// (ms), alert id, retention (ms), now (ms). Lua numbers hold unix ms
// exactly.
var personScript = redis.NewScript(`
local k, t0, ttl, now = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZADD', k, t0, ARGV[2])
redis.call('ZREMRANGEBYSCORE', k, '-inf', '(' .. (now - ttl))
local newest = redis.call('ZRANGE', k, -1, -1, 'WITHSCORES')
if newest[2] then redis.call('PEXPIRE', k, tonumber(newest[2]) + ttl - now) end
return 1`)

// personArgs are personScript's arguments.
func (r *Recorder) personArgs(alertID string, t0, now time.Time) []any {
	return []any{t0.UnixMilli(), alertID, r.opts.AlertTTL.Milliseconds(), now.UnixMilli()}
}

// indexPerson queues on p the script that adds alertID to user's index.
func (r *Recorder) indexPerson(ctx context.Context, p redis.Pipeliner, user, alertID string, t0, now time.Time) *redis.Cmd {
	if user == "" {
		return nil
	}
	return p.EvalSha(ctx, personScript.Hash(), []string{userKey(user)}, r.personArgs(alertID, t0, now)...)
}

// indexPersonAgain runs the script on its own when the pipeline's EVALSHA
// found it not loaded (a Redis restart or SCRIPT FLUSH), which loads it.
func (r *Recorder) indexPersonAgain(ctx context.Context, user, alertID string, t0, now time.Time) error {
	return personScript.Run(ctx, r.batch.rdb, []string{userKey(user)}, r.personArgs(alertID, t0, now)...).Err()
}

// personCutoff is the exclusive score bound below which an alert is past
// the alert retention at now.
func personCutoff(now time.Time, ttl time.Duration) string {
	return "(" + strconv.FormatInt(now.Add(-ttl).UnixMilli(), 10)
}

// PersonAlerts are a person's alerts within the alert retention.
type PersonAlerts struct {
	// Alerts are the newest first, at most the limit asked for.
	Alerts []*Alert
	// Total counts the alerts the index holds, those shown included.
	Total int
}

// PersonAlerts returns up to limit of userID's alerts, newest first, whose
// records still live; retention is the alert retention, to trim the index.
// Two round trips however many alerts the person has.
func (s *Store) PersonAlerts(ctx context.Context, userID string, limit int, retention time.Duration) (PersonAlerts, error) {
	if limit <= 0 {
		return PersonAlerts{}, fmt.Errorf("a person's alerts: limit %d", limit)
	}
	k := userKey(userID)
	p := s.rdb.Pipeline()
	if retention > 0 {
		p.ZRemRangeByScore(ctx, k, "-inf", personCutoff(s.now(), retention))
	}
	ids := p.ZRevRange(ctx, k, 0, int64(limit-1))
	total := p.ZCard(ctx, k)
	// The key names the person: errors say what failed, not the key.
	if _, err := p.Exec(ctx); err != nil {
		return PersonAlerts{}, fmt.Errorf("read the person's alert index: %w", err)
	}
	out := PersonAlerts{Total: int(total.Val())}
	if len(ids.Val()) == 0 {
		return out, nil
	}
	p = s.rdb.Pipeline()
	recs := make([]*redis.MapStringStringCmd, len(ids.Val()))
	ttls := make([]*redis.DurationCmd, len(ids.Val()))
	for i, id := range ids.Val() {
		recs[i] = p.HGetAll(ctx, alertKey(id))
		ttls[i] = p.PTTL(ctx, alertKey(id))
	}
	if _, err := p.Exec(ctx); err != nil && !isWrongType(err) {
		return PersonAlerts{}, fmt.Errorf("read the person's alerts: %w", err)
	}
	for i, id := range ids.Val() {
		h := recs[i].Val()
		if recs[i].Err() != nil || len(h) == 0 {
			// Expired before its index entry, or of another type: the
			// index outlives a record by at most a cleanup period.
			out.Total--
			continue
		}
		a, err := decodeAlert(id, h)
		if err != nil || a.UserID != userID {
			out.Total--
			continue
		}
		if d := ttls[i].Val(); d > 0 {
			exp := s.now().Add(d).UTC().Truncate(time.Second)
			a.ExpiresAt = &exp
		}
		out.Alerts = append(out.Alerts, a)
	}
	return out, nil
}
