package ash

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/alphabetcartel/ashbot/internal/companion"
)

func checkParts(t *testing.T, text string, parts []string, limit int) {
	t.Helper()
	for i, p := range parts {
		if n := utf8.RuneCountInString(p); n > limit || n == 0 || !utf8.ValidString(p) || p != strings.TrimSpace(p) {
			t.Errorf("part %d: %d runes, valid %v, %q...", i, n, utf8.ValidString(p), p[:min(len(p), 40)])
		}
	}
	// Nothing is lost or reordered: only the whitespace at the cuts goes.
	if got, want := strings.Join(strings.Fields(strings.Join(parts, "")), ""), strings.Join(strings.Fields(text), ""); got != want {
		t.Errorf("parts do not add up to the text: %d vs %d bytes", len(got), len(want))
	}
}

func TestSplitOnSentences(t *testing.T) {
	sentence := "You matter, and what you feel is real. "
	text := strings.Repeat(sentence, 130) // about 5,000 characters
	parts := Split(text, MaxMessage)
	if len(parts) != 3 {
		t.Fatalf("%d parts, want 3", len(parts))
	}
	checkParts(t, text, parts, MaxMessage)
	for i, p := range parts {
		if !strings.HasSuffix(p, "real.") {
			t.Errorf("part %d ends mid-sentence: ...%q", i, p[len(p)-20:])
		}
	}
	// Closing quotes and brackets stay with their sentence; "?!" and "…"
	// end one too; a line break is a boundary.
	for _, tt := range []struct {
		text, first string
		limit       int
	}{
		{`She said "it gets better." And it can. More words here`, `She said "it gets better."`, 30},
		{"Really?! Yes. More words here", "Really?! Yes.", 17},
		{"Wait… okay then more words here", "Wait…", 9},
		{"A line without an end\nmore words here", "A line without an end", 25},
		{"No sentence end here at all", "No sentence end here at", 25},
	} {
		limit := tt.limit
		if got := Split(tt.text, limit); got[0] != tt.first {
			t.Errorf("Split(%q, %d)[0] = %q, want %q", tt.text, limit, got[0], tt.first)
		}
	}
}

func TestSplitFallsBackToWordsThenRunes(t *testing.T) {
	words := strings.Repeat("word ", 900) // 4,500 characters, no sentence end
	parts := Split(words, MaxMessage)
	checkParts(t, words, parts, MaxMessage)
	for i, p := range parts {
		if !strings.HasSuffix(p, "word") {
			t.Errorf("part %d cut inside a word", i)
		}
	}
	// One "word" longer than a message: cut at the limit, between runes
	// (each 🌈 is four bytes, each é two).
	long := strings.Repeat("é🌈", 1500)
	parts = Split(long, MaxMessage)
	if len(parts) != 2 || utf8.RuneCountInString(parts[0]) != MaxMessage {
		t.Fatalf("%d parts, first %d runes", len(parts), utf8.RuneCountInString(parts[0]))
	}
	checkParts(t, long, parts, MaxMessage)
	if Split("  short  ", MaxMessage)[0] != "short" || len(Split(" \n ", MaxMessage)) != 0 {
		t.Error("short or blank text")
	}
}

func turnsOf(roles string, text func(i int) string) []ChatTurn {
	var out []ChatTurn
	for i, r := range roles {
		role := roleUser
		if r == 'a' {
			role = roleAssistant
		}
		out = append(out, ChatTurn{Role: role, Text: text(i)})
	}
	return out
}

func roles(ts []companion.Turn) string {
	var b strings.Builder
	for _, t := range ts {
		b.WriteByte(string(t.Role)[0])
	}
	return b.String()
}

func TestBuildTurnsShape(t *testing.T) {
	num := func(i int) string { return "m" + string(rune('0'+i)) }
	// Messages the person sent before Ash answered are one turn; the
	// request alternates and ends with the person.
	got := buildTurns("sys", turnsOf("uuauu", num), DefaultBudget)
	if roles(got) != "uau" || got[0].Text != "m0\n\nm1" || got[2].Text != "m3\n\nm4" {
		t.Errorf("turns %+v", got)
	}
	if got := buildTurns("sys", turnsOf("ua", num), DefaultBudget); got != nil {
		t.Errorf("nothing to answer, got %+v", got)
	}
	if got := buildTurns("sys", nil, DefaultBudget); got != nil {
		t.Errorf("empty chat, got %+v", got)
	}
	req := companion.Request{System: "sys", Turns: buildTurns("sys", turnsOf("uauauau", num), DefaultBudget)}
	if err := req.Validate(); err != nil {
		t.Error(err)
	}
}

func TestBuildTurnsBudget(t *testing.T) {
	num := func(i int) string { return strings.Repeat("x", 40) + string(rune('a'+i)) } // 14 tokens each
	chat := turnsOf("uauauauau", num)
	// The turn budget keeps the newest turns and starts with the person.
	got := buildTurns("sys", chat, Budget{Turns: 4, Tokens: 1 << 20})
	if roles(got) != "uau" || got[2].Text != num(8) {
		t.Errorf("turn budget 4: %q %+v", roles(got), got)
	}
	// The token budget counts the system prompt too: 5 (system) + 3 × 15.
	got = buildTurns("sys", chat, Budget{Turns: 100, Tokens: approxTokens("sys") + 3*approxTokens(num(0))})
	if roles(got) != "uau" || got[0].Text != num(6) {
		t.Errorf("token budget: %q", roles(got))
	}
	// However large, the person's latest message goes.
	huge := []ChatTurn{{Role: roleUser, Text: strings.Repeat("y", 10000)}}
	if got := buildTurns("sys", huge, Budget{Turns: 1, Tokens: 10}); len(got) != 1 {
		t.Errorf("latest message dropped: %+v", got)
	}
}

func TestPersona(t *testing.T) {
	p := DefaultPersona()
	for _, want := range []string{"Ash", "LGBTQIA+", "two to four", "not a human", "no medical, legal or diagnostic advice", "crisis line", "Crisis Response Team"} {
		if !strings.Contains(p, want) {
			t.Errorf("persona lacks %q", want)
		}
	}
	sit := situation(true, "Hi, I'm Ash.\nSecond line.")
	if !strings.Contains(sit, "> Hi, I'm Ash.\n> Second line.") || !strings.Contains(sit, "reached out on your own") {
		t.Errorf("situation %q", sit)
	}
}
