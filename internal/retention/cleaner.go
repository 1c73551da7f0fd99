package retention

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/earlierbot"
)

// Clock gives the cleaner the time that every age is measured against.
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// ttlSlack is how far a key's TTL may exceed its computed deadline before
// cleanup rewrites it: writers derive TTLs from their own clock and
// processing time, and rewriting every key over milliseconds is churn.
const ttlSlack = time.Minute

// Config sets up a Cleaner.
type Config struct {
	Retentions Retentions
	Clock      Clock        // the wall clock when nil
	Logger     *slog.Logger // slog.Default() when nil
}

// Cleaner enforces the retention policies on a Redis keyspace.
type Cleaner struct {
	rdb   redis.UniversalClient
	ret   Retentions
	clock Clock
	log   *slog.Logger
	// pruneChunk removes at most ARGV[3] old history members in one atomic
	// step, for the rare sorted set with so many old members that one
	// ZREMRANGEBYSCORE could block Redis for long.
	pruneChunk *redis.Script
}

// History scores are unix seconds (the earlier bot's layout); a score
// above msScores is a millisecond time, so old members are those at or
// below the seconds cutoff, and those between msScores and the
// millisecond cutoff.
const msScores = "(100000000000"

const pruneChunkScript = `local limit = tonumber(ARGV[3])
local m = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, limit)
if #m < limit then
  for _, v in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '` + msScores + `', ARGV[2], 'LIMIT', 0, limit - #m)) do m[#m + 1] = v end
end
local n = 0
for i = 1, #m, 500 do n = n + redis.call('ZREM', KEYS[1], unpack(m, i, math.min(i + 499, #m))) end
return n`

// NewCleaner validates cfg and returns a Cleaner.
func NewCleaner(rdb redis.UniversalClient, cfg Config) (*Cleaner, error) {
	if rdb == nil {
		return nil, errors.New("retention: nil redis client")
	}
	if err := cfg.Retentions.Validate(); err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	c := &Cleaner{rdb: rdb, ret: cfg.Retentions, clock: cfg.Clock, log: cfg.Logger,
		pruneChunk: redis.NewScript(pruneChunkScript)}
	if c.clock == nil {
		c.clock = systemClock{}
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	return c, nil
}

// Options control one run.
type Options struct {
	// DryRun reads everything and changes nothing; the report then says
	// what a real run would have done.
	DryRun bool
	// Progress, when set, is called after every batch of keys with the
	// running totals. Calls never overlap.
	Progress func(Progress)
}

// Progress is the state of a run in progress.
type Progress struct {
	Counts
	// EstimatedKeys is the size of the whole database when the run began
	// (DBSIZE over all masters), including keys cleanup will not look at:
	// an upper bound for a progress bar, not an exact goal.
	EstimatedKeys int64
}

// Run makes one pass over every ash: key. It goes on past errors on
// single keys (they are counted per category in the report) and returns an
// error only when the pass could not be completed; the report then covers
// what was done before it stopped. Run logs one record with the report.
func (c *Cleaner) Run(ctx context.Context, opts Options) (Report, error) {
	started := c.clock.Now()
	rep := newReport(opts.DryRun, started)
	err := c.run(ctx, opts, started, &rep)
	rep.Duration = c.clock.Now().Sub(started)
	rep.Completed = err == nil

	attrs := rep.logAttrs()
	level := slog.LevelInfo
	switch {
	case err != nil:
		level = slog.LevelError
		attrs = append(attrs, "error", err.Error())
	case rep.Totals.Errors > 0:
		level = slog.LevelWarn
	}
	c.log.Log(ctx, level, "retention cleanup finished", attrs...)
	if err != nil {
		return rep, fmt.Errorf("retention cleanup: %w", err)
	}
	return rep, nil
}

func (c *Cleaner) run(ctx context.Context, opts Options, now time.Time, rep *Report) error {
	estimate, err := KeyCount(ctx, c.rdb)
	if err != nil {
		return err
	}
	var mu sync.Mutex
	return Walk(ctx, c.rdb, "ash:*", func(ctx context.Context, keys []string) error {
		res, err := c.processBatch(ctx, now, keys, opts.DryRun)
		mu.Lock()
		defer mu.Unlock()
		rep.merge(res)
		if opts.Progress != nil {
			opts.Progress(Progress{Counts: rep.Totals, EstimatedKeys: estimate})
		}
		return err
	})
}

// numCategories is len(Categories()), as a constant for array sizes.
const numCategories = 8

// batchResult holds one batch's counts, indexed like Categories().
type batchResult struct {
	counts  [numCategories]Counts
	samples [numCategories][]string
	ignored int64
}

// categoryIndex is c's position in Categories(); a switch, because it runs
// for every key.
func categoryIndex(c Category) int {
	switch c {
	case AlertMetrics:
		return 0
	case Aggregates:
		return 1
	case MessageHistory:
		return 2
	case OptOuts:
		return 3
	case SessionData:
		return 4
	case Scheduler:
		return 5
	case AlertState:
		return 6
	case PersonAlerts:
		return 7
	}
	panic("retention: unknown category " + string(c))
}

func (b *batchResult) at(c Category) *Counts { return &b.counts[categoryIndex(c)] }

func (b *batchResult) fail(it *item, err error) {
	i := categoryIndex(it.cat)
	b.counts[i].Errors++
	b.samples[i] = addSample(b.samples[i], errorSample(it, err))
}

// errorSample describes one key's error: with the key's name, unless the
// name holds a person's id; the category and its error count say the rest.
func errorSample(it *item, err error) string {
	if it.cat.namesPeople() {
		return err.Error()
	}
	return fmt.Sprintf("%s: %v", it.key, err)
}

// addSample keeps up to maxErrorSamples distinct samples: a thousand keys
// failing alike make one sample, not three copies of it.
func addSample(samples []string, s string) []string {
	if len(samples) >= maxErrorSamples || slices.Contains(samples, s) {
		return samples
	}
	return append(samples, s)
}

// item is one key in flight through a batch.
type item struct {
	key  string
	kind kind
	cat  Category

	typ    *redis.StatusCmd
	pttl   *redis.DurationCmd
	value  *redis.StringCmd // t0 of an alert, value of an opt-out
	fields *redis.SliceCmd  // updated_at, started_at of a session hash; created_at, claimed_at of alert state
	newest *redis.ZSliceCmd // newest member of a history set or person index
	old    *redis.IntCmd    // members of a history set past retention (seconds scores)
	oldMs  *redis.IntCmd    // the same, for millisecond scores
	// cutoff and cutoffMs are the scores at and below which a member of a
	// sorted set is past its category's retention.
	cutoff, cutoffMs string

	act action
	// write results, checked after the write pipeline
	unlinked *redis.IntCmd
	expired  *redis.BoolCmd
	pruned   *redis.IntCmd
	prunedMs *redis.IntCmd
}

// action is what cleanup decided for one key.
type action struct {
	unlink     bool
	expireAt   time.Time // zero: keep the TTL as it is
	prune      int64     // history members at or below the cutoff
	pruneIndex bool      // remove the a:* fields of a daily aggregate
}

// processBatch reads what it needs about keys in one pipeline, decides, and
// writes in a second pipeline. A transport failure ends the run; errors
// that concern single keys are counted against their category.
func (c *Cleaner) processBatch(ctx context.Context, now time.Time, keys []string, dryRun bool) (*batchResult, error) {
	res := &batchResult{}
	items := make([]item, 0, len(keys))
	for _, k := range keys {
		kd, cat := classify(k)
		if kd == kindNone {
			res.ignored++
			continue
		}
		items = append(items, item{key: k, kind: kd, cat: cat})
	}
	if len(items) == 0 {
		return res, nil
	}
	pipe := c.rdb.Pipeline()
	for i := range items {
		it := &items[i]
		it.typ = pipe.Type(ctx, it.key)
		it.pttl = pipe.PTTL(ctx, it.key)
		switch it.kind {
		case kindAlert:
			it.value = pipe.HGet(ctx, it.key, "t0")
		case kindOptOut:
			it.value = pipe.Get(ctx, it.key)
		case kindSession:
			if strings.HasPrefix(it.key, prefixSessionMeta) {
				it.value = pipe.Get(ctx, it.key) // the earlier bot's JSON string
			} else {
				it.fields = pipe.HMGet(ctx, it.key, "updated_at", "started_at")
			}
		case kindAlertState:
			it.fields = pipe.HMGet(ctx, it.key, "created_at", "claimed_at")
		case kindHistory, kindPerson:
			cutoff := now.Add(-c.ret.of(it.cat))
			it.cutoff, it.cutoffMs = strconv.FormatInt(cutoff.Unix(), 10), strconv.FormatInt(cutoff.UnixMilli(), 10)
			it.newest = pipe.ZRangeWithScores(ctx, it.key, -1, -1)
			it.old = pipe.ZCount(ctx, it.key, "-inf", it.cutoff)
			it.oldMs = pipe.ZCount(ctx, it.key, msScores, it.cutoffMs)
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && !isReply(err) {
		return res, fmt.Errorf("read batch: %w", err)
	}

	writes := c.rdb.Pipeline()
	var slow []*item // work that needs its own round trips
	for i := range items {
		it := &items[i]
		res.at(it.cat).Scanned++
		act, skip, err := c.decide(it, now)
		if err != nil {
			res.fail(it, err)
			continue
		}
		if skip {
			continue
		}
		it.act = act
		if dryRun {
			res.count(it, act)
			continue
		}
		switch {
		case act.unlink:
			it.unlinked = writes.Unlink(ctx, it.key)
		default:
			if !act.expireAt.IsZero() {
				it.expired = writes.PExpireAt(ctx, it.key, act.expireAt)
			}
			if act.prune > 0 && act.prune <= ScanCount {
				it.pruned = writes.ZRemRangeByScore(ctx, it.key, "-inf", it.cutoff)
				it.prunedMs = writes.ZRemRangeByScore(ctx, it.key, msScores, it.cutoffMs)
			}
			if act.prune > ScanCount || act.pruneIndex {
				slow = append(slow, it)
			}
		}
	}
	if dryRun {
		return c.countIndexFields(ctx, res, items)
	}
	if writes.Len() > 0 {
		if _, err := writes.Exec(ctx); err != nil && !isReply(err) {
			return res, fmt.Errorf("write batch: %w", err)
		}
	}
	for i := range items {
		res.record(&items[i])
	}
	for _, it := range slow {
		var n int64
		var err error
		if it.act.pruneIndex {
			n, err = c.pruneIndex(ctx, it.key, false)
		} else {
			n, err = c.pruneLarge(ctx, it.key, it.cutoff, it.cutoffMs)
		}
		res.at(it.cat).EntriesPruned += n
		if err != nil {
			if !isReply(err) {
				return res, err
			}
			res.fail(it, err)
		}
	}
	return res, nil
}

// countIndexFields completes a dry run: index fields can only be counted by
// scanning them, which is read-only.
func (c *Cleaner) countIndexFields(ctx context.Context, res *batchResult, items []item) (*batchResult, error) {
	for i := range items {
		it := &items[i]
		if !it.act.pruneIndex || it.act.unlink {
			continue
		}
		n, err := c.pruneIndex(ctx, it.key, true)
		res.at(it.cat).EntriesPruned += n
		if err != nil {
			if !isReply(err) {
				return res, err
			}
			res.fail(it, err)
		}
	}
	return res, nil
}

// count records what a dry run would do.
func (b *batchResult) count(it *item, act action) {
	cnt := b.at(it.cat)
	if act.unlink {
		cnt.Removed++
		return
	}
	if !act.expireAt.IsZero() {
		cnt.TTLRepaired++
	}
	cnt.EntriesPruned += act.prune
}

// record counts what the write pipeline did to it.
func (b *batchResult) record(it *item) {
	cnt := b.at(it.cat)
	if it.unlinked != nil {
		if n, err := it.unlinked.Result(); err != nil {
			b.fail(it, fmt.Errorf("unlink: %w", err))
		} else {
			cnt.Removed += n
		}
	}
	if it.expired != nil {
		if ok, err := it.expired.Result(); err != nil {
			b.fail(it, fmt.Errorf("pexpireat: %w", err))
		} else if ok {
			cnt.TTLRepaired++
		}
	}
	for _, cmd := range []*redis.IntCmd{it.pruned, it.prunedMs} {
		if cmd == nil {
			continue
		}
		if n, err := cmd.Result(); err != nil {
			b.fail(it, fmt.Errorf("zremrangebyscore: %w", err))
		} else {
			cnt.EntriesPruned += n
		}
	}
}

// decide turns what was read about a key into an action. skip is true when
// the key vanished meanwhile. An error means the key cannot be judged (it
// has a type its category never uses, or a read failed); it is left alone.
func (c *Cleaner) decide(it *item, now time.Time) (act action, skip bool, err error) {
	typ, err := it.typ.Result()
	if err != nil {
		return act, false, fmt.Errorf("type: %w", err)
	}
	pttl, err := it.pttl.Result()
	if err != nil {
		return act, false, fmt.Errorf("pttl: %w", err)
	}
	if typ == "none" || pttl == -2 {
		return act, true, nil
	}
	ret := c.ret.of(it.cat)
	// bornAt is the action for a key whose age is known: it lives the
	// retention from ms (unix ms), and never longer than the retention
	// from now.
	bornAt := func(ms int64) action {
		return deadlineAction(now, time.UnixMilli(ms).Add(ret), now.Add(ret), pttl)
	}
	if want := it.kind.wantType(); want != "" && typ != want {
		return act, false, fmt.Errorf("unexpected type %s, want %s; left untouched (run `ashbot migrate from-ash-bot` to convert the earlier Ash-Bot's keys)", typ, want)
	}

	switch it.kind {
	case kindAlert, kindOptOut:
		v, err := it.value.Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			return act, false, fmt.Errorf("read age: %w", err)
		}
		if ms, perr := strconv.ParseInt(v, 10, 64); err == nil && perr == nil {
			return bornAt(ms), false, nil
		}
		if o, perr := earlierbot.ParseOptOut(v); it.kind == kindOptOut && err == nil && perr == nil && !o.OptedOutAt.IsZero() {
			return bornAt(o.OptedOutAt.UnixMilli()), false, nil
		}
	case kindSession, kindAlertState:
		if it.value != nil && typ == "string" {
			v, err := it.value.Result()
			if err != nil && !errors.Is(err, redis.Nil) {
				return act, false, fmt.Errorf("read age: %w", err)
			}
			if m, perr := earlierbot.ParseSessionMeta(v); perr == nil && !m.Age().IsZero() {
				return bornAt(m.Age().UnixMilli()), false, nil
			}
			break
		}
		if typ != "hash" {
			break
		}
		vals, err := it.fields.Result()
		if err != nil {
			return act, false, fmt.Errorf("read age: %w", err)
		}
		for _, v := range vals {
			if s, ok := v.(string); ok {
				if ms, err := strconv.ParseInt(s, 10, 64); err == nil {
					return bornAt(ms), false, nil
				}
			}
		}
	case kindFacts:
		// One hash per day of alerts: it lives the alert retention from the
		// day's end, like the day's a:* index fields, which say which
		// alerts a report reads it for.
		day, err := time.Parse(time.DateOnly, strings.TrimPrefix(it.key, prefixFacts))
		if err != nil {
			break
		}
		dayEnd := day.Add(24 * time.Hour)
		return deadlineAction(now, dayEnd.Add(ret), now.Add(24*time.Hour+ret), pttl), false, nil
	case kindDaily:
		day, err := time.Parse(time.DateOnly, strings.TrimPrefix(it.key, prefixDaily))
		if err != nil {
			break
		}
		dayEnd := day.Add(24 * time.Hour)
		// Today's aggregate legitimately lives up to a day longer than the
		// retention from now.
		act = deadlineAction(now, dayEnd.Add(ret), now.Add(24*time.Hour+ret), pttl)
		act.pruneIndex = !act.unlink && !now.Before(dayEnd.Add(c.ret.AlertMetrics))
		return act, false, nil
	case kindHistory, kindPerson:
		newest, err := it.newest.Result()
		if err != nil {
			return act, false, fmt.Errorf("read newest member: %w", err)
		}
		if len(newest) == 0 {
			return act, true, nil
		}
		act = bornAt(historyMillis(newest[0].Score))
		if !act.unlink {
			old, err1 := it.old.Result()
			oldMs, err2 := it.oldMs.Result()
			if err := errors.Join(err1, err2); err != nil {
				return action{}, false, fmt.Errorf("count old members: %w", err)
			}
			act.prune = old + oldMs
		}
		return act, false, nil
	}
	// Age unknown: the key may live the full retention from now, no longer.
	return deadlineAction(now, now.Add(ret), now.Add(ret), pttl), false, nil
}

// wantType is the Redis type the writers of a kind use, or "" when any
// type is legitimate.
func (k kind) wantType() string {
	switch k {
	case kindAlert, kindDaily, kindFacts:
		return "hash"
	case kindLookup, kindOptOut:
		return "string"
	case kindHistory, kindPerson:
		return "zset"
	case kindChat:
		return "list"
	}
	return ""
}

// deadlineAction returns the action for a key that must be gone by
// deadline, which is first capped at limit: a timestamp in the future (clock
// skew, wrong units) must not keep data longer than its retention.
func deadlineAction(now, deadline, limit time.Time, pttl time.Duration) action {
	if deadline.After(limit) {
		deadline = limit
	}
	if !deadline.After(now) {
		return action{unlink: true}
	}
	if pttl == -1 || now.Add(pttl).After(deadline.Add(ttlSlack)) {
		return action{expireAt: deadline}
	}
	return action{}
}

// historyMillis reads a history score as unix milliseconds: scores are
// seconds, except those above 1e11, which are milliseconds already.
func historyMillis(score float64) int64 {
	if score > 1e11 {
		return int64(score)
	}
	return int64(score * 1000)
}

// pruneLarge removes every history member older than the cutoff (seconds
// and milliseconds forms), at most ScanCount per command.
func (c *Cleaner) pruneLarge(ctx context.Context, key, cutoff, cutoffMs string) (int64, error) {
	var total int64
	for {
		n, err := c.pruneChunk.Run(ctx, c.rdb, []string{key}, cutoff, cutoffMs, ScanCount).Int64()
		if err != nil {
			// These keys name a person: the error says what, not whose.
			return total, fmt.Errorf("prune a person's sorted set: %w", err)
		}
		total += n
		if n < ScanCount {
			return total, nil
		}
	}
}

// pruneIndex removes (or, when countOnly, counts) the a:* fields of a daily
// aggregate, ScanCount at a time, leaving the aggregate fields.
func (c *Cleaner) pruneIndex(ctx context.Context, key string, countOnly bool) (int64, error) {
	var total int64
	var cursor uint64
	for {
		kv, next, err := c.rdb.HScan(ctx, key, cursor, "a:*", ScanCount).Result()
		if err != nil {
			return total, fmt.Errorf("hscan %s: %w", key, err)
		}
		names := make([]string, 0, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			names = append(names, kv[i])
		}
		for len(names) > 0 {
			chunk := names[:min(len(names), ScanCount)]
			names = names[len(chunk):]
			if countOnly {
				total += int64(len(chunk))
				continue
			}
			n, err := c.rdb.HDel(ctx, key, chunk...).Result()
			if err != nil {
				return total, fmt.Errorf("hdel %s: %w", key, err)
			}
			total += n
		}
		if next == 0 {
			return total, nil
		}
		cursor = next
	}
}

// isReply tells a reply from Redis about one command (WRONGTYPE, NOPERM,
// OOM...), which spoils only that key, from a transport failure, which
// spoils the whole batch.
func isReply(err error) bool {
	var rerr redis.Error
	return errors.As(err, &rerr)
}
