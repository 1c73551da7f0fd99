package logging

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Redacted replaces a secret wherever it appears.
const Redacted = "[REDACTED]"

// payloadKeys are the attributes under which disgo logs whole payloads at
// debug level: "data" for gateway messages sent and received, "body" for
// REST requests and responses (multipart uploads included). They are
// withheld whatever they hold.
var payloadKeys = map[string]bool{"data": true, "body": true}

// summaryKeys are the top-level fields of a withheld JSON payload that are
// kept: the gateway opcode, event name and sequence number, and the code
// and rate-limit fields of a REST error. None can hold a person's data.
var summaryKeys = []string{"op", "t", "s", "code", "retry_after", "global"}

// eventName is what a kept string field may look like (MESSAGE_CREATE).
var eventName = regexp.MustCompile(`^[A-Z0-9_]{1,64}$`)

var (
	// Interaction and webhook tokens sit in REST paths
	// (/interactions/{id}/{token}/callback, /webhooks/{app}/{token}/...).
	tokenPath = regexp.MustCompile(`(/(?:interactions|webhooks)/[0-9]+/)[^/?#\s"]+`)
	// User ids sit in paths such as /guilds/{g}/members/{user} or
	// /channels/{c}/thread-members/{user}.
	userPath = regexp.MustCompile(`(/(?:users|members|recipients|thread-members)/)[0-9]+`)
)

// Redact wraps h so that no record reaches it with a secret in its message
// or attributes (also JSON- or URL-escaped, as inside a payload or a URL),
// a token or user id in a Discord API path, or a whole Discord payload.
// Empty secrets are ignored. Wrapping a handler Redact returned adds
// secrets to it rather than redacting twice.
func Redact(h slog.Handler, secrets []string) slog.Handler {
	if r, ok := h.(*handler); ok {
		all := append(slices.Clone(r.secrets), secrets...)
		return &handler{inner: r.inner, secrets: all, forms: forms(all)}
	}
	return &handler{inner: h, secrets: slices.Clone(secrets), forms: forms(secrets)}
}

type handler struct {
	inner   slog.Handler
	secrets []string
	// forms are the secrets as they may appear in text, longest first so
	// that a longer form is replaced before a shorter one inside it.
	forms []string
}

func forms(secrets []string) []string {
	var out []string
	for _, s := range secrets {
		if s == "" {
			continue
		}
		quoted, _ := json.Marshal(s) // escapes <, > and & as \u003c...
		out = append(out, s, strings.Trim(strconv.Quote(s), `"`), string(quoted[1:len(quoted)-1]),
			url.QueryEscape(s), url.PathEscape(s))
		var b strings.Builder
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(s) // a string always encodes
		out = append(out, strings.Trim(strings.TrimSpace(b.String()), `"`))
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return slices.Compact(out)
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool { return h.inner.Enabled(ctx, l) }

func (h *handler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.text(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.inner.Handle(ctx, out)
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		clean[i] = h.attr(a)
	}
	return &handler{inner: h.inner.WithAttrs(clean), secrets: h.secrets, forms: h.forms}
}

func (h *handler) WithGroup(name string) slog.Handler {
	return &handler{inner: h.inner.WithGroup(name), secrets: h.secrets, forms: h.forms}
}

func (h *handler) attr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindGroup:
		group := v.Group()
		clean := make([]slog.Attr, len(group))
		for i, g := range group {
			clean[i] = h.attr(g)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(clean...)}
	case slog.KindString:
		return slog.String(a.Key, h.value(a.Key, v.String()))
	case slog.KindAny:
		var s string
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, h.value(a.Key, x.Error()))
		case []byte:
			s = string(x)
		default:
			s = fmt.Sprint(x)
		}
		// Other values keep their type (a handler may print them as JSON)
		// unless something in them has to go.
		if clean := h.value(a.Key, s); clean != s || payloadKeys[a.Key] {
			return slog.String(a.Key, clean)
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}

// value cleans one attribute's text.
func (h *handler) value(key, s string) string {
	if payloadKeys[key] || looksLikeJSON(s) {
		s = summary(s)
	}
	return h.text(s)
}

// text removes secrets, tokens and user ids from free text.
func (h *handler) text(s string) string {
	for _, f := range h.forms {
		s = strings.ReplaceAll(s, f, Redacted)
	}
	if strings.Contains(s, "/interactions/") || strings.Contains(s, "/webhooks/") {
		s = tokenPath.ReplaceAllString(s, "${1}"+Redacted)
	}
	return userPath.ReplaceAllString(s, "${1}[user]")
}

func looksLikeJSON(s string) bool {
	t := strings.TrimSpace(s)
	return len(t) > 1 && (t[0] == '{' || t[0] == '[') && json.Valid([]byte(t))
}

// summary stands in for a payload: its size and, for a JSON object, the
// fields of summaryKeys that are plain numbers, booleans or event names.
func summary(s string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[payload withheld: %d bytes", len(s))
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(s), &obj) == nil {
		for _, k := range summaryKeys {
			raw, ok := obj[k]
			if !ok {
				continue
			}
			var v any
			if json.Unmarshal(raw, &v) != nil {
				continue
			}
			switch v := v.(type) {
			case float64, bool:
				fmt.Fprintf(&b, " %s=%s", k, raw)
			case string:
				if eventName.MatchString(v) {
					fmt.Fprintf(&b, " %s=%s", k, v)
				}
			}
		}
	}
	b.WriteString("]")
	return b.String()
}
