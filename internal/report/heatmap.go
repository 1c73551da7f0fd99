package report

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/disgoorg/disgo/discord"
	"github.com/go-analyze/charts"

	"github.com/alphabetcartel/ashbot/internal/metrics"
)

// Heatmap geometry: two maps of 7 weekdays by 24 hours, one above the
// other.
const (
	HeatmapWidth  = 1200
	HeatmapHeight = 760
	// HeatmapFile is the heatmap's attachment name.
	HeatmapFile = "coverage-by-hour.png"
)

// HeatmapAttachment is the heatmap as the file of a Discord message, the
// second attachment of the report (the chart is the first). Its reader is
// used up by sending: make one per message.
func HeatmapAttachment(png []byte) *discord.File {
	return discord.NewFile(HeatmapFile, "Heatmap: alerts and median time to acknowledge by weekday and hour", bytes.NewReader(png))
}

func hourLabels() []string {
	out := make([]string, 24)
	for h := range out {
		out[h] = fmt.Sprintf("%02d", h)
	}
	return out
}

func weekdayLabels(c *metrics.Coverage) []string {
	out := make([]string, len(c.Days))
	for i, d := range c.Days {
		out[i] = d.Weekday[:3]
	}
	return out
}

// HeatmapPNG draws the report's coverage: alerts per weekday and hour on
// top, their median time to acknowledge below, so that hours with alerts
// but slow answers stand out. A cell without a median (no acknowledged
// alert, or alert records past retention) is left blank; the Markdown and
// JSON tables tell the two apart. Deterministic like PNG.
func HeatmapPNG(r Report) ([]byte, error) {
	c := r.Coverage
	if c == nil {
		return nil, fmt.Errorf("coverage by hour: the report was built without it")
	}
	pal := chartPalette()
	p := charts.NewPainter(charts.PainterOptions{
		OutputFormat: charts.ChartOutputPNG, Width: HeatmapWidth, Height: HeatmapHeight, Theme: charts.GetTheme(charts.ThemeLight),
	})
	p.FilledRect(0, 0, HeatmapWidth, HeatmapHeight, charts.ColorWhite, charts.ColorWhite, 0)

	alerts := make([][]float64, len(c.Days))
	medians := make([][]float64, len(c.Days))
	missing := false
	for i, d := range c.Days {
		alerts[i], medians[i] = make([]float64, 24), make([]float64, 24)
		for h, cell := range d.Hours {
			alerts[i][h] = float64(cell.Alerts)
			medians[i][h] = charts.GetNullValue()
			if cell.AckP50Seconds != nil {
				medians[i][h] = float64(*cell.AckP50Seconds) / 60
			}
			missing = missing || (cell.Alerts > 0 && !cell.Complete)
		}
	}
	half := HeatmapHeight / 2
	period := FormatWeek(c.StartDate, c.EndDate)
	top := p.Child(charts.PainterBoxOption(charts.NewBox(0, 0, HeatmapWidth, half)))
	if err := heatmap(top, pal, alerts, weekdayLabels(c), panelTitle(pal, "Alerts by hour ("+c.TimeZone+")", period),
		func(f float64) string {
			if f == 0 {
				return ""
			}
			return fmt.Sprintf("%.0f", f)
		}); err != nil {
		return nil, fmt.Errorf("draw alerts by hour: %w", err)
	}
	sub := "minutes, p50 per hour; blank: no acknowledged alert"
	if missing {
		sub += " or alert records past retention"
	}
	bottom := p.Child(charts.PainterBoxOption(charts.NewBox(0, half, HeatmapWidth, HeatmapHeight)))
	if err := heatmap(bottom, pal, medians, weekdayLabels(c), panelTitle(pal, "Median time to acknowledge ("+c.TimeZone+")", sub),
		func(f float64) string { return shortMinutes(f * 60) }); err != nil {
		return nil, fmt.Errorf("draw median time to acknowledge by hour: %w", err)
	}
	out, err := p.Bytes()
	if err != nil {
		return nil, fmt.Errorf("encode coverage heatmap: %w", err)
	}
	return out, nil
}

func heatmap(p *charts.Painter, pal palette, values [][]float64, rows []string, title charts.TitleOption, label func(float64) string) error {
	opt := charts.NewHeatMapOptionWithData(values)
	opt.Theme = charts.GetTheme(charts.ThemeLight).WithSeriesColors([]charts.Color{pal.thisWeek})
	opt.Padding = charts.Box{Top: 20, Right: 20, Bottom: 10, Left: 20}
	opt.Title = title
	opt.XAxis.Labels = hourLabels()
	opt.YAxis.Labels = rows
	// The scale starts at zero so that a pale cell always means few (or
	// fast), whatever the busiest cell holds.
	opt.ScaleMinValue = charts.Ptr(0.0)
	opt.ValuesLabel = charts.SeriesLabel{Show: charts.Ptr(true), ValueFormatter: label,
		FontStyle: charts.FontStyle{FontSize: 10, FontColor: pal.text}}
	return p.HeatMapChart(opt)
}

// shortMinutes is a compact duration for a heatmap cell: "45s", "12m",
// "3h".
func shortMinutes(seconds float64) string {
	switch {
	case seconds < 60:
		return fmt.Sprintf("%.0fs", seconds)
	case seconds < 3600:
		return fmt.Sprintf("%.0fm", seconds/60)
	}
	return fmt.Sprintf("%.0fh", seconds/3600)
}

// coverageCell is one cell of the Markdown table: "–" without alerts,
// else the count and the median: "3 (2m 10s)", "2 (not acknowledged)",
// "4 (n/a)" where alert records have expired.
func coverageCell(c metrics.CoverageCell) string {
	switch {
	case c.Alerts == 0:
		return "–"
	case !c.Complete:
		return fmt.Sprintf("%d (n/a)", c.Alerts)
	case c.AckP50Seconds == nil:
		return fmt.Sprintf("%d (not acknowledged)", c.Alerts)
	}
	return fmt.Sprintf("%d (%s)", c.Alerts, FormatDuration(float64(*c.AckP50Seconds)))
}

// markdownCoverage is the Markdown coverage table: one row per hour, one
// column per weekday, each cell the alerts and their median time to
// acknowledge. Hours without any alert all week are left out.
func markdownCoverage(b *strings.Builder, r Report) {
	c := r.Coverage
	if c == nil {
		return
	}
	line := func(parts ...string) {
		for _, p := range parts {
			b.WriteString(p)
		}
		b.WriteByte('\n')
	}
	line()
	line("## 🕒 Coverage by Hour (", c.TimeZone, ")")
	line()
	if r.Empty {
		line("No alerts this week")
		return
	}
	line("Alerts created in each hour, and in brackets their median time to acknowledge.")
	line()
	head, rule := "| Hour |", "|---|"
	for _, d := range c.Days {
		head += " " + d.Weekday[:3] + " |"
		rule += "---:|"
	}
	line(head)
	line(rule)
	missing := false
	for h := range 24 {
		row, busy := "| "+FormatHourRange(h)+" |", false
		for _, d := range c.Days {
			cell := d.Hours[h]
			busy = busy || cell.Alerts > 0
			missing = missing || (cell.Alerts > 0 && !cell.Complete)
			row += " " + coverageCell(cell) + " |"
		}
		if busy {
			line(row)
		}
	}
	if missing {
		line()
		line("_n/a: some of the hour's alert records have passed their retention, so no median is shown; the counts still include every alert._")
	}
}
