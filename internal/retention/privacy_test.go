package retention

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// Keys that carry a person's id in their name are never named by cleanup's
// errors: not in the report, its text, its JSON, Err or the log record.
// The category and a count say what failed; alike failures make one sample.
func TestErrorsNeverNamePeople(t *testing.T) {
	f := newFixture(t)
	const person = "400000000000000042"
	f.hset("ash:optout:"+person, 0, "x", 1)
	f.hset("ash:optout:"+person+"1", 0, "x", 1)
	f.set("ash:history:"+person, "x", 0)
	// An alert's key names an alert, not a person: it stays named.
	f.set("ash:metrics:alert:a1", "x", 0)

	var logs bytes.Buffer
	c := f.cleaner(func(cfg *Config) { cfg.Logger = slog.New(slog.NewJSONHandler(&logs, nil)) })
	rep := f.run(c, false)

	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	js, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	errText := ""
	if err := rep.Err(); err != nil {
		errText = err.Error()
	}
	for name, out := range map[string]string{"text": text.String(), "json": string(js), "Err": errText, "log": logs.String()} {
		if strings.Contains(out, person) {
			t.Errorf("%s names a person's key:\n%s", name, out)
		}
	}
	if want := "optouts: 2 errors, e.g. unexpected type hash, want string; left untouched"; !strings.Contains(errText, want) {
		t.Errorf("Err() = %s\nwant a line %q", errText, want)
	}
	if !strings.Contains(errText, "message_history: 1 errors, e.g. unexpected type string, want zset") ||
		!strings.Contains(errText, "alert_metrics: 1 errors, e.g. ash:metrics:alert:a1: unexpected type string") {
		t.Errorf("Err() = %s", errText)
	}
	if got := rep.Categories[OptOuts].ErrorSamples; len(got) != 1 {
		t.Errorf("optout samples %q, want the one error once", got)
	}
}
