package logging

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// The human format puts the level and message first, in colour only when
// asked, and keeps the attributes as key=value; it still redacts.
func TestHumanFormat(t *testing.T) {
	for _, color := range []bool{false, true} {
		var buf bytes.Buffer
		log := New(&buf, Options{Level: "warn", Format: "human", Color: color, Secrets: []string{"tok-secret"}})
		log.Info("not shown at warn")
		log.Warn("Ash-NLP is down", "attempts", 3, "err", errors.New("dial tok-secret refused"))
		out := buf.String()
		if strings.Contains(out, "not shown") || strings.Contains(out, "tok-secret") {
			t.Errorf("color=%v: %q", color, out)
		}
		if hasANSI := strings.Contains(out, "\x1b["); hasANSI != color {
			t.Errorf("color=%v: ANSI escapes %v in %q", color, hasANSI, out)
		}
		plain := stripANSI(out)
		if !strings.Contains(plain, " WRN Ash-NLP is down attempts=3 err=") || !strings.Contains(plain, Redacted) {
			t.Errorf("color=%v: %q", color, plain)
		}
		if strings.HasPrefix(plain, "{") || strings.Contains(plain, "level=") {
			t.Errorf("color=%v: not the human format: %q", color, plain)
		}
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestUseColor(t *testing.T) {
	tests := []struct {
		env      map[string]string
		terminal bool
		want     bool
	}{
		{nil, true, true},
		{nil, false, false},
		{map[string]string{"NO_COLOR": "1"}, true, false},
		{map[string]string{"NO_COLOR": ""}, true, true}, // empty counts as unset (no-color.org)
		{map[string]string{"FORCE_COLOR": "1"}, false, true},
		{map[string]string{"FORCE_COLOR": "true", "NO_COLOR": "1"}, false, true},
		{map[string]string{"FORCE_COLOR": "0"}, true, false},
		{map[string]string{"FORCE_COLOR": "false"}, true, false},
		{map[string]string{"FORCE_COLOR": ""}, false, false},
		{map[string]string{"FORCE_COLOR": "", "NO_COLOR": "1"}, true, false},
	}
	for _, tt := range tests {
		lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
		if got := UseColor(tt.terminal, lookup); got != tt.want {
			t.Errorf("%v terminal=%v: %v, want %v", tt.env, tt.terminal, got, tt.want)
		}
	}
}
