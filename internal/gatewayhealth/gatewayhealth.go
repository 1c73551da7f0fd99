// Package gatewayhealth tells whether ashbot's Discord gateway session is
// alive, for /readyz and for the operator. disgo reconnects and resumes by
// itself where Discord allows it (a dropped connection, op 7, a missing
// heartbeat ACK); what it cannot fix is a session Discord ended for good
// (a close code such as 4004 or 4014), or a connection that went silent.
// The Monitor notices both, logs each once with what to do, and reports
// not ready until a session is up again.
package gatewayhealth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/disgoorg/disgo/bot"
	"github.com/disgoorg/disgo/events"
	"github.com/disgoorg/disgo/gateway"
	"github.com/gorilla/websocket"
)

// DefaultStaleAfter is how long a session may go without a heartbeat ACK
// or any event before it counts as dead: two of Discord's heartbeat
// intervals (41.25 s today) and some slack. disgo itself closes and
// resumes a connection at the first heartbeat that finds the previous one
// unanswered, so a healthy bot never gets there.
const DefaultStaleAfter = 100 * time.Second

// Config configures a Monitor.
type Config struct {
	// StaleAfter: see DefaultStaleAfter (used when <= 0).
	StaleAfter time.Duration
	// Now is the wall clock, which heartbeats run on; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// Monitor follows one gateway session. Attach gives it the gateway's
// state; OnEvent and OnClose are disgo's event listener and close handler.
type Monitor struct {
	cfg Config

	mu          sync.Mutex
	status      func() gateway.Status
	last        Snapshot
	lastSeen    time.Time
	ended       *Ending // Discord ended the session; cleared by the next Ready
	staleLogged bool
	stopping    bool
}

// Ending is a close code after which Discord does not let the session
// continue or reconnect until someone changes something.
type Ending struct {
	Code   int
	Name   string
	Advice string
}

func (e *Ending) Error() string {
	return fmt.Sprintf("Discord ended the gateway session with close code %d (%s): %s", e.Code, e.Name, e.Advice)
}

// endings are the close codes Discord documents as not to be reconnected
// after (https://discord.com/developers/docs/topics/opcodes-and-status-codes#gateway-gateway-close-event-codes),
// with what the operator should do about each.
var endings = map[int]Ending{
	4004: {4004, "Authentication failed", "the bot token is wrong or was reset; put the bot's current token " +
		"(developer portal, Bot, Reset Token) in BOT_DISCORD_TOKEN and restart ashbot"},
	4010: {4010, "Invalid shard", "ashbot connects as one shard; this is a bug in ashbot, please report it"},
	4011: {4011, "Sharding required", "the bot is in too many servers for one connection; ashbot serves one " +
		"server, so remove the bot from the others and restart ashbot"},
	4012: {4012, "Invalid API version", "Discord no longer serves the gateway version this ashbot speaks; upgrade ashbot"},
	4013: {4013, "Invalid intent(s)", "Discord refused the intents this ashbot asks for; upgrade ashbot"},
	4014: {4014, "Disallowed intent(s)", "enable the Message Content intent for the bot in the Discord developer " +
		"portal (Bot, Privileged Gateway Intents), then restart ashbot"},
}

// Ended returns the session-ending close code in err (a gateway read or
// open error), if there is one.
func Ended(err error) (*Ending, bool) {
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		return nil, false
	}
	e, ok := endings[ce.Code]
	if !ok {
		return nil, false
	}
	return &e, true
}

// New returns a Monitor that has seen nothing yet.
func New(cfg Config) *Monitor {
	if cfg.StaleAfter <= 0 {
		cfg.StaleAfter = DefaultStaleAfter
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Monitor{cfg: cfg, lastSeen: cfg.Now()}
}

// Attach gives the monitor the gateway's state (disgo v0.19.6's
// Gateway.Status, which takes a lock and may be called from anywhere).
func (m *Monitor) Attach(status func() gateway.Status) {
	m.mu.Lock()
	m.status = status
	m.mu.Unlock()
}

// Snapshot is what the monitor knows beyond ready or not, for the
// detailed health report: no error text, only its kind. (No heartbeat
// latency: disgo v0.19.6 writes the heartbeat times on two goroutines
// without synchronisation, so Gateway.Latency races wherever it is read.)
type Snapshot struct {
	LastErrorKind string // "close_code_<n>", "connection_lost" or "silent"; "" before the first
	LastErrorAt   time.Time
}

// Snapshot returns a copy of what the monitor knows.
func (m *Monitor) Snapshot() Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last
}

func (m *Monitor) failedLocked(kind string) {
	m.last.LastErrorKind, m.last.LastErrorAt = kind, m.cfg.Now()
}

// Stopping makes the monitor report not ready from now on: the bot is
// shutting down and takes no new events.
func (m *Monitor) Stopping() {
	m.mu.Lock()
	m.stopping = true
	m.mu.Unlock()
}

// OnEvent implements bot.EventListener: any event from the gateway, a
// heartbeat ACK included, shows the connection is alive.
func (m *Monitor) OnEvent(e bot.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lastSeen = m.cfg.Now()
	switch e.(type) {
	case *events.Ready, *events.Resumed:
		if m.ended != nil {
			m.cfg.Logger.Info("discord gateway session is back", "after_close_code", m.ended.Code)
		}
		m.ended = nil
	}
	if m.staleLogged {
		m.staleLogged = false
		m.cfg.Logger.Info("discord gateway is answering again")
	}
}

// OnClose is disgo's gateway.CloseHandlerFunc: disgo calls it when a
// connection ended and it will not reconnect (or could not).
func (m *Monitor) OnClose(_ gateway.Gateway, err error, reconnect bool) {
	e, ok := Ended(err)
	m.mu.Lock()
	defer m.mu.Unlock()
	if !ok {
		m.failedLocked("connection_lost")
		m.cfg.Logger.Error("discord gateway connection lost and not reconnected; restart ashbot if it does not come back",
			"error", errString(err), "reconnect", reconnect)
		return
	}
	if m.ended == nil || m.ended.Code != e.Code {
		m.cfg.Logger.Error("discord gateway session ended: "+e.Advice, "close_code", e.Code, "reason", e.Name)
	}
	m.ended = e
	m.failedLocked(fmt.Sprintf("close_code_%d", e.Code))
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// Check reports nil while the session is up and answering; it is
// /readyz's check.
func (m *Monitor) Check(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.checkLocked()
}

func (m *Monitor) checkLocked() error {
	switch {
	case m.stopping:
		return errors.New("shutting down")
	case m.ended != nil:
		return m.ended
	case m.status == nil:
		return errors.New("gateway not opened yet")
	}
	if st := m.status(); st != gateway.StatusReady {
		return fmt.Errorf("gateway session not ready (%s)", st)
	}
	if quiet := m.cfg.Now().Sub(m.lastSeen); quiet > m.cfg.StaleAfter {
		if !m.staleLogged {
			m.staleLogged = true
			m.failedLocked("silent")
			m.cfg.Logger.Warn("no heartbeat ACK or event from the discord gateway; the connection may be dead. "+
				"disgo resumes a connection whose heartbeat goes unanswered: if this lasts, check the network path to Discord",
				"quiet_for", quiet.Round(time.Second).String())
		}
		return fmt.Errorf("no heartbeat ACK or event from Discord for %s", quiet.Round(time.Second))
	}
	return nil
}

// Run checks every quarter of StaleAfter until ctx ends, so a silent
// connection is logged even when nobody asks /readyz.
func (m *Monitor) Run(ctx context.Context) {
	t := time.NewTicker(m.cfg.StaleAfter / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = m.Check(ctx)
		}
	}
}
