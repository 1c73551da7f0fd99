package openaisim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/alphabetcartel/ashbot/internal/standin/modelsim"
)

// Top-level fields of a chat completion request (api-reference,
// chat/create): those read here, those accepted and ignored (they only
// shape sampling), and those Ash never uses, refused. Any other is
// refused as the API refuses it.
var (
	readFields        = []string{"model", "messages", "max_tokens", "max_completion_tokens", "n", "stream"}
	ignoredFields     = []string{"temperature", "top_p", "stop", "seed", "user", "presence_penalty", "frequency_penalty", "metadata", "store", "service_tier", "safety_identifier", "prompt_cache_key"}
	unsupportedFields = []string{"tools", "tool_choice", "functions", "function_call", "parallel_tool_calls", "response_format", "logprobs", "top_logprobs", "logit_bias", "audio", "modalities", "prediction", "reasoning_effort", "stream_options", "web_search_options", "verbosity"}
)

type message struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// parse checks body and returns the conversation it carries, or the
// message of the 400 it deserves.
func parse(body []byte) (modelsim.Conversation, string) {
	var c modelsim.Conversation
	var fields map[string]json.RawMessage
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&fields); err != nil || fields == nil {
		return c, "We could not parse the JSON body of your request. The body must be a JSON object."
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		switch {
		case slices.Contains(readFields, name), slices.Contains(ignoredFields, name):
		case slices.Contains(unsupportedFields, name):
			return c, fmt.Sprintf("'%s' is not supported by this stand-in (Ash does not use it).", name)
		default:
			return c, fmt.Sprintf("Unrecognized request argument supplied: %s", name)
		}
	}
	// model and messages are required (chat/create, "Request body").
	raw, ok := fields["model"]
	if !ok {
		return c, "Missing required parameter: 'model'."
	}
	if json.Unmarshal(raw, &c.Model) != nil || c.Model == "" {
		return c, "Invalid type for 'model': expected a non-empty string."
	}
	for _, name := range []string{"max_tokens", "max_completion_tokens"} {
		raw, ok := fields[name]
		if !ok || string(raw) == "null" {
			continue
		}
		var n int
		if json.Unmarshal(raw, &n) != nil || n < 1 {
			return c, fmt.Sprintf("Invalid '%s': expected an integer of at least 1.", name)
		}
		if c.MaxTokens == 0 || n < c.MaxTokens {
			c.MaxTokens = n
		}
	}
	if raw, ok := fields["n"]; ok && string(raw) != "1" && string(raw) != "null" {
		return c, "'n' other than 1 is not supported by this stand-in."
	}
	if raw, ok := fields["stream"]; ok && string(raw) == "true" {
		return c, "Streaming is not supported by this stand-in."
	}
	raw, ok = fields["messages"]
	if !ok {
		return c, "Missing required parameter: 'messages'."
	}
	var msgs []message
	if json.Unmarshal(raw, &msgs) != nil {
		return c, "Invalid type for 'messages': expected an array of objects."
	}
	if len(msgs) == 0 {
		return c, "Invalid 'messages': empty array. Expected an array with minimum length 1."
	}
	var system []string
	for i, m := range msgs {
		if m.Role == "" {
			return c, fmt.Sprintf("Missing required parameter: 'messages[%d].role'.", i)
		}
		if len(m.Content) == 0 || string(m.Content) == "null" {
			// Only an assistant turn with tool calls may go without
			// content, and Ash calls no tools.
			return c, fmt.Sprintf("Missing required parameter: 'messages[%d].content'.", i)
		}
		var parts []string
		switch m.Role {
		case "system", "developer", "user":
			parts = []string{"text"}
		case "assistant":
			parts = []string{"text", "refusal"}
		case "tool", "function":
			return c, fmt.Sprintf("'messages[%d].role' %q is not supported by this stand-in (Ash calls no tools).", i, m.Role)
		default:
			return c, fmt.Sprintf("Invalid value: '%s'. Supported values are: 'system', 'developer', 'user', 'assistant', 'tool', and 'function'.", m.Role)
		}
		text, msg := textContent(fmt.Sprintf("messages[%d].content", i), m.Content, parts)
		if msg != "" {
			return c, msg
		}
		if m.Role == "system" || m.Role == "developer" {
			system = append(system, text)
			continue
		}
		c.Turns = append(c.Turns, modelsim.Turn{Role: m.Role, Text: text})
	}
	c.System = strings.Join(system, "\n")
	return c, ""
}

type part struct {
	Type    string  `json:"type"`
	Text    *string `json:"text"`
	Refusal *string `json:"refusal"`
}

// textContent reads content that is a string or an array of content parts
// of the types the role allows (chat/create, "messages"); images, audio
// and files are refused, Ash sends none.
func textContent(field string, raw json.RawMessage, allowed []string) (string, string) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, ""
	}
	var ps []part
	if json.Unmarshal(raw, &ps) != nil {
		return "", fmt.Sprintf("Invalid type for '%s': expected one of a string or array of objects.", field)
	}
	if len(ps) == 0 {
		return "", fmt.Sprintf("Invalid '%s': empty array. Expected an array with minimum length 1.", field)
	}
	texts := make([]string, 0, len(ps))
	for i, p := range ps {
		if !slices.Contains(allowed, p.Type) {
			return "", fmt.Sprintf("Invalid value: '%s' for '%s[%d].type': this role takes %s parts here.", p.Type, field, i, strings.Join(allowed, " or "))
		}
		switch {
		case p.Type == "text" && p.Text == nil:
			return "", fmt.Sprintf("Missing required parameter: '%s[%d].text'.", field, i)
		case p.Type == "refusal" && p.Refusal == nil:
			return "", fmt.Sprintf("Missing required parameter: '%s[%d].refusal'.", field, i)
		case p.Type == "text":
			texts = append(texts, *p.Text)
		}
	}
	return strings.Join(texts, "\n"), ""
}
