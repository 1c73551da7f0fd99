package config

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestNLPDetectionOnByDefault(t *testing.T) {
	cfg, _ := mustLoad(t, base())
	if !cfg.NLP.Enabled || cfg.NLP.BaseURL != "http://ash-nlp:30880" {
		t.Errorf("NLP %+v", cfg.NLP)
	}
}

func TestNLPBaseURL(t *testing.T) {
	tests := []struct {
		value   string
		enabled bool
		stored  string
	}{
		{"http://127.0.0.1:30880", true, "http://127.0.0.1:30880"},
		{" https://nlp.example.org/ ", true, "https://nlp.example.org"},
		{"http://ash-nlp:30880/api", true, "http://ash-nlp:30880/api"},
		{"off", false, ""},
		{"OFF", false, ""},
	}
	for _, tt := range tests {
		cfg, warnings := mustLoad(t, with(base(), "BOT_NLP_BASE_URL", tt.value))
		if cfg.NLP.Enabled != tt.enabled || cfg.NLP.BaseURL != tt.stored {
			t.Errorf("%q: NLP %+v", tt.value, cfg.NLP)
		}
		warned := slices.ContainsFunc(warnings, func(w string) bool { return strings.Contains(w, "detection is switched off") })
		if warned == tt.enabled {
			t.Errorf("%q: warnings %q", tt.value, warnings)
		}
	}
	for _, bad := range []string{"", "  ", "ash-nlp:30880", "ftp://ash-nlp", "http://", "http://user:pw@ash-nlp:30880", "http://ash-nlp?x=1", "disabled"} {
		errs := mustFail(t, with(base(), "BOT_NLP_BASE_URL", bad), nil)
		if len(errs.Problems) != 1 || errs.Problems[0].Var != "BOT_NLP_BASE_URL" || !strings.Contains(errs.Problems[0].Allowed, "or off") {
			t.Errorf("%q: %v", bad, errs)
		}
	}
}

// Timeouts and delays take the earlier bot's plain seconds and Go
// durations alike.
func TestNLPSecondsOrDurations(t *testing.T) {
	tests := []struct {
		name   string
		lo, hi time.Duration
		got    func(*Config) time.Duration
	}{
		{"BOT_NLP_TIMEOUT", 100 * time.Millisecond, time.Minute, func(c *Config) time.Duration { return c.NLP.Timeout }},
		{"BOT_NLP_RETRY_DELAY", 10 * time.Millisecond, time.Minute, func(c *Config) time.Duration { return c.NLP.RetryDelay }},
		{"BOT_CB_NLP_TIMEOUT", time.Second, time.Hour, func(c *Config) time.Duration { return c.NLP.BreakerTimeout }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good := map[string]time.Duration{
				"5": 5 * time.Second, "2.5": 2500 * time.Millisecond, " 3 ": 3 * time.Second, "5s": 5 * time.Second,
				"1500ms": 1500 * time.Millisecond, "1m": time.Minute,
				tt.lo.String(): tt.lo, tt.hi.String(): tt.hi, fmt.Sprint(tt.hi.Seconds()): tt.hi,
			}
			for v, want := range good {
				cfg, _ := mustLoad(t, with(base(), tt.name, v))
				if got := tt.got(cfg); got != want {
					t.Errorf("%s=%q: got %v, want %v", tt.name, v, got, want)
				}
			}
			for _, bad := range []string{"", "abc", "-1", "-1s", "5 s", (tt.lo - time.Millisecond).String(), (tt.hi + time.Second).String(),
				fmt.Sprint(tt.hi.Seconds() + 1), "1e300", "NaN"} {
				errs := mustFail(t, with(base(), tt.name, bad), nil)
				want := fmt.Sprintf("%s=%q: must be seconds (like 5 or 2.5) or a duration (like 5s or 500ms) from %v to %v", tt.name, bad, tt.lo, tt.hi)
				if errs.Error() != want {
					t.Errorf("value %q:\n got %s\nwant %s", bad, errs.Error(), want)
				}
			}
		})
	}
}
