package anthropicsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"

	"github.com/alphabetcartel/ashbot/internal/standin/modelsim"
)

// messagesRequest is the body of POST /v1/messages as far as Ash uses it.
type messagesRequest struct {
	Model     string
	MaxTokens *int
	System    json.RawMessage
	Messages  []message
}

type message struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// Top-level fields: the ones read here, the ones the API has and the
// stand-in does not do, and the sampling parameters API version
// 2026-10-21 removed ("Sampling parameters removed": a 400 even at their
// defaults). Any other field is refused as the API refuses extra inputs.
var (
	readFields        = []string{"model", "max_tokens", "messages", "system", "metadata", "stop_sequences", "service_tier"}
	unsupportedFields = []string{"stream", "tools", "tool_choice", "thinking", "container", "mcp_servers", "output_config", "cache_control", "context_management", "inference_geo", "speed", "diagnostics"}
	samplingFields    = []string{"temperature", "top_p", "top_k"}
)

// parse reads body and returns the request, or the message of the 400 it
// deserves.
func parse(body []byte, version string) (messagesRequest, string) {
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&fields); err != nil || fields == nil {
		return messagesRequest{}, "There was an error parsing the body of your request: it must be a JSON object"
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		switch {
		case slices.Contains(readFields, name):
		case slices.Contains(samplingFields, name) && version == "2026-10-21":
			return messagesRequest{}, name + ": this parameter is not supported in API version 2026-10-21"
		case slices.Contains(samplingFields, name):
		case slices.Contains(unsupportedFields, name):
			return messagesRequest{}, name + ": not supported by this stand-in (Ash does not use it)"
		default:
			return messagesRequest{}, name + ": Extra inputs are not permitted"
		}
	}
	var req messagesRequest
	// "model", "max_tokens" and "messages" are required (api/messages,
	// "Body parameters").
	raw, ok := fields["model"]
	if !ok {
		return req, "model: Field required"
	}
	if json.Unmarshal(raw, &req.Model) != nil || req.Model == "" {
		return req, "model: Input should be a non-empty string"
	}
	raw, ok = fields["max_tokens"]
	if !ok {
		return req, "max_tokens: Field required"
	}
	var n int
	if json.Unmarshal(raw, &n) != nil {
		return req, "max_tokens: Input should be a valid integer"
	}
	if n < 0 {
		return req, "max_tokens: Input should be greater than or equal to 0"
	}
	req.MaxTokens = &n
	raw, ok = fields["messages"]
	if !ok {
		return req, "messages: Field required"
	}
	if json.Unmarshal(raw, &req.Messages) != nil {
		return req, "messages: Input should be a valid list of {role, content} objects"
	}
	req.System = fields["system"]
	return req, ""
}

// conversation checks the turns and the system prompt and returns them,
// or the message of the 400 they deserve.
func (req messagesRequest) conversation() (modelsim.Conversation, string) {
	c := modelsim.Conversation{Model: req.Model}
	if req.MaxTokens != nil {
		c.MaxTokens = *req.MaxTokens
	}
	if len(req.System) > 0 && string(req.System) != "null" {
		// system is a string or a list of text blocks (api/messages,
		// "system"); a system role among the messages is not the way.
		text, msg := textContent("system", req.System)
		if msg != "" {
			return c, msg
		}
		c.System = text
	}
	if len(req.Messages) == 0 {
		return c, "messages: at least one message is required"
	}
	for i, m := range req.Messages {
		switch m.Role {
		case "user", "assistant":
		case "system":
			return c, fmt.Sprintf("messages.%d.role: system messages are not supported by this stand-in: Ash sends its prompt as the top-level system parameter", i)
		default:
			return c, fmt.Sprintf("messages.%d.role: Input should be 'user' or 'assistant'", i)
		}
		// The API once required the first turn to be the user's and turns
		// to alternate, and now merges consecutive turns of one role; Ash
		// builds its context alternating from a user turn, so a request
		// that does not is a bug this stand-in reports.
		if i == 0 && m.Role != "user" {
			return c, `messages: first message must use the "user" role`
		}
		if i > 0 && m.Role == req.Messages[i-1].Role {
			return c, `messages: roles must alternate between "user" and "assistant"`
		}
		text, msg := textContent(fmt.Sprintf("messages.%d.content", i), m.Content)
		if msg != "" {
			return c, msg
		}
		c.Turns = append(c.Turns, modelsim.Turn{Role: m.Role, Text: text})
	}
	// A final assistant turn is a prefill, which recent models refuse with
	// a 400 (errors page, "Prefill not supported"); Ash never prefills.
	if req.Messages[len(req.Messages)-1].Role != "user" {
		return c, "messages: the final message must be the user's: prefill is not supported by this stand-in"
	}
	return c, ""
}

type block struct {
	Type string  `json:"type"`
	Text *string `json:"text"`
}

// textContent reads content that is a string, shorthand for one text
// block, or a list of blocks, each of which has a type (api/messages,
// "content"); only text blocks are Ash's, and they must not be empty.
func textContent(field string, raw json.RawMessage) (string, string) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "" {
			return "", field + ": text content blocks must be non-empty"
		}
		return s, ""
	}
	var blocks []block
	if json.Unmarshal(raw, &blocks) != nil {
		return "", field + ": Input should be a string or a list of content blocks"
	}
	if len(blocks) == 0 {
		return "", field + ": at least one content block is required"
	}
	var out bytes.Buffer
	for i, b := range blocks {
		switch {
		case b.Type == "":
			return "", fmt.Sprintf("%s.%d.type: Field required", field, i)
		case b.Type != "text":
			return "", fmt.Sprintf("%s.%d.type: %q blocks are not supported by this stand-in", field, i, b.Type)
		case b.Text == nil:
			return "", fmt.Sprintf("%s.%d.text: Field required", field, i)
		case *b.Text == "":
			return "", field + ": text content blocks must be non-empty"
		}
		if i > 0 {
			out.WriteString("\n")
		}
		out.WriteString(*b.Text)
	}
	return out.String(), ""
}
