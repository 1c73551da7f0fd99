package demo

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/followup"
	"github.com/alphabetcartel/ashbot/internal/schedule"
	"github.com/alphabetcartel/ashbot/internal/standin/anthropicsim"
	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
	"github.com/alphabetcartel/ashbot/internal/standin/nlpsim"
)

// driver acts as the members of the simulated server; the story's
// statements call its methods with the names the story uses.
type driver struct {
	ctx     context.Context
	sim     *discordsim.Sim
	nlp     *nlpsim.Server
	model   *anthropicsim.Sim
	clk     *schedule.ManualClock
	rdb     redis.UniversalClient
	out     io.Writer
	timeout time.Duration
	start   time.Time

	crtRole, adminRole string
	ch                 map[string]discordsim.ChannelID
	users              map[string]discordsim.User
	posts              map[string]discordsim.Message // each person's latest post
	incidents          map[string][]*incident        // each person's alerts, oldest first
	checkins           map[string]int                // check-ins each person got, as seen
	resources          string                        // BOT_ASH_RESOURCES_TEXT, summarised in the narration
	alerts             int
	reportPosted       bool
}

func (d *driver) say(format string, args ...any) { fmt.Fprintf(d.out, format+"\n", args...) }

func (d *driver) note(format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	// The bot's answers name people by mention; the narration by name.
	for name, u := range d.users {
		text = strings.ReplaceAll(text, u.Mention(), "@"+name)
	}
	for name, id := range d.ch {
		text = strings.ReplaceAll(text, "<#"+id.String()+">", "#"+name)
	}
	fmt.Fprintf(d.out, "%s  %s\n", d.clk.Now().Format("Mon 15:04"), text)
}

// join adds members with roles to the server.
func (d *driver) join(names []string, roles ...string) {
	for _, n := range names {
		d.users[n] = d.sim.AddMember(n, roles...)
	}
}

func (d *driver) wait(what string, cond func() bool) error {
	ctx, cancel := context.WithTimeout(d.ctx, d.timeout)
	defer cancel()
	if err := d.sim.WaitFor(ctx, cond); err != nil {
		return fmt.Errorf("%s %s: %w", d.clk.Now().Format("Mon 15:04"), what, err)
	}
	return nil
}

// to moves the clock to t once the bot's timers are idle, and waits until
// they have handled the new time. While detection is down (its DOWN
// notice is the latest), its probe must be waiting too, or the move would
// pass it by; after the move the probe may find detection back and wait
// on the clock no more, so only the pollers are waited for.
func (d *driver) to(t time.Time) error {
	ctx, cancel := context.WithTimeout(d.ctx, d.timeout)
	defer cancel()
	n := pollers
	if d.detectionDown() {
		n++
	}
	if err := d.clk.WaitIdle(ctx, n); err != nil {
		return err
	}
	d.clk.Set(t)
	return d.clk.WaitIdle(ctx, pollers)
}

// incident is one alert as the driver follows it.
type incident struct {
	id      string
	person  discordsim.User
	channel discordsim.ChannelID
	msg     discordsim.Message // the alert message
}

// incident returns person's latest alert.
func (d *driver) incident(person string) (*incident, error) {
	all := d.incidents[person]
	if len(all) == 0 {
		return nil, fmt.Errorf("%s has no alert yet", person)
	}
	return all[len(all)-1], nil
}

// earlier returns the alert about person before the latest.
func (d *driver) earlier(person string) (*incident, error) {
	all := d.incidents[person]
	if len(all) < 2 {
		return nil, fmt.Errorf("%s has no earlier alert", person)
	}
	return all[len(all)-2], nil
}

func (d *driver) current(in *incident) discordsim.Message {
	m, _ := d.sim.Message(in.msg.ID)
	return m
}

var severityChannel = map[string]string{"low": "crt-monitor", "medium": "crt-monitor", "high": "crt-crisis", "critical": "crt-critical"}

// post: author says text in channel.
func (d *driver) post(author, channel, text string) error {
	m, err := d.sim.SendMessage(d.ch[channel], d.users[author], text)
	if err != nil {
		return err
	}
	d.posts[author] = m
	d.note("%s says in #%s: %q", author, channel, text)
	return nil
}

// flag: flagger flags author's latest post with severity, and the alert
// appears in the CRT channel.
func (d *driver) flag(flagger, author, severity string) error {
	src, ok := d.posts[author]
	if !ok {
		return fmt.Errorf("%s has posted nothing to flag", author)
	}
	cmd, err := d.sim.RunMessageCommand(d.users[flagger], "Flag for CRT", src.ID)
	if err != nil {
		return err
	}
	cb, err := d.answer(cmd)
	if err != nil {
		return err
	}
	sel, err := d.sim.SelectMenu(cb.MessageID, d.users[flagger], alerts.FlagSelectID(src.ChannelID.String(), src.ID.String()), severity)
	if err != nil {
		return err
	}
	if _, err := d.answer(sel); err != nil {
		return err
	}
	if _, err := d.awaitAlert(author, src, severity); err != nil {
		return err
	}
	d.note("%s flags %s's message as %s -> alert in #%s", flagger, author, strings.ToUpper(severity), severityChannel[severity])
	return nil
}

// awaitAlert waits for the alert about src in the channel of severity
// and follows it as author's latest.
func (d *driver) awaitAlert(author string, src discordsim.Message, severity string) (*incident, error) {
	in := &incident{id: src.ID.String(), person: d.users[author], channel: d.ch[severityChannel[severity]]}
	err := d.wait("a "+severity+" alert about "+author+"'s message in #"+severityChannel[severity], func() bool {
		for _, m := range d.sim.BotMessages(in.channel) {
			if len(m.Embeds) > 0 && m.Embeds[0].Footer != nil && m.Embeds[0].Footer.Text == "Alert "+in.id {
				in.msg = m
				return true
			}
		}
		return false
	})
	if err != nil {
		return nil, err
	}
	// The alert's state and auto-initiate timer follow the post; the
	// clock must not move before they exist.
	if err := d.wait("alert state", func() bool {
		if !d.rdb.HExists(d.ctx, alerts.StateKey(in.id), "alert_message_id").Val() {
			return false
		}
		if severity != "high" && severity != "critical" {
			return true
		}
		return d.rdb.ZScore(d.ctx, ash.AutoInitKey, in.id).Err() == nil
	}); err != nil {
		return nil, err
	}
	d.incidents[author] = append(d.incidents[author], in)
	d.alerts++
	return in, nil
}

// answer waits for the bot's answer to an interaction.
func (d *driver) answer(in *discordsim.Interaction) (discordsim.InteractionCallback, error) {
	ctx, cancel := context.WithTimeout(d.ctx, d.timeout)
	defer cancel()
	return in.Wait(ctx)
}

// press has member press the button of action under person's alert and
// waits for the answer.
func (d *driver) press(member, person, action string) (*incident, *discordsim.Interaction, error) {
	in, err := d.incident(person)
	if err != nil {
		return nil, nil, err
	}
	i, err := d.click(in, person+"'s alert", member, action)
	return in, i, err
}

// click has member press the button of action under the alert in, which
// errors call what.
func (d *driver) click(in *incident, what, member, action string) (*discordsim.Interaction, error) {
	var id string
	for _, b := range d.current(in).Buttons() {
		if btn, ok := alerts.ParseButtonID(b.CustomID); ok && btn.Action == action {
			id = b.CustomID
		}
	}
	if id == "" {
		return nil, fmt.Errorf("%s has no %s button", what, action)
	}
	i, err := d.sim.ClickButton(in.msg.ID, d.users[member], id)
	if err != nil {
		return nil, err
	}
	if _, err := d.answer(i); err != nil {
		return nil, err
	}
	return i, nil
}

func (d *driver) ack(member, person string) error {
	in, _, err := d.press(member, person, alerts.ActionAcknowledge)
	if err != nil {
		return err
	}
	d.note("%s acknowledges %s's alert", member, person)
	return d.wait("acknowledgment shown", func() bool { return statusHas(d.current(in), "Acknowledged by") })
}

func statusHas(m discordsim.Message, s string) bool {
	if len(m.Embeds) == 0 {
		return false
	}
	for _, f := range m.Embeds[0].Fields {
		if f.Name == alerts.FieldStatus && strings.Contains(f.Value, s) {
			return true
		}
	}
	return false
}

// deferred waits for the final text of a deferred answer.
func (d *driver) deferred(i *discordsim.Interaction) (string, error) {
	var text string
	err := d.wait("answer", func() bool {
		m, ok := i.Original()
		if !ok || m.Flags.Has(discord.MessageFlagLoading) {
			return false
		}
		text = m.Content
		return true
	})
	return text, err
}

func (d *driver) talkToAsh(member, person string) error {
	_, i, err := d.press(member, person, alerts.ActionTalkToAsh)
	if err != nil {
		return err
	}
	text, err := d.deferred(i)
	if err != nil {
		return err
	}
	d.note("%s asks Ash to reach out to %s: %q", member, person, text)
	return nil
}

func (d *driver) takeOver(member, person string) error {
	_, i, err := d.press(member, person, alerts.ActionTakeOver)
	if err != nil {
		return err
	}
	if _, err := d.deferred(i); err != nil {
		return err
	}
	d.note("%s takes over from Ash and talks with %s personally", member, person)
	return nil
}

func (d *driver) resolve(member, person string) error {
	in, _, err := d.press(member, person, alerts.ActionResolve)
	if err != nil {
		return err
	}
	d.note("%s resolves %s's alert", member, person)
	return d.archived(in)
}

// resolveEarlier resolves the alert about person before the latest (the
// one an escalation came from).
func (d *driver) resolveEarlier(member, person string) error {
	in, err := d.earlier(person)
	if err != nil {
		return err
	}
	if _, err := d.click(in, person+"'s earlier alert", member, alerts.ActionResolve); err != nil {
		return err
	}
	d.note("%s resolves %s's earlier alert", member, person)
	return d.archived(in)
}

func (d *driver) archived(in *incident) error {
	return d.wait("thread archived", func() bool {
		c, ok := d.sim.Channel(in.msg.ID)
		return !ok || c.Archived
	})
}

// reply: member writes in the thread of person's alert.
func (d *driver) reply(member, person, text string) error {
	in, err := d.incident(person)
	if err != nil {
		return err
	}
	if _, err := d.sim.SendMessage(in.msg.ID, d.users[member], text); err != nil {
		return err
	}
	d.note("%s in the alert thread: %q", member, text)
	return nil
}

// welcome waits for Ash's latest welcome to who.
func (d *driver) welcome(who string) (discordsim.Message, error) {
	var w discordsim.Message
	err := d.wait("Ash's welcome to "+who, func() bool {
		for _, m := range d.sim.DMs(d.users[who].ID) {
			if len(m.Buttons()) > 0 {
				w = m
			}
		}
		return w.ID != 0
	})
	return w, err
}

func (d *driver) expectDM(who string) error {
	_, err := d.welcome(who)
	return err
}

// chat: who writes to Ash and waits for the answer.
func (d *driver) chat(who, text string) error {
	u := d.users[who]
	dm, ok := d.sim.DMChannel(u.ID)
	if !ok {
		return fmt.Errorf("%s has no DM with the bot", who)
	}
	before := len(d.sim.BotMessages(dm.ID))
	if _, err := d.sim.SendMessage(dm.ID, u, text); err != nil {
		return err
	}
	d.note("%s to Ash: %q", who, text)
	var answer discordsim.Message
	if err := d.wait("Ash's answer to "+who, func() bool {
		ms := d.sim.BotMessages(dm.ID)
		if len(ms) <= before {
			return false
		}
		answer = ms[before]
		return true
	}); err != nil {
		return err
	}
	d.note("Ash: %s", d.ashSaid(answer.Content))
	return nil
}

// maxSaid is how much of a message of Ash's the narration shows.
const maxSaid = 200

// ashSaid is a message of Ash's as the narration shows it: on one line,
// quoted, shortened when long, and the crisis resources the safety rules
// append named instead of printed.
func (d *driver) ashSaid(text string) string {
	extra := ""
	if d.resources != "" && strings.Contains(text, d.resources) {
		text, extra = strings.ReplaceAll(text, d.resources, ""), " + the crisis resources"
	}
	return "\"" + shorten(strings.Join(strings.Fields(text), " "), maxSaid) + "\"" + extra
}

// expectCheckin waits for Ash's next follow-up check-in to who.
func (d *driver) expectCheckin(who string) error {
	var got discordsim.Message
	err := d.wait("Ash's check-in to "+who, func() bool {
		dm, ok := d.sim.DMChannel(d.users[who].ID)
		if !ok {
			return false
		}
		n := 0
		for _, m := range d.sim.BotMessages(dm.ID) {
			if m.Content == followup.CheckinText {
				if n++; n > d.checkins[who] {
					got = m
					return true
				}
			}
		}
		return false
	})
	if err != nil {
		return err
	}
	d.checkins[who]++
	d.note("Ash checks in with %s by DM: %s", who, d.ashSaid(got.Content))
	return nil
}

// pressDM: who presses the button labelled label under Ash's welcome.
func (d *driver) pressDM(who, label string) error {
	w, err := d.welcome(who)
	if err != nil {
		return err
	}
	for _, b := range w.Buttons() {
		if b.Label != label {
			continue
		}
		d.note("%s presses %q under Ash's message", who, label)
		i, err := d.sim.ClickButton(w.ID, d.users[who], b.CustomID)
		if err != nil {
			return err
		}
		if _, err := d.answer(i); err != nil {
			return err
		}
		return d.wait("welcome buttons removed", func() bool {
			m, _ := d.sim.Message(w.ID)
			return len(m.Buttons()) == 0
		})
	}
	return fmt.Errorf("no %q button under Ash's welcome to %s", label, who)
}

func (d *driver) closeDMs(who string) error {
	if err := d.sim.SetDMsClosed(d.users[who].ID, true); err != nil {
		return err
	}
	d.note("%s closes their DMs", who)
	return nil
}

// threadNote waits for a message containing substr in person's alert thread.
func (d *driver) threadNote(person, substr string) error {
	in, err := d.incident(person)
	if err != nil {
		return err
	}
	return d.wait("thread note "+substr, func() bool {
		for _, m := range d.sim.Messages(in.msg.ID) {
			if strings.Contains(m.Content, substr) {
				return true
			}
		}
		return false
	})
}

// postReport runs `/ash report post:true` as who, as a CRT lead would the
// morning after the week.
func (d *driver) postReport(who string) error {
	in, err := d.sim.RunSlashCommand(d.ch["crt-monitor"], d.users[who], "ash", "report", map[string]any{"post": true})
	if err != nil {
		return err
	}
	text, err := d.deferred(in)
	if err != nil {
		return err
	}
	d.note("%s runs /ash report post:true: %s", who, text)
	d.reportPosted = len(d.sim.BotMessages(d.ch["crt-reports"])) > 0
	return nil
}
