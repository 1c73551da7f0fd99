package ash

import (
	"context"

	"github.com/alphabetcartel/ashbot/internal/companion"
)

// Model is the language model a conversation with Ash calls: one request
// (system prompt, the turns so far, a token bound) and the model's reply,
// or a *companion.Error whose Kind says what to do (retry later, fall back,
// switch to the scripted texts). The providers under internal/companion
// (anthropic, openai) implement it; each call is bounded by the reply
// timeout and counted in the provider's metrics.
type Model interface {
	Complete(ctx context.Context, req companion.Request) (companion.Reply, error)
}
