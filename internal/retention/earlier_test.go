package retention

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/earlierbot"
)

// The earlier Ash-Bot's value forms get their age read like ours: an
// opt-out's opted_out_at, a session metadata string's ended_at (else
// started_at); keys of a type we never write are left alone with an error
// naming the command that converts them.
func TestEarlierBotForms(t *testing.T) {
	f := newFixture(t)
	iso := func(ago time.Duration) string { return earlierbot.FormatTime(f.now.Add(-ago)) }
	f.set("ash:optout:1", earlierbot.EncodeOptOut("1", f.now.Add(-31*day), f.now.Add(-day)), 0)
	f.set("ash:optout:2", earlierbot.EncodeOptOut("2", f.now.Add(-10*day), f.now.Add(20*day)), 0)
	f.set("ash:session:meta:a1", fmt.Sprintf(`{"session_id": "a1", "user_id": 5, "started_at": %q, "status": "ended", "ended_at": %q}`, iso(40*day), iso(31*day)), 0)
	// Python's utcnow().isoformat(): no offset, meaning UTC.
	naive := f.now.Add(-5 * day).Format("2006-01-02T15:04:05.000000")
	f.set("ash:session:meta:b2", fmt.Sprintf(`{"session_id": "b2", "started_at": %q, "status": "active", "ended_at": null}`, naive), 0)
	f.rdb.ZAdd(f.ctx, "ash:metrics:alert:alert_abc", redis.Z{Score: float64(f.now.Unix()), Member: `{"alert_id": "alert_abc"}`})

	rep := f.run(f.cleaner(), false)

	f.wantGone("ash:optout:1", "ash:session:meta:a1")
	f.wantExpiry("ash:optout:2", f.now.Add(20*day))
	f.wantExpiry("ash:session:meta:b2", f.now.Add(25*day))
	if !f.exists("ash:metrics:alert:alert_abc") {
		t.Error("a key of the earlier form was removed")
	}
	got := rep.Categories[AlertMetrics]
	if got.Errors != 1 || len(got.ErrorSamples) != 1 || !strings.Contains(got.ErrorSamples[0], "ashbot migrate from-ash-bot") {
		t.Errorf("alert_metrics %+v: want one error naming the migrate command", got)
	}
}
