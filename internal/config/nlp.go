package config

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// NLP says how to reach Ash-NLP, the crisis classifier, and how hard to
// try (shared/spec/ash-nlp-api.md).
type NLP struct {
	// Enabled is false when BOT_NLP_BASE_URL is "off": no message is
	// classified and only members' flags raise alerts.
	Enabled bool
	// BaseURL is the service's root; "" when Enabled is false.
	BaseURL string
	// Timeout bounds each HTTP attempt.
	Timeout time.Duration
	// Retries is how many times a timeout, connection error or 5xx is
	// tried again; 0 means one attempt only.
	Retries int
	// RetryDelay is the first wait between attempts; each later one
	// doubles, with jitter.
	RetryDelay time.Duration
	// BreakerFailures consecutive failed attempts open the circuit
	// breaker for BreakerTimeout; BreakerSuccesses successes close it.
	BreakerFailures  int
	BreakerTimeout   time.Duration
	BreakerSuccesses int
}

// nlpOff is the BOT_NLP_BASE_URL value that switches detection off. An
// empty value is refused instead: a blank line in an .env file must not
// silently stop crisis detection.
const nlpOff = "off"

func nlpBaseURL(c *Config, raw string) error {
	v := strings.TrimSpace(raw)
	if strings.EqualFold(v, nlpOff) {
		c.NLP.Enabled, c.NLP.BaseURL = false, ""
		return nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return errors.New("must be an http:// or https:// URL like http://ash-nlp:30880, or off to switch automatic detection off")
	}
	c.NLP.Enabled, c.NLP.BaseURL = true, strings.TrimRight(v, "/")
	return nil
}

// seconds accepts the earlier bot's form, a number of seconds ("5",
// "2.5"), and a Go duration ("5s", "500ms").
func seconds(lo, hi time.Duration, store func(*Config, time.Duration)) func(*Config, string) error {
	return func(c *Config, raw string) error {
		v := strings.TrimSpace(raw)
		d, err := time.ParseDuration(v)
		if err != nil {
			f, ferr := strconv.ParseFloat(v, 64)
			// The bound keeps the conversion below from overflowing.
			if ferr == nil && f >= 0 && f <= hi.Seconds() {
				d, err = time.Duration(f*float64(time.Second)), nil
			}
		}
		if err != nil || d < lo || d > hi {
			return fmt.Errorf("must be seconds (like 5 or 2.5) or a duration (like 5s or 500ms) from %v to %v", lo, hi)
		}
		store(c, d)
		return nil
	}
}

// deriveNLP says so when detection is off, since the bot then alerts only
// on members' flags.
func (l *loader) deriveNLP() {
	if l.ok("BOT_NLP_BASE_URL") && !l.cfg.NLP.Enabled {
		l.warn("BOT_NLP_BASE_URL=off: automatic crisis detection is switched off; only members' flags raise alerts")
	}
}
