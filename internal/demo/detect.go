package demo

import (
	"context"
	"fmt"
	"strings"

	"github.com/alphabetcartel/ashbot/internal/alerts"
)

// The driver's side of automatic detection: alerts the bot raises on its
// own, Ash-NLP's outage and the notices about it, and cooldowns.

// Detection's notices in the status channel start with these.
const (
	downNotice = "detection is DOWN"
	backNotice = "detection is back"
)

// detectionDown reports whether the bot's latest detection notice says it
// is down.
func (d *driver) detectionDown() bool {
	down := false
	for _, m := range d.sim.BotMessages(d.ch["crt-monitor"]) {
		switch {
		case strings.Contains(m.Content, downNotice):
			down = true
		case strings.Contains(m.Content, backNotice):
			down = false
		}
	}
	return down
}

// expectAlert: the bot detected author's latest post on its own, at
// severity.
func (d *driver) expectAlert(severity, author string) error {
	src, ok := d.posts[author]
	if !ok {
		return fmt.Errorf("%s has posted nothing", author)
	}
	in, err := d.awaitAlert(author, src, severity)
	if err != nil {
		return err
	}
	how := ""
	if strings.Contains(in.msg.Content, "escalated from") {
		how = ", escalated from the open alert"
	}
	for _, f := range in.msg.Embeds[0].Fields {
		if f.Name == alerts.FieldLate {
			how += ", classified " + lateDelay(f.Value) + " late"
		}
	}
	d.note("the bot detects %s's message on its own -> %s alert in #%s%s", author, strings.ToUpper(severity), severityChannel[severity], how)
	return nil
}

// lateDelay is the delay in an alert's Late field ("⏰ Classified 5m0s
// after it was posted…").
func lateDelay(v string) string {
	if f := strings.Fields(v); len(f) >= 3 {
		return f[2]
	}
	return v
}

// nlpDown stops the Ash-NLP stand-in: connections are refused.
func (d *driver) nlpDown() error {
	d.nlp.Refuse()
	d.note("Ash-NLP goes down (connections refused)")
	return nil
}

// nlpBack starts the Ash-NLP stand-in again. A probe the last clock move
// set off finishes first (it fails), so that detection comes back at the
// next move, not at a moment the story cannot tell.
func (d *driver) nlpBack() error {
	if d.detectionDown() {
		ctx, cancel := context.WithTimeout(d.ctx, d.timeout)
		defer cancel()
		if err := d.clk.WaitIdle(ctx, pollers+1); err != nil {
			return err
		}
	}
	if err := d.nlp.Listen(); err != nil {
		return err
	}
	d.note("Ash-NLP is back up")
	return nil
}

// expectSaid waits for a bot message in channel containing text and
// shows its first line.
func (d *driver) expectSaid(channel, text string) error {
	var got string
	err := d.wait("#"+channel+" to say "+text, func() bool {
		for _, m := range d.sim.BotMessages(d.ch[channel]) {
			if strings.Contains(m.Content, text) {
				got = m.Content
				return true
			}
		}
		return false
	})
	if err != nil {
		return err
	}
	// The first two lines say what happened (a DOWN notice's reason, a
	// back notice's count of messages not classified).
	lines := strings.SplitN(strings.ReplaceAll(got, "**", ""), "\n", 3)
	d.note("the bot in #%s: %s", channel, strings.Join(lines[:min(2, len(lines))], " "))
	return nil
}
