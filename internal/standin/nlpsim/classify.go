package nlpsim

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Thresholds on crisis_score, the service's own (ash-nlp-api.md).
const (
	CriticalAt = 0.85
	HighAt     = 0.55
	MediumAt   = 0.28
	LowAt      = 0.16
)

// SeverityOf maps a score to a severity with the service's thresholds.
func SeverityOf(score float64) string {
	switch {
	case score >= CriticalAt:
		return "critical"
	case score >= HighAt:
		return "high"
	case score >= MediumAt:
		return "medium"
	case score >= LowAt:
		return "low"
	}
	return "safe"
}

// phrase is one keyword rule: text containing it scores at least score.
type phrase struct {
	text   string
	score  float64
	factor string
}

// phrases are matched case-insensitively anywhere in the text; the
// highest score among the matches wins.
var phrases = []phrase{
	{"end it all", 0.92, "expressed intent to end their life"},
	{"kill myself", 0.95, "expressed intent to end their life"},
	{"end my life", 0.95, "expressed intent to end their life"},
	{"suicide", 0.9, "mention of suicide"},
	{"suicidal", 0.9, "mention of suicide"},
	{"want to die", 0.9, "wish to die"},
	{"better off without me", 0.88, "perceived burdensomeness"},
	{"can't go on", 0.7, "hopelessness"},
	{"cant go on", 0.7, "hopelessness"},
	{"no reason to live", 0.75, "hopelessness"},
	{"hurt myself", 0.7, "self-harm"},
	{"self harm", 0.7, "self-harm"},
	{"hopeless", 0.6, "hopelessness"},
	{"so alone", 0.4, "isolation"},
	{"worthless", 0.4, "low self-worth"},
	{"can't cope", 0.4, "overwhelm"},
	{"falling apart", 0.35, "overwhelm"},
	{"sad", 0.2, "low mood"},
	{"stressed", 0.2, "stress"},
	{"anxious", 0.2, "anxiety"},
	{"rough day", 0.18, "stress"},
}

var scoreMarker = regexp.MustCompile(`\[score=([0-9]*\.?[0-9]+)\]`)

// degradedMarker in a message's text makes its answer is_degraded.
const degradedMarker = "[degraded]"

// classification is the stand-in's verdict on one text.
type classification struct {
	score      float64
	confidence float64
	factors    []string
	summary    string
}

// classify applies the rule in the package comment.
func classify(text string) classification {
	if m := scoreMarker.FindStringSubmatch(text); m != nil {
		s, _ := strconv.ParseFloat(m[1], 64)
		s = min(max(s, 0), 1)
		return classification{score: s, confidence: 0.9, factors: []string{"score set by marker"},
			summary: "Score set by a [score=...] marker."}
	}
	lower := strings.ToLower(text)
	c := classification{score: 0.05, confidence: 0.6}
	for _, p := range phrases {
		if !strings.Contains(lower, p.text) {
			continue
		}
		c.confidence = 0.85
		c.score = max(c.score, p.score)
		if len(c.factors) < 5 && !slices.Contains(c.factors, p.factor) {
			c.factors = append(c.factors, p.factor)
		}
	}
	if len(c.factors) == 0 {
		c.summary = "No crisis indicators found."
	} else {
		c.summary = "Crisis indicators found: " + strings.Join(c.factors, ", ") + "."
	}
	return c
}

// recommendedAction is the service's action for a severity.
func recommendedAction(severity string) string {
	switch severity {
	case "critical":
		return "immediate_outreach"
	case "high":
		return "priority_response"
	case "medium":
		return "standard_monitoring"
	case "low":
		return "passive_monitoring"
	}
	return "none"
}
