package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestCleanupDryRunThenRun(t *testing.T) {
	rdb := srv.Fresh(t)
	ctx := context.Background()
	run(t, nil, "", "events", "import", "testdata/mixed.jsonl")
	// An opt-out that lost its TTL, and a key that is not ashbot's.
	rdb.Set(ctx, "ash:optout:400000000000000001", now.UnixMilli(), 0)
	rdb.Set(ctx, "someone:else", "keep", 0)

	r := run(t, nil, "", "cleanup", "--dry-run", "--format", "json")
	if r.code != ExitOK {
		t.Fatalf("%+v", r)
	}
	if rdb.TTL(ctx, "ash:optout:400000000000000001").Val() >= 0 {
		t.Fatal("dry run changed a TTL")
	}
	var rep struct {
		DryRun bool `json:"dry_run"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || !rep.DryRun {
		t.Fatalf("report: %v %s", err, r.stdout)
	}

	r = run(t, nil, "", "cleanup")
	if r.code != ExitOK || !strings.Contains(r.stdout, "optouts") {
		t.Fatalf("%+v", r)
	}
	if ttl := rdb.TTL(ctx, "ash:optout:400000000000000001").Val(); ttl <= 0 {
		t.Fatalf("opt-out TTL not repaired: %v", ttl)
	}
	if rdb.Get(ctx, "someone:else").Val() != "keep" || rdb.TTL(ctx, "someone:else").Val() >= 0 {
		t.Fatal("cleanup touched a foreign key")
	}
}

func TestStorageStats(t *testing.T) {
	srv.Fresh(t)
	run(t, nil, "", "events", "import", "testdata/mixed.jsonl")
	r := run(t, nil, "", "storage", "--format", "json")
	if r.code != ExitOK {
		t.Fatalf("%+v", r)
	}
	if !strings.Contains(r.stdout, `"alert_metrics"`) || !strings.Contains(r.stdout, `"aggregates"`) {
		t.Fatalf("stats: %s", r.stdout)
	}
	r = run(t, map[string]string{"BOT_RETENTION_MESSAGE_HISTORY_DAYS": "3"}, "", "storage")
	if r.code != ExitOK || !strings.Contains(r.stdout, "total keys:") {
		t.Fatalf("%+v", r)
	}
	for _, want := range []string{"retention policies:", "ash:metrics:alert:*", "ash:history:*"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("storage lacks %q:\n%s", want, r.stdout)
		}
	}
	if !strings.Contains(r.stdout[strings.Index(r.stdout, "ash:history:*"):], "3 days") {
		t.Errorf("message history retention not shown as configured:\n%s", r.stdout)
	}
}
