package migrate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/earlierbot"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/metrics"
)

// The earlier bot's Phase 8 keys, under the names of ours.
const (
	alertPrefix  = "ash:metrics:alert:"
	lookupPrefix = "ash:metrics:alert_lookup:"
	dailyPrefix  = "ash:metrics:daily:"
)

// backupPrefix holds the earlier metrics sorted sets once they are out of
// the way of ours: "ash:migrate:backup:" + the key without "ash:". It is
// the retention category alert_metrics.
const (
	backupPrefix      = "ash:migrate:backup:"
	backupAlertPrefix = backupPrefix + "metrics:alert:"
)

func backupKey(key string) string { return backupPrefix + strings.TrimPrefix(key, "ash:") }

// removeZSetScript deletes KEYS[1] only while it is still a sorted set,
// so that a key the recorder has meanwhile written in our form survives.
var removeZSetScript = redis.NewScript(`
if redis.call('TYPE', KEYS[1]).ok == 'zset' then return redis.call('DEL', KEYS[1]) end
return 0`)

// metricsZSet moves an earlier alert record or daily aggregate (a sorted
// set) to its backup, with its TTL (or the retention when it has none),
// and removes it, so that the recorder can write ours. DUMP and RESTORE
// touch one key each, so this works on Cluster; RESTORE REPLACE makes a
// repeat after a crash between the two steps harmless.
func (m *Migrator) metricsZSet(ctx context.Context, rep *Report, kind, key string, retention time.Duration) error {
	rep.found(kind)
	typ, _, pttl, err := m.read(ctx, key, false)
	if err != nil {
		return keyErr(rep, kind, "read "+key, err)
	}
	switch typ {
	case "none":
		return nil
	case "hash":
		rep.count(kind, "already ashbot's", 1)
		return nil
	case "zset":
	default:
		rep.problem(kind, fmt.Sprintf("%s: type %s, neither ours (hash) nor the earlier sorted set: left alone", key, typ), false)
		rep.count(kind, "unreadable: left alone", 1)
		return nil
	}
	if kind == KindMetricsDaily {
		m.countDaily(ctx, rep, key)
	}
	if m.opts.DryRun {
		rep.count(kind, "earlier sorted set: would move to "+backupPrefix+"*", 1)
		if kind == KindMetricsAlerts {
			return m.convertAlert(ctx, rep, strings.TrimPrefix(key, alertPrefix), key)
		}
		return nil
	}
	ttl := retention
	if pttl > 0 {
		ttl = pttl
	}
	dump, err := m.rdb.Dump(ctx, key).Result()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		return keyErr(rep, kind, "dump "+key, err)
	}
	if err := m.rdb.RestoreReplace(ctx, backupKey(key), ttl, dump).Err(); err != nil {
		return keyErr(rep, kind, "copy "+key+" to its backup", err)
	}
	if err := removeZSetScript.Run(ctx, m.rdb, []string{key}).Err(); err != nil {
		return keyErr(rep, kind, "remove "+key+" after its backup", err)
	}
	rep.count(kind, "earlier sorted set: moved to "+backupPrefix+"*", 1)
	return nil
}

// earlierDaily is what the report tells of an earlier daily aggregate.
type earlierDaily struct {
	TotalAlerts int64 `json:"total_alerts"`
}

// countDaily counts the alerts an earlier daily aggregate holds (its
// latest snapshot): ashbot rebuilds its own aggregates from the alert
// records, so alerts whose records expired earlier are not carried over.
func (m *Migrator) countDaily(ctx context.Context, rep *Report, key string) {
	latest, err := m.rdb.ZRange(ctx, key, -1, -1).Result()
	if err != nil || len(latest) == 0 {
		return
	}
	var d earlierDaily
	if json.Unmarshal([]byte(latest[0]), &d) != nil {
		rep.problem(KindMetricsDaily, key+": latest snapshot unreadable", false)
		return
	}
	rep.count(KindMetricsDaily, "alerts counted in the earlier aggregates (ours are rebuilt from the alert records)", d.TotalAlerts)
}

// convertLookupScript turns an earlier lookup (a sorted set whose newest
// member is the alert id) into ours (a string), with its TTL, in one step.
var convertLookupScript = redis.NewScript(`
if redis.call('TYPE', KEYS[1]).ok ~= 'zset' then return 0 end
local m = redis.call('ZRANGE', KEYS[1], -1, -1)
local ttl = redis.call('PTTL', KEYS[1])
redis.call('DEL', KEYS[1])
if #m == 0 then return -1 end
if ttl < 0 then ttl = tonumber(ARGV[1]) end
redis.call('SET', KEYS[1], m[1], 'PX', ttl)
return 1`)

func (m *Migrator) lookup(ctx context.Context, rep *Report, key string) error {
	rep.found(KindMetricsLookups)
	typ, _, _, err := m.read(ctx, key, false)
	if err != nil {
		return keyErr(rep, KindMetricsLookups, "read "+key, err)
	}
	switch typ {
	case "none":
		return nil
	case "string":
		rep.count(KindMetricsLookups, "already ashbot's", 1)
		return nil
	case "zset":
	default:
		rep.problem(KindMetricsLookups, fmt.Sprintf("%s: type %s: left alone", key, typ), false)
		rep.count(KindMetricsLookups, "unreadable: left alone", 1)
		return nil
	}
	if m.opts.DryRun {
		rep.count(KindMetricsLookups, "earlier sorted set: would become ashbot's string", 1)
		return nil
	}
	if err := convertLookupScript.Run(ctx, m.rdb, []string{key}, m.opts.Retentions.AlertMetrics.Milliseconds()).Err(); err != nil {
		return keyErr(rep, KindMetricsLookups, "convert "+key, err)
	}
	rep.count(KindMetricsLookups, "earlier sorted set: converted to ashbot's string", 1)
	return nil
}

// replayAlert records the events of an earlier alert kept in its backup.
func (m *Migrator) replayAlert(ctx context.Context, rep *Report, key string) error {
	return m.convertAlert(ctx, rep, strings.TrimPrefix(key, backupAlertPrefix), key)
}

// snapshot is the earlier AlertMetrics record (src/managers/metrics/models.py
// of the earlier bot, v5.0-8): every write added the whole record anew as
// a member, scored with the write time in seconds.
type snapshot struct {
	AlertMessageID     earlierbot.ID `json:"alert_message_id"`
	UserID             earlierbot.ID `json:"user_id"`
	ChannelID          earlierbot.ID `json:"channel_id"`
	Severity           string        `json:"severity"`
	ChannelSensitivity *float64      `json:"channel_sensitivity"`
	AlertCreatedAt     *string       `json:"alert_created_at"`
	AcknowledgedAt     *string       `json:"acknowledged_at"`
	AcknowledgedBy     earlierbot.ID `json:"acknowledged_by"`
	AshContactedAt     *string       `json:"ash_contacted_at"`
	AshInitiatedBy     earlierbot.ID `json:"ash_initiated_by"`
	WasAutoInitiated   bool          `json:"was_auto_initiated"`
	FirstResponseAt    *string       `json:"first_response_at"`
	FirstResponderID   earlierbot.ID `json:"first_responder_id"`
	ResolvedAt         *string       `json:"resolved_at"`
	UserOptedOut       bool          `json:"user_opted_out"`
}

// merged is an alert's snapshots folded together, earliest first: a field
// keeps the first value any snapshot gave it.
type merged struct {
	snapshot
	optedOutAt time.Time // the write time of the first snapshot that says so
	unreadable int
}

func mergeSnapshots(zs []redis.Z) merged {
	var out merged
	slices.SortStableFunc(zs, func(a, b redis.Z) int {
		switch {
		case a.Score < b.Score:
			return -1
		case a.Score > b.Score:
			return 1
		}
		return 0
	})
	first := func(dst **string, v *string) {
		if *dst == nil && v != nil && *v != "" {
			*dst = v
		}
	}
	firstID := func(dst *earlierbot.ID, v earlierbot.ID) {
		if *dst == "" {
			*dst = v
		}
	}
	for _, z := range zs {
		s, _ := z.Member.(string)
		var sn snapshot
		if json.Unmarshal([]byte(s), &sn) != nil {
			out.unreadable++
			continue
		}
		firstID(&out.AlertMessageID, sn.AlertMessageID)
		firstID(&out.UserID, sn.UserID)
		firstID(&out.ChannelID, sn.ChannelID)
		firstID(&out.AcknowledgedBy, sn.AcknowledgedBy)
		firstID(&out.AshInitiatedBy, sn.AshInitiatedBy)
		firstID(&out.FirstResponderID, sn.FirstResponderID)
		if out.Severity == "" {
			out.Severity = strings.ToLower(sn.Severity)
		}
		if out.ChannelSensitivity == nil {
			out.ChannelSensitivity = sn.ChannelSensitivity
		}
		first(&out.AlertCreatedAt, sn.AlertCreatedAt)
		first(&out.AcknowledgedAt, sn.AcknowledgedAt)
		first(&out.AshContactedAt, sn.AshContactedAt)
		first(&out.FirstResponseAt, sn.FirstResponseAt)
		first(&out.ResolvedAt, sn.ResolvedAt)
		out.WasAutoInitiated = out.WasAutoInitiated || sn.WasAutoInitiated
		if sn.UserOptedOut && !out.UserOptedOut {
			out.UserOptedOut = true
			out.optedOutAt = earlierbot.SecondsTime(z.Score)
		}
	}
	return out
}

// events turns an earlier alert into lifecycle events, alert_created
// first. What cannot be carried over is returned as notes.
func (mg merged) events(alertID string) (evs []events.Event, notes []string) {
	at := func(field string, s *string) (time.Time, bool) {
		if s == nil {
			return time.Time{}, false
		}
		t, err := earlierbot.ParseTime(*s)
		if err != nil {
			notes = append(notes, fmt.Sprintf("%s unreadable: %v", field, err))
			return time.Time{}, false
		}
		return t, true
	}
	created, ok := at("alert_created_at", mg.AlertCreatedAt)
	if !ok {
		return nil, append(notes, "no readable alert_created_at: alert not carried over")
	}
	ev := events.Event{
		Type: events.AlertCreated, AlertID: alertID, At: created, AlertMessageID: string(mg.AlertMessageID),
		UserID: string(mg.UserID), ChannelID: string(mg.ChannelID), Severity: events.Severity(mg.Severity),
	}
	if mg.ChannelSensitivity != nil {
		ev.ChannelSensitivity = *mg.ChannelSensitivity
	}
	evs = append(evs, ev)
	if t, ok := at("acknowledged_at", mg.AcknowledgedAt); ok {
		evs = append(evs, events.Event{Type: events.Acknowledged, AlertID: alertID, At: t, By: string(mg.AcknowledgedBy)})
	}
	if t, ok := at("ash_contacted_at", mg.AshContactedAt); ok {
		by := string(mg.AshInitiatedBy)
		auto := mg.WasAutoInitiated || by == events.AutoBy
		if auto {
			by = events.AutoBy
		}
		evs = append(evs, events.Event{Type: events.AshContacted, AlertID: alertID, At: t, By: by, Auto: auto})
	}
	if mg.UserOptedOut {
		t := mg.optedOutAt
		if t.Before(created) {
			t = created
		}
		evs = append(evs, events.Event{Type: events.UserOptedOut, AlertID: alertID, At: t})
	}
	if t, ok := at("first_response_at", mg.FirstResponseAt); ok {
		evs = append(evs, events.Event{Type: events.FirstResponse, AlertID: alertID, At: t, By: string(mg.FirstResponderID)})
	}
	if mg.ResolvedAt != nil {
		notes = append(notes, "resolved_at not carried over: the earlier bot did not record who resolved")
	}
	slices.SortStableFunc(evs[1:], func(a, b events.Event) int { return a.At.Compare(b.At) })
	return evs, notes
}

// convertAlert reads an earlier alert's snapshots from key (the original
// in a dry run, else its backup) and records its events.
func (m *Migrator) convertAlert(ctx context.Context, rep *Report, alertID, key string) error {
	zs, err := m.rdb.ZRangeWithScores(ctx, key, 0, -1).Result()
	if err != nil {
		return keyErr(rep, KindEvents, "read "+key, err)
	}
	if len(zs) == 0 {
		return nil
	}
	rep.found(KindEvents)
	mg := mergeSnapshots(zs)
	if mg.unreadable > 0 {
		rep.problem(KindEvents, fmt.Sprintf("alert %s: %d snapshots unreadable", alertID, mg.unreadable), false)
	}
	evs, notes := mg.events(alertID)
	for _, n := range notes {
		rep.problem(KindEvents, "alert "+alertID+": "+n, false)
	}
	if len(evs) == 0 {
		rep.count(KindEvents, "alerts not carried over (see problems)", 1)
		return nil
	}
	if m.opts.DryRun {
		rep.count(KindEvents, "events to record", int64(len(evs)))
		return nil
	}
	if m.opts.Recorder == nil {
		rep.count(KindEvents, "alerts kept in their backup only (BOT_METRICS_ENABLED=false)", 1)
		return nil
	}
	// History counts an alert older than our alert retention in its day's
	// aggregates only, as `ashbot events import` does: Record would
	// reject it, and its week's counts would miss it.
	hist := m.opts.Recorder.History()
	for _, ev := range evs {
		out, err := hist.Record(ctx, ev)
		switch {
		case metrics.IsRejected(err):
			rep.count(KindEvents, "events rejected", 1)
			rep.problem(KindEvents, fmt.Sprintf("alert %s: %s %v", alertID, ev.Type, err), false)
			if ev.Type == events.AlertCreated {
				return nil // the others would be rejected for an unknown alert
			}
		case err != nil:
			return keyErr(rep, KindEvents, "record alert "+alertID, err)
		case out == metrics.Duplicate:
			rep.count(KindEvents, "events already recorded", 1)
		case out == metrics.RecordedAggregateOnly:
			rep.count(KindEvents, "events counted in the daily aggregates only (older than the alert retention)", 1)
		default:
			rep.count(KindEvents, "events recorded", 1)
		}
	}
	return nil
}
