package metrics

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// LatestOf finds the most recent alert about userID created within the
// last days UTC days up to now, newest day first, by reading each day's
// index and the person field of that day's alert records: two round trips
// per day, and it stops at the first day with one of theirs. found is
// false when none was recorded in that window (or their records expired).
//
// It is the bounded stand-in for a per-person index: each day's cost grows
// with that day's alerts, so callers keep days small.
func (s *Store) LatestOf(ctx context.Context, userID string, now time.Time, days int) (alertID string, found bool, err error) {
	day := now.UTC().Truncate(24 * time.Hour)
	for range days {
		key := dailyKey(day)
		fields, err := s.rdb.HKeys(ctx, key).Result()
		if err != nil {
			return "", false, fmt.Errorf("latest alert of a person: %w", checkType(key, err))
		}
		var ids []string
		for _, f := range fields {
			if id, ok := strings.CutPrefix(f, aIndexPrefix); ok {
				ids = append(ids, id)
			}
		}
		if id, ok, err := s.latestAmong(ctx, ids, userID); err != nil || ok {
			return id, ok, err
		}
		day = day.AddDate(0, 0, -1)
	}
	return "", false, nil
}

// latestAmong returns the newest of ids whose record names userID.
func (s *Store) latestAmong(ctx context.Context, ids []string, userID string) (string, bool, error) {
	if len(ids) == 0 {
		return "", false, nil
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.SliceCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HMGet(ctx, alertKey(id), fUser, fT0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return "", false, fmt.Errorf("latest alert of a person: %w", err)
	}
	best, bestT0 := "", int64(-1)
	for i, c := range cmds {
		v := c.Val()
		uid, _ := v[0].(string)
		t0s, _ := v[1].(string)
		t0, perr := strconv.ParseInt(t0s, 10, 64)
		if uid != userID || perr != nil {
			continue
		}
		if t0 > bestT0 {
			best, bestT0 = ids[i], t0
		}
	}
	return best, best != "", nil
}
