package demo

import (
	"context"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/config"
)

// preamble is the cast and first day the statement tests build on: the
// statement under test is on line 4.
const preamble = "people Robin Sam\ncrt Morgan\nday 1\n"

func TestParseStatements(t *testing.T) {
	for _, tc := range []struct {
		line, form string
		args       []string
	}{
		{`Robin posts in #general: "I'm \"fine\""`, "{name} posts in {channel}: {text}", []string{"Robin", "general", `I'm "fine"`}},
		{"Sam flags Robin's message as high", "{name} flags {name}'s message as {severity}", []string{"Sam", "Robin", "high"}},
		{"Morgan acknowledges Robin's alert", "{name} acknowledges {name}'s alert", []string{"Morgan", "Robin"}},
		{`Morgan writes in Robin's alert thread: "on it"`, "{name} writes in {name}'s alert thread: {text}", []string{"Morgan", "Robin", "on it"}},
		{"Morgan asks Ash to reach out to Robin", "{name} asks Ash to reach out to {name}", []string{"Morgan", "Robin"}},
		{"Morgan takes over Robin's alert from Ash", "{name} takes over {name}'s alert from Ash", []string{"Morgan", "Robin"}},
		{"Morgan resolves Robin's alert", "{name} resolves {name}'s alert", []string{"Morgan", "Robin"}},
		{`Robin tells Ash: "hi"`, "{name} tells Ash: {text}", []string{"Robin", "hi"}},
		{`Robin presses "End chat" under Ash's message`, "{name} presses {text} under Ash's message", []string{"Robin", "End chat"}},
		{"Robin closes their DMs", "{name} closes their DMs", []string{"Robin"}},
		{"Morgan runs /ash report post:true", "{name} runs /ash report post:true", []string{"Morgan"}},
		{"expect Ash's DM to Robin", "expect Ash's DM to {name}", []string{"Robin"}},
		{`expect Robin's alert thread to say "idle timeout"`, "expect {name}'s alert thread to say {text}", []string{"Robin", "idle timeout"}},
		{`note "a line # not a comment"`, "note {text}", []string{"a line # not a comment"}},
		// Literal words in any case; spacing and trailing comments are free.
		{"  Morgan   ACKNOWLEDGES  Robin's alert   # first response", "{name} acknowledges {name}'s alert", []string{"Morgan", "Robin"}},
	} {
		s, err := ParseStory("t.story", preamble+tc.line)
		if err != nil {
			t.Errorf("%s: %v", tc.line, err)
			continue
		}
		if len(s.week) != 1 {
			t.Errorf("%s: %d steps", tc.line, len(s.week))
			continue
		}
		st := s.week[0]
		if st.line != 4 || st.stmt.form != tc.form || !slices.Equal(st.args, tc.args) || st.move {
			t.Errorf("%s: line %d form %q args %q move %v", tc.line, st.line, st.stmt.form, st.args, st.move)
		}
	}
}

func TestParseCast(t *testing.T) {
	s, err := ParseStory("t.story", "# who is who\npeople Robin Sam\ncrt Morgan Casey\nadmins Avery\n\nday 1\nnote \"x\"\n")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range s.cast {
		got = append(got, st.stmt.form+" "+strings.Join(st.args, ","))
	}
	want := []string{"people {new...} Robin,Sam", "crt {new...} Morgan,Casey", "admins {new...} Avery"}
	if !slices.Equal(got, want) {
		t.Errorf("cast %q", got)
	}
}

func TestParseTimes(t *testing.T) {
	s, err := ParseStory("t.story", preamble+`09:12  note "a"
       note "b"
+4m    note "c"
+1h30s
day 3
00:00  note "d"
day 8
9:05   note "e"
`)
	if err != nil {
		t.Fatal(err)
	}
	h, m := time.Hour, time.Minute
	want := []struct {
		move bool
		at   time.Duration
		text string
	}{
		{true, 9*h + 12*m, "a"},
		{false, 9*h + 12*m, "b"},
		{true, 9*h + 16*m, "c"},
		{true, 10*h + 16*m + 30*time.Second, ""},
		{true, 48 * h, "d"},
		{true, 7*24*h + 9*h + 5*m, "e"},
	}
	if len(s.week) != len(want) {
		t.Fatalf("%d steps", len(s.week))
	}
	for i, w := range want {
		st := s.week[i]
		var text string
		if st.stmt != nil {
			text = st.args[0]
		}
		if st.move != w.move || st.at != w.at || text != w.text {
			t.Errorf("step %d: move %v at %v text %q, want %+v", i, st.move, st.at, text, w)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"", "t.story: the story has no day"},
		{preamble + "Morgan acknowleges Robin's alert", `t.story:4: unknown statement "Morgan acknowleges Robin's alert" (did you mean "{name} acknowledges {name}'s alert"?)`},
		{preamble + "dance", `t.story:4: unknown statement "dance"; the statements`},
		{preamble + "Morgan acknowledges Robn's alert", `t.story:4: unknown person "Robn"`},
		{preamble + `Robin posts in #random: "hi"`, "t.story:4: unknown channel #random (the server has #general, #vent,"},
		{preamble + "Sam flags Robin's message as urgent", `t.story:4: severity "urgent": want low, medium, high or critical`},
		{preamble + "Robin posts in #general: hi", `t.story:4: unknown statement`},
		{preamble + `Robin posts in #general: "hi`, `t.story:4: unterminated quoted text "hi`},
		{preamble + `note "a\q"`, `t.story:4: bad quoted text "a\q"`},
		{preamble + `note "a"b`, `t.story:4: a space must follow the quoted text "a"`},
		{preamble + `note x"y"`, `t.story:4: a quote inside the word x"y"`},
		{preamble + "25:00 note \"x\"", `t.story:4: unknown statement "25:00 note \"x\""`},
		{preamble + "+4 note \"x\"", "t.story:4: time +4: want +duration such as +4m"},
		{preamble + "+0s", "t.story:4: time +0s: want +duration"},
		{preamble + "10:00\n09:59", "t.story:5: time 09:59 on day 1 is before the time already reached (day 1 10:00)"},
		{preamble + "day 0", "t.story:4: day 0: the week has days 1 to 7, and day 8 for the morning after"},
		{preamble + "day 9", "t.story:4: day 9: the week has days"},
		{preamble + "day 2\nday 1", "t.story:5: day 1 comes after day 2"},
		{preamble + "day two", "t.story:4: a day line is `day N` alone"},
		{preamble + "day 2 09:00", "t.story:4: a day line is `day N` alone"},
		{"people Robin\n09:00", "t.story:2: time 09:00 before the first `day` line"},
		{"people Robin\nnote \"x\"", "t.story:2: \"note \\\"x\\\"\" before the first `day` line"},
		{preamble + "people Kai", "t.story:4: \"people Kai\": the cast is declared before the first `day` line"},
		{"people Robin\ncrt Robin", "t.story:2: Robin is in the cast already"},
		{"people Kai Kai", "t.story:1: Kai is in the cast already"},
		{"people 7up", `t.story:1: "7up" is not a name`},
	} {
		_, err := ParseStory("t.story", tc.src)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want %q", tc.src, err, tc.want)
		}
	}
}

// The header of week.story is the reference of the format: it lists every
// statement.
func TestEveryStatementIsDocumented(t *testing.T) {
	header, _, _ := strings.Cut(weekStory, "\nday 1\n")
	for _, s := range statements {
		if !strings.Contains(header, "#   "+s.form) {
			t.Errorf("the header of week.story does not list %q", s.form)
		}
	}
}

// A step that fails while the week is acted out names its line, and what
// went before it happened.
func TestRunStoryErrorNamesTheLine(t *testing.T) {
	srv.Fresh(t)
	host, port, _ := net.SplitHostPort(srv.Addr)
	env := map[string]string{"BOT_REDIS_HOST": host, "BOT_REDIS_PORT": port, "BOT_SECRETS_DIR": t.TempDir()}
	cfg, _, err := config.Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, os.ReadFile)
	if err != nil {
		t.Fatal(err)
	}
	story, err := ParseStory("mini.story", `people Robin Sam
crt Morgan
day 1
09:00  Robin posts in #general: "hi"
       Sam flags Robin's message as low
+1m    Morgan takes over Robin's alert from Ash
`)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var out strings.Builder
	res, err := Run(ctx, cfg, Options{Story: story, Out: &out, KeepGatewayOpen: raceEnabled})
	want := "demo: mini.story:6: Morgan takes over Robin's alert from Ash: Robin's alert has no takeover button"
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
	if res.Alerts != 1 || res.ReportPosted || !strings.Contains(out.String(), "Sam flags Robin's message as LOW -> alert in #crt-monitor") {
		t.Errorf("result %+v, narration:\n%s", res, out.String())
	}
}
