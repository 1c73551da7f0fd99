package detection

import (
	"math"
	"testing"

	"github.com/alphabetcartel/ashbot/internal/events"
)

func TestSeverityOfAtEveryThreshold(t *testing.T) {
	for _, c := range []struct {
		score float64
		want  events.Severity
	}{
		{0, Safe}, {0.1599, Safe}, {0.16, events.Low}, {0.2799, events.Low}, {0.28, events.Medium},
		{0.5499, events.Medium}, {0.55, events.High}, {0.8499, events.High}, {0.85, events.Critical}, {1, events.Critical},
	} {
		if got := SeverityOf(c.score); got != c.want {
			t.Errorf("SeverityOf(%v) = %s, want %s", c.score, got, c.want)
		}
	}
}

// The earlier bot's defaults: ranges low 0.3-0.6, medium 0.6-0.9, high 1.0-1.5.
var earlier = Sensitivity{
	Low: map[string]float64{"10": 1.0, "11": 0}, Medium: map[string]float64{"20": 0.5}, High: map[string]float64{"30": 1.0, "31": 0.5},
	LowRange: Range{0.3, 0.6}, MediumRange: Range{0.6, 0.9}, HighRange: Range{1.0, 1.5}, Default: 1.0,
}

func TestMultiplier(t *testing.T) {
	for _, c := range []struct {
		channel, parent string
		want            float64
	}{
		{"10", "", 0.6}, {"11", "", 0.3}, {"20", "", 0.75}, {"30", "", 1.5}, {"31", "", 1.25},
		{"99", "", 1.0},
		{"thread", "30", 1.5}, // a thread takes its parent's
		{"20", "30", 0.75},    // unless listed itself
	} {
		if got := earlier.Multiplier(c.channel, c.parent); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("Multiplier(%s, %s) = %v, want %v", c.channel, c.parent, got, c.want)
		}
	}
	both := earlier
	both.Low = map[string]float64{"30": 0}
	if got := both.Multiplier("30", ""); got != 1.5 {
		t.Errorf("a channel in two classes gets %v, want the high class's 1.5", got)
	}
	if got := (Sensitivity{Default: 1.7}).Multiplier("1", ""); got != 1.7 {
		t.Errorf("default %v", got)
	}
}

func TestClassifiedRescalesAndCaps(t *testing.T) {
	for _, c := range []struct {
		sev       string
		score     float64
		mult      float64
		want      events.Severity
		wantScore float64
	}{
		{"high", 0.6, 1, events.High, 0.6},                   // multiplier 1: the service's severity stands
		{"safe", 0.2, 1, Safe, 0.2},                          //
		{"weird", 0.3, 1, events.Medium, 0.3},                // unknown severity: from the score
		{"medium", 0.5, 1.5, events.High, 0.75},              // 0.75 is below critical's 0.85
		{"medium", 0.4, 1.5, events.High, 0.6},               //
		{"high", 0.9, 1.5, events.Critical, 1},               // capped at 1.0
		{"high", 0.6, 0.3, events.Low, 0.18},                 //
		{"medium", 0.3, 0.5, Safe, 0.15},                     //
		{"critical", 0.85 / 0.6, 0.6, events.Critical, 0.85}, // boundary after scaling
	} {
		got, score := Classified(c.sev, c.score, c.mult)
		if got != c.want || math.Abs(score-c.wantScore) > 1e-9 {
			t.Errorf("Classified(%s, %v, %v) = %s %v, want %s %v", c.sev, c.score, c.mult, got, score, c.want, c.wantScore)
		}
	}
}

func TestSensitivityValidate(t *testing.T) {
	if err := earlier.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := earlier
	bad.High = map[string]float64{"1": 1.2}
	if bad.Validate() == nil {
		t.Error("weight 1.2 accepted")
	}
	bad = earlier
	bad.LowRange = Range{0.6, 0.3}
	if bad.Validate() == nil {
		t.Error("reversed range accepted")
	}
}
