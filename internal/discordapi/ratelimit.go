package discordapi

import (
	"context"
	"net/http"
	"sync"

	"github.com/disgoorg/disgo/rest"
)

// lockedRateLimiter serialises requests per rate-limit bucket before they
// reach disgo's limiter. disgo v0.18.15 already lets one request per bucket
// run at a time, but its WaitBucket reads the bucket's fields (for a debug
// log line) before taking the bucket's lock, while UnlockBucket writes them
// under it: a data race whenever two requests for one bucket overlap (two
// posts in one thread). Taking a lock of our own first orders them, at no
// cost in throughput.
type lockedRateLimiter struct {
	rest.RateLimiter

	mu    sync.Mutex
	locks map[string]*bucketLock
}

type bucketLock struct {
	ch    chan struct{} // a one-slot semaphore, so waiting can stop with ctx
	users int           // requests holding or waiting for it
}

func newLockedRateLimiter(inner rest.RateLimiter) *lockedRateLimiter {
	return &lockedRateLimiter{RateLimiter: inner, locks: map[string]*bucketLock{}}
}

// bucketKey is the key disgo's limiter files a request under.
func bucketKey(e *rest.CompiledEndpoint) string {
	return e.Endpoint.Method + "+" + e.Endpoint.Route + "+" + e.MajorParams
}

func (l *lockedRateLimiter) acquire(ctx context.Context, key string) error {
	l.mu.Lock()
	b := l.locks[key]
	if b == nil {
		b = &bucketLock{ch: make(chan struct{}, 1)}
		l.locks[key] = b
	}
	b.users++
	l.mu.Unlock()
	select {
	case b.ch <- struct{}{}:
		return nil
	case <-ctx.Done():
		l.release(key, false)
		return ctx.Err()
	}
}

// release frees key (when held) and forgets locks nobody uses, so the map
// does not grow with every channel ever posted to.
func (l *lockedRateLimiter) release(key string, held bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.locks[key]
	if held {
		<-b.ch
	}
	if b.users--; b.users == 0 {
		delete(l.locks, key)
	}
}

// Wait implements rest.RateLimiter.
func (l *lockedRateLimiter) Wait(ctx context.Context, e *rest.CompiledEndpoint) error {
	key := bucketKey(e)
	if err := l.acquire(ctx, key); err != nil {
		return err
	}
	if err := l.RateLimiter.Wait(ctx, e); err != nil {
		l.release(key, true)
		return err
	}
	return nil
}

// Unlock implements rest.RateLimiter.
func (l *lockedRateLimiter) Unlock(e *rest.CompiledEndpoint, rs *http.Response) error {
	defer l.release(bucketKey(e), true)
	return l.RateLimiter.Unlock(e, rs)
}
