package metrics

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// scanBatch is how many index fields one HSCAN asks for and how many
// alert records one pipeline reads: memory stays bounded by one batch
// however busy the days.
const scanBatch = 500

// EachStats says what EachAlert found.
type EachStats struct {
	// Alerts is how many alerts were passed to fn.
	Alerts int64
	// Expired counts the alerts indexed in the days' aggregates whose
	// records no longer exist (past the alert retention).
	Expired int64
	// Unreadable names keys of another type (the earlier Ash-Bot's).
	Unreadable []string
}

// EachAlert calls fn with the record of every alert created on the UTC
// days from..to (inclusive), day by day, reading each day's index with
// HSCAN and the records in batches, so that an export of a year holds one
// batch in memory at a time. Within a day the order is Redis's.
func (s *Store) EachAlert(ctx context.Context, from, to time.Time, fn func(*Alert) error) (EachStats, error) {
	var st EachStats
	for day := utcDay(from); !day.After(utcDay(to)); day = day.AddDate(0, 0, 1) {
		key := dailyKey(day)
		// HSCAN may return a field twice while Redis rehashes the hash;
		// a day's ids are few enough to remember.
		seen := map[string]bool{}
		var cursor uint64
		for {
			fields, next, err := s.rdb.HScan(ctx, key, cursor, aIndexPrefix+"*", scanBatch).Result()
			if isWrongType(err) {
				st.Unreadable = append(st.Unreadable, wrongTypeReason(key))
				break
			}
			if err != nil {
				return st, fmt.Errorf("scan daily aggregate %s: %w", day.Format(time.DateOnly), err)
			}
			var ids []string
			// HSCAN answers field, value, field, value ...
			for i := 0; i+1 < len(fields); i += 2 {
				if id, ok := strings.CutPrefix(fields[i], aIndexPrefix); ok && !seen[id] {
					seen[id] = true
					ids = append(ids, id)
				}
			}
			if err := s.eachRecord(ctx, ids, &st, fn); err != nil {
				return st, err
			}
			if cursor = next; cursor == 0 {
				break
			}
		}
	}
	return st, nil
}

// eachRecord reads the records of ids in one pipeline and passes those
// that exist to fn.
func (s *Store) eachRecord(ctx context.Context, ids []string, st *EachStats, fn func(*Alert) error) error {
	if len(ids) == 0 {
		return nil
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGetAll(ctx, alertKey(id))
	}
	if _, err := pipe.Exec(ctx); err != nil && !isWrongType(err) {
		return fmt.Errorf("load alert records: %w", err)
	}
	for i, cmd := range cmds {
		if err := cmd.Err(); isWrongType(err) {
			st.Unreadable = append(st.Unreadable, wrongTypeReason(alertKey(ids[i])))
			continue
		} else if err != nil {
			return fmt.Errorf("load alert records: %w", err)
		}
		h := cmd.Val()
		if len(h) == 0 {
			st.Expired++
			continue
		}
		a, err := decodeAlert(ids[i], h)
		if err != nil {
			return fmt.Errorf("load alert %s: %w", ids[i], err)
		}
		st.Alerts++
		if err := fn(a); err != nil {
			return err
		}
	}
	return nil
}
