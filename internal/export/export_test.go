package export

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
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

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run `go test ./internal/export -update` to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// The people of the fixture. crisisA has two alerts; crisisB, a CRT
// member, acknowledges an alert about themselves.
const (
	crisisA = "400000000000000007"
	crisisB = "400000000000000008"
	crt1    = "500000000000000001"
	crt2    = "500000000000000002"
)

var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// fixture records three alerts on March 2 and 3 and returns the store.
func fixture(t *testing.T) *metrics.Store {
	store, _ := fixtureRDB(t)
	return store
}

func fixtureRDB(t *testing.T) (*metrics.Store, *redis.Client) {
	t.Helper()
	rdb := srv.Fresh(t)
	clock := func() time.Time { return now }
	rec, err := metrics.NewRecorder(rdb, metrics.RecorderOptions{Enabled: true, AlertTTL: 90 * 24 * time.Hour, AggregateTTL: 365 * 24 * time.Hour, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	created := func(id, when, user, src string, sev events.Severity) events.Event {
		return events.Event{Type: events.AlertCreated, AlertID: id, At: at(when), AlertMessageID: "13000000000000000" + id[len(id)-2:],
			UserID: user, ChannelID: "900000000000000001", Severity: sev, Source: src}
	}
	by := func(typ events.Type, id, when, who string) events.Event {
		return events.Event{Type: typ, AlertID: id, At: at(when), By: who, Auto: who == events.AutoBy}
	}
	for _, e := range []events.Event{
		created("1200000000000000011", "2026-03-02T22:10:00Z", crisisA, events.SourceDetected, events.High),
		by(events.Acknowledged, "1200000000000000011", "2026-03-02T22:12:30Z", crt1),
		by(events.AshContacted, "1200000000000000011", "2026-03-02T22:13:00Z", events.AutoBy),
		{Type: events.SessionStarted, AlertID: "1200000000000000011", At: at("2026-03-02T22:13:05Z"), SessionID: "s-1"},
		{Type: events.SessionEnded, AlertID: "1200000000000000011", At: at("2026-03-02T22:25:05Z"), SessionID: "s-1", Reason: events.EndCompleted},
		by(events.FirstResponse, "1200000000000000011", "2026-03-02T22:20:00Z", crt2),
		by(events.Resolved, "1200000000000000011", "2026-03-02T23:40:00Z", crt1),
		created("1200000000000000012", "2026-03-03T09:00:00Z", crisisA, events.SourceFlagged, events.Medium),
		{Type: events.UserOptedOut, AlertID: "1200000000000000012", At: at("2026-03-03T09:05:00Z")},
		created("1200000000000000013", "2026-03-03T10:00:00Z", crisisB, "", events.Low),
		by(events.Acknowledged, "1200000000000000013", "2026-03-03T10:01:00Z", crisisB),
		by(events.FirstResponse, "1200000000000000013", "2026-03-03T10:03:00Z", crt2),
	} {
		if _, err := rec.Record(context.Background(), e); err != nil {
			t.Fatalf("record %s %s: %v", e.Type, e.AlertID, err)
		}
	}
	return metrics.NewStore(rdb, clock), rdb
}

func fixedPseudonyms(t *testing.T, b byte) Pseudonyms {
	p, err := NewPseudonyms(bytes.Repeat([]byte{b}, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func exportAll(t *testing.T, store *metrics.Store, format string, p Pseudonyms) (string, metrics.EachStats) {
	t.Helper()
	var b bytes.Buffer
	st, err := Alerts(context.Background(), store, &b, at("2026-03-01T00:00:00Z"), at("2026-03-04T00:00:00Z"), format, p)
	if err != nil {
		t.Fatal(err)
	}
	return sortedLines(b.String()), st
}

// sortedLines keeps a CSV header first and sorts the rest: within a day
// the order is Redis's.
func sortedLines(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	head := 0
	if strings.HasPrefix(lines[0], "alert,") {
		head = 1
	}
	body := lines[head:]
	for i := 1; i < len(body); i++ {
		for j := i; j > 0 && body[j] < body[j-1]; j-- {
			body[j], body[j-1] = body[j-1], body[j]
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestExportGolden(t *testing.T) {
	store := fixture(t)
	p := fixedPseudonyms(t, 7)
	for _, f := range Formats() {
		got, st := exportAll(t, store, f, p)
		golden(t, "alerts."+f, []byte(got))
		if st.Alerts != 3 || st.Expired != 0 {
			t.Errorf("%s: stats %+v", f, st)
		}
	}
	var b bytes.Buffer
	ast, err := Aggregates(context.Background(), store, &b, at("2026-03-01T00:00:00Z"), at("2026-03-04T00:00:00Z"))
	if err != nil || ast.Days != 4 || len(ast.Unreadable) != 0 {
		t.Fatalf("aggregates: %+v, %v", ast, err)
	}
	golden(t, "aggregates.csv", b.Bytes())
}

// The person in crisis is in no export under any id of theirs, nor under
// the ids that lead to them (the alert, its message); their pseudonym
// joins their two alerts within one export and changes with the key.
func TestNoCrisisUserInExports(t *testing.T) {
	store := fixture(t)
	p := fixedPseudonyms(t, 7)
	forbidden := []string{crisisA, crisisB, "1200000000000000011", "1200000000000000012", "1200000000000000013",
		"1300000000000000011", "900000000000000001", "s-1"}
	outputs := map[string]string{}
	for _, f := range Formats() {
		outputs[f], _ = exportAll(t, store, f, p)
	}
	var agg bytes.Buffer
	if _, err := Aggregates(context.Background(), store, &agg, at("2026-03-01T00:00:00Z"), at("2026-03-04T00:00:00Z")); err != nil {
		t.Fatal(err)
	}
	outputs["aggregates"] = agg.String()
	for name, out := range outputs {
		for _, id := range forbidden {
			if strings.Contains(out, id) {
				t.Errorf("%s export holds %s:\n%s", name, id, out)
			}
		}
	}

	jsonl, _ := exportAll(t, store, JSONL, p)
	var rows []Row
	for _, l := range strings.Split(strings.TrimSpace(jsonl), "\n") {
		var r Row
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	byPerson := map[string]int{}
	for _, r := range rows {
		byPerson[r.Person]++
	}
	a, b := p.Person(crisisA), p.Person(crisisB)
	if len(rows) != 3 || byPerson[a] != 2 || byPerson[b] != 1 || a == b {
		t.Errorf("pseudonyms %v (A %s, B %s)", byPerson, a, b)
	}
	for _, r := range rows {
		if r.Person == b && r.AcknowledgedBy != b {
			t.Errorf("a self-acknowledgment names %q, want the pseudonym %s", r.AcknowledgedBy, b)
		}
	}
	if other := fixedPseudonyms(t, 8); other.Person(crisisA) == a || other.Alert("1200000000000000011") == p.Alert("1200000000000000011") {
		t.Error("pseudonyms do not change with the key")
	}
	if p.Person("1200000000000000011") == p.Alert("1200000000000000011") {
		t.Error("a person and an alert with the same id share a pseudonym")
	}
	r1, err1 := RandomPseudonyms()
	r2, err2 := RandomPseudonyms()
	if err1 != nil || err2 != nil || r1.Person(crisisA) == r2.Person(crisisA) {
		t.Error("two exports share a key")
	}
	if _, err := NewPseudonyms([]byte("short")); err == nil {
		t.Error("a short key accepted")
	}
}

// Alerts whose records have expired are counted, not exported; the
// aggregates still hold them.
func TestExportCountsExpiredRecords(t *testing.T) {
	store, rdb := fixtureRDB(t)
	// Expire one record by hand, as retention would.
	if err := rdb.Del(context.Background(), "ash:metrics:alert:1200000000000000013").Err(); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	day := at("2026-03-03T00:00:00Z")
	st, err := Alerts(context.Background(), store, &b, day, day, CSV, fixedPseudonyms(t, 1))
	if err != nil || st.Alerts != 1 || st.Expired != 1 || strings.Count(b.String(), "\n") != 2 {
		t.Fatalf("stats %+v, %v:\n%s", st, err, b.String())
	}
	var agg bytes.Buffer
	if _, err := Aggregates(context.Background(), store, &agg, day, day); err != nil || !strings.Contains(agg.String(), "2026-03-03,true,2,") {
		t.Errorf("aggregates %v:\n%s", err, agg.String())
	}
}

func TestExportRejectsUnknownFormat(t *testing.T) {
	store := fixture(t)
	var b bytes.Buffer
	if _, err := Alerts(context.Background(), store, &b, now, now, "xlsx", fixedPseudonyms(t, 1)); err == nil || b.Len() != 0 {
		t.Errorf("xlsx: %v, %d bytes", err, b.Len())
	}
}

// A day key in the earlier Ash-Bot's form (a sorted set) does not stop an
// export: its row reads recorded false, and the key is named with what
// converts it. The alert export leaves it out the same way.
func TestExportSkipsKeysOfAnotherType(t *testing.T) {
	store, rdb := fixtureRDB(t)
	ctx := context.Background()
	if err := rdb.ZAdd(ctx, "ash:metrics:daily:2026-03-01", redis.Z{Score: 1, Member: "x"}).Err(); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	st, err := Aggregates(ctx, store, &b, at("2026-03-01T00:00:00Z"), at("2026-03-02T00:00:00Z"))
	if err != nil || st.Days != 2 || len(st.Unreadable) != 1 || !strings.Contains(st.Unreadable[0], "ashbot migrate from-ash-bot") ||
		!strings.Contains(b.String(), "\n2026-03-01,false,") || !strings.Contains(b.String(), "\n2026-03-02,true,1,") {
		t.Errorf("aggregates %+v, %v:\n%s", st, err, b.String())
	}
	b.Reset()
	ast, err := Alerts(ctx, store, &b, at("2026-03-01T00:00:00Z"), at("2026-03-02T00:00:00Z"), CSV, fixedPseudonyms(t, 1))
	if err != nil || ast.Alerts != 1 || len(ast.Unreadable) != 1 {
		t.Errorf("alerts %+v, %v", ast, err)
	}
}
