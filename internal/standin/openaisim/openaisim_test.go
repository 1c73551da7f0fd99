package openaisim

import (
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

func post(t *testing.T, s *Sim, key, body string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.BaseURL()+"/chat/completions", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("content-type", "application/json")
	if key != "" {
		req.Header.Set("authorization", "Bearer "+key)
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

const ok = `{"model":"llama3.2","max_tokens":100,"messages":[{"role":"system","content":"be kind"},{"role":"user","content":"hi there"}]}`

// errorOf checks the API's error shape and returns it.
func errorOf(t *testing.T, a answer) map[string]any {
	t.Helper()
	e, _ := a.body["error"].(map[string]any)
	if e == nil || e["message"] == "" || e["type"] == "" {
		t.Fatalf("error body %v is not the API's shape", a.body)
	}
	for _, k := range []string{"param", "code"} {
		if _, ok := e[k]; !ok {
			t.Fatalf("error body %v lacks %s", a.body, k)
		}
	}
	return e
}

func TestReply(t *testing.T) {
	s := start(t, Options{})
	a := post(t, s, "", ok)
	if a.status != 200 || a.body["object"] != "chat.completion" {
		t.Fatalf("answer %d %v", a.status, a.body)
	}
	choice := a.body["choices"].([]any)[0].(map[string]any)
	msg := choice["message"].(map[string]any)
	if choice["finish_reason"] != "stop" || msg["role"] != "assistant" || msg["content"] != "[turns=1] you said: hi there" {
		t.Fatalf("choice %v", choice)
	}
	if usage := a.body["usage"].(map[string]any); usage["prompt_tokens"] != 4.0 || usage["completion_tokens"] != 5.0 || usage["total_tokens"] != 9.0 {
		t.Fatalf("usage %v", usage)
	}
	if c := s.Conversations(); len(c) != 1 || c[0].System != "be kind" || len(c[0].Turns) != 1 || c[0].MaxTokens != 100 {
		t.Fatalf("conversations %+v", c)
	}
}

func TestRejects(t *testing.T) {
	s := start(t, Options{APIKey: "local-key", Models: []string{"llama3.2"}})
	cases := []struct {
		name, key, body string
		status          int
		typ, msg        string
	}{
		{"no key", "", ok, 401, "invalid_request_error", "didn't provide an API key"},
		{"wrong key", "other", ok, 401, "invalid_request_error", "Incorrect API key"},
		{"not JSON", "local-key", `hello`, 400, "invalid_request_error", "could not parse"},
		{"no model", "local-key", `{"messages":[{"role":"user","content":"x"}]}`, 400, "invalid_request_error", "'model'"},
		{"unknown model", "local-key", strings.Replace(ok, "llama3.2", "gpt-none", 1), 404, "invalid_request_error", "does not exist"},
		{"no messages", "local-key", `{"model":"llama3.2","messages":[]}`, 400, "invalid_request_error", "empty array"},
		{"no content", "local-key", `{"model":"llama3.2","messages":[{"role":"user"}]}`, 400, "invalid_request_error", "'messages[0].content'"},
		{"unknown role", "local-key", `{"model":"llama3.2","messages":[{"role":"human","content":"x"}]}`, 400, "invalid_request_error", "Supported values"},
		{"image part", "local-key", `{"model":"llama3.2","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}`, 400, "invalid_request_error", "image_url"},
		{"tools", "local-key", strings.Replace(ok, `"max_tokens":100`, `"max_tokens":100,"tools":[]`, 1), 400, "invalid_request_error", "tools"},
		{"unknown field", "local-key", strings.Replace(ok, `"max_tokens":100`, `"max_tokens":100,"colour":"red"`, 1), 400, "invalid_request_error", "Unrecognized request argument"},
		{"zero max_tokens", "local-key", strings.Replace(ok, `"max_tokens":100`, `"max_tokens":0`, 1), 400, "invalid_request_error", "max_tokens"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := post(t, s, c.key, c.body)
			if a.status != c.status {
				t.Fatalf("status %d, want %d: %v", a.status, c.status, a.body)
			}
			e := errorOf(t, a)
			if e["type"] != c.typ || !strings.Contains(e["message"].(string), c.msg) {
				t.Fatalf("error %v, want type %s and %q", e, c.typ, c.msg)
			}
		})
	}
	if len(s.Conversations()) != 0 {
		t.Fatalf("rejected requests count as conversations")
	}
}

func TestFaults(t *testing.T) {
	s := start(t, Options{})
	s.Inject(modelsim.Fault{Status: 429, RetryAfter: "3"}, modelsim.Fault{Status: 503}, modelsim.Fault{Status: 500})
	want := []struct {
		status int
		typ    string
	}{{429, "requests"}, {503, "server_error"}, {500, "server_error"}}
	for i, w := range want {
		a := post(t, s, "", ok)
		if a.status != w.status || errorOf(t, a)["type"] != w.typ {
			t.Fatalf("fault %d: %d %v, want %d %s", i, a.status, a.body, w.status, w.typ)
		}
		if i == 0 && a.header.Get("retry-after") != "3" {
			t.Fatalf("429 without retry-after: %v", a.header)
		}
	}
	if a := post(t, s, "", ok); a.status != 200 {
		t.Fatalf("after the faults: %d", a.status)
	}
	if n := len(s.Recorded()); n != 4 {
		t.Fatalf("%d requests recorded, want 4", n)
	}
}
