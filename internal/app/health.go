package app

import (
	"context"
	"time"

	"github.com/alphabetcartel/ashbot/internal/ops"
)

// detailedHealth wires /health/detailed: one entry per component, read
// when asked. Discord and Redis are required (without them no alert can be
// answered or recorded); Ash-NLP and the companion only degrade the bot.
func (s *stack) detailedHealth(srv *ops.Server, opts Options) {
	srv.Detail(ops.Details{
		Version: opts.Version, Started: s.started, Now: opts.Clock.Now,
		Components: map[string]ops.Probe{
			"discord":   s.discordHealth,
			"redis":     s.redisHealth,
			"nlp":       s.nlpHealth,
			"companion": func(context.Context) ops.Component { return s.companion.health() },
		},
	})
}

func (s *stack) discordHealth(ctx context.Context) ops.Component {
	snap := s.health.Snapshot()
	// The REST round trip: disgo's heartbeat latency cannot be read
	// without a data race (package gatewayhealth).
	c := ops.Component{Status: ops.StatusOK, Required: true, LatencyMS: ops.Millis(time.Duration(s.restLast.Load())),
		LastError: ops.Failure(snap.LastErrorKind, snap.LastErrorAt)}
	if err := s.health.Check(ctx); err != nil {
		// gatewayhealth's reasons name a state or a close code, nothing more.
		c.Status, c.Detail = ops.StatusDown, err.Error()
	}
	return c
}

func (s *stack) redisHealth(ctx context.Context) ops.Component {
	err := s.redis.Ping(ctx)
	st := s.redis.State()
	c := ops.Component{Status: ops.StatusOK, Required: true, LatencyMS: ops.Millis(st.Latency),
		LastError: ops.Failure(st.LastErrorKind, st.LastErrorAt)}
	if err != nil {
		// The latency of an earlier ping is not today's; /readyz says
		// where the bot looked and what to check.
		c.Status, c.Detail, c.LatencyMS = ops.StatusDown, "not answering (see /readyz)", nil
	}
	return c
}

func (s *stack) nlpHealth(ctx context.Context) ops.Component {
	if s.nlp == nil {
		return ops.Component{Status: ops.StatusOff, Detail: "BOT_NLP_BASE_URL=off"}
	}
	st := s.nlp.State()
	c := ops.Component{Status: ops.StatusOK, Detail: "circuit breaker " + st.Breaker,
		LatencyMS: ops.Millis(time.Duration(s.nlpLast.Load())), LastError: ops.Failure(string(st.LastErrorKind), st.LastErrorAt)}
	switch {
	case s.nlp.Health(ctx) != nil:
		c.Status = ops.StatusDown
	case st.Breaker != "closed":
		c.Status = ops.StatusDegraded
	}
	if s.intake != nil && s.intake.Stats().Down {
		c.Detail += "; automatic detection is down"
		if c.Status == ops.StatusOK {
			c.Status = ops.StatusDegraded
		}
	}
	return c
}
