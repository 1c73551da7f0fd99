package retention

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestProgressBar(t *testing.T) {
	var out bytes.Buffer
	progress, finish := barProgress(&out)
	for i := int64(1); i <= 1000; i++ {
		progress(Progress{Counts: Counts{Scanned: i * 10}, EstimatedKeys: 9000})
	}
	finish()
	if n := strings.Count(out.String(), "\r"); n < 10 || n > 300 {
		t.Errorf("%d redraws for 1000 batches", n)
	}
	if !strings.HasSuffix(out.String(), "cleanup 100% ["+strings.Repeat("=", barWidth)+"] 10000/10000 keys, 0 removed, 0 TTLs repaired \n") {
		t.Errorf("last frame %q", out.String()[strings.LastIndex(out.String(), "\r"):])
	}
}

func TestProgressLogsWhenNotATerminal(t *testing.T) {
	var out, logs bytes.Buffer
	progress, finish := ProgressDisplay(&out, false, slog.New(slog.NewJSONHandler(&logs, nil)))
	for i := int64(1); i <= 100; i++ {
		progress(Progress{Counts: Counts{Scanned: i * 1000}, EstimatedKeys: 100_000})
	}
	finish()
	if out.Len() != 0 {
		t.Errorf("drew on a non-terminal: %q", out.String())
	}
	if n := strings.Count(logs.String(), "retention cleanup progress"); n != 11 {
		t.Errorf("%d progress lines, want the first and one per tenth:\n%s", n, logs.String())
	}
}
