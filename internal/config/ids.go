package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
)

// What the id list settings accept, for their error texts.
const (
	channelIDs = "Discord channel ids (17-20 digits), comma separated or as a JSON array"
	roleIDs    = "Discord role ids (17-20 digits), comma separated or as a JSON array"
)

// idList is the one parser of every id list setting: ids separated by
// commas (ashbot's form) or a JSON array of ids as strings or numbers (the
// earlier Ash-Bot's form: ["123", "456"] or [123, 456]). Duplicates are
// dropped so a channel listed twice is not posted to twice.
func idList(what string, store func(*Config, []string)) func(*Config, string) error {
	return func(c *Config, raw string) error {
		items, err := splitIDs(raw)
		if err != nil {
			return fmt.Errorf("must be %s (%v)", what, err)
		}
		var ids []string
		for _, id := range items {
			if !isSnowflake(id) {
				return fmt.Errorf("must be %s; %q is not one", what, id)
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		store(c, ids)
		return nil
	}
}

// splitIDs returns the items of an id list as written, trimmed. A JSON
// array is read token by token with numbers kept as their digits: decoding
// into float64 would round a snowflake, which is above 2^53, to another id.
func splitIDs(raw string) ([]string, error) {
	v := strings.TrimSpace(raw)
	if v == "" {
		return nil, nil
	}
	if !strings.HasPrefix(v, "[") {
		var out []string
		for item := range strings.SplitSeq(v, ",") {
			out = append(out, strings.TrimSpace(item))
		}
		return out, nil
	}
	dec := json.NewDecoder(strings.NewReader(v))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // the opening bracket
		return nil, errors.New("not a JSON array")
	}
	var out []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, errors.New("not a JSON array")
		}
		switch t := tok.(type) {
		case string:
			out = append(out, strings.TrimSpace(t))
		case json.Number:
			out = append(out, t.String())
		default:
			return nil, fmt.Errorf("a JSON array of ids holds only strings and numbers, not %v", tok)
		}
	}
	if _, err := dec.Token(); err != nil { // the closing bracket
		return nil, errors.New("not a JSON array")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("text after the JSON array")
	}
	return out, nil
}
