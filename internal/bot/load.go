package bot

import (
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/disgoorg/disgo/discord"

	"github.com/alphabetcartel/ashbot/internal/discordapi"
	"github.com/alphabetcartel/ashbot/internal/report"
)

// loadMessage is the private answer of /ash report responders:true: every
// CRT member's load over the period, one a line, as mentions that ping
// nobody. CRT members may see each other's load (product.md section 3
// names responders); the person in crisis is never in it. A list longer
// than one message is attached as a text file.
func loadMessage(r report.Report) discord.MessageUpdate {
	head := "**Volunteer load, " + r.Heading + "** (night hours " + r.Load.NightLabel() + ")"
	lines := report.LoadLines(r.Load)
	if len(lines) == 0 {
		lines = []string{"No CRT member acknowledged, answered or resolved an alert this " + r.Noun + "."}
	}
	if h, t := r.Load.Handoffs, r.Load.TakenOver; h != nil && t != nil && *h > 0 {
		lines = append(lines, "Ash handoffs: "+strconv.FormatInt(*h, 10)+", "+strconv.FormatInt(*t, 10)+" taken over by a CRT member.")
	}
	if r.Load.Missing != "" {
		lines = append(lines, "_First responses, resolutions, handoffs and night-hour alerts are not available: "+r.Load.Missing+". Acknowledgments still count every alert._")
	}
	body := head + "\n" + strings.Join(lines, "\n")
	mentions := discordapi.NoMentions()
	if utf8.RuneCountInString(body) <= maxContent {
		return discord.MessageUpdate{Content: &body, AllowedMentions: mentions}
	}
	content := head + " (attached: " + strconv.FormatInt(int64(len(r.Load.Members)), 10) + " members)"
	return discord.MessageUpdate{Content: &content, AllowedMentions: mentions,
		Files: []*discord.File{discord.NewFile("volunteer-load.txt", "", io.Reader(strings.NewReader(body)))}}
}
