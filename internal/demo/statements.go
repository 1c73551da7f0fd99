package demo

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// statement is one kind of line of a story: its form, as the header of
// week.story lists it, and what it does. A new kind is a row here and,
// where the driver cannot do it yet, one small driver method.
type statement struct {
	form string
	// do acts out a week statement against the running bot.
	do func(d *driver, args []string) error
	// cast, instead of do, sets up the server before the bot starts.
	cast func(d *driver, args []string)

	tokens []formToken // form, split by compile
}

// statements are tried in order; the first whose form fits a line is it.
// args are the placeholders' values in the order of the form ({channel}
// without its #).
var statements = compile([]*statement{
	// The cast.
	{form: "people {new...}", cast: func(d *driver, a []string) { d.join(a) }},
	{form: "crt {new...}", cast: func(d *driver, a []string) { d.join(a, d.crtRole) }},
	{form: "admins {new...}", cast: func(d *driver, a []string) { d.join(a, d.crtRole, d.adminRole) }},

	// What people do.
	{form: "{name} posts in {channel}: {text}", do: func(d *driver, a []string) error { return d.post(a[0], a[1], a[2]) }},
	{form: "{name} flags {name}'s message as {severity}", do: func(d *driver, a []string) error { return d.flag(a[0], a[1], a[2]) }},
	{form: "{name} acknowledges {name}'s alert", do: func(d *driver, a []string) error { return d.ack(a[0], a[1]) }},
	{form: "{name} writes in {name}'s alert thread: {text}", do: func(d *driver, a []string) error { return d.reply(a[0], a[1], a[2]) }},
	{form: "{name} asks Ash to reach out to {name}", do: func(d *driver, a []string) error { return d.talkToAsh(a[0], a[1]) }},
	{form: "{name} takes over {name}'s alert from Ash", do: func(d *driver, a []string) error { return d.takeOver(a[0], a[1]) }},
	{form: "{name} resolves {name}'s alert", do: func(d *driver, a []string) error { return d.resolve(a[0], a[1]) }},
	{form: "{name} resolves {name}'s earlier alert", do: func(d *driver, a []string) error { return d.resolveEarlier(a[0], a[1]) }},
	{form: "{name} tells Ash: {text}", do: func(d *driver, a []string) error { return d.chat(a[0], a[1]) }},
	{form: "{name} presses {text} under Ash's message", do: func(d *driver, a []string) error { return d.pressDM(a[0], a[1]) }},
	{form: "{name} closes their DMs", do: func(d *driver, a []string) error { return d.closeDMs(a[0]) }},
	{form: "{name} runs /ash report post:true", do: func(d *driver, a []string) error { return d.postReport(a[0]) }},

	// What happens to Ash-NLP.
	{form: "Ash-NLP goes down", do: func(d *driver, _ []string) error { return d.nlpDown() }},
	{form: "Ash-NLP comes back", do: func(d *driver, _ []string) error { return d.nlpBack() }},

	// What the bot must have done by then; the demo fails otherwise.
	{form: "expect Ash's DM to {name}", do: func(d *driver, a []string) error { return d.expectDM(a[0]) }},
	{form: "expect Ash's check-in to {name}", do: func(d *driver, a []string) error { return d.expectCheckin(a[0]) }},
	{form: "expect {name}'s alert thread to say {text}", do: func(d *driver, a []string) error { return d.threadNote(a[0], a[1]) }},
	{form: "expect a {severity} alert about {name}", do: func(d *driver, a []string) error { return d.expectAlert(a[0], a[1]) }},
	{form: "expect {channel} to say {text}", do: func(d *driver, a []string) error { return d.expectSaid(a[0], a[1]) }},

	// A line of narration for the reader of the demo's output.
	{form: "note {text}", do: func(d *driver, a []string) error { d.note("%s", a[0]); return nil }},
})

// formToken is a literal word of a form or a placeholder such as {name}'s:
// ph "name", suffix "'s". rest marks {new...}, which takes the remaining
// words.
type formToken struct {
	lit, ph, suffix string
	rest            bool
}

var placeholderRE = regexp.MustCompile(`^\{(\w+)(\.\.\.)?\}(.*)$`)

// compile splits the forms; a bad form is a programming error.
func compile(stmts []*statement) []*statement {
	for _, s := range stmts {
		if (s.do == nil) == (s.cast == nil) {
			panic(fmt.Sprintf("demo: statement %q needs do or cast", s.form))
		}
		words := strings.Fields(s.form)
		for i, w := range words {
			m := placeholderRE.FindStringSubmatch(w)
			if m == nil {
				s.tokens = append(s.tokens, formToken{lit: w})
				continue
			}
			ft := formToken{ph: m[1], rest: m[2] != "", suffix: m[3]}
			if !slices.Contains([]string{phName, phNew, phChannel, phText, phSeverity}, ft.ph) || (ft.rest && i != len(words)-1) {
				panic(fmt.Sprintf("demo: bad statement form %q", s.form))
			}
			s.tokens = append(s.tokens, ft)
		}
	}
	return stmts
}

// fits reports whether toks have the form's shape: its literal words
// (in any case), quoted text where it has {text}, words elsewhere.
func (s *statement) fits(toks []token) bool {
	n := len(s.tokens)
	if len(toks) != n && (!s.tokens[n-1].rest || len(toks) < n) {
		return false
	}
	for i, t := range toks {
		ft := s.tokens[min(i, n-1)]
		switch {
		case ft.ph == "":
			if t.quoted || !strings.EqualFold(t.text, ft.lit) {
				return false
			}
		case ft.ph == phText:
			if !t.quoted {
				return false
			}
		case t.quoted || len(t.text) <= len(ft.suffix) || !strings.HasSuffix(t.text, ft.suffix):
			return false
		case ft.ph == phChannel && !strings.HasPrefix(t.text, "#"):
			return false
		}
	}
	return true
}

// closest is the statement sharing the most literal words with toks, for
// a hint when none fits; nil when none shares any.
func closest(toks []token) *statement {
	var best *statement
	most := 0
	for _, s := range statements {
		n := 0
		for _, ft := range s.tokens {
			if ft.lit != "" && slices.ContainsFunc(toks, func(t token) bool { return !t.quoted && strings.EqualFold(t.text, ft.lit) }) {
				n++
			}
		}
		if n > most {
			best, most = s, n
		}
	}
	return best
}
