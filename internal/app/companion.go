package app

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/companion"
	"github.com/alphabetcartel/ashbot/internal/companion/anthropic"
	"github.com/alphabetcartel/ashbot/internal/companion/openai"
	"github.com/alphabetcartel/ashbot/internal/config"
)

// companionPart is the language model behind Ash, or none when Ash runs
// on its scripted texts.
type companionPart struct {
	provider string // config.CompanionScripted, _Anthropic, _OpenAI
	model    ash.Model
	name     string // the model asked for; empty when scripted
	baseURL  string // masked, for logs and /readyz; empty for the provider's own
	metrics  *companion.Metrics
}

// buildCompanion builds the provider BOT_ASH_PROVIDER names, its metrics
// registered on reg, and says in one log line which companion is active.
// Tests and the demo point BOT_ASH_BASE_URL at a stand-in.
func buildCompanion(cfg config.Companion, reg prometheus.Registerer, log *slog.Logger) (companionPart, error) {
	part := companionPart{provider: cfg.Provider}
	if cfg.Provider == config.CompanionScripted {
		log.Info("Ash companion: scripted texts (set BOT_ASH_PROVIDER for a language model)", "companion", config.CompanionScripted)
		return part, nil
	}
	m, err := companion.NewMetrics(reg, cfg.Provider)
	if err != nil {
		return part, err
	}
	part.metrics, part.name = m, cfg.Model
	if cfg.BaseURL != "" {
		part.baseURL = config.MaskURL(cfg.BaseURL)
	}
	set := companion.Settings{
		Model: cfg.Model, MaxTokens: cfg.MaxTokens, APIKey: cfg.APIKey, BaseURL: cfg.BaseURL,
		Timeout: cfg.ReplyTimeout, Metrics: m,
	}
	switch cfg.Provider {
	case config.CompanionAnthropic:
		part.model, err = anthropic.New(set)
	case config.CompanionOpenAI:
		part.model, err = openai.New(set)
	default:
		err = fmt.Errorf("unknown BOT_ASH_PROVIDER %q", cfg.Provider)
	}
	if err != nil {
		return part, fmt.Errorf("companion: %w", err)
	}
	where := part.baseURL
	if where == "" {
		where = "the provider's own API"
	}
	// Said plainly: the model is built and checked, but Ash's chats do not
	// call it yet, and an operator must not believe otherwise.
	log.Warn("Ash companion: language model configured, but Ash's chats still use the scripted texts: the conversation that calls the model is not built yet",
		"companion", cfg.Provider, "model", cfg.Model, "base_url", where,
		"max_tokens", cfg.MaxTokens, "reply_timeout", cfg.ReplyTimeout.String())
	return part, nil
}

// info is the companion's entry in /readyz: which one is active and how
// its calls went. Informational only: a model that is down leaves Ash on
// its fallback texts, and the bot ready.
func (c companionPart) info() any {
	out := map[string]any{"provider": c.provider}
	if c.model == nil {
		return out
	}
	out["model"] = c.name
	out["chats"] = "scripted texts: the model is not called by Ash's chats yet"
	if c.baseURL != "" {
		out["base_url"] = c.baseURL
	}
	h := c.metrics.Health()
	out["calls"], out["failures"], out["consecutive_failures"] = h.Calls, h.Failures, h.Consecutive
	if h.LastResult != "" {
		out["last_result"], out["last_at"] = h.LastResult, h.LastAt.UTC().Format(time.RFC3339)
	}
	return out
}

// describe names the companion for the start-up summary and
// /health/detailed.
func (c companionPart) describe() string {
	if c.model == nil {
		return "scripted"
	}
	return c.provider + " " + c.name + " configured; chats use the scripted texts"
}
