package demo

import (
	"fmt"
	"strings"

	"github.com/alphabetcartel/ashbot/internal/standin/modelsim"
)

// demoModel is the demo's stand-in for a language model, the Respond of
// the Anthropic stand-in the demo runs (internal/standin/anthropicsim). It
// is not a model and not Ash's persona: a few warm lines, picked by how
// many messages the person has sent in the context and by whether the
// latest sounds hopeful, that quote that message back, so that a reader of the demo sees that the bot sent
// the model the conversation and that Ash answers what was written.
// Nothing random: the same week prints the same replies.
func demoModel(c modelsim.Conversation) string {
	said := 0
	for _, t := range c.Turns {
		if t.Role == "user" {
			said++
		}
	}
	// Messages written while a reply was on its way reach the model as one
	// turn; the latest of them is the one to answer.
	paras := strings.Split(strings.TrimSpace(c.LastUser()), "\n\n")
	last := shorten(strings.Join(strings.Fields(paras[len(paras)-1]), " "), 60)
	replies := heavy
	lower := strings.ToLower(last)
	for _, w := range hopeful {
		if strings.Contains(lower, w) {
			replies = brighter
		}
	}
	return fmt.Sprintf(replies[(max(said, 1)-1)%len(replies)], last)
}

// hopeful are words that make demoModel answer with one of the brighter
// lines: "a bit better" should not hear "that sounds like a lot".
var hopeful = []string{"better", "help", "thank", "slower", "calmer"}

// The lines of demoModel; %s is the person's latest message.
var (
	heavy = []string{
		"Thank you for telling me. “%s”: that sounds like a lot to carry, and I'm glad you wrote. What's weighing on you most right now?",
		"I'm still here with you. “%s”, I hear that. You don't have to have it all figured out; we can take it one moment at a time.",
		"Thank you for staying with me. “%s” makes sense after everything. Would it help to talk about what the next hour could look like?",
		"You're not alone in this. “%s”: I'm listening, and the team is here for you too, whenever you'd like a person.",
		"I'm right here. “%s”, thank you for trusting me with that. Is there something small that has helped you before?",
		"That took strength to say. “%s”: you matter, and so does how you feel. I'll stay with you as long as you like.",
	}
	brighter = []string{
		"I'm really glad to hear that. “%s”: that matters, and so do you. I'm here for as long as you'd like.",
		"“%s”, that's good to hear, and it counts. Be gentle with yourself; small steps are still steps.",
		"I'm not going anywhere. “%s”: I'm glad we're talking. Take all the time you need.",
	}
)

// shorten cuts text to at most n characters at a word, marking the cut.
func shorten(text string, n int) string {
	r := []rune(text)
	if len(r) <= n {
		return text
	}
	cut := string(r[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,.;:") + "…"
}
