package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/redistest"
)

var srv *redistest.Server

func TestMain(m *testing.M) { os.Exit(redistest.Main(m, &srv)) }

var now = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func created(id string, at time.Time) events.Event {
	return events.Event{Type: events.AlertCreated, AlertID: id, At: at, AlertMessageID: "1300000000000000001",
		UserID: "400000000000000001", ChannelID: "900000000000000001", Severity: events.High}
}

func ack(id string, at time.Time) events.Event {
	return events.Event{Type: events.Acknowledged, AlertID: id, At: at, By: "111"}
}

// instant makes backoff waits return at once, so tests never sleep.
func instant(time.Duration) <-chan time.Time {
	c := make(chan time.Time, 1)
	c <- time.Time{}
	return c
}

func recorder(t *testing.T, rdb redis.UniversalClient) *metrics.Recorder {
	t.Helper()
	rec, err := metrics.NewRecorder(rdb, metrics.RecorderOptions{Enabled: true, AlertTTL: 90 * 24 * time.Hour,
		AggregateTTL: 365 * 24 * time.Hour, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// Redis goes away while an alert's events are added: Add never blocks, and
// the events are recorded, in order, once Redis is back.
func TestEventsWaitOutAnOutage(t *testing.T) {
	direct := srv.Fresh(t)
	proxy, err := redistest.NewProxy(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	rdb := redis.NewClient(&redis.Options{Addr: proxy.Addr, DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	waits := make(chan time.Duration, 100)
	ob, err := New(recorder(t, rdb), Options{After: func(d time.Duration) <-chan time.Time {
		waits <- d
		if len(waits) == 3 {
			proxy.Up() // Redis comes back after the third failure
		}
		return instant(d)
	}})
	if err != nil {
		t.Fatal(err)
	}
	proxy.Down()
	start := time.Now()
	ob.Add(created("a1", now.Add(-time.Hour)))
	ob.Add(ack("a1", now.Add(-59*time.Minute)))
	if d := time.Since(start); d > 50*time.Millisecond {
		t.Fatalf("Add blocked for %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ob.Run(ctx); close(done) }()
	dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer dcancel()
	if err := ob.Drain(dctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	st := ob.Stats()
	if st.Delivered != 2 || st.Retries < 3 || st.Pending != 0 {
		t.Fatalf("stats = %+v", st)
	}
	if got := direct.HGet(context.Background(), "ash:metrics:alert:a1", "ack").Val(); got != "60000" {
		t.Fatalf("ack offset = %q; the events were not recorded in order", got)
	}
	// Backoff doubles.
	close(waits)
	var prev time.Duration
	for d := range waits {
		if prev != 0 && d != min(prev*2, 30*time.Second) {
			t.Fatalf("backoff %v after %v", d, prev)
		}
		prev = d
	}
}

// Events still undelivered at shutdown survive in the spool file and are
// recorded by the next run.
func TestSpoolSurvivesRestart(t *testing.T) {
	direct := srv.Fresh(t)
	spool := filepath.Join(t.TempDir(), "outbox.jsonl")
	down := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 50 * time.Millisecond, MaxRetries: -1})
	defer down.Close()

	first, err := New(recorder(t, down), Options{SpoolPath: spool, After: instant})
	if err != nil {
		t.Fatal(err)
	}
	first.Add(created("a1", now.Add(-time.Hour)))
	first.Add(ack("a1", now.Add(-59*time.Minute)))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	first.Run(ctx) // Redis is down: nothing is delivered before the deadline
	cancel()
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}

	second, err := New(recorder(t, direct), Options{SpoolPath: spool, After: instant})
	if err != nil {
		t.Fatal(err)
	}
	if second.Stats().Pending != 2 {
		t.Fatalf("loaded %d events from the spool", second.Stats().Pending)
	}
	ctx, cancel = context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { second.Run(ctx); close(done) }()
	dctx, dcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer dcancel()
	if err := second.Drain(dctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	if err := second.Close(); err != nil {
		t.Fatal(err)
	}
	if second.Stats().Delivered != 2 || direct.Exists(context.Background(), "ash:metrics:alert:a1").Val() != 1 {
		t.Fatalf("stats %+v", second.Stats())
	}
	for _, p := range []string{spool, spool + ".inflight"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s left behind (%v)", p, err)
		}
	}
}

func TestRejectedEventsAreSkipped(t *testing.T) {
	rdb := srv.Fresh(t)
	ob, _ := New(recorder(t, rdb), Options{After: instant})
	ob.Add(ack("ghost", now)) // no such alert
	ob.Add(created("a1", now.Add(-time.Minute)))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ob.Run(ctx); close(done) }()
	dctx, dcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer dcancel()
	if err := ob.Drain(dctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	if st := ob.Stats(); st.Rejected != 1 || st.Delivered != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestFullQueueWithoutSpoolDropsAndCounts(t *testing.T) {
	ob, _ := New(recorder(t, srv.Fresh(t)), Options{Capacity: 2, After: instant})
	for i := range 3 {
		ob.Add(created("a"+string(rune('1'+i)), now))
	}
	if st := ob.Stats(); st.Dropped != 1 || st.Pending != 2 {
		t.Fatalf("stats %+v", st)
	}
	if err := ob.Close(); err == nil {
		t.Fatal("Close without a spool did not report lost events")
	}
}

// A spool line that is too long or not an event (a crash can cut the last
// one short) is skipped and logged by its number, without its content, and
// the other events are delivered.
func TestBadSpoolLinesAreSkipped(t *testing.T) {
	rdb := srv.Fresh(t)
	spool := filepath.Join(t.TempDir(), "outbox.jsonl")
	line := func(ev events.Event) string {
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		return string(b) + "\n"
	}
	// The person's id in the damaged lines must not reach the log.
	const person = "400000000000000099"
	content := line(created("a1", now.Add(-time.Hour))) +
		`{"type":"acknowledged","alert_id":"a1","at":"2026-11-20T11:01:00Z","by":"` + person + strings.Repeat("9", events.MaxLine) + "\"}\n" +
		`{"type":"alert_created","alert_id":"a2","user_id":"` + person + "x\"}\n" +
		line(ack("a1", now.Add(-59*time.Minute))) +
		`{"type":"resolved","alert_id":"a1","at":"2026-11-20T11:` // cut short by a crash
	if err := os.WriteFile(spool, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	ob, err := New(recorder(t, rdb), Options{SpoolPath: spool, After: instant, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if n := ob.Stats().Pending; n != 2 {
		t.Fatalf("loaded %d events, want 2", n)
	}
	for _, want := range []string{
		`msg="outbox: spool line skipped" spool=` + spool + ` line=2 reason="1 MiB or longer"`,
		`line=3 reason="not a valid event"`,
		`line=5 reason="not a valid event"`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	if strings.Contains(logs.String(), person) || strings.Contains(logs.String(), "resolved") {
		t.Errorf("log shows a spool line's content:\n%s", logs.String())
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ob.Run(ctx); close(done) }()
	dctx, dcancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer dcancel()
	if err := ob.Drain(dctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	<-done
	if st := ob.Stats(); st.Delivered != 2 || rdb.HGet(context.Background(), "ash:metrics:alert:a1", "ack_by").Val() != "111" {
		t.Fatalf("stats %+v", st)
	}
}
