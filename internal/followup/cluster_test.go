package followup

import (
	"context"
	"testing"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/redistest"
	"github.com/alphabetcartel/ashbot/internal/schedule/scheduletest"
)

// A check-in's whole life on a real three-node Redis Cluster: a script or
// command that needed two hash slots would fail with CROSSSLOT here.
func TestOnCluster(t *testing.T) {
	cl, err := redistest.StartCluster(3)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Stop()
	rdb := cl.Client()
	defer rdb.Close()
	clock := scheduletest.NewClock(now)
	f := newFixture(t, rdb, clock)
	f.chat(alert, user, 10*time.Minute, events.EndTimeout)
	clock.Advance(24 * time.Hour)
	f.poll()
	if f.events.count(events.FollowupSent) != 1 {
		t.Fatalf("check-in not sent on the cluster; stats %+v", f.c.Stats())
	}
	ok, err := f.c.Answer(context.Background(), f.ash, user, f.dm.to[len(f.dm.to)-1], snowflake.New(clock.Now()))
	if err != nil || !ok {
		t.Fatalf("answer on the cluster: %v %v", ok, err)
	}
	if _, err := CarryLast(context.Background(), rdb, "444444444444444444", clock.Now(), clock.Now()); err != nil {
		t.Fatal(err)
	}
}
