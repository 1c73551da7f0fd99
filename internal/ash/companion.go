package ash

import (
	"context"
	"strings"
	"unicode"

	"github.com/alphabetcartel/ashbot/internal/events"
)

// Conversation is what a Companion knows of a chat: ids and counts. The
// text of the chat is the Manager's (Chats), sent to the language model
// only.
type Conversation struct {
	SessionID string
	UserID    string
	AlertID   string
	// Auto is true when Ash reached out on its own because nobody on the
	// team acknowledged the alert in time.
	Auto bool
	// Turn counts the person's messages so far, 1 for the first.
	Turn int
}

// Companion writes Ash's fixed texts: the welcome, the closings, and the
// replies when no language model is configured (or it refused its key).
// The scripted one below is the default.
// The crisis resources and the opt-out and end buttons are added by the
// Manager, never left to a Companion, so they are always there.
type Companion interface {
	Welcome(ctx context.Context, c Conversation) (string, error)
	Reply(ctx context.Context, c Conversation, message string) (string, error)
	Closing(ctx context.Context, c Conversation, reason events.EndReason) (string, error)
}

// Scripted is a Companion with fixed, reviewed texts.
type Scripted struct{}

// Welcome greets the person.
func (Scripted) Welcome(_ context.Context, c Conversation) (string, error) {
	why := "Someone on our Crisis Response Team asked me to check in with you."
	if c.Auto {
		why = "Your message was flagged to our Crisis Response Team, and I wanted to check in with you right away."
	}
	return "Hi, I'm Ash 💜, the support companion of this community's Crisis Response Team. " + why +
		"\n\nYou don't have to explain anything. If you want to talk, just reply here: I'm listening, " +
		"and real people from the team are around too. If you'd rather not talk with me, press " +
		"\"I'd rather not\" and I won't message you again for a while.", nil
}

var replies = []string{
	"Thank you for telling me. I'm listening.",
	"That sounds really heavy. You don't have to carry it alone.",
	"I hear you. Take your time, I'm here.",
	"It makes sense that you feel this way. Is there anything that would help a little right now?",
	"I'm glad you're talking with me. Whatever you're feeling is valid.",
}

// Reply acknowledges a message. The scripted companion does not read it:
// it must never answer something it did not understand as if it had.
func (Scripted) Reply(_ context.Context, c Conversation, _ string) (string, error) {
	i := max(c.Turn-1, 0) % len(replies)
	return replies[i], nil
}

var closings = map[events.EndReason]string{
	events.EndUserEnded: "Thank you for talking with me. Take care of yourself: you matter. " +
		"If things get hard again, the resources above are there any time, and so is our team. 💜",
	events.EndTimeout: "I haven't heard from you in a while, so I'll step back for now. " +
		"If you want to talk again, reach out to our team any time. You matter. 💜",
	events.EndMaxDuration: "We've been talking for a while, so I'm going to step back now and let our team know. " +
		"Please reach out to them or the resources above whenever you need to. 💜",
	events.EndHandoff: "A member of our Crisis Response Team is going to continue with you personally. " +
		"Thank you for talking with me. 💜",
	events.EndCompleted: "Our team has marked this as taken care of. Thank you for talking with me. " +
		"If you need us again, we're here. 💜",
	events.EndOptedOut: "Understood. I won't message you again for now. " +
		"If you ever want support, our team and the resources above are here for you. 💜",
	events.EndError: "Something went wrong on my side, so I have to stop here. " +
		"Please reach out to our team or the resources above if you need support.",
}

// Closing says goodbye in a way that fits why the chat ended.
func (Scripted) Closing(_ context.Context, _ Conversation, reason events.EndReason) (string, error) {
	if t, ok := closings[reason]; ok {
		return t, nil
	}
	return closings[events.EndUserEnded], nil
}

// DefaultEndPhrases end a chat when a message is exactly one of them
// (ignoring case, spaces and punctuation). Whole-message matching keeps
// "I can't stop crying" from ending a chat.
var defaultEndPhrases = []string{"bye ash", "goodbye ash", "bye", "goodbye", "end chat", "end", "stop", "stop ash", "quit"}

// DefaultEndPhrases returns the phrases that end a chat by default.
func DefaultEndPhrases() []string { return append([]string(nil), defaultEndPhrases...) }

// isEndPhrase reports whether msg, normalised, is one of phrases.
func isEndPhrase(msg string, phrases []string) bool {
	norm := strings.Join(strings.FieldsFunc(strings.ToLower(msg), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ")
	for _, p := range phrases {
		if norm == p {
			return true
		}
	}
	return false
}
