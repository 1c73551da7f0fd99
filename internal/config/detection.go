package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// channelWeights parses the earlier bot's priority-channel map: a JSON
// object of channel id to a weight from 0 to 1. Empty means none.
func channelWeights(store func(*Config, map[string]float64)) func(*Config, string) error {
	const want = `must be a JSON object of channel id to weight 0-1, like {"123456789012345678": 1.0}`
	return func(c *Config, raw string) error {
		v := strings.TrimSpace(raw)
		out := map[string]float64{}
		if v != "" {
			var m map[string]float64
			if err := json.Unmarshal([]byte(v), &m); err != nil {
				return errors.New(want)
			}
			for id, w := range m {
				if !isSnowflake(id) {
					return fmt.Errorf("%s; %q is not a channel id", want, id)
				}
				if w < 0 || w > 1 || math.IsNaN(w) {
					return fmt.Errorf("%s; the weight of %s is %v", want, id, w)
				}
				out[id] = w
			}
		}
		store(c, out)
		return nil
	}
}

// sensitivityRange parses "min-max", both within 0.1-2.0, min <= max.
func sensitivityRange(store func(*Config, [2]float64)) func(*Config, string) error {
	return func(c *Config, raw string) error {
		lo, hi, ok := strings.Cut(strings.TrimSpace(raw), "-")
		a, err1 := strconv.ParseFloat(strings.TrimSpace(lo), 64)
		b, err2 := strconv.ParseFloat(strings.TrimSpace(hi), 64)
		if !ok || err1 != nil || err2 != nil || a < 0.1 || b > 2.0 || a > b {
			return errors.New("must be min-max with 0.1 <= min <= max <= 2.0, like 0.6-0.9")
		}
		store(c, [2]float64{a, b})
		return nil
	}
}

func decimal(lo, hi float64, store func(*Config, float64)) func(*Config, string) error {
	return func(c *Config, raw string) error {
		v, err := strconv.ParseFloat(strings.TrimSpace(raw), 64)
		if err != nil || v < lo || v > hi || math.IsNaN(v) {
			return fmt.Errorf("must be a number from %v to %v", lo, hi)
		}
		store(c, v)
		return nil
	}
}

// deriveDetection defaults the status channel and warns about settings
// that can only be a mistake.
func (l *loader) deriveDetection() {
	d := &l.cfg.Detection
	if d.StatusChannelID == "" {
		for _, list := range [][]string{l.cfg.Discord.AlertMonitorChannels, l.cfg.Discord.AlertCrisisChannels} {
			if len(list) > 0 {
				d.StatusChannelID = list[0]
				break
			}
		}
	}
	for _, id := range d.MonitoredChannels {
		if slices.Contains(l.cfg.Discord.AlertMonitorChannels, id) || slices.Contains(l.cfg.Discord.AlertCrisisChannels, id) ||
			slices.Contains(l.cfg.Discord.AlertCriticalChannels, id) {
			l.warn("BOT_MONITORED_CHANNELS lists alert channel %s: the CRT's own talk there will be classified", id)
		}
	}
}
