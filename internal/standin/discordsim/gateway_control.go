package discordsim

// Controls tests use to break or end gateway connections, and what they
// can read about the sessions.

import (
	"encoding/json"
	"fmt"
	"strings"
)

// DisconnectGateway ends every gateway connection. code 0 drops the TCP
// connection without a close frame (a network failure); otherwise a close
// frame with that code is sent (e.g. 4000, after which clients resume, or
// 4004, which clients treat as fatal). Sessions stay resumable.
func (s *Sim) DisconnectGateway(code int) {
	s.mu.Lock()
	conns := s.st.allConns()
	s.mu.Unlock()
	for _, c := range conns {
		if code == 0 {
			c.drop()
		} else {
			c.closeWith(code, "discordsim: disconnect requested")
		}
	}
}

// RequestReconnect sends opcode 7 Reconnect to every connection; clients
// reconnect to resume_gateway_url and resume.
func (s *Sim) RequestReconnect() {
	s.mu.Lock()
	conns := s.st.allConns()
	s.mu.Unlock()
	for _, c := range conns {
		c.send(opReconnect, nil)
	}
}

// InvalidateSessions sends opcode 9. With resumable false the sessions are
// forgotten and clients must Identify again.
func (s *Sim) InvalidateSessions(resumable bool) {
	s.mu.Lock()
	conns := s.st.allConns()
	if !resumable {
		clear(s.st.sessions)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.send(opInvalidSession, resumable)
	}
}

// SetTokenValid(false) makes the bot token invalid: REST calls get 401 and
// Identify/Resume are closed with 4004 Authentication failed.
func (s *Sim) SetTokenValid(valid bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.tokenBad = !valid
	s.notifyLocked()
}

// Sessions returns the ids of live (identified, not yet invalidated) sessions.
func (s *Sim) Sessions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, ss := range s.sortedSessionsLocked() {
		out = append(out, ss.id)
	}
	return out
}

// ConnectedSessions returns how many sessions currently have a live connection.
func (s *Sim) ConnectedSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, ss := range s.st.sessions {
		if ss.conn != nil {
			n++
		}
	}
	return n
}

func (s *Sim) wsBaseLocked() string {
	if s.baseURL == "" {
		return "ws://127.0.0.1:0"
	}
	return "ws" + strings.TrimPrefix(s.baseURL, "http")
}

func mustJSON(v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		// Everything marshalled here is built by the simulator itself, so a
		// failure is a bug in this package, not bad input.
		panic(fmt.Sprintf("discordsim: marshal %T: %v", v, err))
	}
	return raw
}
