package report

import (
	"fmt"
	"math"
	"time"

	"github.com/go-analyze/charts"

	"github.com/alphabetcartel/ashbot/internal/metrics"
)

// TrendHeight is how much taller the chart grows for its trend panel.
const TrendHeight = 420

// Trends is the content of the chart's trend panel: the last 12 weeks
// (or months) of alert volume and median time to acknowledge.
type Trends struct {
	Trend *metrics.Trend
	// AckTargetSeconds is the acknowledge target (BOT_REPORT_TARGETS),
	// drawn as a line over the medians; nil draws none.
	AckTargetSeconds *float64
}

// trendLabels names each point: the first day of a week ("Jan 5"), or
// the month ("Jan 2026").
func trendLabels(tr *metrics.Trend) []string {
	out := make([]string, len(tr.Points))
	for i, p := range tr.Points {
		d, err := time.Parse(time.DateOnly, p.StartDate)
		if err != nil {
			out[i] = p.StartDate
			continue
		}
		if tr.Unit == metrics.TrendMonths {
			out[i] = d.Format("Jan 2006")
		} else {
			out[i] = d.Format("Jan 2")
		}
	}
	return out
}

// trendPanel draws, in the TrendHeight strip of p from y top down, volume
// (bars) on the left half and the median time to acknowledge (a line,
// with the target) on the right. A point whose data have expired is left
// out of both, never drawn as zero. Painter boxes are absolute, hence top.
func trendPanel(p *charts.Painter, top int, pal palette, t *Trends) error {
	tr := t.Trend
	labels := trendLabels(tr)
	unit := "week"
	if tr.Unit == metrics.TrendMonths {
		unit = "month"
	}
	volume := make([]float64, len(tr.Points))
	medians := make([]float64, len(tr.Points))
	peak, gaps, medianGaps, anyMedian := 0.0, false, false, false
	for i, pt := range tr.Points {
		volume[i], medians[i] = charts.GetNullValue(), charts.GetNullValue()
		if pt.Alerts != nil {
			volume[i] = float64(*pt.Alerts)
			peak = max(peak, volume[i])
		} else {
			gaps = true
		}
		switch {
		case pt.AckP50Seconds != nil:
			medians[i] = float64(*pt.AckP50Seconds) / 60
			anyMedian = true
		case pt.Acknowledged > 0 || pt.Alerts == nil:
			medianGaps = true
		}
	}
	w, h := ChartWidth, TrendHeight

	left := p.Child(charts.PainterBoxOption(charts.NewBox(0, top, w/2, top+h)))
	sub := fmt.Sprintf("last %d %ss", len(tr.Points), unit)
	if gaps {
		sub += "; gaps: totals past retention"
	}
	bar := charts.NewBarChartOptionWithData([][]float64{volume})
	bar.Theme = charts.GetTheme(charts.ThemeLight).WithSeriesColors([]charts.Color{pal.thisWeek})
	bar.Padding = charts.Box{Top: 20, Right: 20, Bottom: 20, Left: 20}
	bar.Title = panelTitle(pal, "Alerts per "+unit, sub)
	bar.CategoryAxis.Labels = labels
	bar.CategoryAxis.LabelRotation = charts.DegreesToRadians(30)
	step := max(1, math.Ceil(peak/4))
	bar.ValueAxis[0].Min = charts.Ptr(0.0)
	bar.ValueAxis[0].Max = charts.Ptr(4 * step)
	bar.ValueAxis[0].LabelCount = 5
	bar.ValueFormatter = func(f float64) string { return fmt.Sprintf("%.0f", f) }
	if err := left.BarChart(bar); err != nil {
		return fmt.Errorf("alerts per %s: %w", unit, err)
	}

	right := p.Child(charts.PainterBoxOption(charts.NewBox(w/2, top, w, top+h)))
	title := panelTitle(pal, "Median time to acknowledge", "minutes, p50 per "+unit)
	if medianGaps {
		title.Subtext += "; gaps: alert records past retention"
	}
	if !anyMedian {
		tp := right.Child(charts.PainterPaddingOption(charts.Box{Top: 20, Left: 20, Right: 20}))
		tp.Text(title.Text, 0, 20, 0, title.FontStyle)
		empty := NoData
		if medianGaps {
			empty = NotAvailable + ": alert records past retention"
		}
		tp.Text(empty, 0, h/2, 0, charts.FontStyle{FontSize: 16, FontColor: pal.text})
		return nil
	}
	values := [][]float64{medians}
	colors := []charts.Color{pal.thisWeek}
	series := []string{"Median"}
	highest := 0.0
	for _, m := range medians {
		if m != charts.GetNullValue() {
			highest = max(highest, m)
		}
	}
	if t.AckTargetSeconds != nil {
		target := *t.AckTargetSeconds / 60
		line := make([]float64, len(medians))
		for i := range line {
			line[i] = target
		}
		values = append(values, line)
		colors = append(colors, pal.target)
		series = append(series, "Target "+FormatDuration(*t.AckTargetSeconds))
		highest = max(highest, target)
	}
	ln := charts.NewLineChartOptionWithData(values)
	ln.Theme = charts.GetTheme(charts.ThemeLight).WithSeriesColors(colors)
	ln.Padding = charts.Box{Top: 20, Right: 30, Bottom: 20, Left: 10}
	ln.Title = title
	ln.Legend = bottomLegend(series...)
	ln.XAxis.Labels = labels
	ln.XAxis.LabelRotation = charts.DegreesToRadians(30)
	ln.YAxis[0].Min = charts.Ptr(0.0)
	// Five round steps, labelled at each, so that ticks sit on whole
	// minutes and the target line reads against them.
	ln.YAxis[0].Max = charts.Ptr(5 * niceCeil(highest/5))
	ln.YAxis[0].LabelCount = 6
	ln.ValueFormatter = func(f float64) string { return fmt.Sprintf("%.0f", f) }
	if t.AckTargetSeconds != nil {
		// The target is a level, not data: no point markers on it.
		ln.SeriesList[1].Symbol = charts.Symbol{Shape: charts.SymbolNone}
	}
	if err := right.LineChart(ln); err != nil {
		return fmt.Errorf("median time to acknowledge per %s: %w", unit, err)
	}
	return nil
}

// niceCeil rounds a positive axis maximum up to 1, 2 or 5 times a power
// of ten, so that ticks fall on round minutes; it is at least 1.
func niceCeil(v float64) float64 {
	if v <= 1 {
		return 1
	}
	pow := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*pow {
			return m * pow
		}
	}
	return 10 * pow
}
