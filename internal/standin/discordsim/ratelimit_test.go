package discordsim

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawPost sends one authorised request as any client would and returns the
// answer with its body read.
func rawPost(t *testing.T, sim *Sim, path string) (*http.Response, []byte) {
	t.Helper()
	rq, err := http.NewRequest(http.MethodPost, sim.URL()+path, strings.NewReader(`{"content":"hi"}`))
	if err != nil {
		t.Fatal(err)
	}
	rq.Header.Set("Authorization", "Bot "+sim.Token())
	rq.Header.Set("Content-Type", "application/json")
	rq.Header.Set("User-Agent", "DiscordBot (https://github.com/alphabetcartel/ashbot, test)")
	rs, err := http.DefaultClient.Do(rq)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Body.Close()
	body, err := io.ReadAll(rs.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rs, body
}

func wantHeaders(t *testing.T, what string, h http.Header, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got, ok := h[http.CanonicalHeaderKey(k)]; v == "" && ok {
			t.Errorf("%s: %s = %q, want none", what, k, got)
		} else if v != "" && h.Get(k) != v {
			t.Errorf("%s: %s = %q, want %q", what, k, h.Get(k), v)
		}
	}
}

// A route with a limit counts down X-RateLimit-Remaining with a fractional
// Reset-After, answers 429 to a request that goes out at Remaining 0, and
// opens again after the reset, on the simulated clock.
func TestRateLimitHeadersAndEarlyRequest(t *testing.T) {
	sim, clock := newSim(t, Options{})
	ch := sim.AddChannel("general")
	other := sim.AddChannel("other")
	if err := sim.SetRateLimit(RateLimit{Method: "POST", Path: "/channels/*/messages", Limit: 2, Window: 2500 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	path := "/channels/" + ch.String() + "/messages"
	rs, _ := rawPost(t, sim, path)
	wantHeaders(t, "first", rs.Header, map[string]string{"X-RateLimit-Limit": "2", "X-RateLimit-Remaining": "1", "X-RateLimit-Reset-After": "2.500", "X-RateLimit-Scope": ""})
	bucket := rs.Header.Get("X-RateLimit-Bucket")
	if bucket == "" {
		t.Fatal("no X-RateLimit-Bucket")
	}
	clock.Advance(1250 * time.Millisecond)
	rs, _ = rawPost(t, sim, path)
	wantHeaders(t, "second", rs.Header, map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "1.250", "X-RateLimit-Bucket": bucket})
	rs, body := rawPost(t, sim, path)
	if rs.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("early request: %d, want 429", rs.StatusCode)
	}
	wantHeaders(t, "429", rs.Header, map[string]string{"Retry-After": "2", "X-RateLimit-Scope": "user", "X-RateLimit-Remaining": "0", "X-RateLimit-Bucket": bucket, "X-RateLimit-Global": ""})
	var lb struct {
		RetryAfter float64 `json:"retry_after"`
		Global     bool    `json:"global"`
	}
	if err := json.Unmarshal(body, &lb); err != nil || lb.RetryAfter != 1.25 || lb.Global {
		t.Errorf("429 body %s (%v)", body, err)
	}
	// Another channel is another top-level resource with its own window.
	if rs, _ := rawPost(t, sim, "/channels/"+other.String()+"/messages"); rs.StatusCode != http.StatusOK {
		t.Errorf("other channel: %d", rs.StatusCode)
	}
	clock.Advance(1250 * time.Millisecond)
	if rs, _ := rawPost(t, sim, path); rs.StatusCode != http.StatusOK || rs.Header.Get("X-RateLimit-Remaining") != "1" {
		t.Errorf("after the reset: %d, remaining %q", rs.StatusCode, rs.Header.Get("X-RateLimit-Remaining"))
	}
	if n := len(sim.Messages(ch)); n != 3 {
		t.Errorf("%d messages, want 3 (the 429 had no effect)", n)
	}
}

// Injected 429s look like Discord's (or Cloudflare's) for each scope.
func TestRateLimitFaultShapes(t *testing.T) {
	sim, _ := newSim(t, Options{})
	ch := sim.AddChannel("general")
	path := "/channels/" + ch.String() + "/messages"
	for _, c := range []struct {
		f    Fault
		want map[string]string
	}{
		{Fault{RetryAfter: 2 * time.Second, Global: true},
			map[string]string{"Retry-After": "2", "X-RateLimit-Global": "true", "X-RateLimit-Scope": "global", "X-RateLimit-Bucket": "", "X-RateLimit-Remaining": "", "Via": "1.1 google"}},
		{Fault{RetryAfter: 300 * time.Millisecond, Shared: true},
			map[string]string{"Retry-After": "1", "X-RateLimit-Scope": "shared", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "0.300"}},
		{Fault{RetryAfter: 30 * time.Second, Cloudflare: true},
			map[string]string{"Retry-After": "30", "Via": "", "X-RateLimit-Bucket": "", "X-RateLimit-Scope": "", "Content-Type": "text/html; charset=UTF-8"}},
	} {
		c.f.Status = http.StatusTooManyRequests
		if err := sim.InjectFault(c.f); err != nil {
			t.Fatal(err)
		}
		rs, _ := rawPost(t, sim, path)
		if rs.StatusCode != http.StatusTooManyRequests {
			t.Errorf("%+v: status %d", c.f, rs.StatusCode)
		}
		wantHeaders(t, "fault", rs.Header, c.want)
	}
}
