package alerts

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Escalation steps (internal/escalation) are claimed on the alert's own
// state hash, so that the check "still unacknowledged and unresolved" and
// the claim are one atomic step on one key: fields esc{level}_lease (the
// claim, unix ms) and esc{level}_at (posted, unix ms).

// StepClaim is the outcome of ClaimEscalation.
type StepClaim int

const (
	// StepWon: the caller holds the step and must post it, then call
	// EscalationDone (or ReleaseEscalation when the post failed).
	StepWon StepClaim = iota
	// StepAnswered: someone acknowledged or resolved the alert.
	StepAnswered
	// StepDone: the step was posted before.
	StepDone
	// StepBusy: another replica holds a live claim on the step.
	StepBusy
)

// claimEscalationScript: KEYS[1] state; ARGV level, now_ms, lease_ms.
// Replies {-1} for an alert without posted state, {code} for answered,
// done or busy, and {0, field, value, ...} (the whole state) when won.
var claimEscalationScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], 'alert_message_id') == 0 then return {-1} end
if redis.call('HEXISTS', KEYS[1], 'ack_by') == 1 or redis.call('HEXISTS', KEYS[1], 'res_by') == 1 then return {1} end
local done = 'esc' .. ARGV[1] .. '_at'
if redis.call('HEXISTS', KEYS[1], done) == 1 then return {2} end
local lease = 'esc' .. ARGV[1] .. '_lease'
local held = tonumber(redis.call('HGET', KEYS[1], lease))
if held and tonumber(ARGV[2]) - held < tonumber(ARGV[3]) then return {3} end
redis.call('HSET', KEYS[1], lease, ARGV[2])
local out = {0}
for _, v in ipairs(redis.call('HGETALL', KEYS[1])) do out[#out+1] = v end
return out`)

// ClaimEscalation claims escalation level of an alert that nobody
// acknowledged or resolved, for lease: a replica that dies holding the
// claim lets another take the step over once the lease has passed. The
// state is returned when the claim is won.
func (s *Store) ClaimEscalation(ctx context.Context, alertID string, level int, now time.Time, lease time.Duration) (StepClaim, State, error) {
	res, err := claimEscalationScript.Run(ctx, s.rdb, []string{StateKey(alertID)}, level, now.UnixMilli(), lease.Milliseconds()).Slice()
	if err != nil {
		return 0, State{}, fmt.Errorf("claim escalation %d of alert %s: %w", level, alertID, err)
	}
	code, _ := res[0].(int64)
	switch {
	case code == -1:
		return 0, State{}, fmt.Errorf("claim escalation %d of alert %s: %w", level, alertID, ErrNotFound)
	case code > 0:
		return StepClaim(code), State{}, nil
	case len(res)%2 != 1:
		return 0, State{}, fmt.Errorf("claim escalation %d of alert %s: unexpected reply %v", level, alertID, res)
	}
	h := make(map[string]string, len(res)/2)
	for i := 1; i+1 < len(res); i += 2 {
		k, _ := res[i].(string)
		v, _ := res[i+1].(string)
		h[k] = v
	}
	return StepWon, decodeState(alertID, h), nil
}

// EscalationDone records that escalation level was posted at at, so it
// is never posted again.
func (s *Store) EscalationDone(ctx context.Context, alertID string, level int, at time.Time) error {
	lvl := strconv.Itoa(level)
	err := setIfExistsScript.Run(ctx, s.rdb, []string{StateKey(alertID)}, "esc"+lvl+"_at", ms(at)).Err()
	if err != nil {
		return fmt.Errorf("record escalation %d of alert %s: %w", level, alertID, err)
	}
	return nil
}

// ReleaseEscalation gives a claim back after a post that failed, so the
// retry can claim the step again at once.
func (s *Store) ReleaseEscalation(ctx context.Context, alertID string, level int) error {
	if err := s.rdb.HDel(ctx, StateKey(alertID), "esc"+strconv.Itoa(level)+"_lease").Err(); err != nil {
		return fmt.Errorf("release escalation %d of alert %s: %w", level, alertID, err)
	}
	return nil
}
