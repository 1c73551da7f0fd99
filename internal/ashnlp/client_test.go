package ashnlp_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/alphabetcartel/ashbot/internal/ashnlp"
	"github.com/alphabetcartel/ashbot/internal/standin/nlpsim"
)

func score(f float64) *float64 { return &f }

func TestAnalyzeSendsTheAPIsRequestAndReadsTheAnswer(t *testing.T) {
	f := onLoopback(t, ashnlp.Options{})
	t0 := time.Date(2026, 12, 1, 9, 30, 0, 0, time.FixedZone("CET", 3600))
	res, err := f.client.Analyze(context.Background(), ashnlp.Request{
		Message: "I want to end it all", UserID: "111111111111111111", ChannelID: "222222222222222222",
		UserTimezone: "Europe/Berlin",
		History: []ashnlp.HistoryItem{
			{Message: "first", Timestamp: t0, CrisisScore: score(0.2), MessageID: "m1"},
			{Message: "second", Timestamp: t0.Add(time.Minute)},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Severity != "critical" || !res.CrisisDetected || res.CrisisScore != 0.92 || !res.RequiresIntervention ||
		res.RecommendedAction != "immediate_outreach" || res.RequestID == "" || res.IsDegraded ||
		res.DecisionSummary == "" || len(res.KeyFactors) == 0 {
		t.Errorf("result %+v", res)
	}
	sent := f.sim.Analyzed()
	if len(sent) != 1 {
		t.Fatalf("sent %d requests", len(sent))
	}
	r := sent[0]
	if r.Message != "I want to end it all" || !r.IncludeExplanation || r.Verbosity != "standard" ||
		r.UserID != "111111111111111111" || r.ChannelID != "222222222222222222" || r.UserTimezone != "Europe/Berlin" {
		t.Errorf("request %+v", r)
	}
	if len(r.MessageHistory) != 2 || r.MessageHistory[0].Message != "first" || r.MessageHistory[1].Message != "second" {
		t.Fatalf("history %+v", r.MessageHistory)
	}
	h0, h1 := r.MessageHistory[0], r.MessageHistory[1]
	if h0.Timestamp != "2026-12-01T08:30:00Z" || h0.CrisisScore == nil || *h0.CrisisScore != 0.2 || h0.MessageID != "m1" {
		t.Errorf("first item %+v", h0)
	}
	if h1.CrisisScore != nil || h1.MessageID != "" {
		t.Errorf("optional fields sent empty: %+v", h1)
	}
	if raw := string(f.sim.Calls()[0].Body); strings.Contains(raw, "crisis_score\":null") || strings.Contains(raw, "message_id\":\"\"") {
		t.Errorf("optional fields not left out: %s", raw)
	}
	st := f.client.State()
	if st.Breaker != "closed" || st.Counts.Requests != 1 || st.Counts.Succeeded != 1 || st.Counts.Failed != 0 || st.LastSuccessAt.IsZero() {
		t.Errorf("state %+v", st)
	}
}

func TestHistoryOverTheLimitSendsTheNewest(t *testing.T) {
	f := onLoopback(t, ashnlp.Options{})
	var hist []ashnlp.HistoryItem
	t0 := time.Now().Add(-time.Hour)
	for i := range 25 {
		hist = append(hist, ashnlp.HistoryItem{Message: "m" + string(rune('a'+i)), Timestamp: t0.Add(time.Duration(i) * time.Minute)})
	}
	if _, err := f.client.Analyze(context.Background(), ashnlp.Request{Message: "hello", History: hist}); err != nil {
		t.Fatal(err)
	}
	got := f.sim.Analyzed()[0].MessageHistory
	if len(got) != ashnlp.MaxHistory || got[0].Message != "mf" || got[19].Message != "my" {
		t.Errorf("history sent: %d items, first %q", len(got), got[0].Message)
	}
}

func TestServerErrorsAreRetriedWithDoublingDelays(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := inBubble(t, ashnlp.Options{})
		f.sim.FailNext(2, 503)
		res, err := f.client.Analyze(t.Context(), ashnlp.Request{Message: "I feel so alone"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Severity != "medium" {
			t.Errorf("severity %q", res.Severity)
		}
		calls := f.sim.Calls()
		if len(calls) != 3 || calls[0].Status != 503 || calls[1].Status != 503 || calls[2].Status != 200 {
			t.Fatalf("calls %+v", calls)
		}
		// 1s then 2s, each within the jitter (fake time: exact).
		for i, want := range []time.Duration{time.Second, 2 * time.Second} {
			gap := calls[i+1].At.Sub(calls[i].At)
			lo := time.Duration(float64(want) * (1 - ashnlp.RetryJitter))
			hi := time.Duration(float64(want) * (1 + ashnlp.RetryJitter))
			if gap < lo || gap > hi {
				t.Errorf("wait %d = %v, want %v..%v", i+1, gap, lo, hi)
			}
		}
		st := f.client.State()
		if st.Counts.Retries != 2 || st.Counts.Succeeded != 1 || st.Breaker != "closed" {
			t.Errorf("state %+v", st)
		}
		if got := f.observed(); len(got) != 3 || got[0] != ashnlp.KindStatus5xx || got[2] != "" {
			t.Errorf("observed attempts %v", got)
		}
	})
}

func TestServerErrorsExhaustTheRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := inBubble(t, ashnlp.Options{Retries: 2})
		f.sim.SetFaults(nlpsim.Faults{Status: 500})
		_, err := f.client.Analyze(t.Context(), ashnlp.Request{Message: "hello"})
		var se *ashnlp.StatusError
		if !errors.As(err, &se) || se.Code != 500 || ashnlp.KindOf(err) != ashnlp.KindStatus5xx {
			t.Fatalf("err = %v", err)
		}
		if n := len(f.sim.Calls()); n != 3 {
			t.Errorf("%d attempts, want 3", n)
		}
		st := f.client.State()
		if st.Counts.Failed != 1 || st.Counts.Errors[ashnlp.KindStatus5xx] != 1 || st.LastErrorKind != ashnlp.KindStatus5xx || st.LastErrorAt.IsZero() {
			t.Errorf("state %+v", st)
		}
	})
}

func TestTimeoutIsRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := inBubble(t, ashnlp.Options{Timeout: 5 * time.Second})
		f.sim.HangNext(1)
		began := time.Now()
		res, err := f.client.Analyze(t.Context(), ashnlp.Request{Message: "[score=0.6]"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Severity != "high" {
			t.Errorf("severity %q", res.Severity)
		}
		if took := time.Since(began); took < 5*time.Second {
			t.Errorf("answered after %v, before the first attempt's timeout", took)
		}
		if got := f.observed(); len(got) != 2 || got[0] != ashnlp.KindTimeout || got[1] != "" {
			t.Errorf("observed attempts %v", got)
		}
	})
}

func TestTimeoutsExhaustTheRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := inBubble(t, ashnlp.Options{Timeout: time.Second})
		f.sim.SetFaults(nlpsim.Faults{Hang: true})
		_, err := f.client.Analyze(t.Context(), ashnlp.Request{Message: "hello"})
		if ashnlp.KindOf(err) != ashnlp.KindTimeout || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v (kind %q)", err, ashnlp.KindOf(err))
		}
		if n := len(f.sim.Calls()); n != 3 {
			t.Errorf("%d attempts, want 3", n)
		}
	})
}

func TestClientErrorsAreNotRetriedNorBreakerFailures(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := inBubble(t, ashnlp.Options{BreakerFailures: 2})
		f.sim.SetFaults(nlpsim.Faults{Status: 404})
		for range 5 {
			_, err := f.client.Analyze(t.Context(), ashnlp.Request{Message: "hello"})
			var se *ashnlp.StatusError
			if !errors.As(err, &se) || se.Code != 404 || ashnlp.KindOf(err) != ashnlp.KindStatus4xx {
				t.Fatalf("err = %v", err)
			}
		}
		if n := len(f.sim.Calls()); n != 5 {
			t.Errorf("%d attempts for 5 calls, want 5 (no retries)", n)
		}
		if st := f.client.State(); st.Breaker != "closed" || st.Counts.Retries != 0 {
			t.Errorf("state %+v", st)
		}
	})
}

func TestInvalidRequestIsLoggedWithoutTheText(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := inBubble(t, ashnlp.Options{BreakerFailures: 2})
		const secret = "PRIVATE-WORDS "
		long := strings.Repeat(secret, ashnlp.MaxMessageChars/len(secret)+1)
		for range 4 {
			_, err := f.client.Analyze(t.Context(), ashnlp.Request{Message: long})
			var se *ashnlp.StatusError
			if !errors.As(err, &se) || se.Code != 422 || ashnlp.KindOf(err) != ashnlp.KindInvalidRequest {
				t.Fatalf("err = %v", err)
			}
			if se.Detail != "body.message: string_too_long" || strings.Contains(err.Error(), "PRIVATE") {
				t.Errorf("detail %q, error %q", se.Detail, err)
			}
		}
		calls := f.sim.Calls()
		if len(calls) != 4 {
			t.Errorf("%d attempts for 4 calls: a 422 was retried", len(calls))
		}
		// The stand-in echoes the input as FastAPI does, so the check
		// below is a real one.
		if !strings.Contains(string(calls[0].Body), "PRIVATE") {
			t.Fatal("stand-in did not see the text")
		}
		logs := f.logs.String()
		if !strings.Contains(logs, "bug in ashbot") || !strings.Contains(logs, "string_too_long") {
			t.Errorf("no bug report in the log: %s", logs)
		}
		if strings.Contains(logs, "PRIVATE") {
			t.Errorf("message text in the log: %s", logs)
		}
		if st := f.client.State(); st.Breaker != "closed" || st.Counts.Errors[ashnlp.KindInvalidRequest] != 4 {
			t.Errorf("state %+v", st)
		}
	})
}

func TestDegradedAnswersAreUsedAndCounted(t *testing.T) {
	f := onLoopback(t, ashnlp.Options{})
	res, err := f.client.Analyze(context.Background(), ashnlp.Request{Message: "I can't go on [degraded]"})
	if err != nil || !res.IsDegraded || res.Severity != "high" {
		t.Fatalf("res %+v, err %v", res, err)
	}
	f.sim.SetFaults(nlpsim.Faults{Degraded: true})
	if res, err := f.client.Analyze(context.Background(), ashnlp.Request{Message: "nice weather"}); err != nil || !res.IsDegraded || res.Severity != "safe" {
		t.Fatalf("res %+v, err %v", res, err)
	}
	f.sim.SetFaults(nlpsim.Faults{})
	if _, err := f.client.Analyze(context.Background(), ashnlp.Request{Message: "nice weather"}); err != nil {
		t.Fatal(err)
	}
	if c := f.client.State().Counts; c.Degraded != 2 || c.Succeeded != 3 {
		t.Errorf("counts %+v", c)
	}
}

func TestConnectionRefusedIsRetriedAndRecovers(t *testing.T) {
	// A real socket: the stand-in stops listening. The retry waits are
	// wall-clock here, so they are kept tiny.
	f := onLoopback(t, ashnlp.Options{RetryDelay: time.Millisecond})
	f.sim.Refuse()
	_, err := f.client.Analyze(context.Background(), ashnlp.Request{Message: "hello"})
	if ashnlp.KindOf(err) != ashnlp.KindConnection {
		t.Fatalf("err = %v (kind %q)", err, ashnlp.KindOf(err))
	}
	if got := f.observed(); len(got) != 3 {
		t.Errorf("%d attempts, want 3", len(got))
	}
	if err := f.client.Health(context.Background()); err == nil {
		t.Error("health ok while refusing")
	}
	if err := f.sim.Listen(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.client.Analyze(context.Background(), ashnlp.Request{Message: "hello"}); err != nil {
		t.Fatal(err)
	}
}

func TestHealth(t *testing.T) {
	f := onLoopback(t, ashnlp.Options{})
	if err := f.client.Health(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.sim.SetFaults(nlpsim.Faults{NotReady: true})
	if err := f.client.Health(context.Background()); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("not ready: err = %v", err)
	}
	if n := len(f.sim.Calls()); n != 2 {
		t.Errorf("health retried: %d calls", n)
	}
}

func TestCallerCancellationIsNotABreakerFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := inBubble(t, ashnlp.Options{BreakerFailures: 1, Timeout: time.Minute})
		f.sim.SetFaults(nlpsim.Faults{Hang: true})
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		_, err := f.client.Analyze(ctx, ashnlp.Request{Message: "hello"})
		if ashnlp.KindOf(err) != ashnlp.KindCanceled {
			t.Fatalf("err = %v (kind %q)", err, ashnlp.KindOf(err))
		}
		if n := len(f.sim.Calls()); n != 1 {
			t.Errorf("%d attempts after the caller gave up, want 1", n)
		}
		if st := f.client.State().Breaker; st != "closed" {
			t.Errorf("breaker %s", st)
		}
	})
}

func TestNewRejectsABadURL(t *testing.T) {
	for _, u := range []string{"", "ash-nlp:30880", "ftp://x", "http://"} {
		if _, err := ashnlp.New(ashnlp.Options{BaseURL: u}); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}
