package report

import (
	"bytes"
	"encoding/json"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/metrics"
)

func i64(v int64) *int64 { return &v }

// planCoverage spreads planWeek's 12 alerts over the week in
// Europe/London: most cells with a median, one not acknowledged, one whose
// records have expired.
func planCoverage() *metrics.Coverage {
	c := metrics.NewCoverage(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 7, 0, 0, 0, 0, time.UTC), mustZone("Europe/London"))
	set := func(row, hour int, alerts, acked int64, p50 *int64, complete bool) {
		c.Days[row].Hours[hour] = metrics.CoverageCell{Hour: hour, Alerts: alerts, Acknowledged: acked, AckP50Seconds: p50, Complete: complete}
	}
	set(0, 9, 1, 1, i64(95), true)    // Monday
	set(1, 22, 3, 3, i64(1500), true) // Tuesday night, slow
	set(2, 14, 2, 2, i64(140), true)
	set(3, 3, 1, 0, nil, true) // nobody acknowledged
	set(3, 4, 2, 0, nil, false)
	set(5, 22, 2, 2, i64(400), true)
	set(6, 0, 1, 1, i64(3700), true)
	return c
}

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// weeksTrend is 12 weeks ending with planWeek: the oldest two past the
// aggregate retention, two more with expired alert records, one without
// an acknowledgment.
func weeksTrend() *metrics.Trend {
	starts, ends, err := metrics.TrendRanges(time.Date(2026, 1, 7, 0, 0, 0, 0, time.UTC), metrics.TrendWeeks)
	if err != nil {
		panic(err)
	}
	tr := &metrics.Trend{Unit: metrics.TrendWeeks}
	volumes := []int64{0, 0, 7, 9, 4, 11, 8, 0, 6, 10, 9, 12}
	medians := []int64{0, 0, 0, 0, 420, 300, 250, 0, 200, 190, 170, 150}
	for i := range starts {
		p := metrics.TrendPoint{StartDate: starts[i].Format(time.DateOnly), EndDate: ends[i].Format(time.DateOnly)}
		if i >= 2 {
			p.Alerts = i64(volumes[i])
			p.Acknowledged = volumes[i] - 1
		}
		if medians[i] > 0 {
			p.AckP50Seconds, p.Records = i64(medians[i]), p.Acknowledged
		}
		if i == 7 {
			p.Acknowledged = 0
		}
		tr.Points = append(tr.Points, p)
	}
	return tr
}

func monthsTrend() *metrics.Trend {
	starts, ends, err := metrics.TrendRanges(time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC), metrics.TrendMonths)
	if err != nil {
		panic(err)
	}
	tr := &metrics.Trend{Unit: metrics.TrendMonths}
	for i := range starts {
		p := metrics.TrendPoint{StartDate: starts[i].Format(time.DateOnly), EndDate: ends[i].Format(time.DateOnly),
			Alerts: i64(int64(30 + 3*i)), Acknowledged: int64(28 + 3*i)}
		if i >= 9 { // records live 90 days: the last three months only
			p.AckP50Seconds, p.Records = i64(int64(400-40*(i-9))), p.Acknowledged
		}
		tr.Points = append(tr.Points, p)
	}
	return tr
}

func withExtras(r Report, tr *metrics.Trend, target *float64, c *metrics.Coverage) Report {
	if tr != nil {
		r.Trends = &Trends{Trend: tr, AckTargetSeconds: target}
	}
	r.Coverage = c
	return r
}

func TestExtrasGolden(t *testing.T) {
	five := 300.0
	cases := []struct {
		name string
		r    Report
	}{
		{"trends-weeks", withExtras(Build(planWeek(), previousWeek(), Options{}), weeksTrend(), &five, planCoverage())},
		{"trends-months", withExtras(Build(planWeek(), nil, Options{}), monthsTrend(), nil, planCoverage())},
		{"coverage-empty", withExtras(Build(emptyWeek(), nil, Options{}), nil, nil,
			metrics.NewCoverage(time.Date(2026, 1, 8, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 14, 0, 0, 0, 0, time.UTC), time.UTC))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			golden(t, c.name+".md", []byte(Markdown(c.r)))
			js, err := JSON(c.r)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, c.name+".json", js)
			heat, err := HeatmapPNG(c.r)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, c.name+".heatmap.png", heat)
			checkSize(t, heat, HeatmapWidth, HeatmapHeight)
			if c.r.Trends != nil {
				img, err := PNG(c.r)
				if err != nil {
					t.Fatal(err)
				}
				golden(t, c.name+".png", img)
				checkSize(t, img, ChartWidth, ChartHeight+TrendHeight)
			}
		})
	}
}

func checkSize(t *testing.T, b []byte, w, h int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if got := img.Bounds().Size(); got.X != w || got.Y != h {
		t.Errorf("image is %v, want %dx%d", got, w, h)
	}
}

// The coverage table tells the three kinds of empty median apart, and
// leaves quiet hours out.
func TestCoverageMarkdown(t *testing.T) {
	md := Markdown(withExtras(Build(planWeek(), nil, Options{}), nil, nil, planCoverage()))
	for _, want := range []string{
		"## 🕒 Coverage by Hour (Europe/London)",
		"| 10 PM - 11 PM | – | 3 (25m 00s) | – | – | – | 2 (6m 40s) | – |",
		"| 3 AM - 4 AM | – | – | – | 1 (not acknowledged) | – | – | – |",
		"| 4 AM - 5 AM | – | – | – | 2 (n/a) | – | – | – |",
		"_n/a: some of the hour's alert records",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "| 5 AM - 6 AM |") {
		t.Error("an hour without alerts has a row")
	}
}

// Without extras the JSON is as before; with them, coverage and trend
// are added and every other field stays as it was.
func TestJSONExtras(t *testing.T) {
	plain, err := JSON(Build(planWeek(), nil, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	full, err := JSON(withExtras(Build(planWeek(), nil, Options{}), weeksTrend(), nil, planCoverage()))
	if err != nil {
		t.Fatal(err)
	}
	var p, f map[string]json.RawMessage
	if err := json.Unmarshal(plain, &p); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(full, &f); err != nil {
		t.Fatal(err)
	}
	if _, ok := p["coverage"]; ok {
		t.Error("coverage without extras")
	}
	if _, ok := p["trend"]; ok {
		t.Error("trend without extras")
	}
	for k, v := range p {
		if !bytes.Equal(compact(t, v), compact(t, f[k])) {
			t.Errorf("%s changed with extras", k)
		}
	}
	if len(f) != len(p)+2 {
		t.Errorf("extras added %d fields, want 2", len(f)-len(p))
	}
	var got struct {
		TotalAlerts int64             `json:"total_alerts"`
		Coverage    *metrics.Coverage `json:"coverage"`
		Trend       *metrics.Trend    `json:"trend"`
	}
	if err := json.Unmarshal(full, &got); err != nil {
		t.Fatal(err)
	}
	if got.TotalAlerts != 12 || got.Coverage == nil || got.Coverage.Days[1].Hours[22].Alerts != 3 || got.Trend == nil ||
		len(got.Trend.Points) != 12 || got.Trend.Points[0].Alerts != nil || *got.Trend.Points[11].AckP50Seconds != 150 {
		t.Errorf("JSON with extras: %s", full)
	}
	if !bytes.HasPrefix(full, plain[:bytes.Index(plain, []byte(`"period"`))]) {
		t.Error("the summary's fields moved")
	}
}

func compact(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// A trend whose every median has expired says so instead of drawing an
// axis of zeros, and still renders.
func TestTrendPanelAllMediansExpired(t *testing.T) {
	tr := monthsTrend()
	for i := range tr.Points {
		tr.Points[i].AckP50Seconds = nil
	}
	img, err := PNG(withExtras(Build(planWeek(), nil, Options{}), tr, nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	checkSize(t, img, ChartWidth, ChartHeight+TrendHeight)
}
