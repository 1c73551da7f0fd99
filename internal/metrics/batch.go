package metrics

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// batcher sends the commands of concurrent callers to Redis together, in
// shared pipelines. When sixteen CRT buttons, replicas or import workers
// record at once, Redis then reads and answers one batch instead of sixteen
// separate requests: that is where the recorder's throughput comes from. A
// lone caller is sent at once, so nothing waits for a batch to fill.
type batcher struct {
	rdb        redis.UniversalClient
	maxWorkers int // pipelines in flight at once
	maxBatch   int // commands' owners per pipeline

	mu      sync.Mutex
	pending []*call
	workers int
}

type call struct {
	ctx  context.Context
	add  func(redis.Pipeliner)
	done chan struct{}
}

func newBatcher(rdb redis.UniversalClient) *batcher {
	// Two pipelines in flight keep Redis busy while the other's replies
	// are read; more split the same traffic into smaller batches (measured:
	// docs/benchmarks.md).
	return &batcher{rdb: rdb, maxWorkers: 2, maxBatch: 256}
}

// run queues the commands that add puts on a pipeline, and returns once
// they have been executed, or when ctx ends first (the commands may then
// still run: every recorder command is idempotent). Each command carries its
// own result and error.
func (b *batcher) run(ctx context.Context, add func(redis.Pipeliner)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := &call{ctx: ctx, add: add, done: make(chan struct{})}
	b.mu.Lock()
	b.pending = append(b.pending, c)
	if b.workers < b.maxWorkers {
		// Flush on this goroutine: a lone caller pays no hand-off.
		b.workers++
		b.mu.Unlock()
		b.flush(c)
		return nil
	}
	b.mu.Unlock()
	select {
	case <-c.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// flush sends batches until nothing is pending. A caller flushing for
// itself (own != nil) hands the rest to a goroutine once its own call is
// done, so it never waits on other callers' traffic; that goroutine exits
// when the queue is empty, so an idle recorder holds no goroutines and
// needs no Close.
func (b *batcher) flush(own *call) {
	for {
		b.mu.Lock()
		if own != nil && isClosed(own.done) && len(b.pending) > 0 {
			b.mu.Unlock()
			go b.flush(nil)
			return
		}
		n := min(len(b.pending), b.maxBatch)
		if n == 0 {
			b.workers--
			b.mu.Unlock()
			if own != nil {
				<-own.done // another flusher took our call
			}
			return
		}
		batch := b.pending[:n:n]
		b.pending = b.pending[n:]
		b.mu.Unlock()

		pipe := b.rdb.Pipeline()
		for _, c := range batch {
			c.add(pipe)
		}
		// Errors are recorded on each command (on every command when the
		// connection fails), and each caller reads its own.
		ctx, stop := batchContext(batch)
		_, _ = pipe.Exec(ctx)
		stop()
		for _, c := range batch {
			close(c.done)
		}
		// Let the callers just woken queue their next commands, so the
		// next batch carries them instead of leaving on its own.
		runtime.Gosched()
	}
}

// batchContext ends once every caller of a batch has given up (their
// contexts all ended), so an interrupted import does not wait for its
// pipeline, and a batch stays alive while any caller still waits for it.
func batchContext(batch []*call) (context.Context, func()) {
	for _, c := range batch {
		if c.ctx.Done() == nil {
			// This caller never gives up: neither does the batch.
			return context.Background(), func() {}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	left := atomic.Int32{}
	left.Store(int32(len(batch)))
	stops := make([]func() bool, len(batch))
	for i, c := range batch {
		stops[i] = context.AfterFunc(c.ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, s := range stops {
			s()
		}
		cancel()
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// eval runs a script through the batcher, with the commands extra adds (if
// any) in the same pipeline. EVALSHA cannot load a missing script inside a
// pipeline, so the first call after a Redis restart or SCRIPT FLUSH falls
// back to a direct call of the script alone, which loads it.
func (b *batcher) eval(ctx context.Context, s *redis.Script, keys []string, args []any, extra func(redis.Pipeliner)) *redis.Cmd {
	var cmd *redis.Cmd
	if err := b.run(ctx, func(p redis.Pipeliner) {
		cmd = p.EvalSha(ctx, s.Hash(), keys, args...)
		if extra != nil {
			extra(p)
		}
	}); err != nil {
		failed := redis.NewCmd(ctx)
		failed.SetErr(err)
		return failed
	}
	if isNoScript(cmd.Err()) {
		return s.Run(ctx, b.rdb, keys, args...)
	}
	return cmd
}

func isNoScript(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT")
}
