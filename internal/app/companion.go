package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/ashnlp"
	"github.com/alphabetcartel/ashbot/internal/companion"
	"github.com/alphabetcartel/ashbot/internal/companion/anthropic"
	"github.com/alphabetcartel/ashbot/internal/companion/openai"
	"github.com/alphabetcartel/ashbot/internal/config"
	"github.com/alphabetcartel/ashbot/internal/detection"
	"github.com/alphabetcartel/ashbot/internal/events"
)

// companionPart is the language model behind Ash, or none when Ash runs
// on its scripted texts.
type companionPart struct {
	provider string // config.CompanionScripted, _Anthropic, _OpenAI
	model    ash.Model
	name     string // the model asked for; empty when scripted
	baseURL  string // masked, for logs and /readyz; empty for the provider's own
	metrics  *companion.Metrics
	// promptFile is BOT_ASH_SYSTEM_PROMPT_FILE ("": Ash's own persona).
	promptFile string
	// fallbacks counts the replies the model could not write, by kind.
	fallbacks *prometheus.CounterVec
	// manager answers whether the model was switched off (a refused key).
	manager *ash.Manager
}

// buildCompanion builds the provider BOT_ASH_PROVIDER names, its metrics
// registered on reg, and says in one log line which companion is active.
// Tests and the demo point BOT_ASH_BASE_URL at a stand-in.
func buildCompanion(cfg config.Companion, reg prometheus.Registerer, log *slog.Logger) (companionPart, error) {
	part := companionPart{provider: cfg.Provider, promptFile: cfg.SystemPromptFile}
	part.fallbacks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ashbot_ash_fallbacks_total",
		Help: "Replies Ash's language model could not write (the person got the fallback or scripted text), by kind.",
	}, []string{"kind"})
	if err := reg.Register(part.fallbacks); err != nil {
		return part, fmt.Errorf("companion metrics: %w", err)
	}
	if cfg.Provider == config.CompanionScripted {
		log.Info("Ash companion: scripted texts (set BOT_ASH_PROVIDER for a language model)", "companion", config.CompanionScripted)
		return part, nil
	}
	m, err := companion.NewMetrics(reg, cfg.Provider)
	if err != nil {
		return part, err
	}
	// Every kind shows from the start, as the provider's errors do.
	for _, k := range append(companion.Kinds(), ash.FallbackEmpty) {
		part.fallbacks.WithLabelValues(string(k))
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
	persona := "built-in"
	if cfg.SystemPromptFile != "" {
		persona = cfg.SystemPromptFile
	}
	log.Info("Ash companion: a language model writes Ash's replies",
		"companion", cfg.Provider, "model", cfg.Model, "base_url", where, "system_prompt", persona,
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
	out["chats"] = c.chats()
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
	return c.provider + " " + c.name + ": " + c.chats()
}

// chats says who writes the replies now: the model, or the scripted texts
// since the model refused its key.
func (c companionPart) chats() string {
	if c.manager != nil && c.manager.ModelOff() {
		return "scripted texts: the model refused its key (HTTP 401/403); fix BOT_ASH_API_KEY and restart"
	}
	return "the model writes the replies"
}

// ashClassifier classifies a chat message with the classifier detection
// uses (Ash-NLP), with no context: the person's words in the chat only.
// Ash never asks for a message without text (Ash-NLP would answer 422).
type ashClassifier struct{ c detection.Classifier }

func (a ashClassifier) Classify(ctx context.Context, text string) (events.Severity, error) {
	if r := []rune(text); len(r) > ashnlp.MaxMessageChars {
		text = string(r[:ashnlp.MaxMessageChars])
	}
	res, err := a.c.Analyze(ctx, ashnlp.Request{Message: text})
	if err != nil {
		return "", err
	}
	return events.Severity(res.Severity), nil
}

// ashManager builds Ash's chats: the model when one is configured, the
// safety rules, and the chat messages classified by what detection uses
// (opts.Classifier or Ash-NLP) when it is configured.
func (s *stack) ashManager(cfg *config.Config, opts Options, store *ash.Store, deadlines *ash.DueSet, team ash.Team, onEnded func(context.Context, ash.Session)) (*ash.Manager, error) {
	chats, err := ash.NewChats(s.rdb, cfg.Retention.MessageHistory)
	if err != nil {
		return nil, err
	}
	var classifier ash.Classifier
	switch {
	case opts.Classifier != nil:
		classifier = ashClassifier{opts.Classifier}
	case s.nlp != nil:
		classifier = ashClassifier{s.nlp}
	}
	m, err := ash.NewManager(ash.Options{
		Store: store, Deadlines: deadlines, Chats: chats, DM: s.rest, Team: team, Events: s.outbox,
		Companion: opts.Companion, Model: s.companion.model, SystemPrompt: cfg.Companion.SystemPrompt,
		ReplyTimeout: cfg.Companion.ReplyTimeout, Classifier: classifier,
		HandoffContext: cfg.Ash.HandoffContext,
		OnFallback:     func(kind string) { s.companion.fallbacks.WithLabelValues(kind).Inc() },
		ResourcesText:  cfg.Ash.ResourcesText, IdleTimeout: cfg.Ash.SessionTimeout, MaxSession: cfg.Ash.MaxSession,
		Clock: opts.Clock, Logger: s.log, OnEnded: onEnded,
	})
	if err != nil {
		return nil, err
	}
	s.companion.manager = m
	active := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "ashbot_ash_active_chats", Help: "Ash chats going on, across replicas (their deadline timers in Redis; -1 when Redis does not answer).",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		n, err := m.ActiveChats(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	})
	if err := s.reg.Register(active); err != nil {
		return nil, fmt.Errorf("ash metrics: %w", err)
	}
	return m, nil
}
