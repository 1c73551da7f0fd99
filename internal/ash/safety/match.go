package safety

import (
	"strconv"
	"strings"
)

// A rule is a phrase of slots matched against consecutive tokens. Its
// text form is words separated by spaces; a slot "a|b" takes either word,
// a word ending in "*" takes any word it begins ("suicid*": suicide,
// suicidal), "#" takes a number of five or more ("20", "thirty", "dozens":
// enough pills to be an overdose), and a slot starting with "?" may be left
// out.
type rule []slot

type slot struct {
	words    []string
	optional bool
}

func compile(phrases []string) []rule {
	rules := make([]rule, 0, len(phrases))
	for _, p := range phrases {
		var r rule
		for _, f := range strings.Fields(p) {
			s := slot{}
			if rest, ok := strings.CutPrefix(f, "?"); ok {
				s.optional, f = true, rest
			}
			s.words = strings.Split(f, "|")
			r = append(r, s)
		}
		rules = append(rules, r)
	}
	return rules
}

// cross joins every phrase of a with every phrase of b: a verb list and an
// object list make one rule per pair.
func cross(a, b []string) []string {
	out := make([]string, 0, len(a)*len(b))
	for _, x := range a {
		for _, y := range b {
			out = append(out, x+" "+y)
		}
	}
	return out
}

func (s slot) takes(tok string) bool {
	for _, w := range s.words {
		if w == "#" {
			if isMany(tok) {
				return true
			}
		} else if prefix, ok := strings.CutSuffix(w, "*"); ok {
			if strings.HasPrefix(tok, prefix) {
				return true
			}
		} else if tok == w {
			return true
		}
	}
	return false
}

// anyMatch reports whether one of rules matches somewhere in toks.
func anyMatch(rules []rule, toks []string) bool {
	for _, r := range rules {
		for i := range toks {
			if r.matchAt(toks, i) {
				return true
			}
		}
	}
	return false
}

func (r rule) matchAt(toks []string, i int) bool {
	if len(r) == 0 {
		return true
	}
	s := r[0]
	if s.optional && r[1:].matchAt(toks, i) {
		return true
	}
	return i < len(toks) && s.takes(toks[i]) && r[1:].matchAt(toks, i+1)
}

var manyWords = map[string]bool{
	"five": true, "six": true, "seven": true, "eight": true, "nine": true, "ten": true, "eleven": true,
	"twelve": true, "fifteen": true, "twenty": true, "thirty": true, "forty": true, "fifty": true,
	"sixty": true, "hundred": true, "hundreds": true, "dozen": true, "dozens": true,
}

// isMany reports whether tok is a number of five or more.
func isMany(tok string) bool {
	if manyWords[tok] {
		return true
	}
	n, err := strconv.Atoi(tok)
	return err == nil && n >= 5
}
