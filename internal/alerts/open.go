package alerts

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The open-alerts index (OpenKey) is a sorted set of alert ids scored by
// creation time (unix ms): /ash open reads it oldest first in one call and
// the states in a second, instead of scanning every ash:alert:* key.
//
// It is a hint, not the truth: SaveCreated adds an alert and a resolution
// removes it, both best effort, and Open checks each entry against the
// alert's state, dropping those that are resolved or whose state expired.
// Entries older than the alert retention are trimmed on every write and
// read, and the key's TTL is the retention from the last write, so an idle
// index disappears with the states it points to.

// addOpen queues the commands that put alertID in the index on p.
func (s *Store) addOpen(ctx context.Context, p redis.Pipeliner, alertID string, created time.Time) {
	p.ZAdd(ctx, OpenKey, redis.Z{Score: float64(created.UnixMilli()), Member: alertID})
	p.ZRemRangeByScore(ctx, OpenKey, "-inf", s.openCutoff())
	p.PExpire(ctx, OpenKey, s.opts.TTL)
}

// openCutoff is the score at and below which an entry is past retention
// (exclusive bound syntax keeps an alert created exactly at the cutoff).
func (s *Store) openCutoff() string {
	return "(" + strconv.FormatInt(s.opts.Now().Add(-s.opts.TTL).UnixMilli(), 10)
}

// OpenAlerts is a page of open alerts.
type OpenAlerts struct {
	// Alerts are the oldest open alerts, oldest first.
	Alerts []State
	// Total counts every open alert, those on the page included.
	Total int
}

// Open returns up to limit open alerts (not resolved), oldest first: two
// round trips, plus a third to drop stale entries when it found some.
func (s *Store) Open(ctx context.Context, limit int) (OpenAlerts, error) {
	if limit <= 0 {
		return OpenAlerts{}, fmt.Errorf("open alerts: limit %d", limit)
	}
	p := s.rdb.Pipeline()
	p.ZRemRangeByScore(ctx, OpenKey, "-inf", s.openCutoff())
	ids := p.ZRange(ctx, OpenKey, 0, int64(limit-1))
	total := p.ZCard(ctx, OpenKey)
	if _, err := p.Exec(ctx); err != nil {
		return OpenAlerts{}, fmt.Errorf("read the open-alerts index: %w", err)
	}
	if len(ids.Val()) == 0 {
		return OpenAlerts{}, nil
	}
	states, err := s.LoadMany(ctx, ids.Val())
	if err != nil {
		return OpenAlerts{}, fmt.Errorf("read open alerts: %w", err)
	}
	out := OpenAlerts{Total: int(total.Val())}
	var stale []any
	for _, id := range ids.Val() {
		st, ok := states[id]
		if !ok || st.AlertMessageID == "" || st.Resolve.Done() {
			stale = append(stale, id)
			continue
		}
		out.Alerts = append(out.Alerts, st)
	}
	if len(stale) > 0 {
		out.Total -= len(stale)
		// Best effort: the next read drops them otherwise.
		s.rdb.ZRem(ctx, OpenKey, stale...)
	}
	return out, nil
}

// LoadMany returns the states of alertIDs that exist, in one round trip.
func (s *Store) LoadMany(ctx context.Context, alertIDs []string) (map[string]State, error) {
	if len(alertIDs) == 0 {
		return map[string]State{}, nil
	}
	p := s.rdb.Pipeline()
	hashes := make([]*redis.MapStringStringCmd, len(alertIDs))
	for i, id := range alertIDs {
		hashes[i] = p.HGetAll(ctx, StateKey(id))
	}
	if _, err := p.Exec(ctx); err != nil {
		return nil, fmt.Errorf("load %d alerts: %w", len(alertIDs), err)
	}
	out := make(map[string]State, len(alertIDs))
	for i, id := range alertIDs {
		if h := hashes[i].Val(); len(h) > 0 {
			out[id] = decodeState(id, h)
		}
	}
	return out, nil
}

// IndexOpen puts the posted, unresolved alert states among keys into the
// open-alerts index and returns how many it found: the backfill of alerts
// posted before the index existed, and of entries a failed best-effort
// write left out. keys may hold any ash:alert:* key (a SCAN page); only
// state hashes are read, and a key of another type is skipped.
func (s *Store) IndexOpen(ctx context.Context, keys []string) (int, error) {
	var ids []string
	for _, k := range keys {
		id, ok := strings.CutPrefix(k, KeyPrefix)
		// Alert ids hold no ':' (events.checkID), so a state key is the
		// prefix and an id; the index itself is no state.
		if ok && id != "" && !strings.Contains(id, ":") && k != OpenKey {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return 0, nil
	}
	p := s.rdb.Pipeline()
	fields := make([]*redis.SliceCmd, len(ids))
	for i, id := range ids {
		fields[i] = p.HMGet(ctx, StateKey(id), fCreatedAt, fAlertMessage, string(ClaimResolve)+"_by")
	}
	// A WRONGTYPE reply spoils one key, not the page: each is read below.
	if _, err := p.Exec(ctx); err != nil && !isReply(err) {
		return 0, fmt.Errorf("read alert states to index: %w", err)
	}
	p = s.rdb.Pipeline()
	n := 0
	for i, id := range ids {
		v, err := fields[i].Result()
		if err != nil || len(v) != 3 {
			continue
		}
		created, _ := v[0].(string)
		msg, _ := v[1].(string)
		ms, perr := strconv.ParseInt(created, 10, 64)
		if perr != nil || msg == "" || v[2] != nil || !time.UnixMilli(ms).After(s.opts.Now().Add(-s.opts.TTL)) {
			continue
		}
		s.addOpen(ctx, p, id, time.UnixMilli(ms))
		n++
	}
	if n == 0 {
		return 0, nil
	}
	if _, err := p.Exec(ctx); err != nil {
		return 0, fmt.Errorf("index open alerts: %w", err)
	}
	return n, nil
}

// isReply tells a reply from Redis about one command (WRONGTYPE) from a
// transport failure.
func isReply(err error) bool {
	var rerr redis.Error
	return errors.As(err, &rerr)
}
