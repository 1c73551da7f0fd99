// Package logging builds the process logger and keeps what must never be
// logged out of it: every record, the bot's own and those of the libraries
// it is handed to (disgo's gateway, REST and rate-limiter loggers,
// go-redis), passes through a handler that replaces each configured secret
// with [REDACTED] and withholds the Discord payloads libraries print at
// debug level (gateway events and REST bodies carry message text, user ids
// and interaction tokens), keeping only their opcode, event name and size.
// A new secret is covered by marking its option secret in package config:
// config.Config.Secrets lists them all.
package logging

import (
	"io"
	"log/slog"
)

// New returns a JSON (format "json") or text logger at level ("debug",
// "info", "warn", "error"; anything else is info) that redacts secrets.
func New(w io.Writer, level, format string, secrets []string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: l}
	var h slog.Handler = slog.NewJSONHandler(w, opts)
	if format == "text" {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(Redact(h, secrets))
}
