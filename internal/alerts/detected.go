package alerts

import (
	"fmt"
	"strings"
	"time"

	"github.com/disgoorg/disgo/discord"

	"github.com/alphabetcartel/ashbot/internal/events"
)

// Detection is the classifier's view of a detected message.
type Detection struct {
	CrisisScore       float64 // after the channel's sensitivity
	Confidence        float64
	RecommendedAction string
	KeyFactors        []string // at most five are shown
	DecisionSummary   string
	Degraded          bool // the service answered with fewer models than usual
	// Late is how long after the message it was classified, when
	// detection was down at the time (0: on time).
	Late time.Duration
}

// Escalation names the open alert an escalation supersedes.
type Escalation struct {
	AlertID  string
	Severity events.Severity
	URL      string // jump link to the open alert's message
}

// Source of an alert, for the embed and the metrics.
const (
	SourceDetected = events.SourceDetected
	SourceFlagged  = events.SourceFlagged
)

// Source says where the alert came from.
func (a Alert) Source() string {
	if a.Detection != nil {
		return SourceDetected
	}
	return SourceFlagged
}

// detectionFields show what the classifier said. Every value is bounded,
// so no answer can push the embed past Discord's limits.
func detectionFields(d Detection) []discord.EmbedField {
	line := fmt.Sprintf("Crisis score **%.2f**, confidence %.0f%%", d.CrisisScore, d.Confidence*100)
	if d.RecommendedAction != "" {
		// An enum in the API; bounded so it can never crowd out the rest.
		line += "\nRecommended: " + clip(oneLine(strings.ReplaceAll(d.RecommendedAction, "_", " ")), maxActionRunes)
	}
	if d.Degraded {
		line += "\n⚠️ Degraded: the classifier answered with fewer models than usual"
	}
	out := []discord.EmbedField{{Name: FieldClassifier, Value: clip(line, maxFieldValue)}}
	var factors []string
	for _, f := range d.KeyFactors {
		if f = strings.TrimSpace(f); f != "" && len(factors) < maxFactors {
			factors = append(factors, "• "+clip(oneLine(f), maxFactorRunes))
		}
	}
	if len(factors) > 0 {
		out = append(out, discord.EmbedField{Name: FieldFactors, Value: clip(strings.Join(factors, "\n"), maxFieldValue)})
	}
	if s := strings.TrimSpace(d.DecisionSummary); s != "" {
		out = append(out, discord.EmbedField{Name: FieldSummary, Value: clip(s, maxSummaryRunes)})
	}
	if d.Late > 0 {
		out = append(out, discord.EmbedField{Name: FieldLate, Value: "⏰ Classified " + d.Late.Round(time.Second).String() +
			" after it was posted: detection was down at the time"})
	}
	return out
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
