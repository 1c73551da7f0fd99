package ops

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"time"
)

// Statuses of a Component.
const (
	StatusOK       = "ok"
	StatusDegraded = "degraded" // works, with less (a breaker open, a fallback)
	StatusDown     = "down"
	StatusOff      = "off" // switched off by a setting
)

// Component is one part's entry in /health/detailed. It holds kinds and
// times, never error text, which may carry a host, a key or an echo of a
// message.
type Component struct {
	Status    string     `json:"status"`
	Detail    string     `json:"detail,omitempty"`
	LastError *LastError `json:"last_error,omitempty"`
	LatencyMS *float64   `json:"latency_ms,omitempty"`
	// Required components make the whole report "down" (and the answer
	// 503) when they are down; the others make it "degraded".
	Required bool `json:"-"`
}

// LastError is the kind and time of a component's last failure.
type LastError struct {
	Kind string    `json:"kind"`
	At   time.Time `json:"at"`
}

// Failure returns the LastError for kind and at, nil when kind is empty.
func Failure(kind string, at time.Time) *LastError {
	if kind == "" {
		return nil
	}
	return &LastError{Kind: kind, At: at.UTC()}
}

// Millis returns d in milliseconds for LatencyMS, nil when d is 0
// (nothing measured yet).
func Millis(d time.Duration) *float64 {
	if d <= 0 {
		return nil
	}
	ms := float64(d.Microseconds()) / 1000
	return &ms
}

// Probe reports one component; it is called per request with a short
// timeout.
type Probe func(ctx context.Context) Component

// Details are what /health/detailed shows besides the components.
type Details struct {
	Version    string
	Started    time.Time
	Now        func() time.Time
	Components map[string]Probe
}

// Detail sets what /health/detailed reports. Call it before Serve; until
// then the path answers 404.
func (s *Server) Detail(d Details) {
	if d.Now == nil {
		d.Now = time.Now
	}
	s.details = &d
}

type detailedBody struct {
	Status        string               `json:"status"`
	Version       string               `json:"version"`
	StartedAt     time.Time            `json:"started_at"`
	UptimeSeconds int64                `json:"uptime_seconds"`
	Components    map[string]Component `json:"components"`
}

func (s *Server) detailed(w http.ResponseWriter, r *http.Request) {
	d := s.details
	if d == nil {
		http.NotFound(w, r)
		return
	}
	names := make([]string, 0, len(d.Components))
	for n := range d.Components {
		names = append(names, n)
	}
	sort.Strings(names)
	body := detailedBody{Status: StatusOK, Version: d.Version, StartedAt: d.Started.UTC(),
		UptimeSeconds: int64(d.Now().Sub(d.Started).Seconds()), Components: map[string]Component{}}
	for _, n := range names {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		c := d.Components[n](ctx)
		cancel()
		body.Components[n] = c
		switch {
		case c.Status == StatusDown && c.Required:
			body.Status = StatusDown
		case c.Status != StatusOK && c.Status != StatusOff && body.Status == StatusOK:
			body.Status = StatusDegraded
		}
	}
	w.Header().Set("Content-Type", "application/json")
	if body.Status == StatusDown {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(body)
}
