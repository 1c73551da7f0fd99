package alerts

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/redistest"
)

// The open-alerts index and notes on a real three-node Redis Cluster: a
// command that needed two hash slots would fail with CROSSSLOT here.
func TestOpenAndNotesOnCluster(t *testing.T) {
	cl, err := redistest.StartCluster(3)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Stop()
	rdb := cl.Client()
	defer rdb.Close()
	s, err := NewStore(rdb, StoreOptions{TTL: 90 * day, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, id := range []string{"c1", "c2", "c3"} {
		if err := s.SaveCreated(ctx, posted(id)); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.Claim(ctx, "c2", ClaimResolve, "777", now, nil); err != nil {
		t.Fatal(err)
	}
	if n, err := s.IndexOpen(ctx, []string{StateKey("c1"), StateKey("c2"), StateKey("c3"), OpenKey}); err != nil || n != 2 {
		t.Fatalf("index open: %d %v", n, err)
	}
	if ids, total := openIDs(t, s, 10); len(ids) != 2 || total != 2 || strings.Contains(strings.Join(ids, ","), "c2") {
		t.Fatalf("open %v (%d)", ids, total)
	}
	st, err := s.Load(ctx, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddNote(ctx, st, Note{By: "777", At: now, Text: "on cluster"}); err != nil {
		t.Fatal(err)
	}
	if notes, err := s.Notes(ctx, "c1"); err != nil || len(notes) != 1 {
		t.Fatalf("notes %v %v", notes, err)
	}
}
