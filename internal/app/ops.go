package app

import (
	"context"
	"errors"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alphabetcartel/ashbot/internal/ops"
	"github.com/alphabetcartel/ashbot/internal/schedule"
)

// opsServer builds the running bot's /healthz, /readyz and /metrics. The
// figures are read from the parts' own counters when Prometheus scrapes,
// so no package needs to know about Prometheus.
func (s *stack) opsServer(addr string) *ops.Server {
	reg := s.reg
	counter := func(name, help string, labels prometheus.Labels, f func() float64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels}, f))
	}
	ob := s.outbox
	counter("ashbot_events_recorded_total", "Lifecycle events recorded in Redis.", nil, func() float64 { return float64(ob.Stats().Delivered) })
	counter("ashbot_events_duplicate_total", "Lifecycle events that were duplicates (already recorded).", nil, func() float64 { return float64(ob.Stats().Duplicates) })
	counter("ashbot_events_rejected_total", "Lifecycle events rejected as invalid.", nil, func() float64 { return float64(ob.Stats().Rejected) })
	counter("ashbot_events_retries_total", "Failed attempts to record an event (Redis errors).", nil, func() float64 { return float64(ob.Stats().Retries) })
	counter("ashbot_events_dropped_total", "Lifecycle events dropped because the outbox was full.", nil, func() float64 { return float64(ob.Stats().Dropped) })
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "ashbot_events_pending", Help: "Lifecycle events waiting for Redis.",
	}, func() float64 { return float64(ob.Stats().Pending) }))
	for name, r := range s.runners {
		labels := prometheus.Labels{"job": name}
		counter("ashbot_schedule_runs_total", "Scheduled job runs that succeeded.", labels, func() float64 { return float64(r.Stats().Runs) })
		counter("ashbot_schedule_failures_total", "Scheduled job runs or Redis steps that failed.", labels, func() float64 { return float64(r.Stats().Failures) })
		counter("ashbot_schedule_missed_total", "Scheduled periods that ended without a run.", labels, func() float64 { return float64(r.Stats().Missed) })
	}
	for name, p := range s.pollers {
		labels := prometheus.Labels{"timer": name}
		counter("ashbot_timers_fired_total", "Timers (auto-initiate, chat deadlines) fired by this replica.", labels, func() float64 { return float64(p.Stats().Fired) })
		counter("ashbot_timer_failures_total", "Timer polls or handlers that failed.", labels, func() float64 { return float64(p.Stats().Failures) })
	}
	checks := map[string]ops.Check{
		"redis": func(ctx context.Context) error { return s.rdb.Ping(ctx).Err() },
		// disgo's gateway status is not safe to read from another
		// goroutine, so readiness follows its Ready and Resumed events.
		"discord_gateway": func(context.Context) error {
			if !s.gatewayReady.Load() {
				return errors.New("gateway session not ready")
			}
			return nil
		},
	}
	srv := ops.New(addr, reg, checks, s.log)
	srv.Inform("companion", s.companion.info)
	return srv
}

// runnerStats is what the ops server reads of a schedule.
type runnerStats interface{ Stats() schedule.Stats }
