package ash

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/alphabetcartel/ashbot/internal/companion"
)

const (
	roleUser      = string(companion.User)
	roleAssistant = string(companion.Assistant)
)

// Budget bounds the context sent to the model: the most turns, and the
// most tokens (approximated from characters, see approxTokens) of the
// system prompt and turns together. The oldest turns go first; the system
// prompt and the person's latest message always go.
type Budget struct {
	Turns  int
	Tokens int
}

// DefaultBudget fits a long chat in a few thousand tokens: enough for the
// model to follow, small enough that every reply stays fast and cheap.
var DefaultBudget = Budget{Turns: 40, Tokens: 6000}

// approxTokens estimates the tokens of text without a tokenizer: about
// four characters per token for English prose, plus a few per message for
// the API's framing. It errs high for short words, which only makes the
// budget safer.
func approxTokens(text string) int { return (utf8.RuneCountInString(text)+3)/4 + 4 }

// situation is what the model is told of how the chat began. The welcome
// is folded into the system prompt rather than sent as a first assistant
// turn: both APIs want the turns to start with the person's (Anthropic's
// would refuse or prefill otherwise, and the stand-ins refuse it), a
// synthetic user turn would put words in the person's mouth, and the
// system prompt is never trimmed by the budget, so the model always knows
// how the chat started however long it grows.
func situation(auto bool, welcome string) string {
	why := "A member of the Crisis Response Team asked you to check in with this person."
	if auto {
		why = "Nobody on the Crisis Response Team could answer an alert about this person in time, so you reached out on your own."
	}
	var b strings.Builder
	b.WriteString("\n\n## This chat\n\n")
	b.WriteString(why)
	b.WriteString(" The crisis resources and buttons to end the chat or opt out were shown with your first message, which was:\n\n")
	for _, line := range strings.Split(strings.TrimSpace(welcome), "\n") {
		b.WriteString("> " + line + "\n")
	}
	return b.String()
}

// buildTurns turns the stored chat into a request's turns: consecutive
// messages of one side are joined (the person often writes several before
// Ash answers; the APIs want turns to alternate), then the oldest turns
// are dropped until the budget holds, and the result starts with the
// person's turn. It returns nil when no message of the person waits.
func buildTurns(system string, stored []ChatTurn, b Budget) []companion.Turn {
	var merged []companion.Turn
	for _, t := range stored {
		text := strings.TrimSpace(t.Text)
		if text == "" {
			continue
		}
		if n := len(merged); n > 0 && string(merged[n-1].Role) == t.Role {
			merged[n-1].Text += "\n\n" + text
			continue
		}
		merged = append(merged, companion.Turn{Role: companion.Role(t.Role), Text: text})
	}
	// A reply is asked for the person's latest message only: when Ash
	// spoke last there is nothing to answer.
	if len(merged) == 0 || merged[len(merged)-1].Role != companion.User {
		return nil
	}
	tokens := approxTokens(system)
	start := len(merged) - 1
	tokens += approxTokens(merged[start].Text)
	for i := start - 1; i >= 0; i-- {
		cost := approxTokens(merged[i].Text)
		if len(merged)-i > max(b.Turns, 1) || tokens+cost > b.Tokens {
			break
		}
		tokens += cost
		start = i
	}
	if merged[start].Role != companion.User {
		start++
	}
	return merged[start:]
}

// MaxMessage is Discord's limit for a message's content, in characters
// (https://discord.com/developers/docs/resources/message#create-message).
const MaxMessage = 2000

// Split cuts text into messages of at most limit characters (runes): at
// the last sentence end that fits, else the last space, else (one word
// longer than a message) at limit characters, never inside a rune. Parts
// are trimmed and never empty.
func Split(text string, limit int) []string {
	var out []string
	rest := strings.TrimSpace(text)
	for rest != "" {
		if utf8.RuneCountInString(rest) <= limit {
			out = append(out, rest)
			break
		}
		cut := byteIndexOfRune(rest, limit) // rest[:cut] is limit runes
		at := sentenceEnd(rest[:cut])
		if at <= 0 {
			at = strings.LastIndexFunc(rest[:cut], unicode.IsSpace)
		}
		if at <= 0 {
			at = cut
		}
		if part := strings.TrimSpace(rest[:at]); part != "" {
			out = append(out, part)
		}
		rest = strings.TrimSpace(rest[at:])
	}
	return out
}

// byteIndexOfRune returns the byte offset of the n-th rune of s.
func byteIndexOfRune(s string, n int) int {
	i := 0
	for off := range s {
		if i == n {
			return off
		}
		i++
	}
	return len(s)
}

// sentenceEnd returns the byte offset of the space after the last
// sentence end in s (., !, ? or …, possibly followed by closing quotes or
// brackets) or of the last line break, whichever is later; 0 if none.
func sentenceEnd(s string) int {
	best, ended := 0, false
	for off, r := range s {
		switch {
		case unicode.IsSpace(r):
			if ended || r == '\n' {
				best = off
			}
			ended = false
		case strings.ContainsRune(".!?…", r):
			ended = true
		case strings.ContainsRune(`"')]”’»`, r):
			// a closing mark keeps what came before it
		default:
			ended = false
		}
	}
	return best
}
