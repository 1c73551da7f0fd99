package metrics

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/events"
)

// maxPeriodDays bounds a summary's period: a quarter is at most 92 days,
// and a longer range would read more alert records than a report should
// hold in memory at once.
const maxPeriodDays = 92

// Never marks a step of an alert that did not happen (or is not recorded).
const Never = -1

// AlertFacts is what a report may know of one alert, from its entry in the
// day facts hash (dayfacts.go) or its record: when it was created, its
// severity, how long each step took and which CRT members took them. It holds no id of the person in crisis: a step that
// person took themselves (a CRT member can be in crisis too) has an empty
// By, so it counts as taken but is credited to nobody.
type AlertFacts struct {
	Created  time.Time
	Severity string
	// Whole seconds from Created to each step, or Never.
	Acknowledge, AshContact, FirstResponse, Resolve int64
	// CRT members who acknowledged, answered first in the thread, resolved.
	AcknowledgedBy, FirstResponseBy, ResolvedBy string
	// HandedOff is set when the alert's Ash chat ended with reason
	// handoff: the person asked for a human; SessionEnd is when (seconds
	// from Created, or Never).
	HandedOff  bool
	SessionEnd int64
}

// factFields are the alert hash fields facts reads, in the order decodeFacts
// expects them.
var factFields = []string{fT0, fSeverity, fUser, fAck, fAckBy, fAsh, fFirst, fFirstBy, fResolved, fResolveBy, fSessEnd, fSessWhy}

// factArgs are the HMGET arguments after the key, boxed once: go-redis
// takes []any, and boxing twelve field names again for each of a
// quarter's hundred thousand alerts is a million allocations.
var factArgs = func() []any {
	out := make([]any, len(factFields))
	for i, f := range factFields {
		out[i] = f
	}
	return out
}()

// hmgetFacts is the HMGET of factFields on one alert's record.
func hmgetFacts(ctx context.Context, id string) *redis.SliceCmd {
	args := make([]any, 0, 2+len(factArgs))
	args = append(args, "hmget", alertKey(id))
	return redis.NewSliceCmd(ctx, append(args, factArgs...)...)
}

// factsChunk is how many alert records one pipeline reads. A quarter holds
// over a hundred thousand alerts at the benchmark's load: a few pipelines
// in flight at once let Redis answer one while the bot decodes another,
// and keep any one reply buffer small.
const (
	factsChunk    = 5000
	factsInFlight = 4
)

// facts reads the records of the given alerts, in their order. An alert
// whose record has expired has zero facts (zero Created); one whose key
// holds another type is named in unreadable and has zero facts too (its
// percentiles then go, as for an expired record), so that one such key does
// not stop the report.
func (s *Store) facts(ctx context.Context, ids []string) ([]AlertFacts, []string, error) {
	if len(ids) == 0 {
		return nil, nil, nil
	}
	type result struct {
		facts      []AlertFacts
		unreadable []string
		err        error
	}
	chunks := (len(ids) + factsChunk - 1) / factsChunk
	results := make([]result, chunks)
	sem := make(chan struct{}, factsInFlight)
	var wg sync.WaitGroup
	for c := range chunks {
		part := ids[c*factsChunk : min((c+1)*factsChunk, len(ids))]
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			r := &results[c]
			r.facts, r.unreadable, r.err = s.factsOf(ctx, part)
		})
	}
	wg.Wait()
	out := make([]AlertFacts, 0, len(ids))
	var unreadable []string
	for _, r := range results {
		if r.err != nil {
			return nil, unreadable, r.err
		}
		out = append(out, r.facts...)
		unreadable = append(unreadable, r.unreadable...)
	}
	return out, unreadable, nil
}

// factsOf reads one chunk of alert records in one pipeline, as facts does.
func (s *Store) factsOf(ctx context.Context, ids []string) ([]AlertFacts, []string, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.SliceCmd, len(ids))
	for i, id := range ids {
		cmds[i] = hmgetFacts(ctx, id)
		if err := pipe.Process(ctx, cmds[i]); err != nil {
			return nil, nil, fmt.Errorf("load alert records: %w", err)
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && !isWrongType(err) {
		return nil, nil, fmt.Errorf("load alert records: %w", err)
	}
	out := make([]AlertFacts, 0, len(ids))
	var unreadable []string
	for i, cmd := range cmds {
		if err := cmd.Err(); isWrongType(err) {
			unreadable = append(unreadable, wrongTypeReason(alertKey(ids[i])))
			out = append(out, AlertFacts{})
			continue
		} else if err != nil {
			return nil, unreadable, fmt.Errorf("load alert records: %w", err)
		}
		f, ok, err := decodeFacts(cmd.Val())
		if err != nil {
			return nil, unreadable, fmt.Errorf("load alert records: %w", err)
		}
		if !ok {
			f = AlertFacts{}
		}
		out = append(out, f)
	}
	return out, unreadable, nil
}

// decodeFacts reads an HMGET reply of factFields; ok is false when the
// record does not exist.
func decodeFacts(v []any) (f AlertFacts, ok bool, err error) {
	str := func(i int) string { s, _ := v[i].(string); return s }
	t0 := str(0)
	if t0 == "" {
		return f, false, nil
	}
	ms, err := strconv.ParseInt(t0, 10, 64)
	if err != nil {
		return f, false, fmt.Errorf("bad creation time %q: %w", t0, err)
	}
	f.Created = time.UnixMilli(ms).UTC()
	f.Severity = str(1)
	user := str(2)
	offset := func(i int) (int64, error) {
		s := str(i)
		if s == "" {
			return Never, nil
		}
		ms, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return Never, fmt.Errorf("bad offset %q: %w", s, err)
		}
		return ms / 1000, nil
	}
	// by is a CRT member's id, or "" for the person the alert is about.
	by := func(i int) string {
		if s := str(i); s != user {
			return s
		}
		return ""
	}
	for _, o := range []struct {
		i    int
		into *int64
	}{{3, &f.Acknowledge}, {5, &f.AshContact}, {6, &f.FirstResponse}, {8, &f.Resolve}, {10, &f.SessionEnd}} {
		if *o.into, err = offset(o.i); err != nil {
			return f, false, err
		}
	}
	f.AcknowledgedBy, f.FirstResponseBy, f.ResolvedBy = by(4), by(7), by(9)
	f.HandedOff = events.EndReason(str(11)) == events.EndHandoff
	return f, true, nil
}

// durationsOf collects the acknowledge, Ash, first response and resolve
// times of the alerts that have them, for percentiles.
func durationsOf(facts []AlertFacts) (out [4][]int64) {
	for _, f := range facts {
		for i, v := range [4]int64{f.Acknowledge, f.AshContact, f.FirstResponse, f.Resolve} {
			if v != Never {
				out[i] = append(out[i], v)
			}
		}
	}
	return out
}
