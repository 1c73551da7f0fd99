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
	"strings"

	"github.com/lmittmann/tint"
)

// Options say how New writes records.
type Options struct {
	// Level is debug, info, warn or error; anything else is info.
	Level string
	// Format is json (one object a line, for collectors), text (slog's
	// key=value) or human (time, level and message first, for people
	// reading a terminal or `docker logs`); anything else is json.
	Format string
	// Color adds ANSI colours to the human format; see UseColor.
	Color bool
	// Secrets are replaced wherever they appear.
	Secrets []string
}

// humanTime is the human format's time stamp: to the millisecond, with the
// zone, since the bot's schedules are in UTC and the host's zone may not be.
const humanTime = "2006-01-02 15:04:05.000 MST"

// New returns a logger that writes to w as o says and redacts secrets.
func New(w io.Writer, o Options) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(o.Level)); err != nil {
		l = slog.LevelInfo
	}
	var h slog.Handler
	switch o.Format {
	case "text":
		h = slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})
	case "human":
		h = tint.NewTextHandler(w, &tint.Options{Level: l, TimeFormat: humanTime, NoColor: !o.Color})
	default:
		h = slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})
	}
	return slog.New(Redact(h, o.Secrets))
}

// UseColor says whether human logs are coloured, following the common
// conventions: FORCE_COLOR set to anything but "", "0" or "false" forces
// colour (the earlier Ash-Bot's compose file sets FORCE_COLOR=1 for
// `docker logs`), else NO_COLOR set to anything but "" switches it off
// (no-color.org), else colour only when the logs go to a terminal.
func UseColor(terminal bool, lookup func(string) (string, bool)) bool {
	if v, ok := lookup("FORCE_COLOR"); ok && v != "" {
		v = strings.ToLower(strings.TrimSpace(v))
		return v != "0" && v != "false"
	}
	if v, ok := lookup("NO_COLOR"); ok && v != "" {
		return false
	}
	return terminal
}
