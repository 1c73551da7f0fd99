package discordsim

import (
	"fmt"
	"net/http"
	"path"
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
	// RetryAfter and Global shape a 429 (Retry-After header, retry_after and
	// global in the body). Keep RetryAfter small in tests: disgo really waits.
	RetryAfter time.Duration
	Global     bool
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
		if f.Method != "" && f.Method != "*" && !strings.EqualFold(f.Method, method) {
			continue
		}
		if f.Path != "" && f.Path != "**" {
			if ok, _ := path.Match(f.Path, p); !ok {
				continue
			}
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
