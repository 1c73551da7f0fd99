// Package nlpsim stands in for Ash-NLP, the community's crisis classifier
// (shared/spec/ash-nlp-api.md), on loopback HTTP: POST /analyze and
// GET /health with the real API's shapes, for tests, the demo and local
// development (`ashbot nlp-sim --addr 127.0.0.1:30880`).
//
// It validates requests as the real service's FastAPI model does and
// answers 422 with a pydantic-style "detail" list (which echoes the input,
// as the real one does) when the message is missing, not a string, empty,
// only whitespace or over 10000 characters, when message_history has more
// than 20 items or an item lacks message or timestamp (ISO-8601), or when
// a field has the wrong type.
//
// Classification is deterministic, from the message text alone:
//
//   - A marker "[score=0.91]" anywhere sets crisis_score to that number
//     (clamped to 0..1), so a test can pick any severity exactly.
//   - Otherwise phrases are matched case-insensitively and the highest
//     wins: "kill myself", "end my life" 0.95; "end it all" 0.92;
//     "suicide", "suicidal", "want to die" 0.9; "better off without me"
//     0.88; "no reason to live" 0.75; "can't go on", "hurt myself",
//     "self harm" 0.7; "hopeless" 0.6; "so alone", "worthless",
//     "can't cope" 0.4; "falling apart" 0.35; "sad", "stressed",
//     "anxious" 0.2; "rough day" 0.18. No match scores 0.05.
//   - The severity follows the service's thresholds (critical >= 0.85,
//     high >= 0.55, medium >= 0.28, low >= 0.16, else safe); crisis_detected
//     is medium or above, requires_intervention high or above.
//   - "[degraded]" in the text makes that answer is_degraded.
//
// So "I want to end it all" is critical, "I feel so alone" medium and
// "nice weather" safe. History is validated and recorded but does not
// change the score.
//
// Faults are set with SetFaults, FailNext or HangNext (latency, a status such as
// 503, hanging until the client gives up, is_degraded on every answer,
// /health not ready) and Refuse stops listening so connections are
// refused until Listen. Every request is recorded (Calls) so tests can
// check what a client sent.
package nlpsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Faults change how the stand-in answers until set again.
type Faults struct {
	// Latency delays every /analyze answer (after validation).
	Latency time.Duration
	// Status, when not zero, answers every valid /analyze with this HTTP
	// status and a FastAPI-style {"detail": ...} body.
	Status int
	// Hang never answers /analyze; the request ends when the client gives
	// up or the stand-in closes.
	Hang bool
	// Degraded sets is_degraded on every answer.
	Degraded bool
	// NotReady answers /health with 503 {"ready": false}.
	NotReady bool
}

// Call is one request the stand-in received.
type Call struct {
	Method, Path string
	// At is when the request arrived.
	At time.Time
	// Status is what it answered (0 for a hang the client gave up on).
	Status int
	// Body is the raw request body.
	Body []byte
	// Analyze is the decoded body of a valid POST /analyze, else nil.
	Analyze *AnalyzeRequest
}

// maxCalls bounds the record so a long demo does not grow without end.
const maxCalls = 10000

// Server is the stand-in. Its zero value is not usable: call New or Start.
type Server struct {
	handler http.Handler
	closed  chan struct{} // released hangs on Close
	once    sync.Once

	mu     sync.Mutex
	faults Faults
	next   []next // faults for the next answers, first first
	calls  []Call
	seq    int
	addr   string
	srv    *http.Server
}

// New returns a stand-in that is not listening: serve Handler yourself
// (tests over in-memory connections) or call Listen.
func New() *Server {
	s := &Server{closed: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /analyze", s.analyze)
	mux.HandleFunc("GET /health", s.health)
	s.handler = mux
	return s
}

// Start returns a stand-in listening on addr ("127.0.0.1:0" picks a port).
func Start(addr string) (*Server, error) {
	s := New()
	s.addr = addr
	if err := s.Listen(); err != nil {
		return nil, err
	}
	return s, nil
}

// Handler serves /analyze and /health.
func (s *Server) Handler() http.Handler { return s.handler }

// Listen (again) accepts connections on the stand-in's address; after
// Refuse it binds the same port.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return nil
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("nlpsim: %w", err)
	}
	s.addr = ln.Addr().String()
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	s.srv = srv
	go func() { _ = srv.Serve(ln) }()
	return nil
}

// Refuse stops listening and drops open connections, so clients get
// "connection refused" until Listen.
func (s *Server) Refuse() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// Close stops the stand-in and releases hanging requests.
func (s *Server) Close() {
	s.once.Do(func() { close(s.closed) })
	s.Refuse()
}

// Addr is host:port while listening (or after), "" for New without Listen.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// URL is the base URL clients are given.
func (s *Server) URL() string { return "http://" + s.Addr() }

// SetFaults replaces the faults in force.
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

// next is a fault for one answer.
type next struct {
	status int
	hang   bool
}

// FailNext answers the next n valid /analyze requests with status, before
// any fault set with SetFaults.
func (s *Server) FailNext(n, status int) { s.queue(n, next{status: status}) }

// HangNext leaves the next n valid /analyze requests unanswered until the
// client gives up.
func (s *Server) HangNext(n int) { s.queue(n, next{hang: true}) }

func (s *Server) queue(n int, f next) {
	s.mu.Lock()
	for range n {
		s.next = append(s.next, f)
	}
	s.mu.Unlock()
}

// Calls returns the requests received so far, oldest first.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Analyzed returns the valid /analyze bodies received, oldest first,
// whatever they were answered.
func (s *Server) Analyzed() []AnalyzeRequest {
	var out []AnalyzeRequest
	for _, c := range s.Calls() {
		if c.Analyze != nil {
			out = append(out, *c.Analyze)
		}
	}
	return out
}

// Reset forgets the calls and clears every fault.
func (s *Server) Reset() {
	s.mu.Lock()
	s.calls, s.next, s.faults = nil, nil, Faults{}
	s.mu.Unlock()
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.calls) >= maxCalls {
		s.calls = s.calls[1:]
	}
	s.calls = append(s.calls, c)
}

// maxRequestBody is far above any valid request (10000 characters of
// text and 20 history items) and keeps a runaway client in check.
const maxRequestBody = 4 << 20

func (s *Server) analyze(w http.ResponseWriter, r *http.Request) {
	began := time.Now()
	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody))
	call := Call{Method: r.Method, Path: r.URL.Path, At: began, Body: body}
	if err != nil {
		call.Status = http.StatusBadRequest
		s.record(call)
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	req, problems := validate(body)
	if len(problems) > 0 {
		call.Status = http.StatusUnprocessableEntity
		s.record(call)
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": problems})
		return
	}
	call.Analyze = &req

	s.mu.Lock()
	f := s.faults
	status, hang := f.Status, f.Hang
	if len(s.next) > 0 {
		status, hang = s.next[0].status, s.next[0].hang
		s.next = s.next[1:]
	}
	s.seq++
	id := fmt.Sprintf("sim-%06d", s.seq)
	s.mu.Unlock()

	if hang {
		s.record(call)
		select {
		case <-r.Context().Done():
		case <-s.closed:
		}
		return
	}
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			s.record(call)
			return
		}
	}
	if status != 0 {
		call.Status = status
		s.record(call)
		writeJSON(w, status, map[string]any{"detail": http.StatusText(status) + " (simulated)"})
		return
	}
	c := classify(req.Message)
	sev := SeverityOf(c.score)
	call.Status = http.StatusOK
	s.record(call)
	writeJSON(w, http.StatusOK, map[string]any{
		"crisis_detected":       sev == "medium" || sev == "high" || sev == "critical",
		"severity":              sev,
		"confidence":            c.confidence,
		"crisis_score":          c.score,
		"requires_intervention": sev == "high" || sev == "critical",
		"recommended_action":    recommendedAction(sev),
		"request_id":            id,
		"processing_time_ms":    float64(time.Since(began).Microseconds()) / 1000,
		"is_degraded":           f.Degraded || strings.Contains(strings.ToLower(req.Message), degradedMarker),
		"models_used":           []string{"nlpsim"},
		"timestamp":             time.Now().UTC().Format(time.RFC3339Nano),
		"explanation": map[string]any{
			"decision_summary": c.summary,
			"key_factors":      nonNil(c.factors),
		},
	})
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	notReady := s.faults.NotReady
	s.mu.Unlock()
	call := Call{Method: r.Method, Path: r.URL.Path, At: time.Now(), Status: http.StatusOK}
	body := map[string]any{"status": "healthy", "ready": true, "models_loaded": 1}
	if notReady {
		call.Status = http.StatusServiceUnavailable
		body = map[string]any{"status": "unhealthy", "ready": false, "models_loaded": 0}
	}
	s.record(call)
	writeJSON(w, call.Status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(errors.New("nlpsim: cannot encode an answer: " + err.Error()))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
