package app

import (
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/config"
	"github.com/alphabetcartel/ashbot/internal/escalation"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/schedule"
)

// buildEscalation returns the escalator of BOT_ESCALATION_*, nil when
// BOT_ESCALATION_MINUTES is empty. Timers set before it was switched off
// stay in Redis until their set expires; nothing fires them.
func (s *stack) buildEscalation(cfg *config.Config, set settings, store *alerts.Store, clock schedule.Clock) (*escalation.Escalator, error) {
	if len(cfg.Escalation.Minutes) == 0 {
		s.log.Info("escalation off (BOT_ESCALATION_MINUTES is empty): an unacknowledged alert is not raised again")
		return nil, nil
	}
	after := map[events.Severity]time.Duration{}
	var steps []string
	for _, sev := range []events.Severity{events.Critical, events.High, events.Medium, events.Low} {
		if d, ok := cfg.Escalation.Minutes[string(sev)]; ok {
			after[sev] = d
			steps = append(steps, string(sev)+"="+strconv.Itoa(int(d/time.Minute)))
		}
	}
	if len(set.leads) == 0 {
		s.log.Warn("BOT_ESCALATION_ROLE_IDS is empty: an alert still unacknowledged at twice its escalation time mentions the CRT roles again instead of leads")
	}
	s.log.Info("escalation on", "minutes", strings.Join(steps, ","), "lead_roles", len(set.leads), "notice_channel", set.escalation != 0)
	e, err := escalation.New(escalation.Options{
		Set: ash.NewDueSet(s.rdb, escalation.Key), Store: store, Discord: s.rest, Events: s.outbox,
		After: after, CRTRoles: set.crt, LeadRoles: set.leads, Channel: set.escalation, GuildID: set.guild,
		Clock: clock, Logger: s.log,
	})
	if err != nil {
		return nil, err
	}
	s.registerEscalation(e)
	return e, nil
}

// registerEscalation exposes the escalator's counters on /metrics.
func (s *stack) registerEscalation(e *escalation.Escalator) {
	for _, level := range []int{escalation.Team, escalation.Leads} {
		for _, sev := range []events.Severity{events.Low, events.Medium, events.High, events.Critical} {
			k := escalation.CountKey{Level: level, Severity: sev}
			labels := prometheus.Labels{"level": strconv.Itoa(level), "severity": string(sev)}
			s.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "ashbot_escalations_total", ConstLabels: labels,
				Help: "Escalations posted because an alert stayed unacknowledged, by level (1: CRT roles again, 2: escalation roles) and severity.",
			}, func() float64 { return float64(e.Stats().Posted[k]) }))
			s.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "ashbot_escalations_late_total", ConstLabels: labels,
				Help: "Escalations posted more than a minute after their time (the bot, Redis or Discord was unavailable).",
			}, func() float64 { return float64(e.Stats().Late[k]) }))
		}
	}
	s.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "ashbot_escalation_schedule_failures_total",
		Help: "Attempts to set an alert's escalation timers that failed (Redis); they are retried in the background.",
	}, func() float64 { return float64(e.Stats().ScheduleFailures) }))
}
