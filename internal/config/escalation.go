package config

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Escalation says who is told when an alert stays unacknowledged
// (internal/escalation). An empty Minutes switches escalation off.
type Escalation struct {
	// Minutes is BOT_ESCALATION_MINUTES: severity (low, medium, high,
	// critical) to the time after which the CRT roles are mentioned again
	// (level 1); at twice that the escalation roles are (level 2). A
	// severity that is absent never escalates.
	Minutes map[string]time.Duration
	// RoleIDs are BOT_ESCALATION_ROLE_IDS, the leads or on-call mentioned
	// at level 2; empty: the CRT roles are mentioned again.
	RoleIDs []string
	// ChannelID is BOT_ESCALATION_CHANNEL_ID, where level 2 posts a short
	// notice with the alert's link; empty: no notice.
	ChannelID string
}

// maxEscalationMinutes keeps both levels within a day: the timers' set
// lives a week, and an alert left a day has gone past what reminders do.
const maxEscalationMinutes = 720

func escalationMinutes() option {
	return option{name: "BOT_ESCALATION_MINUTES", help: fmt.Sprintf("Minutes an alert may stay unacknowledged before the CRT roles are mentioned again in its thread, per severity, "+
		"e.g. critical=5,high=15,medium=60 (1-%d each); at twice that the escalation roles are told. A severity left out never escalates; empty switches escalation off.", maxEscalationMinutes),
		set: func(c *Config, raw string) error {
			m, err := parseEscalationMinutes(raw)
			if err != nil {
				return err
			}
			c.Escalation.Minutes = m
			return nil
		}}
}

// parseEscalationMinutes reads severity=minutes pairs separated by commas.
// Its errors name the part that is wrong, since the whole value may be
// long.
func parseEscalationMinutes(raw string) (map[string]time.Duration, error) {
	v := strings.TrimSpace(raw)
	if v == "" {
		return nil, nil
	}
	severities := []string{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}
	out := map[string]time.Duration{}
	for part := range strings.SplitSeq(v, ",") {
		part = strings.TrimSpace(part)
		sev, mins, ok := strings.Cut(part, "=")
		sev = strings.ToLower(strings.TrimSpace(sev))
		if !ok {
			return nil, fmt.Errorf("must be severity=minutes pairs separated by commas, like critical=5,high=15; %q has no =", part)
		}
		if !slices.Contains(severities, sev) {
			return nil, fmt.Errorf("must name the severities low, medium, high or critical; %q in %q is not one", sev, part)
		}
		if _, dup := out[sev]; dup {
			return nil, fmt.Errorf("must name each severity once; %s is given twice", sev)
		}
		n, err := strconv.Atoi(strings.TrimSpace(mins))
		if err != nil || n < 1 || n > maxEscalationMinutes {
			return nil, fmt.Errorf("must give whole minutes from 1 to %d; %q is not", maxEscalationMinutes, part)
		}
		out[sev] = time.Duration(n) * time.Minute
	}
	return out, nil
}

func escalationRoles() option {
	return option{name: "BOT_ESCALATION_ROLE_IDS", help: "Role ids of CRT leads or on-call, mentioned when an alert is still unacknowledged at twice its BOT_ESCALATION_MINUTES, comma separated or a JSON array; empty mentions the CRT roles again.",
		set: idList(roleIDs, func(c *Config, ids []string) { c.Escalation.RoleIDs = ids })}
}

func escalationChannel() option {
	return option{name: "BOT_ESCALATION_CHANNEL_ID", help: "Channel id for a short notice (severity, age, link; nobody's name) when an alert reaches the escalation roles; empty posts only in the alert's thread.",
		set: func(c *Config, raw string) error {
			id := strings.TrimSpace(raw)
			if id != "" && !isSnowflake(id) {
				return errors.New("must be empty or a Discord channel id (17-20 digits)")
			}
			c.Escalation.ChannelID = id
			return nil
		}}
}
