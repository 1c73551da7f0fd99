package app

import (
	"context"
	"sync/atomic"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/retention"
)

// indexOpenAlerts is the worker that, once Redis answers, puts every
// posted and unresolved alert into the open-alerts index behind /ash open:
// alerts posted before the index existed, and any whose best-effort index
// write failed. One SCAN of ash:alert:* per start, in the background; the
// index is idempotent, so replicas starting together do no harm.
func (s *stack) indexOpenAlerts(store *alerts.Store) func(ctx context.Context) {
	return func(ctx context.Context) {
		var found atomic.Int64
		err := retention.Walk(ctx, s.rdb, alerts.KeyPrefix+"*", func(ctx context.Context, keys []string) error {
			n, err := store.IndexOpen(ctx, keys)
			found.Add(int64(n))
			return err
		})
		log := s.log.With("component", "alerts")
		if err != nil && ctx.Err() == nil {
			log.Warn("open alerts not all indexed; /ash open may miss older ones until the next start", "error", err.Error())
			return
		}
		log.Info("open alerts indexed", "open_alerts", found.Load())
	}
}
