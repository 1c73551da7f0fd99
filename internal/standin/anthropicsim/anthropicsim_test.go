package anthropicsim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/alphabetcartel/ashbot/internal/standin/modelsim"
)

func start(t *testing.T, opts Options) *Sim {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func post(t *testing.T, s *Sim, path string, header map[string]string, body string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a := answer{status: res.StatusCode, header: res.Header}
	if err := json.Unmarshal(b, &a.body); err != nil {
		t.Fatalf("body %q is not JSON: %v", b, err)
	}
	return a
}

func headers(key string) map[string]string {
	return map[string]string{"x-api-key": key, "anthropic-version": "2023-06-01", "content-type": "application/json"}
}

const ok = `{"model":"claude-sonnet-5-5","max_tokens":100,"system":"be kind","messages":[{"role":"user","content":"hi there"}]}`

// errorType checks the API's error shape and returns error.type.
func errorType(t *testing.T, a answer) string {
	t.Helper()
	e, _ := a.body["error"].(map[string]any)
	if a.body["type"] != "error" || e == nil || e["message"] == "" || a.body["request_id"] == nil || a.header.Get("request-id") == "" {
		t.Fatalf("error body %v (headers %v) is not the API's shape", a.body, a.header)
	}
	typ, _ := e["type"].(string)
	return typ
}

func TestReply(t *testing.T) {
	s := start(t, Options{})
	a := post(t, s, "/v1/messages", headers(s.APIKey()), ok)
	if a.status != 200 || a.body["type"] != "message" || a.body["role"] != "assistant" || a.body["stop_reason"] != "end_turn" {
		t.Fatalf("answer %d %v", a.status, a.body)
	}
	content := a.body["content"].([]any)[0].(map[string]any)
	if content["type"] != "text" || content["text"] != "[turns=1] you said: hi there" {
		t.Fatalf("content %v", content)
	}
	usage := a.body["usage"].(map[string]any)
	if usage["input_tokens"] != 4.0 || usage["output_tokens"] != 5.0 {
		t.Fatalf("usage %v", usage)
	}
	// The v2 SDKs send the key as a bearer token.
	h := headers("")
	delete(h, "x-api-key")
	h["authorization"] = "Bearer " + s.APIKey()
	if a := post(t, s, "/v1/messages", h, ok); a.status != 200 {
		t.Fatalf("bearer key: %d %v", a.status, a.body)
	}
	if c := s.Conversations(); len(c) != 2 || c[0].System != "be kind" || c[0].MaxTokens != 100 || len(c[0].Turns) != 1 {
		t.Fatalf("conversations %+v", c)
	}
}

func TestRejects(t *testing.T) {
	s := start(t, Options{Models: []string{"claude-sonnet-5-5"}})
	v2 := headers(s.APIKey())
	v2["anthropic-version"] = "2026-10-21"
	noVersion := headers(s.APIKey())
	delete(noVersion, "anthropic-version")
	cases := []struct {
		name   string
		header map[string]string
		body   string
		status int
		typ    string
		msg    string
	}{
		{"no key", headers(""), ok, 401, "authentication_error", "invalid x-api-key"},
		{"wrong key", headers("sk-ant-other"), ok, 401, "authentication_error", "invalid x-api-key"},
		{"no version", noVersion, ok, 400, "invalid_request_error", "anthropic-version"},
		{"not JSON", headers(s.APIKey()), `hello`, 400, "invalid_request_error", "parsing the body"},
		{"no model", headers(s.APIKey()), `{"max_tokens":10,"messages":[{"role":"user","content":"x"}]}`, 400, "invalid_request_error", "model: Field required"},
		{"unknown model", headers(s.APIKey()), strings.Replace(ok, "claude-sonnet-5-5", "claude-none", 1), 404, "not_found_error", "model: claude-none"},
		{"no max_tokens", headers(s.APIKey()), `{"model":"claude-sonnet-5-5","messages":[{"role":"user","content":"x"}]}`, 400, "invalid_request_error", "max_tokens: Field required"},
		{"no messages", headers(s.APIKey()), `{"model":"claude-sonnet-5-5","max_tokens":10,"messages":[]}`, 400, "invalid_request_error", "at least one message"},
		{"first turn the assistant's", headers(s.APIKey()), `{"model":"claude-sonnet-5-5","max_tokens":10,"messages":[{"role":"assistant","content":"hi"},{"role":"user","content":"x"}]}`, 400, "invalid_request_error", `first message must use the "user" role`},
		{"turns not alternating", headers(s.APIKey()), `{"model":"claude-sonnet-5-5","max_tokens":10,"messages":[{"role":"user","content":"a"},{"role":"user","content":"b"}]}`, 400, "invalid_request_error", "alternate"},
		{"system as a message", headers(s.APIKey()), `{"model":"claude-sonnet-5-5","max_tokens":10,"messages":[{"role":"system","content":"a"},{"role":"user","content":"b"}]}`, 400, "invalid_request_error", "top-level system"},
		{"ends with the assistant", headers(s.APIKey()), `{"model":"claude-sonnet-5-5","max_tokens":10,"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}`, 400, "invalid_request_error", "prefill"},
		{"empty text", headers(s.APIKey()), `{"model":"claude-sonnet-5-5","max_tokens":10,"messages":[{"role":"user","content":[{"type":"text","text":""}]}]}`, 400, "invalid_request_error", "must be non-empty"},
		{"image block", headers(s.APIKey()), `{"model":"claude-sonnet-5-5","max_tokens":10,"messages":[{"role":"user","content":[{"type":"image","source":{}}]}]}`, 400, "invalid_request_error", `"image" blocks`},
		{"temperature in 2026-10-21", v2, strings.Replace(ok, `"max_tokens":100`, `"max_tokens":100,"temperature":1`, 1), 400, "invalid_request_error", "temperature"},
		{"unknown field", headers(s.APIKey()), strings.Replace(ok, `"max_tokens":100`, `"max_tokens":100,"colour":"red"`, 1), 400, "invalid_request_error", "Extra inputs"},
		{"streaming", headers(s.APIKey()), strings.Replace(ok, `"max_tokens":100`, `"max_tokens":100,"stream":true`, 1), 400, "invalid_request_error", "stream"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := post(t, s, "/v1/messages", c.header, c.body)
			if a.status != c.status {
				t.Fatalf("status %d, want %d: %v", a.status, c.status, a.body)
			}
			if typ := errorType(t, a); typ != c.typ {
				t.Fatalf("error type %q, want %q", typ, c.typ)
			}
			if msg := a.body["error"].(map[string]any)["message"].(string); !strings.Contains(msg, c.msg) {
				t.Fatalf("message %q lacks %q", msg, c.msg)
			}
		})
	}
	// Temperature is fine in the original API version.
	if a := post(t, s, "/v1/messages", headers(s.APIKey()), strings.Replace(ok, `"max_tokens":100`, `"max_tokens":100,"temperature":1`, 1)); a.status != 200 {
		t.Fatalf("temperature with 2023-06-01: %d %v", a.status, a.body)
	}
	if len(s.Conversations()) != 1 {
		t.Fatalf("rejected requests count as conversations: %d", len(s.Conversations()))
	}
}

func TestFaults(t *testing.T) {
	s := start(t, Options{})
	s.Inject(modelsim.Fault{Status: 429, RetryAfter: "7"}, modelsim.Fault{Status: 529}, modelsim.Fault{Status: 500}, modelsim.Fault{Status: 401})
	want := []struct {
		status int
		typ    string
	}{{429, "rate_limit_error"}, {529, "overloaded_error"}, {500, "api_error"}, {401, "authentication_error"}}
	for i, w := range want {
		a := post(t, s, "/v1/messages", headers(s.APIKey()), ok)
		if a.status != w.status || errorType(t, a) != w.typ {
			t.Fatalf("fault %d: %d %v, want %d %s", i, a.status, a.body, w.status, w.typ)
		}
		if i == 0 && a.header.Get("retry-after") != "7" {
			t.Fatalf("429 without retry-after: %v", a.header)
		}
	}
	if a := post(t, s, "/v1/messages", headers(s.APIKey()), ok); a.status != 200 {
		t.Fatalf("after the faults: %d", a.status)
	}
	rec := s.Recorded()
	if len(rec) != 5 || rec[0].Status != 429 || rec[4].Status != 200 || !bytes.Equal(rec[4].Body, []byte(ok)) {
		t.Fatalf("recorded %+v", rec)
	}
}
