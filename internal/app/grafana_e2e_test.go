package app

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/alphabetcartel/ashbot/internal/standin/anthropicsim"
)

// dashboardFile is the Grafana dashboard the README points operators at.
const dashboardFile = "../../deploy/grafana/ashbot.json"

// dashboard is what the test reads of Grafana's dashboard JSON model.
type dashboard struct {
	Title         string `json:"title"`
	UID           string `json:"uid"`
	SchemaVersion int    `json:"schemaVersion"`
	Templating    struct {
		List []struct {
			Name, Type, Query string
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		ID         int             `json:"id"`
		Type       string          `json:"type"`
		Title      string          `json:"title"`
		Datasource *dashDatasource `json:"datasource"`
		GridPos    struct{ H, W, X, Y int }
		Targets    []struct {
			RefID      string          `json:"refId"`
			Expr       string          `json:"expr"`
			Datasource *dashDatasource `json:"datasource"`
		} `json:"targets"`
	} `json:"panels"`
}

type dashDatasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// metricName finds the series a PromQL expression reads.
var metricName = regexp.MustCompile(`\b(?:ashbot|go|process)_[a-z0-9_]+`)

// Every series the Grafana dashboard queries is on the running bot's
// /metrics, and the dashboard is a well-formed Grafana model whose panels
// all read the Prometheus data source chosen in its variable. The bot runs
// with detection, Ash-NLP, a language model, escalation and the cleanup
// schedule configured, and classifies one message, so that the series
// that appear only then (the Ash-NLP latency histogram) are there too.
func TestGrafanaDashboardQueriesExistingMetrics(t *testing.T) {
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s is not JSON: %v", dashboardFile, err)
	}
	if d.Title == "" || d.UID == "" || d.SchemaVersion < 30 || len(d.Panels) == 0 {
		t.Fatalf("dashboard title %q uid %q schemaVersion %d, %d panels", d.Title, d.UID, d.SchemaVersion, len(d.Panels))
	}
	if len(d.Templating.List) != 1 || d.Templating.List[0].Name != "datasource" || d.Templating.List[0].Type != "datasource" ||
		d.Templating.List[0].Query != "prometheus" {
		t.Errorf("templating %+v: want one datasource variable for prometheus", d.Templating.List)
	}
	want := dashDatasource{Type: "prometheus", UID: "${datasource}"}
	names := map[string][]string{} // metric -> panels
	ids := map[int]bool{}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d twice", p.ID)
		}
		ids[p.ID] = true
		if p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
			t.Errorf("panel %q: grid %+v", p.Title, p.GridPos)
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || *p.Datasource != want || len(p.Targets) == 0 {
			t.Errorf("panel %q: datasource %v, %d targets", p.Title, p.Datasource, len(p.Targets))
		}
		for _, tg := range p.Targets {
			if tg.RefID == "" || tg.Datasource == nil || *tg.Datasource != want {
				t.Errorf("panel %q: target %+v", p.Title, tg)
			}
			found := metricName.FindAllString(tg.Expr, -1)
			if len(found) == 0 {
				t.Errorf("panel %q: %q reads no ashbot series", p.Title, tg.Expr)
			}
			for _, m := range found {
				names[m] = append(names[m], p.Title)
			}
		}
	}

	llm, err := anthropicsim.Start(anthropicsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(llm.Close)
	addr := freeAddr(t)
	h, nlp := newNLPHarness(t, withEnv("BOT_HTTP_ADDR", addr), withEnv("BOT_ASH_PROVIDER", "anthropic"),
		withEnv("BOT_ASH_API_KEY", llm.APIKey()), withEnv("BOT_ASH_BASE_URL", llm.URL()),
		// A schedule and the escalation have series only when they are
		// on (check-ins too); the harness switches them off.
		withEnv("BOT_RETENTION_ENABLED", "true"), withEnv("BOT_ESCALATION_MINUTES", "critical=5,high=15"),
		withEnv("BOT_FOLLOWUP_ENABLED", "true"))
	h.startBot()
	h.say(h.bob, "nice weather for the picnic today")
	h.waitFor("one message classified", func() bool { return len(nlp.Analyzed()) == 1 })

	var body string
	h.waitFor("the classification on /metrics", func() bool {
		_, body = getOps(t, addr, "/metrics")
		return strings.Contains(body, "ashbot_nlp_request_duration_seconds_bucket{")
	})
	exposed := map[string]bool{}
	for _, line := range strings.Split(body, "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		if i := strings.IndexAny(line, "{ "); i > 0 {
			exposed[line[:i]] = true
		}
	}
	var missing []string
	for m, panels := range names {
		if !exposed[m] {
			missing = append(missing, m+" (panels: "+strings.Join(slices.Compact(panels), ", ")+")")
		}
	}
	slices.Sort(missing)
	for _, m := range missing {
		t.Errorf("the dashboard queries %s, which the bot does not export", m)
	}
}
