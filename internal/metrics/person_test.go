package metrics

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/events"
)

func personIDs(t *testing.T, f fixture, user string, limit int) ([]string, int) {
	t.Helper()
	pa, err := f.store.PersonAlerts(context.Background(), user, limit, alertTTL)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range pa.Alerts {
		if a.UserID != user {
			t.Errorf("alert %s of %s in %s's history", a.AlertID, a.UserID, user)
		}
		ids = append(ids, a.AlertID)
	}
	return ids, pa.Total
}

// alert_created indexes the alert under its person, newest first, with the
// alert retention; replays do not duplicate it, and other people's alerts
// stay out.
func TestPersonIndex(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	other := created("o1", "2026-01-08T10:00:00Z", events.Low)
	other.UserID = "555000222"
	f.must(t, Recorded,
		created("p1", "2026-01-05T10:00:00Z", events.High),
		created("p2", "2026-01-07T10:00:00Z", events.Critical),
		other,
		ev(events.Acknowledged, "p2", "2026-01-07T10:02:00Z", "888000111"),
	)
	f.must(t, Duplicate, created("p1", "2026-01-05T10:00:00Z", events.High))

	ids, total := personIDs(t, f, "555000111", 10)
	if strings.Join(ids, ",") != "p2,p1" || total != 2 {
		t.Fatalf("history %v (%d)", ids, total)
	}
	pa, _ := f.store.PersonAlerts(ctx, "555000111", 1, alertTTL)
	if len(pa.Alerts) != 1 || pa.Total != 2 || pa.Alerts[0].AcknowledgedBy != "888000111" || pa.Alerts[0].ExpiresAt == nil {
		t.Fatalf("page of one %+v", pa)
	}
	if ids, _ := personIDs(t, f, "555000222", 10); strings.Join(ids, ",") != "o1" {
		t.Errorf("other person's history %v", ids)
	}
	k := userKey("555000111")
	// The newest alert's retention, counted from its creation.
	want := ts("2026-01-07T10:00:00Z").Add(alertTTL).Sub(now)
	if ttl := f.rdb.PTTL(ctx, k).Val(); ttl <= want-time.Second || ttl > want {
		t.Errorf("index TTL %v, want %v", ttl, want)
	}

	// A record that expired, and an entry past retention, drop out.
	f.rdb.Del(ctx, alertKey("p1"))
	f.rdb.ZAdd(ctx, k, redis.Z{Score: float64(now.Add(-alertTTL - time.Hour).UnixMilli()), Member: "ancient"})
	if ids, total := personIDs(t, f, "555000111", 10); strings.Join(ids, ",") != "p2" || total != 1 {
		t.Fatalf("after expiry %v (%d)", ids, total)
	}
	if n := f.rdb.ZCard(ctx, k).Val(); n != 2 {
		t.Errorf("index holds %d entries, want p2 and the expired record's (past retention trimmed)", n)
	}
	if ids, total := personIDs(t, f, "555000999", 10); len(ids) != 0 || total != 0 {
		t.Errorf("stranger's history %v (%d)", ids, total)
	}
}
