// Package anthropicsim is a loopback stand-in for Anthropic's Messages API
// (POST /v1/messages), strict enough that the official Go SDK
// (github.com/anthropics/anthropic-sdk-go/v2) runs against it unchanged:
// point the SDK's base URL at Sim.URL(). It answers deterministically from
// the conversation (modelsim.Echo unless Options.Respond says otherwise),
// records every request, and fails on demand (Inject: 429 with
// retry-after, 529 overloaded, 5xx, 401, latency, a hang).
//
// What it checks follows the API reference
// (https://platform.claude.com/docs/en/api/messages) and its errors page
// (https://platform.claude.com/docs/en/api/errors); each check names its
// rule. Where Ash never needs what the API allows (tools, images,
// streaming, mid-conversation system messages, prefill), the stand-in
// refuses it with a 400, so a mistake in the conversation shows in tests.
package anthropicsim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/alphabetcartel/ashbot/internal/standin/modelsim"
)

// Options configure a Sim.
type Options struct {
	// APIKey is the only key accepted; default "sk-ant-test".
	APIKey string
	// Models, when set, are the only models that exist (others get 404
	// not_found_error, as the API answers an unknown model).
	Models []string
	// Respond writes the replies; default modelsim.Echo.
	Respond modelsim.Responder
}

// Sim is the stand-in.
type Sim struct {
	*modelsim.Server
	opts Options
	ids  atomic.Int64
}

// Start serves a stand-in on 127.0.0.1.
func Start(opts Options) (*Sim, error) {
	if opts.APIKey == "" {
		opts.APIKey = "sk-ant-test"
	}
	s := &Sim{opts: opts}
	srv, err := modelsim.Start(modelsim.API{Serve: s.serve, WriteFault: writeFault, RequestIDHeader: "request-id"})
	if err != nil {
		return nil, err
	}
	s.Server = srv
	return s, nil
}

// APIKey is the key the stand-in accepts.
func (s *Sim) APIKey() string { return s.opts.APIKey }

// Conversations returns what the model was sent by each request that
// reached it (faults and rejected requests aside), oldest first.
func (s *Sim) Conversations() []modelsim.Conversation {
	return s.ConversationsWith(func(r modelsim.Recorded) (modelsim.Conversation, bool) {
		req, msg := parse(r.Body, r.Header.Get("anthropic-version"))
		if msg != "" {
			return modelsim.Conversation{}, false
		}
		c, _ := req.conversation()
		return c, true
	})
}

// API versions the anthropic-version header may name: the original one and
// the one the v2 SDKs send (platform.claude.com/docs/en/api/versioning,
// .../api/migration-2026-10-21).
var versions = []string{"2023-06-01", "2026-10-21"}

// errorTypes are the API's error types by HTTP status
// (platform.claude.com/docs/en/api/errors, "HTTP errors").
var errorTypes = map[int]string{
	400: "invalid_request_error",
	401: "authentication_error",
	403: "permission_error",
	404: "not_found_error",
	413: "request_too_large",
	429: "rate_limit_error",
	500: "api_error",
	504: "timeout_error",
	529: "overloaded_error",
}

// writeError writes the API's error shape: {"type":"error","error":
// {"type":...,"message":...},"request_id":...} (errors page, "Error
// shapes"), with the request-id header every response carries.
func writeError(w http.ResponseWriter, status int, message string) {
	typ, ok := errorTypes[status]
	if !ok {
		typ = "api_error"
	}
	w.Header().Set("content-type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"type":       "error",
		"error":      map[string]string{"type": typ, "message": message},
		"request_id": w.Header().Get("request-id"), // set by modelsim
	})
}

var faultMessages = map[int]string{
	401: "invalid x-api-key",
	403: "Your API key does not have permission to use the specified resource.",
	429: "Number of request tokens has exceeded your per-minute rate limit.",
	500: "Internal server error",
	529: "Overloaded",
}

func writeFault(w http.ResponseWriter, status int) {
	msg, ok := faultMessages[status]
	if !ok {
		msg = http.StatusText(status)
	}
	writeError(w, status, msg)
}

func (s *Sim) serve(w http.ResponseWriter, r *http.Request, body []byte) int {
	if r.URL.Path != "/v1/messages" {
		writeError(w, 404, "Not Found")
		return 404
	}
	if r.Method != http.MethodPost {
		writeError(w, 405, "Method Not Allowed")
		return 405
	}
	// Authentication: an API key in x-api-key (api/overview) or as a
	// bearer token in Authorization, which the v2 SDKs send
	// (manage-claude/authentication).
	key := r.Header.Get("x-api-key")
	if bearer, ok := strings.CutPrefix(r.Header.Get("authorization"), "Bearer "); ok && key == "" {
		key = bearer
	}
	if key != s.opts.APIKey {
		writeError(w, 401, "invalid x-api-key")
		return 401
	}
	version := r.Header.Get("anthropic-version")
	if version == "" {
		writeError(w, 400, "anthropic-version: header is required")
		return 400
	}
	if !slices.Contains(versions, version) {
		writeError(w, 400, fmt.Sprintf("anthropic-version: %q is not a valid version", version))
		return 400
	}
	// "You need to send the content-type: application/json header" (api/overview).
	if ct := r.Header.Get("content-type"); !strings.HasPrefix(ct, "application/json") {
		writeError(w, 400, "content-type: must be application/json")
		return 400
	}
	req, msg := parse(body, version)
	if msg != "" {
		writeError(w, 400, msg)
		return 400
	}
	if len(s.opts.Models) > 0 && !slices.Contains(s.opts.Models, req.Model) {
		writeError(w, 404, "model: "+req.Model)
		return 404
	}
	conv, msg := req.conversation()
	if msg != "" {
		writeError(w, 400, msg)
		return 400
	}
	text, in, out, cut := modelsim.Complete(s.opts.Respond, conv)
	stop := "end_turn"
	if cut {
		stop = "max_tokens"
	}
	content := []map[string]string{{"type": "text", "text": text}}
	if *req.MaxTokens == 0 {
		// max_tokens 0 only warms the prompt cache: no content.
		content, out, stop = []map[string]string{}, 0, "max_tokens"
	}
	w.Header().Set("content-type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id":            fmt.Sprintf("msg_sim%08d", s.ids.Add(1)),
		"type":          "message",
		"role":          "assistant",
		"model":         req.Model,
		"content":       content,
		"stop_reason":   stop,
		"stop_sequence": nil,
		"usage":         map[string]int{"input_tokens": in, "output_tokens": out},
	})
	return http.StatusOK
}
