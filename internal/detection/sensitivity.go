package detection

import (
	"fmt"
	"math"

	"github.com/alphabetcartel/ashbot/internal/events"
)

// Range is a priority class's multiplier range: a channel of weight w in
// the class gets Min + w*(Max-Min) (earlier-bot.md).
type Range struct{ Min, Max float64 }

// Sensitivity maps channels to score multipliers with the earlier bot's
// settings: three priority classes (BOT_LOW/MEDIUM/HIGH_PRIORITY_CHANNELS,
// channel id to weight 0..1), each with its range
// (BOT_SENSITIVITY_RANGE_*), and BOT_SENSITIVITY_DEFAULT for the rest.
type Sensitivity struct {
	Low, Medium, High                map[string]float64
	LowRange, MediumRange, HighRange Range
	Default                          float64
}

// Multiplier returns the multiplier of a channel. A thread or forum post
// not listed itself takes its parent's (parent may be ""). When a channel
// is listed in more than one class, the highest class wins: a mistake in
// the settings must not make a channel less sensitive.
func (s Sensitivity) Multiplier(channel, parent string) float64 {
	for _, id := range []string{channel, parent} {
		if id == "" {
			continue
		}
		for _, c := range []struct {
			m map[string]float64
			r Range
		}{{s.High, s.HighRange}, {s.Medium, s.MediumRange}, {s.Low, s.LowRange}} {
			if w, ok := c.m[id]; ok {
				return c.r.Min + w*(c.r.Max-c.r.Min)
			}
		}
	}
	if s.Default <= 0 {
		return 1
	}
	return s.Default
}

// Validate checks the weights and ranges.
func (s Sensitivity) Validate() error {
	for name, m := range map[string]map[string]float64{"low": s.Low, "medium": s.Medium, "high": s.High} {
		for id, w := range m {
			if w < 0 || w > 1 || math.IsNaN(w) {
				return fmt.Errorf("sensitivity: %s priority channel %s has weight %v, want 0..1", name, id, w)
			}
		}
	}
	for name, r := range map[string]Range{"low": s.LowRange, "medium": s.MediumRange, "high": s.HighRange} {
		if !(r.Min > 0) || r.Max < r.Min {
			return fmt.Errorf("sensitivity: %s range %v-%v is not a range of positive numbers", name, r.Min, r.Max)
		}
	}
	return nil
}

// Severity thresholds on crisis_score (ash-nlp-api.md).
const (
	ThresholdCritical = 0.85
	ThresholdHigh     = 0.55
	ThresholdMedium   = 0.28
	ThresholdLow      = 0.16
)

// Safe is the severity of a message that is not a crisis; it is not an
// events.Severity because it never makes an alert.
const Safe events.Severity = "safe"

// SeverityOf returns the severity of a crisis score.
func SeverityOf(score float64) events.Severity {
	switch {
	case score >= ThresholdCritical:
		return events.Critical
	case score >= ThresholdHigh:
		return events.High
	case score >= ThresholdMedium:
		return events.Medium
	case score >= ThresholdLow:
		return events.Low
	}
	return Safe
}

// Rescale applies a channel multiplier to a score, capped at 1.0 (and at
// 0 below, for a score the service should never send).
func Rescale(score, multiplier float64) float64 {
	return min(max(score*multiplier, 0), 1)
}

// Classified is a classifier's severity and score after the channel's
// multiplier. With a multiplier of exactly 1 the service's own severity
// stands (it may weigh more than the score); otherwise the severity is
// recomputed from the rescaled score, as the earlier bot did (and so is
// an unknown severity).
func Classified(severity string, score, multiplier float64) (events.Severity, float64) {
	if multiplier == 1 {
		if severity == string(Safe) {
			return Safe, Rescale(score, 1)
		}
		if s, err := events.ParseSeverity(severity); err == nil {
			return s, Rescale(score, 1)
		}
	}
	scaled := Rescale(score, multiplier)
	return SeverityOf(scaled), scaled
}
