package metrics

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/events"
)

// The day's facts hash (ash:metrics:facts:{YYYY-MM-DD}, the alerts'
// creation day) holds, per alert id, the AlertFacts of the alert as one
// short text. A report reads a day's facts with one HGETALL instead of one
// HMGET per alert record: a quarter is 92 commands instead of 131,000.
//
// The recorder rewrites an alert's whole entry from the alert script's reply
// on every event of a kind the entry holds, in the same pipeline as the day
// script, so the entry is idempotent and heals itself: a lost write is made
// good by the retry of its event or the alert's next such event. It is
// per-alert data and lives with the alert records (the alert-metrics
// retention, counted from the day's end); the aggregate-only import of past
// alerts writes none. Reports, the trend and the coverage fall back to the
// records for the indexed alerts a day's hash lacks (days recorded before
// the hash existed, a write lost with no later event), so results do not
// depend on it being complete.

func factsKey(day time.Time) string { return factsPrefix + day.UTC().Format(time.DateOnly) }

// factsFieldCount is the number of comma-separated fields of an entry:
// created (unix ms), severity, acknowledge, Ash contact, first response and
// resolve (seconds from created, "" for Never), acknowledged by, first
// response by, resolved by (CRT ids, "" for the person the alert is about
// or nobody), handed off ("1" or ""), session end (seconds, "" for Never).
// Ids are snowflakes and severities words (events.Validate), so no field
// holds a comma.
const factsFieldCount = 11

// encodeFacts is the facts entry of everything st holds. It never holds the
// id of the person the alert is about: a step they took themselves has an
// empty by, as decodeFacts gives it from the record.
func encodeFacts(st alertState) string {
	var buf [128]byte // three snowflakes and a few numbers fit: the string is the one allocation
	b := strconv.AppendInt(buf[:0], st.t0.UnixMilli(), 10)
	b = append(b, ',')
	b = append(b, st.severity...)
	for _, o := range [...]struct {
		bit int
		ms  int64
	}{{bitAck, st.ack}, {bitAsh, st.ash}, {bitFirst, st.first}, {bitResolved, st.resolved}} {
		b = append(b, ',')
		if st.stored&o.bit != 0 {
			b = strconv.AppendInt(b, o.ms/1000, 10)
		}
	}
	for _, by := range [...]string{st.ackBy, st.firstBy, st.resolvedBy} {
		b = append(b, ',')
		if by != st.user {
			b = append(b, by...)
		}
	}
	b = append(b, ',')
	if st.stored&bitSessEnd != 0 && events.EndReason(st.endReason) == events.EndHandoff {
		b = append(b, '1')
	}
	b = append(b, ',')
	if st.stored&bitSessEnd != 0 {
		b = strconv.AppendInt(b, st.sessionEnd/1000, 10)
	}
	return string(b)
}

// parseFacts reads an entry of encodeFacts; ok is false when v is not one
// (the alert's record is read instead).
func parseFacts(v string) (f AlertFacts, ok bool) {
	var parts [factsFieldCount]string
	for i := range parts {
		var found bool
		parts[i], v, found = strings.Cut(v, ",")
		if found != (i < factsFieldCount-1) {
			return f, false
		}
	}
	ms, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil || parts[1] == "" {
		return f, false
	}
	f.Created, f.Severity = time.UnixMilli(ms).UTC(), parts[1]
	for i, into := range [...]*int64{&f.Acknowledge, &f.AshContact, &f.FirstResponse, &f.Resolve, &f.SessionEnd} {
		p := parts[2+i]
		if i == 4 {
			p = parts[10]
		}
		if p == "" {
			*into = Never
		} else if *into, err = strconv.ParseInt(p, 10, 64); err != nil {
			return f, false
		}
	}
	f.AcknowledgedBy, f.FirstResponseBy, f.ResolvedBy = parts[6], parts[7], parts[8]
	switch parts[9] {
	case "1":
		f.HandedOff = true
	case "":
	default:
		return f, false
	}
	return f, true
}

// changesFacts reports whether AlertFacts holds events of kind t. The others
// (session start, opt-out, check-ins, escalations) leave the entry as it
// is, so they skip its write: an eighth of the recorder's HSETs at the
// benchmark's mix, more in life. The retry of an event whose write was lost
// is of a kind that changed the entry, so it still rewrites it.
func changesFacts(t events.Type) bool {
	switch t {
	case events.AlertCreated, events.Acknowledged, events.AshContacted, events.FirstResponse, events.Resolved, events.SessionEnded:
		return true
	}
	return false
}

// writeFacts adds the alert's facts entry to p, for an event of a kind it
// holds. It returns the HSET, and
// the hash's TTL (the alert-metrics retention from the end of the alert's
// day, from the injected clock like the daily key), or nil and 0 once the
// day is past it.
//
// A creation sets the TTL in the same pipeline. Other events leave it to
// healFactsTTL, which runs only when their HSET added the alert's entry: the
// only way such an event can have created the hash (a day begun before the
// hash existed, or a creation whose write was lost). One PEXPIRE per alert
// instead of one per event keeps the recorder as fast as it was, and Redis
// 6.2 has no PEXPIRE NX.
//
// day is the alert's UTC day, key its facts key (aggregate formats the date
// once for both of the day's keys: formatting showed up in profiles).
func (r *Recorder) writeFacts(ctx context.Context, p redis.Pipeliner, ev events.Event, st alertState, day time.Time, key string, now time.Time) (*redis.IntCmd, time.Duration) {
	if !changesFacts(ev.Type) {
		return nil, 0
	}
	ttl := day.Add(24*time.Hour + r.opts.AlertTTL).Sub(now)
	if ttl <= 0 {
		return nil, 0
	}
	hset := p.HSet(ctx, key, ev.AlertID, encodeFacts(st))
	if ev.Type == events.AlertCreated {
		p.PExpire(ctx, key, ttl)
	}
	return hset, ttl
}

// healFactsTTL gives a facts hash its TTL after an event other than the
// creation added its alert's entry (see writeFacts): one more round trip,
// on days begun before the hash existed or after a lost write only.
func (r *Recorder) healFactsTTL(ctx context.Context, key string, ttl time.Duration) error {
	var cmd *redis.BoolCmd
	if err := r.batch.run(ctx, func(p redis.Pipeliner) {
		cmd = p.PExpire(ctx, key, ttl)
	}); err != nil {
		return err
	}
	return cmd.Err()
}

// dayFacts reads the facts of the indexed alerts of each day (ids[i] are
// those of day start+i) from the days' facts hashes, and those a hash lacks
// from their records (see facts). The result is in the order of ids, as
// reading every record would give it. A facts hash of another type is named
// in unreadable and its day read from the records.
func (s *Store) dayFacts(ctx context.Context, start time.Time, ids [][]string) ([]AlertFacts, []string, error) {
	type day struct {
		found   []AlertFacts // aligned with the day's ids; zero Created: not found
		missing []string
		bad     string
		err     error
	}
	days := make([]day, len(ids))
	// Days are read in groups, a few in flight, so that Redis serialises
	// one group while the bot decodes another.
	const group = 8
	sem := make(chan struct{}, factsInFlight)
	var wg sync.WaitGroup
	for g := 0; g < len(ids); g += group {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			pipe := s.rdb.Pipeline()
			cmds := make([]*redis.MapStringStringCmd, min(group, len(ids)-g))
			for i := range cmds {
				if len(ids[g+i]) > 0 {
					cmds[i] = pipe.HGetAll(ctx, factsKey(start.AddDate(0, 0, g+i)))
				}
			}
			if _, err := pipe.Exec(ctx); err != nil && !isWrongType(err) {
				days[g].err = err
				return
			}
			for i, cmd := range cmds {
				d := &days[g+i]
				if cmd == nil {
					continue
				}
				h, err := cmd.Result()
				if isWrongType(err) {
					d.bad = wrongTypeReason(factsKey(start.AddDate(0, 0, g+i)))
				} else if err != nil {
					d.err = err
					return
				}
				d.found = make([]AlertFacts, len(ids[g+i]))
				for j, id := range ids[g+i] {
					if f, ok := parseFacts(h[id]); ok {
						d.found[j] = f
					} else {
						d.missing = append(d.missing, id)
					}
				}
			}
		})
	}
	wg.Wait()
	var unreadable, missing []string
	total := 0
	for i := range days {
		if days[i].err != nil {
			return nil, nil, fmt.Errorf("load facts: %w", days[i].err)
		}
		if days[i].bad != "" {
			unreadable = append(unreadable, days[i].bad)
		}
		missing = append(missing, days[i].missing...)
		total += len(ids[i])
	}
	fromRecords, bad, err := s.facts(ctx, missing)
	unreadable = append(unreadable, bad...)
	if err != nil {
		return nil, unreadable, err
	}
	out := make([]AlertFacts, 0, total)
	next := 0 // into fromRecords, which follows the order of missing
	for i := range days {
		for _, f := range days[i].found {
			if f.Created.IsZero() {
				f, next = fromRecords[next], next+1
			}
			if !f.Created.IsZero() {
				out = append(out, f)
			}
		}
	}
	return out, unreadable, nil
}
