package detection

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/disgoorg/disgo/discord"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ashnlp"
	"github.com/alphabetcartel/ashbot/internal/discordapi"
	"github.com/alphabetcartel/ashbot/internal/events"
)

// classifyTimeout bounds one classification, retries included; the
// client's own timeouts are shorter.
const classifyTimeout = 30 * time.Second

// process classifies one message and acts on the answer. A message taken
// before shutdown is seen through: the app bounds how long it waits.
func (in *Intake) process(ctx context.Context, it item) {
	ctx = context.WithoutCancel(ctx)
	if it.backlogAt.IsZero() {
		in.stats.queueWait(in.opts.Clock.Now().Sub(it.received))
	}
	res, err := in.classify(ctx, it)
	if err != nil {
		if ctx.Err() == nil {
			in.failed(it, err)
		}
		return
	}
	in.handle(ctx, it, res)
}

// quick returns a context for a Redis call on the detection path.
func (in *Intake) quick(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), in.opts.RedisTimeout)
}

// classify sends the message with the person's history. History that
// cannot be read is left out: context helps, but a classification without
// it beats none.
func (in *Intake) classify(ctx context.Context, it item) (ashnlp.Result, error) {
	m := it.msg
	req := ashnlp.Request{Message: m.Content, UserID: m.AuthorID, ChannelID: m.ChannelID}
	if utf8.RuneCountInString(req.Message) > ashnlp.MaxMessageChars {
		req.Message = string([]rune(req.Message)[:ashnlp.MaxMessageChars])
	}
	if h := in.opts.History; h != nil {
		qctx, cancel := in.quick(ctx)
		items, err := h.Recent(qctx, m.GuildID, m.AuthorID)
		cancel()
		if err != nil {
			in.log.Warn("history unavailable; classifying without it", "message_id", m.MessageID, "error", err.Error())
		}
		// An edited message is in its own history already: leave it out.
		for _, hi := range items {
			if hi.MessageID != m.MessageID {
				req.History = append(req.History, hi)
			}
		}
	}
	cctx, cancel := context.WithTimeout(ctx, classifyTimeout)
	defer cancel()
	if it.backlogAt.IsZero() {
		in.stats.classifyStarted(it.received, in.opts.Clock.Now())
	}
	return in.opts.Classifier.Analyze(cctx, req)
}

// handle acts on a classification: the alert, a note in the open alert's
// thread, or an escalation; then history.
func (in *Intake) handle(ctx context.Context, it item, res ashnlp.Result) {
	answered := in.opts.Clock.Now()
	defer in.stats.handled.Add(1)
	m := it.msg
	mult := in.opts.Sensitivity.Multiplier(m.ChannelID, m.ParentID)
	sev, score := Classified(res.Severity, res.CrisisScore, mult)
	in.stats.classified(sev, res.IsDegraded)
	log := in.log.With("message_id", m.MessageID, "channel_id", m.ChannelID, "severity", string(sev))

	// History is written last, off the alert's path; the person's next
	// message waits for this one, so it still sees it.
	if h := in.opts.History; h != nil && sev.Rank() >= events.Low.Rank() {
		defer func() {
			qctx, cancel := in.quick(ctx)
			defer cancel()
			if err := h.Add(qctx, m.GuildID, m.AuthorID, m.MessageID, m.Content, m.At, sev, score); err != nil {
				log.Warn("message not kept in history (redis)", "error", err.Error())
			}
		}()
	}
	if in.opts.AlertingDisabled || sev.Rank() < in.opts.MinSeverity.Rank() {
		return
	}

	// One message is acted on once, whoever sees it: replicas, edits and
	// a member's flag all claim the message id. Redis down: fail open.
	qctx, cancel := in.quick(ctx)
	won, err := in.opts.Claims.ClaimFlag(qctx, m.MessageID)
	cancel()
	claimed := err == nil
	switch {
	case err != nil:
		log.Warn("alert de-duplication unavailable (redis); alerting anyway", "error", err.Error())
	case !won:
		log.Info("message already alerted or noted; nothing more to do")
		return
	}

	a := in.alertOf(it, res, sev, score, mult)
	decision, prev := Alert, Open{}
	if c := in.opts.Cooldowns; c != nil {
		qctx, cancel := in.quick(ctx)
		decision, prev, err = c.Decide(qctx, m.AuthorID, a.ID, sev)
		cancel()
		if err != nil {
			log.Warn("alert cooldown unavailable (redis); alerting", "error", err.Error())
			decision = Alert
		}
	}
	if decision == Note {
		if in.note(ctx, it, sev, score, prev) {
			in.stats.notes.Add(1)
			return
		}
		// The open alert's thread cannot take it: a new alert is better
		// than a message the CRT never sees.
		decision = Alert
	}
	if decision == Escalate {
		a.EscalatedFrom = &alerts.Escalation{AlertID: prev.AlertID, Severity: prev.Severity, URL: in.alertURL(m.GuildID, prev)}
	}
	in.stats.alertLatency(in.opts.Clock.Now().Sub(answered))
	posted, err := in.opts.Dispatcher.Dispatch(ctx, a)
	if err != nil {
		// The dispatcher logged it loudly; give the claims back so the
		// next message (or a member's flag) can try again.
		qctx, cancel := in.quick(ctx)
		if claimed {
			_ = in.opts.Claims.ReleaseFlag(qctx, m.MessageID)
		}
		if in.opts.Cooldowns != nil {
			_ = in.opts.Cooldowns.Release(qctx, m.AuthorID, a.ID)
		}
		cancel()
		return
	}
	in.stats.alerted(sev)
	open := Open{AlertID: a.ID, Severity: sev, AlertChannelID: posted.ChannelID.String(), AlertMessageID: posted.MessageID.String()}
	if posted.ThreadID != 0 {
		open.ThreadID = posted.ThreadID.String()
	}
	if in.opts.Cooldowns != nil {
		qctx, cancel := in.quick(ctx)
		if err := in.opts.Cooldowns.Posted(qctx, m.AuthorID, open); err != nil {
			log.Warn("alert cooldown not updated (redis)", "error", err.Error())
		}
		cancel()
	}
	if decision == Escalate {
		in.stats.escalations.Add(1)
		text := fmt.Sprintf("⬆️ **Escalated.** A newer message from the same person was classified **%s**: new alert %s",
			sev, in.alertURL(m.GuildID, open))
		in.postInThread(ctx, prev, text, "escalated", a.ID)
	}
}

// alertOf builds the alert of a detected message; its id is the message's,
// as for a flag.
func (in *Intake) alertOf(it item, res ashnlp.Result, sev events.Severity, score, mult float64) alerts.Alert {
	m := it.msg
	a := alerts.Alert{
		ID: m.MessageID, Severity: sev, GuildID: m.GuildID, ChannelID: m.ChannelID, MessageID: m.MessageID,
		UserID: m.AuthorID, Content: m.Content, ChannelSensitivity: mult,
		Detection: &alerts.Detection{
			CrisisScore: score, Confidence: res.Confidence, RecommendedAction: res.RecommendedAction,
			KeyFactors: res.KeyFactors, DecisionSummary: res.DecisionSummary, Degraded: res.IsDegraded,
		},
	}
	if !it.backlogAt.IsZero() {
		a.Detection.Late = max(in.opts.Clock.Now().Sub(m.At), time.Second)
	}
	if mult == 1 {
		a.ChannelSensitivity = 0
	}
	return a
}

func (in *Intake) alertURL(guildID string, o Open) string {
	return alerts.JumpURL(guildID, o.AlertChannelID, o.AlertMessageID)
}

// notePatience bounds how long a note waits for the open alert to be
// posted (by this or another replica) before a new alert is raised
// instead: notePolls looks, notePoll apart.
const (
	notePolls = 30
	notePoll  = 100 * time.Millisecond
)

// note adds a message of the same or lower severity to the person's open
// alert's thread. false means it could not be posted.
func (in *Intake) note(ctx context.Context, it item, sev events.Severity, score float64, prev Open) bool {
	m := it.msg
	for polls := 0; !prev.Posted(); polls++ {
		if polls == notePolls || in.opts.Cooldowns == nil {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(notePoll):
		}
		qctx, cancel := in.quick(ctx)
		o, ok, err := in.opts.Cooldowns.Load(qctx, m.AuthorID)
		cancel()
		if err != nil || !ok {
			return false
		}
		prev = o
	}
	text := fmt.Sprintf("💬 **Another message from the same person** (%s, score %.2f): [jump to message](%s)\n%s",
		sev, score, alerts.JumpURL(m.GuildID, m.ChannelID, m.MessageID), alerts.Excerpt(m.Content))
	return in.postInThread(ctx, prev, text, "note", m.MessageID)
}

// postInThread posts text in the open alert's thread (the alert message's
// id names it when the thread id is unknown).
func (in *Intake) postInThread(ctx context.Context, o Open, text, kind, id string) bool {
	thread := o.ThreadID
	if thread == "" {
		thread = o.AlertMessageID
	}
	if thread == "" {
		return false
	}
	msg := discord.MessageCreate{Content: text, AllowedMentions: discordapi.NoMentions()}
	if _, err := in.opts.Poster.Post(ctx, thread, msg, discordapi.Nonce("detection", kind, id)); err != nil {
		in.log.Warn("could not post in the open alert's thread", "alert_id", o.AlertID, "kind", kind, "error", err.Error())
		return false
	}
	return true
}
