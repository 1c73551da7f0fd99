package ash

import (
	_ "embed" // the persona is a reviewed text file, not Go code
	"strings"
)

// persona is Ash's system prompt when a language model writes its replies.
// It lives in a Markdown file beside this one so that it can be reviewed
// (and diffed) as prose; BOT_ASH_SYSTEM_PROMPT_FILE replaces it.
//
//go:embed persona.md
var persona string

// DefaultPersona returns Ash's built-in system prompt.
func DefaultPersona() string { return strings.TrimSpace(persona) }
