package app

import (
	"context"
	"time"

	"github.com/alphabetcartel/ashbot/internal/bot"
	"github.com/alphabetcartel/ashbot/internal/config"
	"github.com/alphabetcartel/ashbot/internal/configtext"
	"github.com/alphabetcartel/ashbot/internal/ops"
)

// statusSource answers /ash status (bot.StatusSource) from the same probes
// as /health/detailed, so the two never tell different stories.
type statusSource struct {
	s       *stack
	cfg     *config.Config
	version string
	now     func() time.Time
}

func (src statusSource) Status(ctx context.Context) bot.Status {
	s := src.s
	now := src.now()
	discord := ops.Component{Status: ops.StatusDown, Detail: "not connected yet"}
	if s.health != nil {
		discord = s.discordHealth(ctx)
		if discord.Status == ops.StatusOK {
			// disgo's heartbeat latency cannot be read without a data
			// race (package gatewayhealth): the REST round trip stands in.
			discord.Detail = "gateway session up; last REST round trip"
		}
	}
	redis := s.redisHealth(ctx)
	if redis.Status == ops.StatusOK {
		redis.Detail = "ping"
	}
	st := bot.Status{
		Version: src.version, Started: s.started,
		Parts: []bot.Part{
			part("Discord", discord),
			part("Redis", redis),
			part("Ash-NLP", s.nlpHealth(ctx)),
			part("Ash companion", s.companion.health()),
		},
	}
	ob := s.outbox.Stats()
	st.OutboxPending, st.OutboxDropped = ob.Pending, ob.Dropped
	if next, on := configtext.NextReport(src.cfg, now); on {
		st.NextReport = next
	}
	if next, on := configtext.NextCleanup(src.cfg, now); on {
		st.NextCleanup = next
	}
	return st
}

func part(name string, c ops.Component) bot.Part {
	p := bot.Part{Name: name, State: c.Status, Detail: c.Detail}
	if c.LatencyMS != nil {
		p.Latency = time.Duration(*c.LatencyMS * float64(time.Millisecond))
	}
	if c.LastError != nil {
		p.LastError, p.LastErrorAt = c.LastError.Kind, c.LastError.At
	}
	return p
}

// health is the companion's entry in /health/detailed and /ash status:
// which one is active and, for a language model, the kind and time of its
// last failed call (never text), degraded while the latest call failed. A
// failing model only degrades Ash, which answers with its fallback texts.
func (c companionPart) health() ops.Component {
	comp := ops.Component{Status: ops.StatusOK, Detail: c.describe()}
	if c.model == nil {
		return comp
	}
	h := c.metrics.Health()
	if h.LastResult != "" && h.LastResult != "ok" {
		comp.Status = ops.StatusDegraded
	}
	comp.LastError = ops.Failure(h.LastFailure, h.LastFailureAt)
	return comp
}
