package app

import (
	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/config"
	"github.com/alphabetcartel/ashbot/internal/detection"
	"github.com/alphabetcartel/ashbot/internal/discordapi"
	"github.com/alphabetcartel/ashbot/internal/events"
)

// detection builds automatic detection, or returns nil when no channel is
// monitored or no classifier is at hand.
func (s *stack) detection(cfg *config.Config, set settings, opts Options, store *alerts.Store, poster *discordapi.Poster) (*detection.Intake, error) {
	d := cfg.Detection
	if len(set.monitored) == 0 {
		s.log.Info("automatic detection off: BOT_MONITORED_CHANNELS is empty; alerts come from Flag for CRT only")
		s.reduced("automatic detection", "off, BOT_MONITORED_CHANNELS is empty (alerts come from Flag for CRT)")
		return nil, nil
	}
	classifier := opts.Classifier
	if classifier == nil && s.nlp != nil {
		classifier, s.intakeUsesNLP = s.nlp, true
	}
	if classifier == nil {
		s.log.Warn("automatic detection off: BOT_NLP_BASE_URL is off, so nothing classifies the monitored channels; alerts come from Flag for CRT only")
		s.reduced("automatic detection", "off, BOT_NLP_BASE_URL=off (alerts come from Flag for CRT)")
		return nil, nil
	}
	clock := opts.Clock
	history, err := detection.NewHistory(s.rdb, d.HistoryMaxMessages, cfg.Retention.MessageHistory, clock.Now)
	if err != nil {
		return nil, err
	}
	cooldowns, err := detection.NewCooldowns(s.rdb, d.AlertCooldown, clock.Now)
	if err != nil {
		return nil, err
	}
	rng := func(r [2]float64) detection.Range { return detection.Range{Min: r[0], Max: r[1]} }
	return detection.New(detection.Options{
		Classifier: classifier, Dispatcher: s.dispatcher, Claims: store, Poster: poster,
		History: history, Cooldowns: cooldowns,
		GuildID: cfg.Discord.GuildID, Monitored: set.monitored,
		Sensitivity: detection.Sensitivity{
			Low: d.LowPriority, Medium: d.MediumPriority, High: d.HighPriority,
			LowRange: rng(d.RangeLow), MediumRange: rng(d.RangeMedium), HighRange: rng(d.RangeHigh),
			Default: d.SensitivityDefault,
		},
		MinSeverity: events.Severity(d.AlertMinSeverity), AlertingDisabled: !d.AlertingEnabled,
		StatusChannel: d.StatusChannelID, Workers: d.MaxConcurrency, BacklogFor: d.BacklogFor,
		ProbeInterval: opts.DetectionProbeInterval, Clock: clock, Logger: s.log,
	})
}
