// Package modelsim is what the language-model stand-ins (anthropicsim,
// openaisim) share: one loopback HTTP server per stand-in, faults on
// demand (an HTTP error with its retry-after, latency, a hang), a record of
// every request, and the deterministic answer both give, which quotes the
// last user message and counts the turns the model was sent, so a test
// can read from a reply what the model saw.
package modelsim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Fault changes how the next request is answered. Faults are used up in
// the order they were injected, one per request.
type Fault struct {
	// Status, when set, answers with this HTTP status and the API's error
	// body for it (429, 500, 503, 529, 401...) instead of a reply.
	Status int
	// RetryAfter, when set, is sent as the retry-after header (seconds,
	// or an HTTP date), as the APIs do with 429 and 529.
	RetryAfter string
	// Delay waits before answering (added to the stand-in's latency).
	Delay time.Duration
	// Hang never answers: the request waits until the client gives up or
	// the stand-in closes.
	Hang bool
}

// Recorded is one request as it arrived.
type Recorded struct {
	Method, Path string
	Header       http.Header
	Body         []byte
	// Status is what the stand-in answered (0 for a hang the client
	// abandoned).
	Status int
}

// API is what one stand-in adds to the common server.
type API struct {
	// Serve answers a request that no fault claimed and returns the
	// status it wrote.
	Serve func(w http.ResponseWriter, r *http.Request, body []byte) int
	// WriteFault writes the API's error body for an injected status.
	WriteFault func(w http.ResponseWriter, status int)
	// RequestIDHeader names the header in which every answer carries its
	// request id ("request-id" for Anthropic, "x-request-id" for OpenAI);
	// Serve and WriteFault find the id there for their bodies.
	RequestIDHeader string
}

// Server is the loopback server of one stand-in.
type Server struct {
	api  API
	srv  *http.Server
	url  string
	done chan struct{}

	ids      atomic.Int64 // request ids, req_sim00000001 on
	mu       sync.Mutex
	faults   []Fault
	latency  time.Duration
	requests []Recorded
	closed   bool
}

// maxBody bounds a request body; both APIs take far less from Ash.
const maxBody = 8 << 20

// Start listens on 127.0.0.1 at a free port and serves api.
func Start(api API) (*Server, error) {
	if api.Serve == nil || api.WriteFault == nil {
		return nil, errors.New("modelsim: API needs Serve and WriteFault")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("modelsim: %w", err)
	}
	s := &Server{api: api, url: "http://" + ln.Addr().String(), done: make(chan struct{})}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.handle), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// URL is the server's root, http://127.0.0.1:port.
func (s *Server) URL() string { return s.url }

// Inject queues faults for the next requests, one each.
func (s *Server) Inject(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, faults...)
}

// SetLatency makes every answer wait d first (a model's thinking time).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// Recorded returns every request so far, oldest first.
func (s *Server) Recorded() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Recorded, len(s.requests))
	copy(out, s.requests)
	return out
}

// ConversationsWith returns what read makes of each request answered with 200
// (faults and refused requests aside), oldest first; read skips a request
// by returning false.
func (s *Server) ConversationsWith(read func(Recorded) (Conversation, bool)) []Conversation {
	var out []Conversation
	for _, r := range s.Recorded() {
		if r.Status != http.StatusOK {
			continue
		}
		if c, ok := read(r); ok {
			out = append(out, c)
		}
	}
	return out
}

// Close releases hanging requests and stops the server.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	close(s.done)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(ctx); err != nil {
		_ = s.srv.Close()
	}
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	if s.api.RequestIDHeader != "" {
		w.Header().Set(s.api.RequestIDHeader, fmt.Sprintf("req_sim%08d", s.ids.Add(1)))
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		return
	}
	s.mu.Lock()
	idx := len(s.requests)
	s.requests = append(s.requests, Recorded{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
	var f Fault
	if len(s.faults) > 0 {
		f, s.faults = s.faults[0], s.faults[1:]
	}
	wait := s.latency + f.Delay
	s.mu.Unlock()

	status := s.answer(w, r, body, f, wait)
	s.mu.Lock()
	s.requests[idx].Status = status
	s.mu.Unlock()
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request, body []byte, f Fault, wait time.Duration) int {
	if f.Hang {
		select {
		case <-r.Context().Done():
		case <-s.done:
		}
		return 0
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			return 0
		case <-s.done:
			return 0
		}
	}
	if f.Status != 0 {
		if f.RetryAfter != "" {
			w.Header().Set("retry-after", f.RetryAfter)
		}
		s.api.WriteFault(w, f.Status)
		return f.Status
	}
	return s.api.Serve(w, r, body)
}

// Turn is one message of a conversation as a stand-in read it.
type Turn struct {
	Role, Text string
}

// Conversation is what a model was sent.
type Conversation struct {
	Model     string
	System    string
	Turns     []Turn
	MaxTokens int // 0 when the request set none
}

// LastUser is the text of the last user turn.
func (c Conversation) LastUser() string {
	for i := len(c.Turns) - 1; i >= 0; i-- {
		if c.Turns[i].Role == "user" {
			return c.Turns[i].Text
		}
	}
	return ""
}

// Responder writes a stand-in's reply to a conversation.
type Responder func(Conversation) string

// Echo is the default Responder: `[turns=N] you said: <last user message>`,
// N counting every turn the model was sent (the system prompt aside).
func Echo(c Conversation) string {
	return fmt.Sprintf("[turns=%d] you said: %s", len(c.Turns), c.LastUser())
}

// Tokens counts words as tokens: close enough for budgets and metrics, and
// the same on every run.
func Tokens(text string) int { return len(strings.Fields(text)) }

// Complete runs respond on c and cuts the reply at c.MaxTokens words.
// It returns the text, the input and output token counts and whether the
// reply was cut.
func Complete(respond Responder, c Conversation) (text string, in, out int, cut bool) {
	if respond == nil {
		respond = Echo
	}
	in = Tokens(c.System)
	for _, t := range c.Turns {
		in += Tokens(t.Text)
	}
	text = respond(c)
	words := strings.Fields(text)
	if c.MaxTokens > 0 && len(words) > c.MaxTokens {
		return strings.Join(words[:c.MaxTokens], " "), in, c.MaxTokens, true
	}
	return text, in, len(words), false
}
