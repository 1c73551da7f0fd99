// Package anthropic is Ash's Claude provider: one Messages API call
// (POST /v1/messages) per reply through Anthropic's official Go SDK, with
// the SDK's own retries, which honour retry-after on 429 and 529.
//
// The client reads nothing from the environment or from disk (no
// ANTHROPIC_API_KEY, no profile): the key and base URL come from ashbot's
// settings only, so what `ashbot config check` shows is what runs. It
// makes no OpenTelemetry spans, which could carry a conversation.
package anthropic

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/alphabetcartel/ashbot/internal/companion"
)

// Name is the provider's name in settings, logs and metrics.
const Name = "anthropic"

// DefaultModel is BOT_ASH_MODEL's default (internal/config/defaults.json
// holds the same text; a test keeps them equal): the newest Claude Sonnet
// the SDK names, Anthropic's balance of speed and quality for chat.
const DefaultModel = sdk.ModelClaudeSonnet5_5

// Provider calls Claude.
type Provider struct {
	client sdk.Client
	set    companion.Settings
}

// New returns a provider for s. The key is required: Anthropic answers
// every request without one with 401.
func New(s companion.Settings) (*Provider, error) {
	if err := s.Check(); err != nil {
		return nil, fmt.Errorf("anthropic: %w", err)
	}
	if strings.TrimSpace(s.APIKey) == "" {
		return nil, errors.New("anthropic: no API key")
	}
	opts := []option.RequestOption{
		option.WithoutEnvironmentDefaults(),
		option.WithAPIKey(s.APIKey),
		option.WithMiddleware(companion.Middleware),
		option.WithHTTPClient(companion.NewHTTPClient()),
		// No spans: ANTHROPIC_OPEN_TELEMETRY_TRACES_CONTENT_MODE=content
		// would otherwise put what the person wrote into traces.
		option.WithoutOpenTelemetry(),
		option.WithOpenTelemetryPropagation(false),
	}
	if s.BaseURL != "" {
		opts = append(opts, option.WithBaseURL(s.BaseURL))
	}
	if s.MaxRetries != nil {
		opts = append(opts, option.WithMaxRetries(*s.MaxRetries))
	}
	return &Provider{client: sdk.NewClient(opts...), set: s}, nil
}

// Name is "anthropic".
func (p *Provider) Name() string { return Name }

// Model is the model every call asks for.
func (p *Provider) Model() string { return p.set.Model }

// Complete sends req and returns Claude's reply, or a *companion.Error.
func (p *Provider) Complete(ctx context.Context, req companion.Request) (companion.Reply, error) {
	maxTokens, err := req.Prepare(Name, p.set.MaxTokens)
	if err != nil {
		return companion.Reply{}, err
	}
	params := sdk.MessageNewParams{
		Model:     p.set.Model,
		MaxTokens: int64(maxTokens),
		Messages:  make([]sdk.MessageParam, 0, len(req.Turns)),
	}
	if req.System != "" {
		params.System = []sdk.TextBlockParam{{Text: req.System}}
	}
	for _, t := range req.Turns {
		block := sdk.NewTextBlock(t.Text)
		if t.Role == companion.User {
			params.Messages = append(params.Messages, sdk.NewUserMessage(block))
		} else {
			params.Messages = append(params.Messages, sdk.NewAssistantMessage(block))
		}
	}

	ctx, cancel := context.WithTimeout(ctx, p.set.Timeout)
	defer cancel()
	ctx, attempts := companion.WithAttempts(ctx)
	start := time.Now()
	msg, err := p.client.Messages.New(ctx, params)
	took := time.Since(start)

	var reply companion.Reply
	if err == nil {
		reply = replyOf(msg, attempts.Count())
	} else {
		var status int
		var apiType string
		var apiErr *sdk.Error
		if errors.As(err, &apiErr) {
			status, apiType = apiErr.StatusCode, string(apiErr.Type())
		}
		err = companion.Classify(ctx, Name, err, status, apiType, attempts)
	}
	p.set.Metrics.Record(start.Add(took), took, reply, err)
	return reply, err
}

// replyOf joins the text blocks of msg; Ash asks for no tools, so other
// blocks (thinking, if a model sends it) are not for the person.
func replyOf(msg *sdk.Message, attempts int) companion.Reply {
	var b strings.Builder
	for _, c := range msg.Content {
		if c.Type == "text" {
			b.WriteString(c.Text)
		}
	}
	return companion.Reply{
		Text:       strings.TrimSpace(b.String()),
		Usage:      companion.Usage{InputTokens: int(msg.Usage.InputTokens), OutputTokens: int(msg.Usage.OutputTokens)},
		StopReason: string(msg.StopReason),
		Attempts:   attempts,
	}
}
