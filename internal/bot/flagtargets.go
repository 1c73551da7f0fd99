package bot

import (
	"sync"
	"time"

	"github.com/disgoorg/snowflake/v2"
)

// A flag comes in two interactions: the context-menu command, which
// carries the flagged message (Discord resolves it, content included, even
// without the Message Content intent), and the severity menu, which only
// carries the ids in its custom id. flagTargets keeps the message between
// the two, so the alert needs no REST read (which would need Read Message
// History, and return blank content without the intent).
type flagTargets struct {
	now func() time.Time

	mu sync.Mutex
	m  map[flagKey]flagTarget
}

type flagKey struct{ flagger, message snowflake.ID }

type flagTarget struct {
	authorID snowflake.ID
	content  string
	at       time.Time
}

// The severity menu is usually answered within seconds; after
// flagTargetTTL (the interaction token's lifetime) or beyond maxFlagTargets
// pending flags, a flag falls back to reading the message over REST.
const (
	flagTargetTTL  = 15 * time.Minute
	maxFlagTargets = 1000
)

func newFlagTargets(now func() time.Time) *flagTargets {
	return &flagTargets{now: now, m: map[flagKey]flagTarget{}}
}

func (f *flagTargets) put(flagger, message, author snowflake.ID, content string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if len(f.m) >= maxFlagTargets {
		for k, t := range f.m {
			if now.Sub(t.at) >= flagTargetTTL {
				delete(f.m, k)
			}
		}
		if len(f.m) >= maxFlagTargets {
			return
		}
	}
	f.m[flagKey{flagger, message}] = flagTarget{authorID: author, content: content, at: now}
}

// take returns and forgets what flagger's menu is about.
func (f *flagTargets) take(flagger, message snowflake.ID) (flagTarget, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := flagKey{flagger, message}
	t, ok := f.m[k]
	delete(f.m, k)
	if !ok || f.now().Sub(t.at) >= flagTargetTTL {
		return flagTarget{}, false
	}
	return t, true
}
