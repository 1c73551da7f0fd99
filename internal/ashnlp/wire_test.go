package ashnlp

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSafeDetail(t *testing.T) {
	tests := []struct {
		code int
		body string
		want string
	}{
		{422, `{"detail":[{"type":"string_too_long","loc":["body","message"],"msg":"String should have at most 10000 characters","input":"my secret"}]}`, "body.message: string_too_long"},
		{422, `{"detail":[{"type":"value_error","loc":["body","message"],"msg":"Value error, bad text: my secret","input":"my secret"},{"type":"missing","loc":["body","message_history",3,"timestamp"],"msg":"Field required","input":{}}]}`,
			"body.message: value_error; body.message_history.3.timestamp: missing"},
		{422, `{"detail":"my secret"}`, ""},
		{503, `{"detail":"models not loaded"}`, "models not loaded"},
		{500, `{"detail":{"input":"my secret"}}`, ""},
		{500, `<html>Internal Server Error</html>`, ""},
		{502, `{"detail":"` + strings.Repeat("x", 300) + `"}`, strings.Repeat("x", 200) + "…"},
	}
	for _, tt := range tests {
		if got := safeDetail(tt.code, []byte(tt.body)); got != tt.want {
			t.Errorf("%d %.50s: %q, want %q", tt.code, tt.body, got, tt.want)
		}
	}
}

// An answer that cannot be acted on is an error, never a safe verdict,
// and a breaker failure, without retries.
func TestUnreadableAnswers(t *testing.T) {
	for _, body := range []string{
		`{"severity": "unknown", "crisis_score": 0.1}`,
		`{"severity": "safe"}`,
		`{"severity": "safe", "crisis_score": 1.5}`,
		`not json`,
	} {
		calls := 0
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			calls++
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(body))
		}))
		c, err := New(Options{BaseURL: srv.URL, BreakerFailures: 1})
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Analyze(context.Background(), Request{Message: "hello"})
		srv.Close()
		if KindOf(err) != KindBadResponse || res.Severity != "" {
			t.Errorf("%s: result %+v, err %v", body, res, err)
		}
		if calls != 1 || c.BreakerState() != "open" {
			t.Errorf("%s: %d calls, breaker %s", body, calls, c.BreakerState())
		}
	}
}
