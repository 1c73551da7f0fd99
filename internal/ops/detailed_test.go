package ops

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// /health/detailed reports every component and sums them up: a required
// one down is "down" with 503, any other not ok is "degraded" with 200.
func TestDetailed(t *testing.T) {
	s := New(NewRegistry(), nil, slog.New(slog.DiscardHandler))
	get := func() (int, detailedBody) {
		t.Helper()
		rec := httptest.NewRecorder()
		s.srv.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/health/detailed", nil))
		var b detailedBody
		if rec.Code != http.StatusNotFound {
			if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
				t.Fatalf("%d %s: %v", rec.Code, rec.Body, err)
			}
		}
		return rec.Code, b
	}
	if code, _ := get(); code != http.StatusNotFound {
		t.Fatalf("before Detail: %d", code)
	}

	started := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	now := started.Add(90 * time.Minute)
	failedAt := started.Add(time.Hour)
	redis := Component{Status: StatusOK, LatencyMS: Millis(1500 * time.Microsecond), Required: true}
	nlp := Component{Status: StatusOff}
	s.Detail(Details{Version: "1.2.3", Started: started, Now: func() time.Time { return now }, Components: map[string]Probe{
		"redis": func(context.Context) Component { return redis },
		"nlp":   func(context.Context) Component { return nlp },
	}})
	code, b := get()
	if code != 200 || b.Status != StatusOK || b.Version != "1.2.3" || b.UptimeSeconds != 5400 || !b.StartedAt.Equal(started) ||
		b.Components["redis"].LatencyMS == nil || *b.Components["redis"].LatencyMS != 1.5 || b.Components["nlp"].Status != StatusOff {
		t.Errorf("all ok: %d %+v", code, b)
	}

	nlp = Component{Status: StatusDegraded, Detail: "circuit breaker open", LastError: Failure("timeout", failedAt)}
	if code, b := get(); code != 200 || b.Status != StatusDegraded || b.Components["nlp"].LastError.Kind != "timeout" ||
		!b.Components["nlp"].LastError.At.Equal(failedAt) {
		t.Errorf("nlp degraded: %d %+v", code, b)
	}
	redis = Component{Status: StatusDown, LastError: Failure("unreachable", failedAt), Required: true}
	if code, b := get(); code != http.StatusServiceUnavailable || b.Status != StatusDown || b.Components["redis"].LatencyMS != nil {
		t.Errorf("redis down: %d %+v", code, b)
	}
	if Failure("", failedAt) != nil || Millis(0) != nil {
		t.Error("nothing measured must be left out")
	}
}
