package ash

import (
	"context"
	"fmt"
	"time"
)

// ClearOptOut lifts the user's opt-out and reports whether there was one.
func (st *Store) ClearOptOut(ctx context.Context, userID string) (bool, error) {
	n, err := st.rdb.Del(ctx, OptOutKey(userID)).Result()
	if err != nil {
		return false, fmt.Errorf("lift an opt-out: %w", err)
	}
	return n == 1, nil
}

// OptedOut reports whether userID opted out of Ash, and until when (zero:
// the stored value does not say).
func (m *Manager) OptedOut(ctx context.Context, userID string) (until time.Time, ok bool, err error) {
	return m.opts.Store.OptedOut(ctx, userID)
}

// LiftOptOut lifts userID's opt-out, so that Ash may contact them again;
// it reports whether there was one. Who lifted it is the caller's to log
// and tell the team.
func (m *Manager) LiftOptOut(ctx context.Context, userID string) (bool, error) {
	return m.opts.Store.ClearOptOut(ctx, userID)
}

// OptOutSelf records the person's own opt-out made at at (from a command,
// not from an alert's welcome), for the opt-out retention. A chat they
// are in ends as opted_out, with user_opted_out on its alert and the team
// told, exactly as the welcome's button does; without one, there is no
// alert to record it on and only the opt-out is stored.
func (m *Manager) OptOutSelf(ctx context.Context, userID string, at time.Time) (time.Time, error) {
	s, active, err := m.opts.Store.ActiveFor(ctx, userID)
	if err != nil {
		return time.Time{}, fmt.Errorf("opt out: %w", err)
	}
	if active {
		return m.OptOut(ctx, userID, s.AlertID, s.ID, at)
	}
	until, err := m.opts.Store.OptOut(ctx, userID, at)
	if err != nil {
		return time.Time{}, fmt.Errorf("opt out: %w", err)
	}
	m.log.Info("person opted out of Ash by command")
	return until, nil
}
