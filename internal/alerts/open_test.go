package alerts

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func openIDs(t *testing.T, s *Store, limit int) ([]string, int) {
	t.Helper()
	o, err := s.Open(context.Background(), limit)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, st := range o.Alerts {
		ids = append(ids, st.AlertID)
	}
	return ids, o.Total
}

// An alert is open from its post until it is resolved, oldest first; an
// acknowledgment keeps it open and shows who.
func TestOpenIndex(t *testing.T) {
	s, rdb := newStore(t)
	ctx := context.Background()
	for i, id := range []string{"b", "a", "c"} {
		st := posted(id)
		st.CreatedAt = now.Add(-time.Duration(3-i) * time.Hour) // b oldest
		st.Source = SourceDetected
		if err := s.SaveCreated(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	if ids, total := openIDs(t, s, 10); strings.Join(ids, ",") != "b,a,c" || total != 3 {
		t.Fatalf("open %v (%d)", ids, total)
	}
	if ttl := rdb.PTTL(ctx, OpenKey).Val(); ttl <= 89*day || ttl > 90*day {
		t.Errorf("index TTL %v, want the alert retention", ttl)
	}
	if _, _, err := s.Claim(ctx, "a", ClaimAck, "777", now, nil); err != nil {
		t.Fatal(err)
	}
	o, err := s.Open(ctx, 10)
	if err != nil || len(o.Alerts) != 3 || o.Alerts[1].Ack.By != "777" || o.Alerts[1].Source != SourceDetected {
		t.Fatalf("after ack %+v %v", o, err)
	}
	if _, _, err := s.Claim(ctx, "b", ClaimResolve, "777", now, nil); err != nil {
		t.Fatal(err)
	}
	if ids, total := openIDs(t, s, 10); strings.Join(ids, ",") != "a,c" || total != 2 {
		t.Fatalf("after resolve %v (%d)", ids, total)
	}
	if ids, total := openIDs(t, s, 1); strings.Join(ids, ",") != "a" || total != 2 {
		t.Fatalf("page of one %v (%d)", ids, total)
	}
}

// Entries whose state is gone or resolved behind the index's back are
// dropped when read; entries past retention are trimmed.
func TestOpenIndexHeals(t *testing.T) {
	s, rdb := newStore(t)
	ctx := context.Background()
	for _, id := range []string{"gone", "done", "live"} {
		if err := s.SaveCreated(ctx, posted(id)); err != nil {
			t.Fatal(err)
		}
	}
	rdb.Del(ctx, StateKey("gone"))
	rdb.HSet(ctx, StateKey("done"), "res_by", "777", "res_at", now.UnixMilli())
	rdb.ZAdd(ctx, OpenKey, redis.Z{Score: float64(now.Add(-91 * day).UnixMilli()), Member: "ancient"})
	if ids, total := openIDs(t, s, 10); strings.Join(ids, ",") != "live" || total != 1 {
		t.Fatalf("open %v (%d)", ids, total)
	}
	if n := rdb.ZCard(ctx, OpenKey).Val(); n != 1 {
		t.Errorf("index holds %d entries after the read, want 1", n)
	}
}

// A click that rebuilds lost state puts the alert back in the index,
// unless the click resolved it.
func TestOpenIndexRestored(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	fb := posted("r1")
	if _, _, err := s.Claim(ctx, "r1", ClaimAck, "777", now, &fb); err != nil {
		t.Fatal(err)
	}
	fb2 := posted("r2")
	if _, _, err := s.Claim(ctx, "r2", ClaimResolve, "777", now, &fb2); err != nil {
		t.Fatal(err)
	}
	if ids, _ := openIDs(t, s, 10); strings.Join(ids, ",") != "r1" {
		t.Fatalf("open %v", ids)
	}
}

func TestNotes(t *testing.T) {
	s, rdb := newStore(t)
	ctx := context.Background()
	st := posted("n1")
	if err := s.SaveCreated(ctx, st); err != nil {
		t.Fatal(err)
	}
	if err := s.AddNote(ctx, st, Note{By: "777", At: now, Text: "  called them, they are safe at a friend's  "}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddNote(ctx, st, Note{By: "778", At: now.Add(time.Minute), Text: "follow up tomorrow"}); err != nil {
		t.Fatal(err)
	}
	notes, err := s.Notes(ctx, "n1")
	if err != nil || len(notes) != 2 || notes[0].Text != "called them, they are safe at a friend's" || notes[0].By != "777" ||
		!notes[0].At.Equal(now) || notes[1].By != "778" {
		t.Fatalf("notes %+v %v", notes, err)
	}
	// The notes expire with the alert's state.
	stateTTL, notesTTL := rdb.PTTL(ctx, StateKey("n1")).Val(), rdb.PTTL(ctx, NotesKey("n1")).Val()
	if d := stateTTL - notesTTL; d < -time.Second || d > time.Second {
		t.Errorf("notes TTL %v, state TTL %v", notesTTL, stateTTL)
	}

	for _, bad := range []string{"   ", strings.Repeat("é", MaxNoteRunes+1)} {
		if err := s.AddNote(ctx, st, Note{By: "777", At: now, Text: bad}); err == nil {
			t.Errorf("note of %d runes accepted", len([]rune(bad)))
		}
	}
	if err := s.AddNote(ctx, st, Note{By: "777", At: now, Text: strings.Repeat("é", MaxNoteRunes)}); err != nil {
		t.Errorf("note of exactly %d runes: %v", MaxNoteRunes, err)
	}
	for range MaxNotes - 3 {
		if err := s.AddNote(ctx, st, Note{By: "777", At: now, Text: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddNote(ctx, st, Note{By: "777", At: now, Text: "one too many"}); !errors.Is(err, ErrTooManyNotes) {
		t.Errorf("note past the limit: %v", err)
	}
	if n := rdb.LLen(ctx, NotesKey("n1")).Val(); n != MaxNotes {
		t.Errorf("%d notes stored, want %d", n, MaxNotes)
	}
}

// The backfill indexes posted, unresolved states from a SCAN page and
// skips everything else under ash:alert:.
func TestIndexOpen(t *testing.T) {
	s, rdb := newStore(t)
	ctx := context.Background()
	old := posted("old")
	old.CreatedAt = now.Add(-2 * time.Hour)
	// As a version without the index wrote them.
	for _, st := range []State{old, posted("done"), posted("ancient")} {
		rdb.HSet(ctx, StateKey(st.AlertID), createdFields(st)...)
	}
	rdb.HSet(ctx, StateKey("done"), "res_by", "777")
	rdb.HSet(ctx, StateKey("ancient"), fCreatedAt, now.Add(-91*day).UnixMilli())
	rdb.HSet(ctx, StateKey("claim"), fClaimedAt, now.UnixMilli()) // flagged, never posted
	rdb.Set(ctx, ThreadKey("666"), "old", 0)
	rdb.Set(ctx, FlagsKey("333"), 2, 0)
	if err := s.SaveCreated(ctx, posted("new")); err != nil {
		t.Fatal(err)
	}
	keys := rdb.Keys(ctx, KeyPrefix+"*").Val()
	n, err := s.IndexOpen(ctx, keys)
	if err != nil || n != 2 {
		t.Fatalf("indexed %d, %v (keys %v)", n, err, keys)
	}
	if ids, total := openIDs(t, s, 10); strings.Join(ids, ",") != "old,new" || total != 2 {
		t.Fatalf("open %v (%d)", ids, total)
	}
	if n := rdb.ZCard(ctx, OpenKey).Val(); n != 2 {
		t.Errorf("index holds %d entries", n)
	}
}
