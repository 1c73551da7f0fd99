package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/events"
)

func jsonl(t *testing.T, es []events.Event) string {
	t.Helper()
	var b strings.Builder
	for _, e := range es {
		line, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

type rejection struct {
	line   int
	reason string
}

func importString(t *testing.T, f fixture, in string, opts ImportOptions) (ImportResult, []rejection) {
	t.Helper()
	var rej []rejection
	opts.OnReject = func(line int, reason string) { rej = append(rej, rejection{line, reason}) }
	res, err := Import(context.Background(), strings.NewReader(in), f.rec, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res, rej
}

// One import of a file gives the same stored state in any line order: an
// event for an alert (or a session) the file gives later is held and
// retried after the rest of the file.
func TestImportOfAnyOrderGivesOneResult(t *testing.T) {
	f := setup(t)
	week := weekEvents()
	res, rej := importString(t, f, jsonl(t, week), ImportOptions{})
	if res != (ImportResult{Recorded: len(week)}) || rej != nil {
		t.Fatalf("in order: %+v %v", res, rej)
	}
	want := dump(t, f.rdb)

	reversed := slices.Clone(week)
	slices.Reverse(reversed)
	orders := [][]events.Event{reversed}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5 {
		shuffled := slices.Clone(week)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		orders = append(orders, shuffled)
	}
	for i, order := range orders {
		f := setup(t)
		res, rej := importString(t, f, jsonl(t, order), ImportOptions{})
		if res != (ImportResult{Recorded: len(week)}) || rej != nil {
			t.Errorf("order %d: %+v, rejected %v", i, res, rej)
		}
		if got := dump(t, f.rdb); got != want {
			t.Errorf("order %d stored\n%s\nwant\n%s", i, got, want)
		}
	}
}

// Events whose alert never comes are rejected at the end with their own
// line numbers, and the number of events held at once is bounded; the
// first event of a kind in the file wins, held or not.
func TestImportHeldEventsAreBoundedAndReportedByLine(t *testing.T) {
	f := setup(t)
	in := jsonl(t, []events.Event{
		ev(events.Acknowledged, "a1", "2026-01-05T12:01:00Z", "111"),
		ev(events.Acknowledged, "ghost", "2026-01-05T12:01:00Z", "111"),
		ev(events.Resolved, "a1", "2026-01-05T12:09:00Z", "111"),
		created("a1", "2026-01-05T12:00:00Z", events.High),
		ev(events.Acknowledged, "a1", "2026-01-05T12:02:00Z", "222"),
	})
	res, rej := importString(t, f, in, ImportOptions{MaxHeld: 2})
	if res != (ImportResult{Recorded: 2, Duplicate: 1, Rejected: 2}) {
		t.Errorf("result %+v", res)
	}
	if a, err := f.store.Alert(context.Background(), "a1"); err != nil || a.AcknowledgedBy != "111" {
		t.Errorf("alert %+v %v", a, err)
	}
	want := []rejection{
		{3, "unknown alert (not retried: more than 2 events of this input wait for an earlier event)"},
		{2, "unknown alert"},
	}
	if !slices.Equal(rej, want) {
		t.Errorf("rejections %v, want %v", rej, want)
	}
}

// A line of 1 MiB or more is rejected with its number; the lines after it
// are imported.
func TestImportRejectsOverlongLineAndGoesOn(t *testing.T) {
	f := setup(t)
	in := jsonl(t, []events.Event{created("a1", "2026-01-05T12:00:00Z", events.High)}) +
		`{"type":"acknowledged","alert_id":"a1","at":"2026-01-05T12:01:00Z","by":"` + strings.Repeat("1", events.MaxLine) + "\"}\n" +
		jsonl(t, []events.Event{ev(events.Acknowledged, "a1", "2026-01-05T12:02:00Z", "222")})
	res, rej := importString(t, f, in, ImportOptions{})
	if res != (ImportResult{Recorded: 2, Rejected: 1}) || len(rej) != 1 || rej[0].line != 2 || !strings.Contains(rej[0].reason, "1 MiB") {
		t.Fatalf("%+v %v", res, rej)
	}
	if a, err := f.store.Alert(context.Background(), "a1"); err != nil || a.AcknowledgedBy != "222" {
		t.Fatalf("alert %+v %v", a, err)
	}
}

// A byte-order mark before the first line is not a rejection.
func TestImportSkipsByteOrderMark(t *testing.T) {
	f := setup(t)
	res, rej := importString(t, f, "\uFEFF"+jsonl(t, []events.Event{created("a1", "2026-01-05T12:00:00Z", events.High)}), ImportOptions{})
	if res != (ImportResult{Recorded: 1}) || rej != nil {
		t.Fatalf("%+v %v", res, rej)
	}
}

// filler yields n bytes of one character without holding them.
type filler struct {
	n int
	c byte
}

var fillBuf = make([]byte, 64<<10)

func (r *filler) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := min(len(p), r.n, len(fillBuf))
	for i := range k {
		p[i] = r.c
	}
	r.n -= k
	return k, nil
}

// --shift-to finds its shift in the first valid event as the import reads
// it: a 100 MB line before it costs no more memory than a line's limit.
func TestImportShiftToHoldsOneLine(t *testing.T) {
	f := setup(t)
	tail := jsonl(t, []events.Event{created("a1", "2026-01-05T12:00:00Z", events.High), ev(events.Acknowledged, "a1", "2026-01-05T12:01:00Z", "111")})
	var rej []rejection
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res, err := Import(context.Background(), io.MultiReader(&filler{100 << 20, 'x'}, strings.NewReader("\n"+tail)), f.rec, ImportOptions{
		ShiftTo:  time.Date(2026, 1, 8, 0, 0, 0, 0, time.UTC),
		OnReject: func(line int, reason string) { rej = append(rej, rejection{line, reason}) },
	})
	runtime.ReadMemStats(&after)
	if err != nil || res != (ImportResult{Recorded: 2, Rejected: 1}) || len(rej) != 1 || rej[0].line != 1 {
		t.Fatalf("%+v %v %v", res, rej, err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16*events.MaxLine {
		t.Errorf("allocated %d MB for a 100 MB line", grew>>20)
	}
	a, err := f.store.Alert(context.Background(), "a1")
	if err != nil || !a.CreatedAt.Equal(ts("2026-01-08T12:00:00Z")) {
		t.Fatalf("alert %+v %v", a, err)
	}
}

// cancelAfter ends ctx once n lines of its input have been read.
type cancelAfter struct {
	r      io.Reader
	lines  int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	// One byte at a time, so the cancellation lands on a known line.
	n, err := c.r.Read(p[:1])
	if n == 1 && p[0] == '\n' {
		if c.lines--; c.lines == 0 {
			c.cancel()
		}
	}
	return n, err
}

// A cancelled import stops at once, says where to resume, and importing
// the file again gives the state of one whole import.
func TestImportStopsOnCancelAndReimportFinishes(t *testing.T) {
	week := weekEvents()
	// The first acknowledgment waits for its alert, created on line 3.
	order := append([]events.Event{week[3], week[0], week[2], week[1]}, week[4:]...)
	in := jsonl(t, order)

	f := setup(t)
	if _, rej := importString(t, f, in, ImportOptions{}); rej != nil {
		t.Fatal(rej)
	}
	want := dump(t, f.rdb)

	for _, stopAfter := range []int{1, 3, 4, 10} {
		f := setup(t)
		ctx, cancel := context.WithCancel(context.Background())
		res, err := Import(ctx, &cancelAfter{strings.NewReader(in), stopAfter, cancel}, f.rec, ImportOptions{})
		cancel()
		var stop *StoppedError
		if !errors.As(err, &stop) || !errors.Is(err, context.Canceled) {
			t.Fatalf("after %d lines: err %v", stopAfter, err)
		}
		// The line whose reading ended ctx is not recorded; line 1 waits
		// for line 3, so until line 3 is stored nothing is settled.
		wantResume := stopAfter
		if stopAfter <= 3 {
			wantResume = 1
		}
		if stop.Resume != wantResume {
			t.Errorf("after %d lines: resume from %d, want %d", stopAfter, stop.Resume, wantResume)
		}
		if res.Recorded >= len(order) {
			t.Errorf("after %d lines: recorded %d: did not stop", stopAfter, res.Recorded)
		}
		// Resuming from the line it names finishes the job ...
		rest := strings.Join(strings.SplitAfter(in, "\n")[stop.Resume-1:], "")
		if _, rej := importString(t, f, rest, ImportOptions{}); rej != nil {
			t.Fatal(rej)
		}
		if got := dump(t, f.rdb); got != want {
			t.Errorf("after %d lines and a resume: stored\n%s\nwant\n%s", stopAfter, got, want)
		}
		// ... and so does importing the whole file again.
		again, rej := importString(t, f, in, ImportOptions{})
		if again != (ImportResult{Duplicate: len(order)}) || rej != nil || dump(t, f.rdb) != want {
			t.Errorf("after %d lines: reimport %+v %v", stopAfter, again, rej)
		}
	}
}

func TestImportStopsOnStorageFailure(t *testing.T) {
	f := setup(t)
	in := jsonl(t, weekEvents()[:4])
	// A READONLY replica, as an operator can meet it: every write fails.
	f.rdb.Do(context.Background(), "CONFIG", "SET", "min-replicas-to-write", "1")
	defer f.rdb.Do(context.Background(), "CONFIG", "SET", "min-replicas-to-write", "0")
	_, err := Import(context.Background(), strings.NewReader(in), f.rec, ImportOptions{})
	var stop *StoppedError
	if !errors.As(err, &stop) || stop.Resume != 1 || !strings.Contains(err.Error(), fmt.Sprintf("line %d", 1)) {
		t.Fatalf("err %v", err)
	}
}
