package detection

import (
	"context"
	"sync"
)

// personQueue holds the messages waiting for a worker. A person's messages
// leave it one at a time, in order, so their history context is coherent;
// different people's messages are taken by whichever worker is free, so no
// one waits behind another person's classification.
type personQueue struct {
	mu     sync.Mutex
	more   *sync.Cond // an item became ready, or the queue closed
	space  *sync.Cond // an item left
	per    map[string][]item
	ready  []string        // people with waiting items and none in flight, oldest first
	busy   map[string]bool // people with an item in flight
	n, cap int
	closed bool
}

func newPersonQueue(capacity int) *personQueue {
	q := &personQueue{per: map[string][]item{}, busy: map[string]bool{}, cap: capacity}
	q.more, q.space = sync.NewCond(&q.mu), sync.NewCond(&q.mu)
	return q
}

// push adds it unless the queue is full or closed.
func (q *personQueue) push(it item) (ok, closed bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return false, true
	}
	if q.n >= q.cap {
		return false, false
	}
	q.addLocked(it)
	return true, false
}

// pushWait adds it, waiting for room; false when ctx ended or the queue closed.
func (q *personQueue) pushWait(ctx context.Context, it item) bool {
	stop := context.AfterFunc(ctx, func() {
		q.mu.Lock()
		q.space.Broadcast()
		q.mu.Unlock()
	})
	defer stop()
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.n >= q.cap && !q.closed && ctx.Err() == nil {
		q.space.Wait()
	}
	if q.closed || ctx.Err() != nil {
		return false
	}
	q.addLocked(it)
	return true
}

// waitBelow waits until at most n items wait; false when ctx ended or the
// queue closed.
func (q *personQueue) waitBelow(ctx context.Context, n int) bool {
	stop := context.AfterFunc(ctx, func() {
		q.mu.Lock()
		q.space.Broadcast()
		q.mu.Unlock()
	})
	defer stop()
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.n > n && !q.closed && ctx.Err() == nil {
		q.space.Wait()
	}
	return !q.closed && ctx.Err() == nil
}

func (q *personQueue) addLocked(it item) {
	u := it.msg.AuthorID
	q.per[u] = append(q.per[u], it)
	q.n++
	if !q.busy[u] && len(q.per[u]) == 1 {
		q.ready = append(q.ready, u)
		q.more.Signal()
	}
}

// pop takes the next ready message; its person stays busy until done.
// false once the queue is closed.
func (q *personQueue) pop() (item, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.ready) == 0 && !q.closed {
		q.more.Wait()
	}
	if q.closed {
		return item{}, false
	}
	u := q.ready[0]
	q.ready = q.ready[1:]
	it := q.per[u][0]
	if rest := q.per[u][1:]; len(rest) > 0 {
		q.per[u] = rest
	} else {
		delete(q.per, u)
	}
	q.busy[u] = true
	q.n--
	q.space.Broadcast()
	return it, true
}

// done releases a person after their message was handled.
func (q *personQueue) done(u string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.busy, u)
	if len(q.per[u]) > 0 {
		q.ready = append(q.ready, u)
		q.more.Signal()
	}
}

// close wakes every waiter; what is left stays unclassified.
func (q *personQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.more.Broadcast()
	q.space.Broadcast()
}

func (q *personQueue) depth() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}
