package demo

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A Story is a parsed story file: the cast, set up before the bot starts,
// and the week, acted out against the running bot. The format is described
// in the header of week.story and in docs/developers.md.
type Story struct {
	name       string // the file name errors start with
	cast, week []step
}

// step is one statement of the story, with the time it happens at.
type step struct {
	line int
	src  string // the statement as written, for errors at run time
	// move is true when the line starts with a time: the clock moves to
	// at (an offset from the first day's midnight) before the statement.
	move bool
	at   time.Duration
	stmt *statement // nil for a line with only a time
	args []string
}

// Placeholders of a statement's form, and what they accept.
const (
	phName     = "name"     // a person of the cast
	phNew      = "new"      // a person joining the cast: a new name
	phChannel  = "channel"  // #name of one of the server's channels
	phText     = "text"     // "a quoted text"
	phSeverity = "severity" // low, medium, high or critical
)

// lastDay is the morning after the week: the report is posted then.
const lastDay = 8

var (
	nameRE     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)
	clockRE    = regexp.MustCompile(`^([01]?[0-9]|2[0-3]):([0-5][0-9])$`)
	severities = []string{"low", "medium", "high", "critical"}
)

// ParseStory parses a story; name (the file's) starts every error, which
// names the line too: "week.story:12: unknown person "Robn"".
func ParseStory(name, src string) (*Story, error) {
	p := &parser{story: &Story{name: name}, cast: map[string]bool{}}
	for i, line := range strings.Split(src, "\n") {
		if err := p.parseLine(i+1, line); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, i+1, err)
		}
	}
	if len(p.story.week) == 0 {
		return nil, fmt.Errorf("%s: the story has no day", name)
	}
	return p.story, nil
}

type parser struct {
	story *Story
	cast  map[string]bool
	day   int           // the current `day N`; 0 before the first
	now   time.Duration // the clock, as an offset from day 1's midnight
}

// token is a word or a quoted text of a line.
type token struct {
	text   string
	quoted bool
}

// parseLine parses line n of the story.
func (p *parser) parseLine(n int, line string) error {
	toks, err := tokenize(line)
	if err != nil || len(toks) == 0 {
		return err
	}
	if !toks[0].quoted && toks[0].text == "day" {
		return p.dayLine(toks)
	}
	st := step{line: n, at: p.now}
	if t := toks[0]; !t.quoted && (clockRE.MatchString(t.text) || strings.HasPrefix(t.text, "+")) {
		if p.day == 0 {
			return fmt.Errorf("time %s before the first `day` line", t.text)
		}
		at, err := p.time(t.text)
		if err != nil {
			return err
		}
		st.move, st.at, p.now = true, at, at
		toks = toks[1:]
	}
	if len(toks) > 0 {
		st.src = joinTokens(toks)
		if st.stmt, st.args, err = p.statement(toks); err != nil {
			return err
		}
	}
	switch {
	case st.stmt != nil && st.stmt.cast != nil:
		if p.day != 0 {
			return fmt.Errorf("%q: the cast is declared before the first `day` line", st.src)
		}
		p.story.cast = append(p.story.cast, st)
	case p.day == 0:
		return fmt.Errorf("%q before the first `day` line", st.src)
	default:
		p.story.week = append(p.story.week, st)
	}
	return nil
}

func (p *parser) dayLine(toks []token) error {
	var n int
	var err error
	if len(toks) == 2 && !toks[1].quoted {
		n, err = strconv.Atoi(toks[1].text)
	}
	switch {
	case len(toks) != 2 || toks[1].quoted || err != nil:
		return fmt.Errorf("a day line is `day N` alone, not %q", joinTokens(toks))
	case n < 1 || n > lastDay:
		return fmt.Errorf("day %d: the week has days 1 to 7, and day %d for the morning after", n, lastDay)
	case n < p.day:
		return fmt.Errorf("day %d comes after day %d", n, p.day)
	}
	p.day = n
	return nil
}

// time returns the offset a line's time stands for: HH:MM on the current
// day, or +duration after the clock. Time never runs backwards.
func (p *parser) time(s string) (time.Duration, error) {
	if d, ok := strings.CutPrefix(s, "+"); ok {
		dur, err := time.ParseDuration(d)
		if err != nil || dur <= 0 {
			return 0, fmt.Errorf("time %s: want +duration such as +4m, +30s or +1h30m", s)
		}
		return p.now + dur, nil
	}
	m := clockRE.FindStringSubmatch(s)
	h, _ := strconv.Atoi(m[1])
	mi, _ := strconv.Atoi(m[2])
	at := time.Duration(p.day-1)*24*time.Hour + time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute
	if at < p.now {
		return 0, fmt.Errorf("time %s on day %d is before the time already reached (%s)", s, p.day, offsetString(p.now))
	}
	return at, nil
}

func offsetString(d time.Duration) string {
	day := d / (24 * time.Hour)
	rest := d - day*24*time.Hour
	return fmt.Sprintf("day %d %02d:%02d", day+1, int(rest.Hours()), int(rest.Minutes())%60)
}

// statement finds the statement whose form the tokens have and checks
// its arguments.
func (p *parser) statement(toks []token) (*statement, []string, error) {
	for _, s := range statements {
		if !s.fits(toks) {
			continue
		}
		args, err := p.args(s, toks)
		return s, args, err
	}
	msg := fmt.Sprintf("unknown statement %q", joinTokens(toks))
	if s := closest(toks); s != nil {
		msg += fmt.Sprintf(" (did you mean %q?)", s.form)
	}
	return nil, nil, fmt.Errorf("%s; the statements are listed at the top of week.story", msg)
}

// args checks the placeholders' values and returns them in order.
func (p *parser) args(s *statement, toks []token) ([]string, error) {
	var args []string
	var joining []string
	for i, t := range toks {
		pt := s.tokens[min(i, len(s.tokens)-1)]
		if pt.ph == "" {
			continue
		}
		v := strings.TrimSuffix(t.text, pt.suffix)
		switch pt.ph {
		case phName:
			if !p.cast[v] {
				return nil, fmt.Errorf("unknown person %q (the cast is declared by the people, crt and admins lines)", v)
			}
		case phNew:
			if !nameRE.MatchString(v) {
				return nil, fmt.Errorf("%q is not a name: letters, digits, - and _, starting with a letter", v)
			}
			if p.cast[v] || slices.Contains(joining, v) {
				return nil, fmt.Errorf("%s is in the cast already", v)
			}
			joining = append(joining, v)
		case phChannel:
			v = strings.TrimPrefix(v, "#")
			if !slices.Contains(channels, v) {
				return nil, fmt.Errorf("unknown channel #%s (the server has #%s)", v, strings.Join(channels, ", #"))
			}
		case phSeverity:
			if !slices.Contains(severities, v) {
				return nil, fmt.Errorf("severity %q: want low, medium, high or critical", v)
			}
		}
		args = append(args, v)
	}
	for _, n := range joining {
		p.cast[n] = true
	}
	return args, nil
}

// tokenize splits a line into words and "quoted texts" (Go syntax, so \"
// and \\ work). A # followed by a space, or alone, starts a comment;
// #name is a channel.
func tokenize(line string) ([]token, error) {
	var toks []token
	for i := 0; i < len(line); {
		switch c := line[i]; {
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '"':
			end := i + 1
			for end < len(line) && line[end] != '"' {
				if line[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(line) {
				return nil, fmt.Errorf("unterminated quoted text %s", line[i:])
			}
			text, err := strconv.Unquote(line[i : end+1])
			if err != nil {
				return nil, fmt.Errorf("bad quoted text %s: %w", line[i:end+1], err)
			}
			if end+1 < len(line) && !strings.ContainsRune(" \t\r", rune(line[end+1])) {
				return nil, fmt.Errorf("a space must follow the quoted text %s", line[i:end+1])
			}
			toks, i = append(toks, token{text: text, quoted: true}), end+1
		default:
			end := i
			for end < len(line) && !strings.ContainsRune(" \t\r", rune(line[end])) {
				end++
			}
			word := line[i:end]
			if word == "#" {
				return toks, nil
			}
			if strings.Contains(word, `"`) {
				return nil, fmt.Errorf("a quote inside the word %s: quoted text stands apart", word)
			}
			toks, i = append(toks, token{text: word}), end
		}
	}
	return toks, nil
}

func joinTokens(toks []token) string {
	parts := make([]string, len(toks))
	for i, t := range toks {
		parts[i] = t.text
		if t.quoted {
			parts[i] = strconv.Quote(t.text)
		}
	}
	return strings.Join(parts, " ")
}
