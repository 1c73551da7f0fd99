package nlpsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of POST /analyze (ash-nlp-api.md).
const (
	MaxMessageChars = 10000
	MaxHistory      = 20
)

// AnalyzeRequest is a POST /analyze body that passed validation.
type AnalyzeRequest struct {
	Message            string        `json:"message"`
	IncludeExplanation bool          `json:"include_explanation"`
	Verbosity          string        `json:"verbosity"`
	UserID             string        `json:"user_id,omitempty"`
	ChannelID          string        `json:"channel_id,omitempty"`
	MessageHistory     []HistoryItem `json:"message_history,omitempty"`
	UserTimezone       string        `json:"user_timezone,omitempty"`
}

// HistoryItem is one message_history entry as sent.
type HistoryItem struct {
	Message     string   `json:"message"`
	Timestamp   string   `json:"timestamp"`
	CrisisScore *float64 `json:"crisis_score,omitempty"`
	MessageID   string   `json:"message_id,omitempty"`
}

// fieldError is one entry of FastAPI's 422 "detail" list (pydantic v2's
// error shape: type, loc, msg, input, optional ctx). Like the real
// service it echoes the input, which is why clients must not log bodies.
type fieldError struct {
	Type  string         `json:"type"`
	Loc   []any          `json:"loc"`
	Msg   string         `json:"msg"`
	Input any            `json:"input"`
	Ctx   map[string]any `json:"ctx,omitempty"`
}

// validate checks a body the way the service's pydantic model does and
// returns the request or every problem found (pydantic reports all
// fields at once).
func validate(body []byte) (AnalyzeRequest, []fieldError) {
	var req AnalyzeRequest
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		var x any
		if json.Unmarshal(body, &x) == nil {
			// Valid JSON but not an object.
			return req, []fieldError{{Type: "model_attributes_type", Loc: []any{"body"},
				Msg: "Input should be a valid dictionary or object to extract fields from", Input: x}}
		}
		return req, []fieldError{{Type: "json_invalid", Loc: []any{"body", 0}, Msg: "JSON decode error",
			Input: map[string]any{}, Ctx: map[string]any{"error": "Expecting value"}}}
	}
	var errs []fieldError
	v := validator{errs: &errs}

	raw, ok := fields["message"]
	if !ok {
		errs = append(errs, fieldError{Type: "missing", Loc: []any{"body", "message"}, Msg: "Field required", Input: jsonValue(body)})
	} else if s, ok := v.str(raw, "body", "message"); ok {
		if v.text(s, MaxMessageChars, "body", "message") {
			req.Message = s
		}
	}
	if raw, ok := fields["include_explanation"]; ok {
		req.IncludeExplanation, _ = v.boolean(raw, "body", "include_explanation")
	}
	req.Verbosity = "standard"
	if raw, ok := fields["verbosity"]; ok {
		if s, ok := v.str(raw, "body", "verbosity"); ok {
			switch s {
			case "minimal", "standard", "detailed":
				req.Verbosity = s
			default:
				errs = append(errs, fieldError{Type: "enum", Loc: []any{"body", "verbosity"},
					Msg: "Input should be 'minimal', 'standard' or 'detailed'", Input: s,
					Ctx: map[string]any{"expected": "'minimal', 'standard' or 'detailed'"}})
			}
		}
	}
	req.UserID = v.optionalStr(fields, "user_id")
	req.ChannelID = v.optionalStr(fields, "channel_id")
	req.UserTimezone = v.optionalStr(fields, "user_timezone")
	if raw, ok := fields["message_history"]; ok && string(raw) != "null" {
		req.MessageHistory = v.history(raw)
	}
	return req, errs
}

type validator struct{ errs *[]fieldError }

func (v validator) add(e fieldError) { *v.errs = append(*v.errs, e) }

func (v validator) str(raw json.RawMessage, loc ...any) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		v.add(fieldError{Type: "string_type", Loc: loc, Msg: "Input should be a valid string", Input: jsonValue(raw)})
		return "", false
	}
	return s, true
}

func (v validator) boolean(raw json.RawMessage, loc ...any) (bool, bool) {
	var b bool
	if json.Unmarshal(raw, &b) != nil {
		v.add(fieldError{Type: "bool_type", Loc: loc, Msg: "Input should be a valid boolean", Input: jsonValue(raw)})
		return false, false
	}
	return b, true
}

// text applies the message rules: 1 to max characters (pydantic counts
// code points), not only whitespace (the service's own validator).
func (v validator) text(s string, limit int, loc ...any) bool {
	n := utf8.RuneCountInString(s)
	switch {
	case n < 1:
		v.add(fieldError{Type: "string_too_short", Loc: loc, Msg: "String should have at least 1 character",
			Input: s, Ctx: map[string]any{"min_length": 1}})
	case n > limit:
		v.add(fieldError{Type: "string_too_long", Loc: loc, Msg: fmt.Sprintf("String should have at most %d characters", limit),
			Input: s, Ctx: map[string]any{"max_length": limit}})
	case strings.TrimFunc(s, unicode.IsSpace) == "":
		v.add(fieldError{Type: "value_error", Loc: loc, Msg: "Value error, Message cannot be empty or whitespace only",
			Input: s, Ctx: map[string]any{"error": map[string]any{}}})
	default:
		return true
	}
	return false
}

func (v validator) optionalStr(fields map[string]json.RawMessage, name string) string {
	raw, ok := fields[name]
	if !ok || string(raw) == "null" {
		return ""
	}
	s, _ := v.str(raw, "body", name)
	return s
}

func (v validator) history(raw json.RawMessage) []HistoryItem {
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		v.add(fieldError{Type: "list_type", Loc: []any{"body", "message_history"}, Msg: "Input should be a valid list", Input: jsonValue(raw)})
		return nil
	}
	if len(items) > MaxHistory {
		v.add(fieldError{Type: "too_long", Loc: []any{"body", "message_history"},
			Msg:   fmt.Sprintf("List should have at most %d items after validation, not %d", MaxHistory, len(items)),
			Input: jsonValue(raw), Ctx: map[string]any{"field_type": "List", "max_length": MaxHistory, "actual_length": len(items)}})
		return nil
	}
	out := make([]HistoryItem, 0, len(items))
	for i, it := range items {
		loc := func(f string) []any { return []any{"body", "message_history", i, f} }
		var f map[string]json.RawMessage
		if json.Unmarshal(it, &f) != nil {
			v.add(fieldError{Type: "model_type", Loc: []any{"body", "message_history", i},
				Msg: "Input should be a valid dictionary or instance of HistoryItem", Input: jsonValue(it)})
			continue
		}
		var h HistoryItem
		for _, name := range []string{"message", "timestamp"} {
			r, ok := f[name]
			if !ok {
				v.add(fieldError{Type: "missing", Loc: loc(name), Msg: "Field required", Input: jsonValue(it)})
				continue
			}
			s, ok := v.str(r, loc(name)...)
			if !ok {
				continue
			}
			if name == "message" {
				h.Message = s
			} else if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
				// pydantic parses it as a datetime.
				v.add(fieldError{Type: "datetime_from_date_parsing", Loc: loc(name),
					Msg: "Input should be a valid datetime or date, invalid character", Input: s})
			} else {
				h.Timestamp = s
			}
		}
		if r, ok := f["crisis_score"]; ok && string(r) != "null" {
			var n float64
			if json.Unmarshal(r, &n) != nil {
				v.add(fieldError{Type: "float_type", Loc: loc("crisis_score"), Msg: "Input should be a valid number", Input: jsonValue(r)})
			} else {
				h.CrisisScore = &n
			}
		}
		if r, ok := f["message_id"]; ok && string(r) != "null" {
			h.MessageID, _ = v.str(r, loc("message_id")...)
		}
		out = append(out, h)
	}
	return out
}

// jsonValue decodes raw for echoing in an error's input.
func jsonValue(raw []byte) any {
	var x any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	_ = d.Decode(&x)
	return x
}
