package app

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/detection"
	"github.com/alphabetcartel/ashbot/internal/discordapi"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/followup"
	"github.com/alphabetcartel/ashbot/internal/ops"
	"github.com/alphabetcartel/ashbot/internal/schedule"
)

// opsServer builds the running bot's /healthz, /readyz and /metrics. The
// figures are read from the parts' own counters when Prometheus scrapes,
// so no package needs to know about Prometheus.
func (s *stack) opsServer() *ops.Server {
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
		counter("ashbot_timers_fired_total", "Timers (auto-initiate, chat deadlines, check-ins) fired by this replica.", labels, func() float64 { return float64(p.Stats().Fired) })
		counter("ashbot_timer_failures_total", "Timer polls or handlers that failed.", labels, func() float64 { return float64(p.Stats().Failures) })
	}
	if f := s.followups; f != nil {
		counter("ashbot_followups_scheduled_total", "Follow-up check-ins scheduled after an Ash chat.", nil, func() float64 { return float64(f.Stats().Scheduled) })
		counter("ashbot_followups_sent_total", "Follow-up check-ins sent.", nil, func() float64 { return float64(f.Stats().Sent) })
		counter("ashbot_followups_answered_total", "Replies to check-ins that started an Ash chat linked to the alert.", nil, func() float64 { return float64(f.Stats().Answered) })
		for _, reason := range followup.SkipReasons() {
			counter("ashbot_followups_skipped_total", "Follow-up check-ins not sent, by reason (opted_out, too_late, recent, unreachable).",
				prometheus.Labels{"reason": reason}, func() float64 { return float64(f.Stats().Skipped[reason]) })
		}
	}
	for _, scope := range discordapi.Scopes {
		// Each 429 but the shared ones counts towards Discord's
		// invalid-request limit (10,000 in 10 minutes, then a ban).
		counter("ashbot_discord_rate_limited_total", "429 answers from Discord's REST API (scope cloudflare: from Cloudflare in front of it).",
			prometheus.Labels{"scope": scope}, func() float64 { return float64(s.limiter.Limited(scope)) })
	}
	d := s.dispatcher
	for _, src := range []string{alerts.SourceDetected, alerts.SourceFlagged} {
		for _, sev := range []events.Severity{events.Low, events.Medium, events.High, events.Critical} {
			key := alerts.PostedKey{Source: src, Severity: sev}
			counter("ashbot_alerts_posted_total", "Alerts posted to the CRT, by source (detected or flagged) and severity.",
				prometheus.Labels{"source": src, "severity": string(sev)}, func() float64 { return float64(d.PostedCount(key)) })
		}
	}
	if s.intake != nil {
		registerDetection(reg, s.intake)
	}
	checks := map[string]ops.Check{
		"redis":           s.redis.Ping,
		"discord_gateway": s.health.Check,
	}
	srv := ops.New(reg, checks, s.log)
	s.nlpMetrics(reg, srv)
	srv.Describe("companion", s.companion.info)
	return srv
}

// runnerStats is what the ops server reads of a schedule.
type runnerStats interface{ Stats() schedule.Stats }

// registerDetection exposes the intake's counters. One collector reads one
// snapshot per scrape.
func registerDetection(reg *prometheus.Registry, in *detection.Intake) {
	reg.MustRegister(detectionCollector{in: in})
}

type detectionCollector struct{ in *detection.Intake }

var (
	descSeen        = prometheus.NewDesc("ashbot_detection_messages_seen_total", "Messages in monitored channels (edits included).", nil, nil)
	descClassified  = prometheus.NewDesc("ashbot_detection_classified_total", "Messages classified, by severity after channel sensitivity.", []string{"severity"}, nil)
	descSkipped     = prometheus.NewDesc("ashbot_detection_skipped_total", "Monitored messages not classified, by reason.", []string{"reason"}, nil)
	descErrors      = prometheus.NewDesc("ashbot_detection_errors_total", "Classifications that failed, by kind.", []string{"kind"}, nil)
	descDegraded    = prometheus.NewDesc("ashbot_detection_degraded_total", "Answers Ash-NLP gave with fewer models than usual.", nil, nil)
	descNotes       = prometheus.NewDesc("ashbot_detection_notes_total", "Messages added to the person's open alert's thread during the cooldown.", nil, nil)
	descEscalations = prometheus.NewDesc("ashbot_detection_escalations_total", "Alerts raised as escalations of an open alert.", nil, nil)
	descOverflow    = prometheus.NewDesc("ashbot_detection_overflow_total", "Messages that found the queue full.", nil, nil)
	descDropped     = prometheus.NewDesc("ashbot_detection_dropped_total", "Messages never classified (backlog too old or full).", nil, nil)
	descQueue       = prometheus.NewDesc("ashbot_detection_queue_depth", "Messages waiting for a classification worker.", nil, nil)
	descBacklog     = prometheus.NewDesc("ashbot_detection_backlog", "Messages waiting for detection to work again.", nil, nil)
	descDown        = prometheus.NewDesc("ashbot_detection_down", "1 while detection is down or behind.", nil, nil)
)

func (detectionCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSeen, descClassified, descSkipped, descErrors, descDegraded, descNotes,
		descEscalations, descOverflow, descDropped, descQueue, descBacklog, descDown} {
		ch <- d
	}
}

func (c detectionCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.in.Stats()
	count := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64) { ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v) }
	count(descSeen, st.Seen)
	for _, sev := range []events.Severity{detection.Safe, events.Low, events.Medium, events.High, events.Critical} {
		count(descClassified, st.Classified[sev], string(sev))
	}
	for _, r := range detection.SkipReasons() {
		count(descSkipped, st.Skipped[r], r)
	}
	for _, k := range detection.ErrorKinds() {
		count(descErrors, st.Errors[k], k)
	}
	count(descDegraded, st.Degraded)
	count(descNotes, st.Notes)
	count(descEscalations, st.Escalations)
	count(descOverflow, st.Overflow)
	count(descDropped, st.Dropped)
	gauge(descQueue, float64(st.QueueDepth))
	gauge(descBacklog, float64(st.Backlog))
	down := 0.0
	if st.Down {
		down = 1
	}
	gauge(descDown, down)
}
