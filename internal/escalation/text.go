package escalation

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/discordapi"
	"github.com/alphabetcartel/ashbot/internal/events"
)

// unpinged lists the roles of roles the posted message m does not
// mention.
func unpinged(roles []snowflake.ID, m *discord.Message) []string {
	var out []string
	for _, r := range roles {
		if !slices.Contains(m.MentionRoles, r) {
			out = append(out, r.String())
		}
	}
	return out
}

// rolesOnly lets exactly roles ping, nobody else.
func rolesOnly(roles []snowflake.ID) *discord.AllowedMentions {
	am := discordapi.NoMentions()
	am.Roles = append(am.Roles, roles...)
	return am
}

func mentions(roles []snowflake.ID) string {
	parts := make([]string, len(roles))
	for i, r := range roles {
		parts[i] = "<@&" + r.String() + ">"
	}
	return strings.Join(parts, " ")
}

func threadText(level int, sev events.Severity, age, late time.Duration, roles []snowflake.ID) string {
	var b strings.Builder
	if level == Team {
		fmt.Fprintf(&b, "🔔 **Still unacknowledged after %s.** %s this %s alert needs someone: press *Acknowledge* when you take it.",
			Minutes(age), mentions(roles), sev)
	} else {
		fmt.Fprintf(&b, "🚨 **Escalated: still unacknowledged after %s.** %s nobody on the team has taken this %s alert; please take it or find someone who can.",
			Minutes(age), mentions(roles), sev)
	}
	b.WriteString(lateText(late))
	return b.String()
}

func noticeText(sev events.Severity, age, late time.Duration, link string) string {
	return fmt.Sprintf("🚨 %s %s alert unacknowledged for %s: %s%s", alerts.SeverityEmoji(sev), sev, Minutes(age), link, lateText(late))
}

func lateText(late time.Duration) string {
	if late <= 0 {
		return ""
	}
	return "\n⏰ This escalation is " + Minutes(late) + " late: the bot was not running, or its storage or Discord was unavailable."
}

// Minutes writes a duration in whole minutes for people: "1 minute",
// "47 minutes", "2 hours 5 minutes".
func Minutes(d time.Duration) string {
	m := int64(d / time.Minute)
	if m < 1 {
		m = 1
	}
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.FormatInt(n, 10) + " " + one + "s"
	}
	if m < 60 {
		return unit(m, "minute")
	}
	out := unit(m/60, "hour")
	if m%60 != 0 {
		out += " " + unit(m%60, "minute")
	}
	return out
}
