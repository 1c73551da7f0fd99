package metrics

import (
	"context"
	"testing"
)

// A shared pipeline ends only once every caller waiting for it gave up,
// and never for a caller that cannot give up.
func TestBatchContextEndsWhenAllCallersGaveUp(t *testing.T) {
	ctx1, cancel1 := context.WithCancel(context.Background())
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	ctx, stop := batchContext([]*call{{ctx: ctx1}, {ctx: ctx2}})
	defer stop()
	cancel1()
	if ctx.Err() != nil {
		t.Fatal("batch ended while a caller still waits")
	}
	cancel2()
	<-ctx.Done() // AfterFunc runs on its own goroutine

	forever, stopForever := batchContext([]*call{{ctx: context.Background()}, {ctx: ctx1}})
	defer stopForever()
	if forever.Done() != nil {
		t.Fatal("a batch with a caller that never gives up can end")
	}
}

// A caller whose context has already ended sends nothing.
func TestBatcherRefusesEndedContext(t *testing.T) {
	f := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.rec.Record(ctx, created("a1", "2026-01-05T12:00:00Z", "high")); err == nil {
		t.Fatal("recorded with an ended context")
	}
	if n := f.rdb.DBSize(context.Background()).Val(); n != 0 {
		t.Fatalf("%d keys written", n)
	}
}
