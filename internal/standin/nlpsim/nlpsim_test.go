package nlpsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func start(t *testing.T) *Server {
	t.Helper()
	s, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func post(t *testing.T, s *Server, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(s.URL()+"/analyze", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("answer is not JSON: %s", raw)
	}
	return resp.StatusCode, out
}

func TestValidationAnswersLikeFastAPI(t *testing.T) {
	s := start(t)
	history := func(n int) string {
		items := make([]string, n)
		for i := range items {
			items[i] = `{"message":"x","timestamp":"2026-12-01T10:00:00Z"}`
		}
		return "[" + strings.Join(items, ",") + "]"
	}
	tests := []struct {
		body string
		typ  string
		loc  string
	}{
		{`{}`, "missing", "body.message"},
		{`{"message": ""}`, "string_too_short", "body.message"},
		{`{"message": " \n\t "}`, "value_error", "body.message"},
		{`{"message": 42}`, "string_type", "body.message"},
		{fmt.Sprintf(`{"message": %q}`, strings.Repeat("é", MaxMessageChars+1)), "string_too_long", "body.message"},
		{`{"message": "hi", "include_explanation": "yes"}`, "bool_type", "body.include_explanation"},
		{`{"message": "hi", "verbosity": "loud"}`, "enum", "body.verbosity"},
		{`{"message": "hi", "user_id": 123}`, "string_type", "body.user_id"},
		{`{"message": "hi", "message_history": {}}`, "list_type", "body.message_history"},
		{`{"message": "hi", "message_history": ` + history(MaxHistory+1) + `}`, "too_long", "body.message_history"},
		{`{"message": "hi", "message_history": [{"timestamp": "2026-12-01T10:00:00Z"}]}`, "missing", "body.message_history.0.message"},
		{`{"message": "hi", "message_history": [{"message": "x", "timestamp": "yesterday"}]}`, "datetime_from_date_parsing", "body.message_history.0.timestamp"},
		{`{"message": "hi", "message_history": [{"message": "x", "timestamp": "2026-12-01T10:00:00Z", "crisis_score": "high"}]}`, "float_type", "body.message_history.0.crisis_score"},
		{`not json`, "json_invalid", "body.0"},
		{`[1]`, "model_attributes_type", "body"},
	}
	for _, tt := range tests {
		code, out := post(t, s, tt.body)
		detail, _ := out["detail"].([]any)
		if code != 422 || len(detail) != 1 {
			t.Errorf("%.60s: %d %v", tt.body, code, out)
			continue
		}
		d := detail[0].(map[string]any)
		var loc []string
		for _, l := range d["loc"].([]any) {
			loc = append(loc, fmt.Sprint(l))
		}
		if d["type"] != tt.typ || strings.Join(loc, ".") != tt.loc || d["msg"] == "" {
			t.Errorf("%.60s: detail %v, want type %s at %s", tt.body, d, tt.typ, tt.loc)
		}
		if _, ok := d["input"]; !ok {
			t.Errorf("%.60s: no input echoed", tt.body)
		}
	}
	// At the limits: accepted.
	for _, body := range []string{
		fmt.Sprintf(`{"message": %q}`, strings.Repeat("é", MaxMessageChars)),
		`{"message": "hi", "message_history": ` + history(MaxHistory) + `}`,
		`{"message": "hi", "message_history": null, "user_id": null}`,
	} {
		if code, out := post(t, s, body); code != 200 {
			t.Errorf("%.60s: %d %v", body, code, out)
		}
	}
	if n := len(s.Analyzed()); n != 3 {
		t.Errorf("%d valid requests recorded, want 3", n)
	}
	if n := len(s.Calls()); n != len(tests)+3 {
		t.Errorf("%d calls recorded, want %d", n, len(tests)+3)
	}
}

func TestClassificationIsDeterministic(t *testing.T) {
	tests := []struct {
		text     string
		severity string
		score    float64
	}{
		{"I want to end it all", "critical", 0.92},
		{"i think about SUICIDE a lot", "critical", 0.9},
		{"I can't go on like this", "high", 0.7},
		{"I feel so alone", "medium", 0.4},
		{"rough day at work", "low", 0.18},
		{"nice weather today", "safe", 0.05},
		{"so alone, I want to die", "critical", 0.9},
		// Markers at the thresholds.
		{"[score=0.85]", "critical", 0.85},
		{"[score=0.849]", "high", 0.849},
		{"[score=0.55]", "high", 0.55},
		{"[score=0.5499]", "medium", 0.5499},
		{"[score=0.28]", "medium", 0.28},
		{"[score=0.2799]", "low", 0.2799},
		{"[score=0.16]", "low", 0.16},
		{"[score=0.1599]", "safe", 0.1599},
		{"[score=0] I want to end it all", "safe", 0},
		{"[score=7]", "critical", 1},
	}
	s := start(t)
	for _, tt := range tests {
		code, out := post(t, s, fmt.Sprintf(`{"message": %q, "include_explanation": true, "verbosity": "standard"}`, tt.text))
		if code != 200 || out["severity"] != tt.severity || out["crisis_score"] != tt.score {
			t.Errorf("%q: %d severity %v score %v, want %s %v", tt.text, code, out["severity"], out["crisis_score"], tt.severity, tt.score)
		}
		if SeverityOf(tt.score) != tt.severity {
			t.Errorf("SeverityOf(%v) = %s", tt.score, SeverityOf(tt.score))
		}
	}
	_, out := post(t, s, `{"message": "I want to end it all"}`)
	exp, _ := out["explanation"].(map[string]any)
	if out["crisis_detected"] != true || out["requires_intervention"] != true || out["recommended_action"] != "immediate_outreach" ||
		out["is_degraded"] != false || exp["decision_summary"] == "" || len(exp["key_factors"].([]any)) == 0 {
		t.Errorf("answer %v", out)
	}
}

func TestFaults(t *testing.T) {
	s := start(t)
	s.FailNext(1, 503)
	if code, _ := post(t, s, `{"message": "hi"}`); code != 503 {
		t.Errorf("FailNext: %d", code)
	}
	if code, _ := post(t, s, `{"message": "hi"}`); code != 200 {
		t.Errorf("after FailNext: %d", code)
	}
	// Validation comes first, as in the real service.
	s.SetFaults(Faults{Status: 500})
	if code, _ := post(t, s, `{"message": ""}`); code != 422 {
		t.Errorf("invalid body with a 500 fault: %d", code)
	}
	s.SetFaults(Faults{Degraded: true, NotReady: true})
	if _, out := post(t, s, `{"message": "hi"}`); out["is_degraded"] != true {
		t.Errorf("degraded: %v", out)
	}
	resp, err := http.Get(s.URL() + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("not ready health: %d", resp.StatusCode)
	}

	s.Reset()
	s.HangNext(1)
	c := &http.Client{Timeout: 50 * time.Millisecond}
	if _, err := c.Post(s.URL()+"/analyze", "application/json", bytes.NewReader([]byte(`{"message": "hi"}`))); err == nil {
		t.Error("HangNext: answered")
	}
	if code, _ := post(t, s, `{"message": "hi"}`); code != 200 {
		t.Errorf("after HangNext: %d", code)
	}

	addr := s.Addr()
	s.Refuse()
	if _, err := http.Get(s.URL() + "/health"); err == nil {
		t.Error("Refuse: still answering")
	}
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	if s.Addr() != addr {
		t.Errorf("Listen moved from %s to %s", addr, s.Addr())
	}
	resp, err = http.Get(s.URL() + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("health after Listen: %d", resp.StatusCode)
	}
}

func TestLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New()
		s.SetFaults(Faults{Latency: 3 * time.Second})
		rec := httptest.NewRecorder()
		began := time.Now()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/analyze", strings.NewReader(`{"message": "hi"}`)))
		if rec.Code != 200 || time.Since(began) != 3*time.Second {
			t.Errorf("%d after %v, want 200 after 3s", rec.Code, time.Since(began))
		}
	})
}
