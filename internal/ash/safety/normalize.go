package safety

import (
	"strings"
	"unicode"
)

// leet maps the digits and symbols people type in place of letters, often
// to get past word filters ("su1c1de", "k!ll", "$elf harm"). It applies only
// inside a word that also has letters, so numbers such as 988 stay numbers.
var leet = map[rune]rune{
	'0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't',
	'@': 'a', '$': 's', '!': 'i', '|': 'i',
}

// lookalikes are letters that look like the Latin ones people mean:
// accents, the dotless i, and Cyrillic letters that pass for Latin ("kіll"
// with a Cyrillic i slips past a plain word filter).
var lookalikes = map[rune]rune{
	'ı': 'i', 'і': 'i', 'í': 'i', 'ì': 'i', 'ï': 'i', 'î': 'i',
	'а': 'a', 'á': 'a', 'à': 'a', 'â': 'a', 'ä': 'a', 'å': 'a',
	'е': 'e', 'é': 'e', 'è': 'e', 'ê': 'e', 'ë': 'e',
	'о': 'o', 'ó': 'o', 'ò': 'o', 'ô': 'o', 'ö': 'o', 'ø': 'o',
	'у': 'y', 'ú': 'u', 'ù': 'u', 'û': 'u', 'ü': 'u',
	'с': 'c', 'ç': 'c', 'р': 'p', 'х': 'x', 'ѕ': 's', 'ԁ': 'd', 'ñ': 'n', 'к': 'k', 'м': 'm', 'т': 't', 'һ': 'h',
}

// spellings rewrites one token into the words the rules are written in:
// contractions with and without their apostrophe, chat shorthand, common
// misspellings and the words people use so that filters miss them
// ("unalive", "sewerslide", "kms").
var spellings = map[string]string{
	// contractions the generic rules below do not cover
	"im": "i am", "ive": "i have", "id": "i would", "youre": "you are", "theyre": "they are",
	"dont": "do not", "doesnt": "does not", "didnt": "did not", "cant": "can not", "cannot": "can not",
	"wont": "will not", "isnt": "is not", "arent": "are not", "wasnt": "was not", "werent": "were not",
	"havent": "have not", "hasnt": "has not", "hadnt": "had not", "wouldnt": "would not",
	"shouldnt": "should not", "couldnt": "could not", "aint": "am not", "its": "it is",
	"wanna": "want to", "gonna": "going to", "gotta": "got to", "tryna": "trying to", "hafta": "have to",
	"can't": "can not", "won't": "will not", "ain't": "am not", "it's": "it is", "let's": "let us",
	"i'm": "i am", "i'd": "i would",
	// chat shorthand
	"u": "you", "r": "are", "ya": "you", "2": "to", "4": "for", "pls": "please", "plz": "please",
	"rn": "right now", "tonite": "tonight", "2nite": "tonight", "2night": "tonight", "ppl": "people",
	"bc": "because", "cuz": "because", "coz": "because", "ded": "dead",
	"kil": "kill", "kiling": "killing", "myslef": "myself", "mysef": "myself", "meself": "myself",
	"mself": "myself", "mysel": "myself", "myselfe": "myself", "killmyself": "kill myself",
	// suicide, as typed and as hidden
	"kms": "kill myself", "kmself": "kill myself", "kys": "kill yourself", "ctb": "suicide",
	"unalive": "suicide", "unalived": "suicide", "unaliving": "suicide", "unalives": "suicide",
	"sewerslide": "suicide", "sewerslidal": "suicidal", "sucide": "suicide", "suicde": "suicide",
	"suiside": "suicide", "suicied": "suicide", "suacide": "suicide", "suiscide": "suicide",
	"sucidal": "suicidal", "suicidial": "suicidal", "suisidal": "suicidal", "sui": "suicide",
	// self-harm and overdose
	"selfharm": "self harm", "selfharming": "self harming", "selfharmed": "self harmed",
	"overdoes": "overdose", "overdoze": "overdose", "od": "overdose", "od'd": "overdosed",
	"oded": "overdosed", "oding": "overdosing", "od'ing": "overdosing", "pils": "pills",
}

// censored are the words people hide with an asterisk ("s*icide",
// "k*ll myself"); a token with asterisks that fits one of them is read as
// it.
var censored = []string{"suicide", "suicidal", "kill", "killing", "die", "dead", "overdose", "cut", "cutting", "hang", "self", "harm", "myself"}

// tokens turns a message into the lower-case words the rules match:
// punctuation dropped, letters typed as digits or symbols read back,
// letters repeated for emphasis collapsed ("dieeee"), contractions and
// shorthand spelled out.
func tokens(text string) []string {
	var out []string
	for _, chunk := range strings.Fields(strings.ToLower(text)) {
		chunk = unLeet(chunk)
		for _, w := range strings.FieldsFunc(chunk, func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '\'' && r != '*'
		}) {
			w = strings.Trim(w, "'*")
			if w == "" {
				continue
			}
			w = collapseRepeats(w)
			if strings.Contains(w, "*") {
				w = uncensor(w)
			}
			out = append(out, spellOut(w)...)
		}
	}
	return joinSplitWords(out)
}

// unLeet reads back letters typed as digits or symbols in a chunk that
// has letters too, and lookalike letters everywhere. A '!' or '|' only counts as a letter between two
// characters of a word, so "help!" keeps its exclamation mark.
func unLeet(chunk string) string {
	rs := []rune(strings.Map(func(r rune) rune {
		if r == '’' || r == '‘' || r == '`' || r == '´' {
			return '\''
		}
		if l, ok := lookalikes[r]; ok {
			return l
		}
		return r
	}, chunk))
	hasLetter := false
	for _, r := range rs {
		if unicode.IsLetter(r) {
			hasLetter = true
			break
		}
	}
	if !hasLetter {
		return string(rs)
	}
	for i, r := range rs {
		l, ok := leet[r]
		if !ok {
			continue
		}
		if (r == '!' || r == '|') && (i == 0 || i == len(rs)-1 || !unicode.IsLetter(rs[i-1]) || !unicode.IsLetter(rs[i+1])) {
			continue
		}
		rs[i] = l
	}
	return string(rs)
}

// collapseRepeats shortens a run of three or more of the same letter to
// one: "dieeee" is "die", "plzzz" is "plz". Real English words have at most
// two in a row; "killl" becomes "kil", which spellings reads as "kill".
func collapseRepeats(w string) string {
	rs := []rune(w)
	out := rs[:0:0]
	for i := 0; i < len(rs); {
		j := i
		for j < len(rs) && rs[j] == rs[i] {
			j++
		}
		if j-i >= 3 && unicode.IsLetter(rs[i]) {
			out = append(out, rs[i])
		} else {
			out = append(out, rs[i:j]...)
		}
		i = j
	}
	return string(out)
}

// uncensor reads a word with asterisks as the censored word it fits, each
// run of asterisks standing for one or two letters; other words are left
// as they are.
func uncensor(w string) string {
	for _, c := range censored {
		if fitsCensored(w, c) {
			return c
		}
	}
	return w
}

func fitsCensored(w, word string) bool {
	if w == "" {
		return word == ""
	}
	if w[0] != '*' {
		return word != "" && w[0] == word[0] && fitsCensored(w[1:], word[1:])
	}
	rest := strings.TrimLeft(w, "*")
	for n := 1; n <= 2 && n <= len(word); n++ {
		if fitsCensored(rest, word[n:]) {
			return true
		}
	}
	return false
}

// spellOut expands one token into its words.
func spellOut(w string) []string {
	if s, ok := spellings[w]; ok {
		return strings.Fields(s)
	}
	if !strings.Contains(w, "'") {
		return []string{w}
	}
	for suffix, word := range map[string]string{"n't": "not", "'m": "am", "'re": "are", "'ve": "have", "'ll": "will", "'d": "would"} {
		if base, ok := strings.CutSuffix(w, suffix); ok && base != "" {
			return []string{strings.ReplaceAll(base, "'", ""), word}
		}
	}
	// "life's", "someone's": the possessive or "is" adds nothing the rules
	// need.
	w, _ = strings.CutSuffix(w, "'s")
	return []string{strings.ReplaceAll(w, "'", "")}
}

// joinSplitWords writes "my self" as "myself" (and "your self" as
// "yourself") so that each rule needs one form, but not in "my self harm".
func joinSplitWords(ws []string) []string {
	out := ws[:0:0]
	for i := 0; i < len(ws); i++ {
		selfHarm := i+2 < len(ws) && (strings.HasPrefix(ws[i+2], "harm") || strings.HasPrefix(ws[i+2], "injur"))
		if i+1 < len(ws) && ws[i+1] == "self" && (ws[i] == "my" || ws[i] == "your") && !selfHarm {
			out = append(out, ws[i]+"self")
			i++
			continue
		}
		out = append(out, ws[i])
	}
	return out
}
