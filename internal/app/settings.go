package app

import (
	"errors"
	"fmt"
	"strings"

	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/config"
)

// settings are the Discord ids of the configuration, parsed once.
type settings struct {
	guild     snowflake.ID
	channels  alerts.Channels
	crt       []snowflake.ID
	admin     []snowflake.ID
	monitored []snowflake.ID
	notes     []snowflake.ID
	// leads and escalation are BOT_ESCALATION_ROLE_IDS and
	// BOT_ESCALATION_CHANNEL_ID (0: none).
	leads      []snowflake.ID
	escalation snowflake.ID
}

// CheckSettings lists what the running bot needs and the configuration
// lacks, one problem per entry, so `ashbot run` can refuse to start with
// every problem named at once.
func CheckSettings(cfg *config.Config) []string {
	_, problems := parseSettings(cfg)
	return problems
}

func readSettings(cfg *config.Config) (settings, error) {
	s, problems := parseSettings(cfg)
	if len(problems) > 0 {
		return s, errors.New("cannot start the bot: " + strings.Join(problems, "; "))
	}
	return s, nil
}

func parseSettings(cfg *config.Config) (settings, []string) {
	var s settings
	var problems []string
	if strings.TrimSpace(cfg.Discord.Token) == "" {
		problems = append(problems, "BOT_DISCORD_TOKEN is empty")
	}
	parse := func(name string, in []string) []snowflake.ID {
		out := make([]snowflake.ID, 0, len(in))
		for _, v := range in {
			id, err := snowflake.Parse(v)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %q is not a Discord id", name, v))
				continue
			}
			out = append(out, id)
		}
		return out
	}
	s.channels = alerts.Channels{
		Monitor:  parse("BOT_ALERT_CHANNEL_MONITOR_IDS", cfg.Discord.AlertMonitorChannels),
		Crisis:   parse("BOT_ALERT_CHANNEL_CRISIS_IDS", cfg.Discord.AlertCrisisChannels),
		Critical: parse("BOT_ALERT_CHANNEL_CRITICAL_IDS", cfg.Discord.AlertCriticalChannels),
	}
	s.crt = parse("BOT_CRT_ROLE_IDS", cfg.Discord.CRTRoleIDs)
	s.admin = parse("BOT_ADMIN_ROLE_IDS", cfg.Discord.AdminRoleIDs)
	s.monitored = parse("BOT_MONITORED_CHANNELS", cfg.Detection.MonitoredChannels)
	s.notes = parse("BOT_CRT_NOTES_CHANNEL_IDS", cfg.Ash.NotesChannelIDs)
	s.leads = parse("BOT_ESCALATION_ROLE_IDS", cfg.Escalation.RoleIDs)
	if cfg.Escalation.ChannelID != "" {
		if c := parse("BOT_ESCALATION_CHANNEL_ID", []string{cfg.Escalation.ChannelID}); len(c) == 1 {
			s.escalation = c[0]
		}
	}
	if cfg.Discord.GuildID != "" {
		if g := parse("BOT_DISCORD_GUILD_ID", []string{cfg.Discord.GuildID}); len(g) == 1 {
			s.guild = g[0]
		}
	}
	if s.channels.Empty() {
		problems = append(problems, "no alert channel: set BOT_ALERT_CHANNEL_CRISIS_IDS (and _MONITOR_IDS, _CRITICAL_IDS)")
	}
	if len(s.crt) == 0 {
		problems = append(problems, "BOT_CRT_ROLE_IDS is empty: nobody could answer alerts")
	}
	return s, problems
}
