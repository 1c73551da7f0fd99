package retention

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// ScanCount is the COUNT hint of every SCAN and HSCAN, and the most keys or
// fields one command touches: large enough to keep round trips few, small
// enough that no single command blocks Redis for long.
const ScanCount = 1000

// ForEachMaster calls fn once for every node that holds part of the
// keyspace: each master of a Redis Cluster (concurrently: fn must be safe
// for that), each shard of a Ring, or the one server (standalone or the
// Sentinel-managed master) behind any other client.
func ForEachMaster(ctx context.Context, rdb redis.UniversalClient, fn func(ctx context.Context, node redis.Cmdable) error) error {
	switch c := rdb.(type) {
	case *redis.ClusterClient:
		return c.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error { return fn(ctx, node) })
	case *redis.Ring:
		return c.ForEachShard(ctx, func(ctx context.Context, node *redis.Client) error { return fn(ctx, node) })
	default:
		return fn(ctx, rdb)
	}
}

// Walk streams the keys matching pattern to fn, one SCAN page (about
// ScanCount keys) at a time, over every master, so memory stays bounded
// whatever the size of the keyspace. The slice is only valid during the
// call. On a cluster fn runs concurrently for different masters. SCAN may
// return a key more than once; fn must tolerate that.
func Walk(ctx context.Context, rdb redis.UniversalClient, pattern string, fn func(ctx context.Context, keys []string) error) error {
	return ForEachMaster(ctx, rdb, func(ctx context.Context, node redis.Cmdable) error {
		var cursor uint64
		for {
			keys, next, err := node.Scan(ctx, cursor, pattern, ScanCount).Result()
			if err != nil {
				return fmt.Errorf("scan %s: %w", pattern, err)
			}
			if len(keys) > 0 {
				if err := fn(ctx, keys); err != nil {
					return err
				}
			}
			if next == 0 {
				return nil
			}
			cursor = next
		}
	})
}

// KeyCount returns the number of keys in the database, summed over masters.
func KeyCount(ctx context.Context, rdb redis.UniversalClient) (int64, error) {
	var total atomic.Int64
	err := ForEachMaster(ctx, rdb, func(ctx context.Context, node redis.Cmdable) error {
		n, err := node.DBSize(ctx).Result()
		if err != nil {
			return fmt.Errorf("dbsize: %w", err)
		}
		total.Add(n)
		return nil
	})
	return total.Load(), err
}
