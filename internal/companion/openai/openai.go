// Package openai is Ash's provider for any OpenAI-compatible
// chat-completions server (POST {base}/chat/completions): Ollama, vLLM,
// llama.cpp's server, LM Studio, or OpenAI itself, through OpenAI's
// official Go SDK and its retries (retry-after honoured on 429 and 5xx, up
// to the SDK's two-minute bound). A community that runs the model on its
// own hardware keeps every crisis conversation on its own servers.
//
// The client reads nothing from the environment (no OPENAI_API_KEY,
// OPENAI_BASE_URL): the key, optional, and the base URL, required, come
// from ashbot's settings only.
package openai

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/alphabetcartel/ashbot/internal/companion"
)

// Name is the provider's name in settings, logs and metrics.
const Name = "openai"

// Provider calls a chat-completions server.
type Provider struct {
	client sdk.Client
	set    companion.Settings
}

// New returns a provider for s. BaseURL is required (for example
// http://ollama:11434/v1): sending a crisis conversation to OpenAI's cloud
// must be a choice written down, never a default.
func New(s companion.Settings) (*Provider, error) {
	if err := s.Check(); err != nil {
		return nil, fmt.Errorf("openai: %w", err)
	}
	if strings.TrimSpace(s.BaseURL) == "" {
		return nil, errors.New("openai: no base URL")
	}
	opts := []option.RequestOption{
		option.WithBaseURL(s.BaseURL),
		// Always set, even empty: an empty key sends no Authorization
		// header, and overrides any OPENAI_API_KEY in the environment,
		// which must not reach a server it was not meant for.
		option.WithAPIKey(s.APIKey),
		option.WithMiddleware(companion.Middleware),
		option.WithHTTPClient(companion.NewHTTPClient()),
	}
	if s.MaxRetries != nil {
		opts = append(opts, option.WithMaxRetries(*s.MaxRetries))
	}
	return &Provider{client: sdk.NewClient(opts...), set: s}, nil
}

// Name is "openai".
func (p *Provider) Name() string { return Name }

// Model is the model every call asks for.
func (p *Provider) Model() string { return p.set.Model }

// Complete sends req and returns the model's reply, or a *companion.Error.
func (p *Provider) Complete(ctx context.Context, req companion.Request) (companion.Reply, error) {
	maxTokens, err := req.Prepare(Name, p.set.MaxTokens)
	if err != nil {
		return companion.Reply{}, err
	}
	params := sdk.ChatCompletionNewParams{
		Model: p.set.Model,
		// max_tokens rather than max_completion_tokens: OpenAI deprecated
		// it, but it is the one every compatible server (Ollama, vLLM,
		// llama.cpp, LM Studio) reads.
		MaxTokens: sdk.Int(int64(maxTokens)),
		Messages:  make([]sdk.ChatCompletionMessageParamUnion, 0, len(req.Turns)+1),
	}
	if req.System != "" {
		params.Messages = append(params.Messages, sdk.SystemMessage(req.System))
	}
	for _, t := range req.Turns {
		if t.Role == companion.User {
			params.Messages = append(params.Messages, sdk.UserMessage(t.Text))
		} else {
			params.Messages = append(params.Messages, sdk.AssistantMessage(t.Text))
		}
	}

	ctx, cancel := context.WithTimeout(ctx, p.set.Timeout)
	defer cancel()
	ctx, attempts := companion.WithAttempts(ctx)
	start := time.Now()
	res, err := p.client.Chat.Completions.New(ctx, params)
	took := time.Since(start)

	var reply companion.Reply
	switch {
	case err == nil && len(res.Choices) == 0:
		// A compatible server that answers 200 without a choice is broken,
		// not silent: the person must get the fallback text.
		err = &companion.Error{Provider: Name, Kind: companion.Server, Status: 200, Attempts: attempts.Count(),
			Err: errors.New("openai: the answer has no choices")}
	case err == nil:
		reply = replyOf(res, attempts.Count())
	default:
		var status int
		var apiType string
		var apiErr *sdk.Error
		if errors.As(err, &apiErr) {
			status, apiType = apiErr.StatusCode, apiErr.Type
			if apiErr.Code != "" {
				apiType = apiErr.Code
			}
		}
		err = companion.Classify(ctx, Name, err, status, apiType, attempts)
	}
	p.set.Metrics.Record(start.Add(took), took, reply, err)
	return reply, err
}

// finishReasons maps OpenAI's finish_reason onto the stop reasons the
// Anthropic provider reports, so the caller handles one set.
var finishReasons = map[string]string{
	"stop":           companion.StopEnd,
	"length":         companion.StopMaxTokens,
	"content_filter": companion.StopRefusal,
}

func replyOf(res *sdk.ChatCompletion, attempts int) companion.Reply {
	choice := res.Choices[0]
	stop := string(choice.FinishReason)
	if s, ok := finishReasons[stop]; ok {
		stop = s
	}
	text := choice.Message.Content
	if text == "" && choice.Message.Refusal != "" {
		stop = companion.StopRefusal
	}
	return companion.Reply{
		Text:       strings.TrimSpace(text),
		Usage:      companion.Usage{InputTokens: int(res.Usage.PromptTokens), OutputTokens: int(res.Usage.CompletionTokens)},
		StopReason: stop,
		Attempts:   attempts,
	}
}
