package migrate

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/earlierbot"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/metrics"
)

// pending turns an earlier pending auto-initiate that is still due into
// ours: the alert gets our loop state (unless it has some), its
// alert_created event, and an auto-initiate timer due when the earlier bot
// would have reached out. The bot's own handler then decides at that time,
// as for any alert: it does not reach out if the alert was answered, and
// looks at the alert message first.
//
// Its alert id is the one the earlier metrics gave it when they are there
// (found through the alert message's lookup), so the alert is not counted
// twice; else ours for a flagged message, the flagged message's id.
//
// Timers that are past are reported, not fired late: the earlier bot is
// stopped before migrating, and reaching out minutes or hours late, with
// nobody having looked at it, is for the CRT to decide.
func (m *Migrator) pending(ctx context.Context, rep *Report, key string) error {
	rep.found(KindPending)
	typ, v, _, err := m.read(ctx, key, true)
	if err != nil {
		return keyErr(rep, KindPending, "read "+key, err)
	}
	switch {
	case typ == "none":
		return nil
	case typ != "string":
		rep.problem(KindPending, fmt.Sprintf("%s: type %s, not string: left alone", key, typ), false)
		rep.count(KindPending, "unreadable: left alone", 1)
		return nil
	}
	p, err := earlierbot.ParsePendingAlert(v)
	if err != nil {
		rep.problem(KindPending, key+": "+err.Error(), false)
		rep.count(KindPending, "unreadable: left alone", 1)
		return nil
	}
	sev, err := events.ParseSeverity(p.Severity)
	switch {
	case p.Cancelled:
		rep.count(KindPending, "acknowledged in the earlier bot: nothing to do", 1)
		return nil
	case p.AutoInitiated:
		rep.count(KindPending, "the earlier bot's Ash already reached out: nothing to do", 1)
		return nil
	case !p.ExpiresAt.After(m.opts.Now()):
		rep.count(KindPending, "past due: reported, not fired late", 1)
		return nil
	case err != nil:
		rep.problem(KindPending, key+": "+err.Error(), false)
		rep.count(KindPending, "unreadable: left alone", 1)
		return nil
	case !m.opts.AutoInit.Applies(sev):
		rep.count(KindPending, "below BOT_AUTO_INITIATE_MIN_SEVERITY: not scheduled", 1)
		return nil
	}
	alertID, err := m.alertIDFor(ctx, p)
	if err != nil {
		return keyErr(rep, KindPending, "look up the alert of "+key, err)
	}
	if _, set, err := m.opts.AutoInit.Set().When(ctx, alertID); err != nil {
		return keyErr(rep, KindPending, "read the timer of "+key, err)
	} else if set {
		rep.count(KindPending, "due: timer already set", 1)
		return nil
	}
	st, err := m.opts.Alerts.Load(ctx, alertID)
	// A state without an alert message is only a flag claim: ours to fill.
	isNew := errors.Is(err, alerts.ErrNotFound) || (err == nil && st.AlertMessageID == "")
	switch {
	case isNew:
		st = alerts.State{
			AlertID: alertID, CreatedAt: p.CreatedAt, Severity: sev, UserID: p.UserID, ChannelID: p.OriginalChannelID,
			SourceMessageID: p.OriginalMessageID, AlertChannelID: p.AlertChannelID, AlertMessageID: p.AlertMessageID,
		}
	case err != nil:
		return keyErr(rep, KindPending, "read the alert state of "+key, err)
	case st.AlertMessageID != "" && st.AlertMessageID != p.AlertMessageID:
		rep.problem(KindPending, fmt.Sprintf("%s: alert %s already belongs to another alert message: not scheduled", key, alertID), false)
		rep.count(KindPending, "due, but the alert id is taken: not scheduled", 1)
		return nil
	case st.Status().Answered():
		rep.count(KindPending, "due, but answered in ashbot: nothing to do", 1)
		return nil
	}
	if m.opts.DryRun {
		rep.count(KindPending, "due: would become an auto-initiate timer", 1)
		return nil
	}
	if isNew {
		if err := m.opts.Alerts.SaveCreated(ctx, st); err != nil {
			return keyErr(rep, KindPending, "save the alert state of "+key, err)
		}
	}
	if m.opts.Recorder != nil {
		_, err := m.opts.Recorder.Record(ctx, events.Event{
			Type: events.AlertCreated, AlertID: alertID, At: p.CreatedAt, AlertMessageID: p.AlertMessageID,
			UserID: p.UserID, ChannelID: p.OriginalChannelID, Severity: sev,
		})
		if metrics.IsRejected(err) {
			rep.problem(KindPending, fmt.Sprintf("%s: alert_created %v", key, err), false)
		} else if err != nil {
			return keyErr(rep, KindPending, "record the alert of "+key, err)
		}
	}
	if err := m.opts.AutoInit.Set().Add(ctx, alertID, p.ExpiresAt); err != nil {
		return keyErr(rep, KindPending, "set the timer of "+key, err)
	}
	rep.count(KindPending, "due: now an auto-initiate timer", 1)
	return nil
}

// alertIDFor finds the alert id of a pending alert: the earlier metrics'
// (our lookup string, or in a dry run the earlier sorted set not yet
// converted), else the flagged message's id.
func (m *Migrator) alertIDFor(ctx context.Context, p earlierbot.PendingAlert) (string, error) {
	key := lookupPrefix + p.AlertMessageID
	typ, err := m.rdb.Type(ctx, key).Result()
	if err != nil {
		return "", err
	}
	var id string
	switch typ {
	case "string":
		id, err = m.rdb.Get(ctx, key).Result()
	case "zset":
		var ids []string
		if ids, err = m.rdb.ZRange(ctx, key, -1, -1).Result(); len(ids) == 1 {
			id = ids[0]
		}
	}
	if err != nil && !errors.Is(err, redis.Nil) {
		return "", err
	}
	if id == "" {
		id = p.OriginalMessageID
	}
	return id, nil
}
