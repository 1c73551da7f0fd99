// Package storagestats measures what ashbot keeps in Redis, per retention
// category, and raises storage usage alerts when it grows past configured
// thresholds (plan step 8.3, "Storage stats available" and "Storage usage
// alerts").
package storagestats

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alphabetcartel/ashbot/internal/retention"
	"github.com/redis/go-redis/v9"
)

// DefaultSampleSize is how many keys per category are measured with
// MEMORY USAGE when Options.SampleSize is zero.
const DefaultSampleSize = 200

// exactSampleLimit is the largest key (in elements) measured with SAMPLES 0,
// which walks every element; bigger keys use Redis's default sampling so
// that no MEMORY USAGE call blocks the server for long.
const exactSampleLimit = 10_000

// CategoryStats describes one retention category.
type CategoryStats struct {
	Category retention.Category `json:"category"`
	Keys     int64              `json:"keys"`
	// KeysWithoutTTL should be zero: every key the bot writes has a TTL,
	// and cleanup repairs those that lost it.
	KeysWithoutTTL int64 `json:"keys_without_ttl"`
	SampledKeys    int64 `json:"sampled_keys"`
	// ApproxMemoryBytes extrapolates the sampled keys' mean size to Keys.
	ApproxMemoryBytes int64 `json:"approx_memory_bytes"`
}

// Stats is one measurement of the store.
type Stats struct {
	CollectedAt time.Time `json:"collected_at"`
	Masters     int       `json:"masters"`
	// TotalKeys is DBSIZE summed over masters: every key, ashbot's or not.
	TotalKeys int64 `json:"total_keys"`
	// UsedMemoryBytes is INFO memory used_memory summed over masters.
	UsedMemoryBytes int64           `json:"used_memory_bytes"`
	Categories      []CategoryStats `json:"categories"`
	// OtherKeys are keys no retention category owns (other ash: keys and
	// other applications' keys): TotalKeys minus the categories.
	OtherKeys int64 `json:"other_keys"`
	// MemoryNote says how the per-category memory was estimated.
	MemoryNote string `json:"memory_note"`
}

// Clock gives the collection time.
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Options tune a Collector.
type Options struct {
	SampleSize int   // keys per category measured with MEMORY USAGE; DefaultSampleSize when 0
	Clock      Clock // the wall clock when nil
}

// Collector measures the store.
type Collector struct {
	rdb    redis.UniversalClient
	sample int64
	clock  Clock
}

// NewCollector returns a Collector for rdb.
func NewCollector(rdb redis.UniversalClient, opts Options) (*Collector, error) {
	if rdb == nil {
		return nil, errors.New("storagestats: nil redis client")
	}
	if opts.SampleSize < 0 {
		return nil, fmt.Errorf("storagestats: negative sample size %d", opts.SampleSize)
	}
	c := &Collector{rdb: rdb, sample: int64(opts.SampleSize), clock: opts.Clock}
	if c.sample == 0 {
		c.sample = DefaultSampleSize
	}
	if c.clock == nil {
		c.clock = systemClock{}
	}
	return c, nil
}

// tally accumulates one category while the keyspace streams past.
type tally struct {
	keys, noTTL, sampled, sampledBytes int64
}

// Collect streams over the keyspace once (SCAN, batches of PTTL), so its
// cost grows with the number of keys but its memory does not.
func (c *Collector) Collect(ctx context.Context) (Stats, error) {
	st := Stats{CollectedAt: c.clock.Now().UTC()}
	var masters, used atomic.Int64
	err := retention.ForEachMaster(ctx, c.rdb, func(ctx context.Context, node redis.Cmdable) error {
		info, err := node.Info(ctx, "memory").Result()
		if err != nil {
			return fmt.Errorf("info memory: %w", err)
		}
		n, err := usedMemory(info)
		if err != nil {
			return err
		}
		used.Add(n)
		masters.Add(1)
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("storage stats: %w", err)
	}
	st.Masters, st.UsedMemoryBytes = int(masters.Load()), used.Load()
	if st.TotalKeys, err = retention.KeyCount(ctx, c.rdb); err != nil {
		return st, fmt.Errorf("storage stats: %w", err)
	}

	var mu sync.Mutex
	tallies := make(map[retention.Category]*tally)
	for _, cat := range retention.Categories() {
		tallies[cat] = &tally{}
	}
	err = retention.Walk(ctx, c.rdb, "ash:*", func(ctx context.Context, keys []string) error {
		return c.batch(ctx, keys, &mu, tallies)
	})
	if err != nil {
		return st, fmt.Errorf("storage stats: %w", err)
	}

	st.OtherKeys = st.TotalKeys
	var sampled int64
	for _, cat := range retention.Categories() {
		t := tallies[cat]
		cs := CategoryStats{Category: cat, Keys: t.keys, KeysWithoutTTL: t.noTTL, SampledKeys: t.sampled}
		if t.sampled > 0 {
			cs.ApproxMemoryBytes = t.sampledBytes * t.keys / t.sampled
		}
		st.Categories = append(st.Categories, cs)
		st.OtherKeys -= t.keys
		sampled += t.sampled
	}
	// Keys added or removed while scanning can make the difference negative.
	st.OtherKeys = max(st.OtherKeys, 0)
	st.MemoryNote = fmt.Sprintf("approximate: MEMORY USAGE (SAMPLES 0, or default sampling above %d elements) "+
		"of up to %d keys per category (%d measured), extrapolated to the category's key count",
		exactSampleLimit, c.sample, sampled)
	return st, nil
}

type keyInfo struct {
	key  string
	cat  retention.Category
	pttl *redis.DurationCmd
	typ  *redis.StatusCmd // only for keys picked for the memory sample
	size *redis.IntCmd
	mem  *redis.IntCmd
}

func (c *Collector) batch(ctx context.Context, keys []string, mu *sync.Mutex, tallies map[retention.Category]*tally) error {
	infos := make([]keyInfo, 0, len(keys))
	pipe := c.rdb.Pipeline()
	mu.Lock()
	for _, k := range keys {
		cat, ok := retention.Classify(k)
		if !ok {
			continue
		}
		ki := keyInfo{key: k, cat: cat, pttl: pipe.PTTL(ctx, k)}
		// SCAN returns keys in hash order, unrelated to their names or
		// age, so the first keys seen are as good a sample as any.
		if t := tallies[cat]; t.sampled < c.sample {
			t.sampled++ // reserved now, given back if the key vanished
			ki.typ = pipe.Type(ctx, k)
		}
		infos = append(infos, ki)
	}
	mu.Unlock()
	if len(infos) == 0 {
		return nil
	}
	if _, err := pipe.Exec(ctx); err != nil && !isReply(err) {
		return fmt.Errorf("read batch: %w", err)
	}

	// Sampled keys: their size first, so that big ones are not walked whole.
	sizes := c.rdb.Pipeline()
	for i := range infos {
		ki := &infos[i]
		if ki.typ == nil {
			continue
		}
		switch ki.typ.Val() {
		case "hash":
			ki.size = sizes.HLen(ctx, ki.key)
		case "zset":
			ki.size = sizes.ZCard(ctx, ki.key)
		case "set":
			ki.size = sizes.SCard(ctx, ki.key)
		case "list":
			ki.size = sizes.LLen(ctx, ki.key)
		}
	}
	if sizes.Len() > 0 {
		if _, err := sizes.Exec(ctx); err != nil && !isReply(err) {
			return fmt.Errorf("size batch: %w", err)
		}
	}
	mems := c.rdb.Pipeline()
	for i := range infos {
		ki := &infos[i]
		if ki.typ == nil || ki.typ.Val() == "none" {
			continue
		}
		if ki.size != nil && ki.size.Val() > exactSampleLimit {
			ki.mem = mems.MemoryUsage(ctx, ki.key)
		} else {
			ki.mem = mems.MemoryUsage(ctx, ki.key, 0)
		}
	}
	if mems.Len() > 0 {
		if _, err := mems.Exec(ctx); err != nil && !isReply(err) {
			return fmt.Errorf("memory batch: %w", err)
		}
	}

	mu.Lock()
	defer mu.Unlock()
	for i := range infos {
		ki := &infos[i]
		t := tallies[ki.cat]
		pttl, err := ki.pttl.Result()
		if err != nil || pttl == -2 {
			if ki.typ != nil {
				t.sampled--
			}
			continue
		}
		t.keys++
		if pttl == -1 {
			t.noTTL++
		}
		if ki.typ != nil {
			if n, err := memResult(ki.mem); err == nil {
				t.sampledBytes += n
			} else {
				t.sampled--
			}
		}
	}
	return nil
}

func memResult(cmd *redis.IntCmd) (int64, error) {
	if cmd == nil {
		return 0, errors.New("not measured")
	}
	return cmd.Result()
}

func usedMemory(info string) (int64, error) {
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "used_memory:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parse used_memory %q: %w", v, err)
			}
			return n, nil
		}
	}
	return 0, errors.New("INFO memory has no used_memory")
}

// isReply tells an error reply about one key from a transport failure.
func isReply(err error) bool {
	var rerr redis.Error
	return errors.As(err, &rerr)
}
