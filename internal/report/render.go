package report

import (
	"fmt"
	"strings"
)

// Formats lists the names Render accepts, in the order the CLI documents
// them.
func Formats() []string { return []string{"text", "markdown", "json", "png", "heatmap"} }

// Render renders r in the named format (see Formats), for `ashbot report
// --format`. Text formats end with a newline; png is the chart's bytes,
// heatmap the coverage heatmap's (a PNG too).
func Render(r Report, format string) ([]byte, error) {
	switch strings.ToLower(format) {
	case "text":
		return []byte(Text(r)), nil
	case "markdown", "md":
		return []byte(Markdown(r)), nil
	case "json":
		return JSON(r)
	case "png":
		return PNG(r)
	case "heatmap":
		return HeatmapPNG(r)
	}
	return nil, fmt.Errorf("unknown report format %q (want %s)", format, strings.Join(Formats(), ", "))
}
