package discordsim

import (
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

// Fault makes matching REST requests fail before they reach the simulated
// API, so they have no side effects (like a request Discord rejected).
type Fault struct {
	// Method matches the HTTP method; "" or "*" match any.
	Method string
	// Path is a path.Match pattern for the path below /api/v10, e.g.
	// "/channels/*/messages" ("*" is one path segment). "" or "**" match any path.
	Path string
	// Status is the HTTP status to return (403, 404, 429, 500, ...).
	Status int
	// Code and Message override the Discord JSON error body. Zero values give
	// Discord's usual body for the status (403 -> 50001 Missing Access).
	Code    int
	Message string
	// RetryAfter, Global, Shared and Cloudflare shape a 429 the way
	// https://discord.com/developers/docs/topics/rate-limits describes it:
	// a per-route 429 (scope "user", or "shared" with Shared) carries the
	// route's X-RateLimit-Bucket and Remaining 0; a Global one carries
	// X-RateLimit-Global and no bucket; a Cloudflare one comes from in
	// front of the API, with Retry-After, an HTML page and no X-RateLimit
	// headers or Via at all. Keep RetryAfter small in tests that let a
	// real client wait on the wall clock.
	RetryAfter time.Duration
	Global     bool
	Shared     bool
	Cloudflare bool
	// Times is how many matching requests fail; <= 0 means 1.
	Times int
}

type faultRec struct {
	Fault
	left int
}

// InjectFault queues a fault. Faults are matched in the order added.
func (s *Sim) InjectFault(f Fault) error {
	if f.Path != "" && f.Path != "**" {
		if _, err := path.Match(f.Path, "/"); err != nil {
			return fmt.Errorf("discordsim: fault path %q: %w", f.Path, err)
		}
	}
	if f.Status < 400 || f.Status > 599 {
		return fmt.Errorf("discordsim: fault status %d is not an error status", f.Status)
	}
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.faults = append(s.st.faults, &faultRec{Fault: f, left: f.Times})
	return nil
}

// FailNext makes the next n requests matching method and pathPattern (see
// Fault.Path) fail with status and Discord's default body for it. It panics
// on an invalid pattern or status because that is a bug in the test.
func (s *Sim) FailNext(method, pathPattern string, status, n int) {
	if err := s.InjectFault(Fault{Method: method, Path: pathPattern, Status: status, Times: n}); err != nil {
		panic(err)
	}
}

// ClearFaults drops all pending faults.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.faults = nil
}

// PendingFaults reports how many injected failures have not fired yet.
func (s *Sim) PendingFaults() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, f := range s.st.faults {
		n += f.left
	}
	return n
}

func (s *Sim) takeFault(method, p string) *faultRec {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, f := range s.st.faults {
		if !matches(f.Method, f.Path, method, p) {
			continue
		}
		f.left--
		if f.left <= 0 {
			s.st.faults = append(s.st.faults[:i:i], s.st.faults[i+1:]...)
		}
		c := *f
		return &c
	}
	return nil
}

func (f *faultRec) response() response {
	code, msg := defaultFaultBody(f.Status)
	if f.Code != 0 {
		code = f.Code
	}
	if f.Message != "" {
		msg = f.Message
	}
	if f.Status == http.StatusTooManyRequests && f.Cloudflare {
		return response{status: f.Status, html: cloudflarePage}
	}
	if f.Status == http.StatusTooManyRequests {
		return response{status: f.Status, code: code, body: struct {
			Code       int     `json:"code"`
			Message    string  `json:"message"`
			RetryAfter float64 `json:"retry_after"`
			Global     bool    `json:"global"`
		}{code, msg, f.RetryAfter.Seconds(), f.Global}}
	}
	return errResp(f.Status, code, msg)
}

// cloudflarePage stands in for the block page Cloudflare answers with.
const cloudflarePage = "<!DOCTYPE html><html><head><title>Access denied | discord.com used Cloudflare to restrict access</title></head><body>Error 1015: You are being rate limited.</body></html>"

// RateLimit makes matching routes enforce a per-route limit on the
// simulated clock (Options.Now), as Discord does: Limit requests per
// Window for each top-level resource (channel, guild, webhook), and a
// request that goes out while X-RateLimit-Remaining was 0 gets a 429
// (scope "user") before it has effects. Without one, every route
// announces 5 per second and never runs out.
type RateLimit struct {
	Method string // as Fault.Method
	Path   string // as Fault.Path
	Limit  int
	Window time.Duration
}

// SetRateLimit adds a per-route limit; the first matching one applies.
func (s *Sim) SetRateLimit(rl RateLimit) error {
	if rl.Path != "" && rl.Path != "**" {
		if _, err := path.Match(rl.Path, "/"); err != nil {
			return fmt.Errorf("discordsim: rate limit path %q: %w", rl.Path, err)
		}
	}
	if rl.Limit <= 0 || rl.Window <= 0 {
		return fmt.Errorf("discordsim: rate limit needs Limit and Window > 0")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.limits = append(s.st.limits, rl)
	if s.st.windows == nil {
		s.st.windows = map[string]*limitWindow{}
	}
	return nil
}

func matches(method, pattern, m, p string) bool {
	if method != "" && method != "*" && !strings.EqualFold(method, m) {
		return false
	}
	if pattern == "" || pattern == "**" {
		return true
	}
	ok, _ := path.Match(pattern, p)
	return ok
}

// limitWindow is one route's and resource's current window.
type limitWindow struct {
	limit int
	used  int
	reset time.Time
}

// limitState is what a request learnt of its route's limit: the values
// of the X-RateLimit headers, and whether it went over.
type limitState struct {
	limit, remaining int
	resetAfter       time.Duration
	exceeded         bool
}

// majorParam is the top-level resource Discord keys per-route limits on
// (https://discord.com/developers/docs/topics/rate-limits): the channel,
// guild or webhook (with its token) in the path.
func majorParam(rel string) string {
	parts := strings.Split(strings.TrimPrefix(rel, "/"), "/")
	switch {
	case len(parts) >= 3 && parts[0] == "webhooks":
		return parts[1] + "/" + parts[2]
	case len(parts) >= 2 && (parts[0] == "channels" || parts[0] == "guilds" || parts[0] == "webhooks"):
		return parts[1]
	}
	return ""
}

// takeLimit counts a request against its route's limit (when one is set)
// and says what the headers announce. A request over the limit is not
// counted: Discord refuses it before it has effects.
func (s *Sim) takeLimit(method, rel, pattern string) *limitState {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rl := range s.st.limits {
		if !matches(rl.Method, rl.Path, method, rel) {
			continue
		}
		now := s.nowLocked()
		key := pattern + " " + majorParam(rel)
		w := s.st.windows[key]
		if w == nil || !now.Before(w.reset) {
			w = &limitWindow{limit: rl.Limit, reset: now.Add(rl.Window)}
			s.st.windows[key] = w
		}
		st := &limitState{limit: w.limit, resetAfter: w.reset.Sub(now)}
		if w.used >= w.limit {
			st.exceeded = true
			return st
		}
		w.used++
		st.remaining = w.limit - w.used
		return st
	}
	return nil
}

// response is the 429 for a request that went out early.
func (l *limitState) response() response {
	return response{status: http.StatusTooManyRequests, code: CodeGeneral, body: struct {
		Code       int     `json:"code"`
		Message    string  `json:"message"`
		RetryAfter float64 `json:"retry_after"`
		Global     bool    `json:"global"`
	}{CodeGeneral, "You are being rate limited.", l.resetAfter.Seconds(), false}}
}

// setRateHeaders writes the rate-limit headers of a response as
// https://discord.com/developers/docs/topics/rate-limits#header-format
// shows them: Limit, Remaining, Reset (epoch seconds), Reset-After
// (seconds with a fraction) and Bucket on every API response; on a 429
// also Retry-After (whole seconds, rounded up), X-RateLimit-Scope, and for
// a global one X-RateLimit-Global without any bucket headers.
func (s *Sim) setRateHeaders(h http.Header, res response, bucket string, f *faultRec, lim *limitState) {
	now := s.now()
	if f != nil && f.Cloudflare && res.status == http.StatusTooManyRequests {
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(f.RetryAfter.Seconds()))))
		return
	}
	// disgo treats a 429 without "via" as Cloudflare's; API responses
	// carry this header.
	h.Set("Via", "1.1 google")
	limit, remaining, resetAfter := 5, 4, time.Second
	if lim != nil {
		limit, remaining, resetAfter = lim.limit, lim.remaining, lim.resetAfter
	}
	if res.status == http.StatusTooManyRequests {
		retry := resetAfter
		scope := "user"
		switch {
		case f != nil && f.Global:
			retry, scope = f.RetryAfter, "global"
		case f != nil:
			retry = f.RetryAfter
			if f.Shared {
				scope = "shared"
			}
		}
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(retry.Seconds()))))
		h.Set("X-RateLimit-Scope", scope)
		if scope == "global" {
			h.Set("X-RateLimit-Global", "true")
			return
		}
		remaining, resetAfter = 0, retry
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Reset", strconv.FormatFloat(float64(now.Add(resetAfter).UnixMilli())/1000, 'f', 3, 64))
	h.Set("X-RateLimit-Reset-After", strconv.FormatFloat(resetAfter.Seconds(), 'f', 3, 64))
	h.Set("X-RateLimit-Bucket", bucket)
}

func bucketHash(pattern string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(pattern))
	return fmt.Sprintf("%016x", h.Sum64())
}
