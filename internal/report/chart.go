package report

import (
	"fmt"
	"math"
	"time"

	"github.com/go-analyze/charts"
)

// Chart geometry. Discord shows embed images scaled to the embed's width,
// so a wide image keeps the day labels legible in a phone's Discord client.
const (
	ChartWidth  = 1200
	ChartHeight = 600
	// ChartFile is the attachment name the Discord message refers to.
	ChartFile = "weekly-report.png"

	chartSplit = 700 // x where the response-time panel starts
)

// palette holds the chart's colours. It is a function rather than package
// variables so nothing can repaint another caller's chart.
type palette struct {
	severities         []charts.Color // critical, high, medium, low
	thisWeek, lastWeek charts.Color
	text               charts.Color
	target             charts.Color // the trend panel's target line
}

func chartPalette() palette {
	return palette{
		// The severity colours match the emoji of the text report
		// (🔴 🟠 🟡 🟢), so the chart and the text read the same.
		severities: []charts.Color{
			charts.ColorRGB(0xDD, 0x2E, 0x44),
			charts.ColorRGB(0xF4, 0x90, 0x0C),
			charts.ColorRGB(0xFD, 0xCB, 0x58),
			charts.ColorRGB(0x78, 0xB1, 0x59),
		},
		thisWeek: charts.ColorRGB(0x7B, 0x4F, 0xBF),
		lastWeek: charts.ColorRGB(0xB8, 0xB8, 0xC8),
		text:     charts.ColorRGB(0x33, 0x33, 0x33),
		target:   charts.ColorRGB(0xDD, 0x2E, 0x44),
	}
}

// panelTitle is a left-aligned title with a smaller subtitle.
func panelTitle(pal palette, text, sub string) charts.TitleOption {
	return charts.TitleOption{
		Text:             text,
		Subtext:          sub,
		Offset:           charts.OffsetLeft,
		FontStyle:        charts.FontStyle{FontSize: 18, FontColor: pal.text},
		SubtextFontStyle: charts.FontStyle{FontSize: 13, FontColor: pal.text},
	}
}

// bottomLegend keeps legends clear of the titles, which can be long.
func bottomLegend(names ...string) charts.LegendOption {
	return charts.LegendOption{SeriesNames: names, Offset: charts.OffsetStr{Left: charts.PositionCenter, Top: charts.PositionBottom}}
}

// PNG draws the week as a chart: alerts per day stacked by severity on the
// left, the median time to each response on the right (beside last week's
// when there is one), and, when the report has trends, the trend panel
// below them (TrendHeight taller). The same report always gives the same bytes: the
// chart library draws with its embedded font and no clock, and PNG
// encoding is deterministic, which the golden test relies on.
func PNG(r Report) ([]byte, error) {
	theme := charts.GetTheme(charts.ThemeLight)
	height := ChartHeight
	if r.Trends != nil && r.Trends.Trend != nil {
		height += TrendHeight
	}
	p := charts.NewPainter(charts.PainterOptions{
		OutputFormat: charts.ChartOutputPNG,
		Width:        ChartWidth,
		Height:       height,
		Theme:        theme,
	})
	p.FilledRect(0, 0, ChartWidth, height, charts.ColorWhite, charts.ColorWhite, 0)

	pal := chartPalette()
	left := p.Child(charts.PainterBoxOption(charts.NewBox(0, 0, chartSplit, ChartHeight)))
	if err := alertsPanel(left, pal, r); err != nil {
		return nil, fmt.Errorf("draw alerts per day: %w", err)
	}
	right := p.Child(charts.PainterBoxOption(charts.NewBox(chartSplit, 0, ChartWidth, ChartHeight)))
	if err := mediansPanel(right, pal, r); err != nil {
		return nil, fmt.Errorf("draw response-time medians: %w", err)
	}
	if height > ChartHeight {
		if err := trendPanel(p, ChartHeight, pal, r.Trends); err != nil {
			return nil, fmt.Errorf("draw trends: %w", err)
		}
	}
	out, err := p.Bytes()
	if err != nil {
		return nil, fmt.Errorf("encode chart: %w", err)
	}
	return out, nil
}

func alertsPanel(p *charts.Painter, pal palette, r Report) error {
	labels := make([]string, 7)
	values := make([][]float64, 4) // critical, high, medium, low
	for i := range values {
		values[i] = make([]float64, 7)
	}
	if s := r.Summary; s != nil {
		if start, err := time.Parse(time.DateOnly, s.StartDate); err == nil {
			for i := range labels {
				labels[i] = start.AddDate(0, 0, i).Format("Mon 2")
			}
		}
		for i, d := range s.Days {
			if i >= 7 {
				break
			}
			values[0][i] = float64(d.BySeverity.Critical)
			values[1][i] = float64(d.BySeverity.High)
			values[2][i] = float64(d.BySeverity.Medium)
			values[3][i] = float64(d.BySeverity.Low)
		}
	}
	peak := 0.0
	for i := range 7 {
		peak = max(peak, values[0][i]+values[1][i]+values[2][i]+values[3][i])
	}

	opt := charts.NewBarChartOptionWithData(values)
	opt.Theme = charts.GetTheme(charts.ThemeLight).WithSeriesColors(pal.severities)
	opt.StackSeries = charts.Ptr(true)
	opt.Padding = charts.Box{Top: 20, Right: 20, Bottom: 20, Left: 20}
	sub := r.Period
	if r.Empty {
		sub += " - no alerts this " + r.Noun
	}
	opt.Title = panelTitle(pal, "Alerts per day (UTC)", sub)
	opt.Legend = bottomLegend("Critical", "High", "Medium", "Low")
	opt.CategoryAxis.Labels = labels
	// Alerts are whole numbers: four equal integer steps keep every tick
	// on an integer, and give an empty week an axis at all (a 0..0 range
	// has none).
	step := max(1, math.Ceil(peak/4))
	opt.ValueAxis[0].Min = charts.Ptr(0.0)
	opt.ValueAxis[0].Max = charts.Ptr(4 * step)
	opt.ValueAxis[0].LabelCount = 5
	opt.ValueFormatter = func(f float64) string { return fmt.Sprintf("%.0f", f) }
	return p.BarChart(opt)
}

func mediansPanel(p *charts.Painter, pal palette, r Report) error {
	names := make([]string, 0, len(r.Times))
	this := make([]float64, 0, len(r.Times))
	last := make([]float64, 0, len(r.Times))
	hasThis, hasLast := false, false
	for i := len(r.Times) - 1; i >= 0; i-- { // horizontal bars draw bottom-up
		t := r.Times[i]
		names = append(names, t.Short)
		if t.P50.Seconds != nil {
			this = append(this, *t.P50.Seconds/60)
			hasThis = true
		} else {
			this = append(this, charts.GetNullValue())
		}
		if t.P50.Previous != nil {
			last = append(last, *t.P50.Previous/60)
			hasLast = true
		} else {
			last = append(last, charts.GetNullValue())
		}
	}

	title := panelTitle(pal, "Median response time", "minutes, p50 per alert")
	if !hasThis && !hasLast {
		// A chart of nothing would draw an axis that suggests zeros.
		tp := p.Child(charts.PainterPaddingOption(charts.Box{Top: 20, Left: 20, Right: 20}))
		tp.Text(title.Text, 0, 20, 0, title.FontStyle)
		empty := NoData
		if missingPercentiles(r) != "" {
			empty = NotAvailable + ": alert records past retention"
		}
		tp.Text(empty, 0, ChartHeight/2, 0, charts.FontStyle{FontSize: 16, FontColor: pal.text})
		return nil
	}

	values := [][]float64{this}
	colors := []charts.Color{pal.thisWeek}
	series := []string{"This " + r.Noun}
	if hasLast {
		values = append(values, last)
		colors = append(colors, pal.lastWeek)
		series = append(series, "Last "+r.Noun)
	}
	opt := charts.NewBarChartOptionWithData(values)
	opt.Horizontal = true
	opt.Theme = charts.GetTheme(charts.ThemeLight).WithSeriesColors(colors)
	opt.Padding = charts.Box{Top: 20, Right: 40, Bottom: 20, Left: 10}
	opt.Title = title
	opt.Legend = bottomLegend(series...)
	opt.CategoryAxis = charts.CategoryAxisOption{Labels: names}
	opt.ValueAxis[0].Min = charts.Ptr(0.0)
	// Fewer ticks than the library's default: long labels ("120")
	// otherwise collide on a panel this narrow.
	opt.ValueAxis[0].LabelCountAdjustment = -2
	opt.ValueFormatter = func(f float64) string { return fmt.Sprintf("%.0f", f) }
	for i := range opt.SeriesList {
		opt.SeriesList[i].Label = charts.SeriesLabel{
			Show: charts.Ptr(true),
			ValueFormatter: func(f float64) string {
				return FormatDuration(f * 60)
			},
		}
	}
	return p.BarChart(opt)
}
