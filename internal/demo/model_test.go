package demo

import (
	"strings"
	"testing"

	"github.com/alphabetcartel/ashbot/internal/standin/modelsim"
)

// The demo's model answers the person's latest message, by the number of
// their messages and its tone, the same on every run.
func TestDemoModel(t *testing.T) {
	turns := []modelsim.Turn{{Role: "user", Text: "it's just been a really bad week"}}
	first := demoModel(modelsim.Conversation{Turns: turns})
	if !strings.HasPrefix(first, "Thank you for telling me. “it's just been a really bad week”") {
		t.Errorf("first reply %q", first)
	}
	if again := demoModel(modelsim.Conversation{Turns: turns}); again != first {
		t.Errorf("the same conversation got %q, then %q", first, again)
	}
	turns = append(turns, modelsim.Turn{Role: "assistant", Text: first},
		modelsim.Turn{Role: "user", Text: "i can't sleep\n\nit's so loud in my head"})
	second := demoModel(modelsim.Conversation{Turns: turns})
	if !strings.HasPrefix(second, "I'm still here with you. “it's so loud in my head”") {
		t.Errorf("second reply %q: want the next line, answering the latest message", second)
	}
	if got := demoModel(modelsim.Conversation{Turns: []modelsim.Turn{{Role: "user", Text: "a bit better today"}}}); !strings.HasPrefix(got, "I'm really glad") {
		t.Errorf("reply to a hopeful message %q", got)
	}
	long := strings.Repeat("word ", 40)
	if got := demoModel(modelsim.Conversation{Turns: []modelsim.Turn{{Role: "user", Text: long}}}); !strings.Contains(got, "word…”") || len(got) > 250 {
		t.Errorf("a long message is not shortened in the reply: %q", got)
	}
}
