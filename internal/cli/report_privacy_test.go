package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
)

// A CRT member can be in crisis too. When the person an alert is about
// acknowledges or first-responds to it, their id appears in no format of
// the report; the acknowledgment itself still counts.
func TestPersonInCrisisNeverAResponder(t *testing.T) {
	srv.Fresh(t)
	const person, crt = "400000000000000007", "500000000000000001"
	lines := []string{
		`{"type":"alert_created","alert_id":"s1","at":"2026-11-18T22:10:00Z","alert_message_id":"1300000000000000011","user_id":"` + person + `","channel_id":"900000000000000001","severity":"high"}`,
		`{"type":"acknowledged","alert_id":"s1","at":"2026-11-18T22:11:00Z","by":"` + person + `"}`,
		`{"type":"first_response","alert_id":"s1","at":"2026-11-18T22:12:00Z","by":"` + person + `"}`,
		`{"type":"resolved","alert_id":"s1","at":"2026-11-18T22:13:00Z","by":"` + person + `"}`,
		`{"type":"alert_created","alert_id":"s2","at":"2026-11-19T10:00:00Z","alert_message_id":"1300000000000000012","user_id":"400000000000000008","channel_id":"900000000000000001","severity":"low"}`,
		`{"type":"acknowledged","alert_id":"s2","at":"2026-11-19T10:02:00Z","by":"` + person + `"}`,
		`{"type":"first_response","alert_id":"s2","at":"2026-11-19T10:03:00Z","by":"` + crt + `"}`,
	}
	in := strings.Join(lines, "\n") + "\n"
	if r := run(t, nil, in, "events", "import", "-"); r.code != ExitOK {
		t.Fatalf("import: %+v", r)
	}
	// A replay takes the duplicate path, which must decide the same way.
	if r := run(t, nil, in, "events", "import", "-"); r.code != ExitOK || !strings.HasPrefix(r.stdout, "recorded 0, duplicate 7") {
		t.Fatalf("replay: %+v", r)
	}

	r := run(t, nil, "", "report", "--end", "2026-11-20", "--format", "json")
	var s struct {
		Ack       struct{ Count int } `json:"time_to_acknowledge"`
		Responder []struct {
			UserID string `json:"user_id"`
			N      int    `json:"acknowledgments"`
		} `json:"top_responders"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	// On s2 the acknowledging member is not the one the alert is about.
	if s.Ack.Count != 2 || len(s.Responder) != 1 || s.Responder[0].UserID != person || s.Responder[0].N != 1 {
		t.Errorf("acknowledgments %d, responders %+v; want 2 and only %s for alert s2", s.Ack.Count, s.Responder, person)
	}

	// Only the self-acknowledgment: the person is nowhere in any format.
	srv.Fresh(t)
	if r := run(t, nil, strings.Join(lines[:4], "\n")+"\n", "events", "import", "-"); r.code != ExitOK {
		t.Fatalf("import: %+v", r)
	}
	for _, format := range []string{"json", "text", "markdown"} {
		r := run(t, nil, "", "report", "--end", "2026-11-20", "--format", format)
		if r.code != ExitOK {
			t.Fatalf("%s: %+v", format, r)
		}
		if strings.Contains(r.stdout, person) {
			t.Errorf("%s report names the person in crisis:\n%s", format, r.stdout)
		}
		if format == "json" {
			var s struct {
				Ack struct{ Count int } `json:"time_to_acknowledge"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &s); err != nil || s.Ack.Count != 1 {
				t.Errorf("the acknowledgment is not counted (%v):\n%s", err, r.stdout)
			}
		}
	}
	sim := discordsim.New(discordsim.Options{})
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	ch := sim.AddChannel("crt-reports")
	r = run(t, map[string]string{"BOT_DISCORD_TOKEN": sim.Token(), "BOT_DISCORD_API_URL": sim.URL(),
		"BOT_WEEKLY_REPORT_CHANNEL_ID": ch.String()}, "", "report", "post", "--end", "2026-11-20")
	msgs := sim.Messages(ch)
	if r.code != ExitOK || len(msgs) != 1 {
		t.Fatalf("post: %+v, %d messages", r, len(msgs))
	}
	b, err := json.Marshal(msgs[0])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), person) {
		t.Errorf("the posted report names the person in crisis: %s", b)
	}
	if !strings.Contains(string(b), "No CRT responders to list this week") {
		t.Errorf("the posted report lists a responder: %s", b)
	}
}
