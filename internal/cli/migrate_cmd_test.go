package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// seedEarlier writes an earlier Ash-Bot alert (Phase 8 sorted sets) as its
// code does: one snapshot per write, scores in seconds.
func seedEarlier(t *testing.T, rdb *redis.Client) {
	t.Helper()
	ctx := context.Background()
	created := now.Add(-24 * time.Hour)
	iso := func(t time.Time) string { return t.Format("2006-01-02T15:04:05.000000") + "Z" }
	snap := fmt.Sprintf(`{"alert_id": "alert_aaaabbbbcccc", "alert_message_id": 7001, "user_id": 400000000000000001, "channel_id": 801, "severity": "high", "channel_sensitivity": 1.0, "alert_created_at": %q, "acknowledged_at": %q, "acknowledged_by": 111}`,
		iso(created), iso(created.Add(90*time.Second)))
	score := float64(created.Add(90 * time.Second).Unix())
	for key, member := range map[string]string{
		"ash:metrics:alert:alert_aaaabbbbcccc":              snap,
		"ash:metrics:alert_lookup:7001":                     "alert_aaaabbbbcccc",
		"ash:metrics:daily:" + created.Format("2006-01-02"): `{"date": "x", "total_alerts": 1}`,
	} {
		rdb.ZAdd(ctx, key, redis.Z{Score: score, Member: member})
		rdb.Expire(ctx, key, 90*24*time.Hour)
	}
}

func TestMigrateFromAshBot(t *testing.T) {
	seedEarlier(t, srv.Fresh(t))
	end := now.Format("2006-01-02")

	// Before: the earlier keys are named, with the command that fixes them.
	r := run(t, nil, "", "alert", "show", "--message", "7001")
	if r.code != ExitFailed || !strings.Contains(r.stderr, "ash:metrics:alert_lookup:7001") || !strings.Contains(r.stderr, "ashbot migrate from-ash-bot") {
		t.Errorf("alert show before migrating: %+v", r)
	}
	r = run(t, nil, "", "report", "--end", end)
	if r.code != ExitOK || !strings.Contains(r.stderr, "ashbot migrate from-ash-bot") {
		t.Errorf("report before migrating: exit %d, stderr %q", r.code, r.stderr)
	}

	r = run(t, nil, "", "migrate", "from-ash-bot", "--dry-run")
	if r.code != ExitOK || !strings.Contains(r.stdout, "dry run, nothing was changed") || !strings.Contains(r.stdout, "2  events to record") {
		t.Fatalf("dry run: %+v", r)
	}
	r = run(t, nil, "", "migrate", "from-ash-bot")
	if r.code != ExitOK || !strings.Contains(r.stdout, "2  events recorded") {
		t.Fatalf("migrate: %+v", r)
	}
	if strings.Contains(r.stdout, "400000000000000001") {
		t.Error("the person in crisis appears in the migration report")
	}

	r = run(t, nil, "", "alert", "show", "--message", "7001")
	if r.code != ExitOK || !strings.Contains(r.stdout, "alert_aaaabbbbcccc (high)") || !strings.Contains(r.stdout, "(+1m30s)  by 111") {
		t.Errorf("alert show after migrating: %+v", r)
	}
	r = run(t, nil, "", "report", "--end", end)
	if r.code != ExitOK || strings.Contains(r.stderr, "migrate") || !strings.Contains(r.stdout, "Total Alerts:           1") {
		t.Errorf("report after migrating: %+v", r)
	}
	if r := run(t, nil, "", "cleanup"); r.code != ExitOK {
		t.Errorf("cleanup after migrating: %+v", r)
	}
	if r := run(t, nil, "", "migrate", "from-ash-bot", "--format", "nope"); r.code != ExitUsage {
		t.Errorf("bad --format: exit %d", r.code)
	}
}
