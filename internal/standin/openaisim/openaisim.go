// Package openaisim is a loopback stand-in for an OpenAI-compatible
// chat-completions server (POST /v1/chat/completions, as OpenAI, Ollama,
// vLLM, llama.cpp's server and LM Studio serve it), strict enough that the
// official Go SDK (github.com/openai/openai-go/v3) runs against it
// unchanged: point the SDK's base URL at Sim.BaseURL(). It answers
// deterministically from the conversation (modelsim.Echo unless
// Options.Respond says otherwise), records every request, and fails on
// demand (Inject: 429 with retry-after, 500, 503, 401, latency, a hang).
//
// What it checks follows the API reference
// (https://platform.openai.com/docs/api-reference/chat/create) and the
// error codes guide (https://platform.openai.com/docs/guides/error-codes);
// each check names its rule. Tools, images, audio, streaming and n > 1,
// which Ash never asks for, are refused with a 400.
package openaisim

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
	// APIKey, when set, must come as "Authorization: Bearer <key>"; empty
	// accepts requests without one, as a local Ollama does.
	APIKey string
	// Models, when set, are the only models that exist (others get 404
	// model_not_found).
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
	s := &Sim{opts: opts}
	srv, err := modelsim.Start(modelsim.API{Serve: s.serve, WriteFault: writeFault, RequestIDHeader: "x-request-id"})
	if err != nil {
		return nil, err
	}
	s.Server = srv
	return s, nil
}

// BaseURL is what BOT_ASH_BASE_URL names: the server's root with /v1.
func (s *Sim) BaseURL() string { return s.URL() + "/v1" }

// Conversations returns what the model was sent by each request that
// reached it (faults and rejected requests aside), oldest first.
func (s *Sim) Conversations() []modelsim.Conversation {
	return s.ConversationsWith(func(r modelsim.Recorded) (modelsim.Conversation, bool) {
		c, msg := parse(r.Body)
		return c, msg == ""
	})
}

// apiError is one error as the API writes it: {"error":{"message","type",
// "param","code"}} (error codes guide; the SDK's Error has the same
// fields).
type apiError struct {
	status  int
	message string
	typ     string
	param   any // string or null
	code    any // string or null
}

func (e apiError) write(w http.ResponseWriter) int {
	w.Header().Set("content-type", "application/json")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"message": e.message, "type": e.typ, "param": e.param, "code": e.code,
	}})
	return e.status
}

func invalid(param, format string, args ...any) apiError {
	var p any
	if param != "" {
		p = param
	}
	return apiError{status: 400, message: fmt.Sprintf(format, args...), typ: "invalid_request_error", param: p}
}

// faults are the error-code guide's answers by status.
var faults = map[int]apiError{
	401: {message: "Incorrect API key provided.", typ: "invalid_request_error", code: "invalid_api_key"},
	403: {message: "You are not allowed to sample from this model.", typ: "invalid_request_error"},
	429: {message: "Rate limit reached for requests.", typ: "requests", code: "rate_limit_exceeded"},
	500: {message: "The server had an error while processing your request. Sorry about that!", typ: "server_error"},
	503: {message: "The engine is currently overloaded, please try again later.", typ: "server_error"},
}

func writeFault(w http.ResponseWriter, status int) {
	e, ok := faults[status]
	if !ok {
		e = apiError{message: http.StatusText(status), typ: "server_error"}
	}
	e.status = status
	e.write(w)
}

func (s *Sim) serve(w http.ResponseWriter, r *http.Request, body []byte) int {
	if r.URL.Path != "/v1/chat/completions" {
		return apiError{status: 404, message: "Invalid URL (" + r.Method + " " + r.URL.Path + ")", typ: "invalid_request_error"}.write(w)
	}
	if r.Method != http.MethodPost {
		return apiError{status: 405, message: "Method not allowed", typ: "invalid_request_error"}.write(w)
	}
	if s.opts.APIKey != "" {
		// "Authorization: Bearer OPENAI_API_KEY" (api-reference,
		// "Authentication"); 401 invalid_api_key otherwise.
		auth := r.Header.Get("authorization")
		if auth == "" {
			return apiError{status: 401, message: "You didn't provide an API key.", typ: "invalid_request_error"}.write(w)
		}
		if key, ok := strings.CutPrefix(auth, "Bearer "); !ok || key != s.opts.APIKey {
			return apiError{status: 401, message: "Incorrect API key provided.", typ: "invalid_request_error", code: "invalid_api_key"}.write(w)
		}
	}
	if ct := r.Header.Get("content-type"); !strings.HasPrefix(ct, "application/json") {
		return invalid("", "Content-Type must be application/json").write(w)
	}
	conv, msg := parse(body)
	if msg != "" {
		return invalid("", "%s", msg).write(w)
	}
	if len(s.opts.Models) > 0 && !slices.Contains(s.opts.Models, conv.Model) {
		return apiError{status: 404, message: fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", conv.Model),
			typ: "invalid_request_error", param: "model", code: "model_not_found"}.write(w)
	}
	text, in, out, cut := modelsim.Complete(s.opts.Respond, conv)
	finish := "stop"
	if cut {
		finish = "length"
	}
	w.Header().Set("content-type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id":      fmt.Sprintf("chatcmpl-sim%08d", s.ids.Add(1)),
		"object":  "chat.completion",
		"created": 1767225600, // fixed: answers are deterministic
		"model":   conv.Model,
		"choices": []map[string]any{{
			"index":         0,
			"message":       map[string]any{"role": "assistant", "content": text, "refusal": nil},
			"finish_reason": finish,
			"logprobs":      nil,
		}},
		"usage": map[string]int{"prompt_tokens": in, "completion_tokens": out, "total_tokens": in + out},
	})
	return http.StatusOK
}
