package metrics

import (
	"context"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/redistest"
)

// The recorder and the weekly summary on a real three-node Redis Cluster:
// any operation that needed two hash slots would fail with CROSSSLOT here.
func TestRecorderAndWeeklyOnCluster(t *testing.T) {
	cl, err := redistest.StartCluster(3)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Stop()
	rdb := cl.Client()
	defer rdb.Close()
	rec, err := NewRecorder(rdb, RecorderOptions{Enabled: true, AlertTTL: alertTTL, AggregateTTL: aggTTL, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{rec: rec, store: NewStore(rdb, func() time.Time { return now })}
	// The same events as TestWeeklySummary, through the cluster client.
	f.mustAll(t, weekEvents())
	s, err := f.store.Weekly(context.Background(), ts("2026-01-07T15:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, contract(t, s), wantWeek)
	a, err := f.store.AlertByMessage(context.Background(), weekEvents()[2].AlertMessageID)
	if err != nil || a.AlertID != "a1" {
		t.Fatalf("alert by message on cluster: %v %v", a, err)
	}
	pa, err := f.store.PersonAlerts(context.Background(), a.UserID, 100, alertTTL)
	if err != nil || pa.Total == 0 || pa.Total != len(pa.Alerts) {
		t.Fatalf("person's alerts on cluster: %+v %v", pa, err)
	}
}
