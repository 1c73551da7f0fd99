package ashnlp

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// analyzeRequest is the JSON body of POST /analyze (ash-nlp-api.md).
type analyzeRequest struct {
	Message            string        `json:"message"`
	IncludeExplanation bool          `json:"include_explanation"`
	Verbosity          string        `json:"verbosity"`
	UserID             string        `json:"user_id,omitempty"`
	ChannelID          string        `json:"channel_id,omitempty"`
	MessageHistory     []historyItem `json:"message_history,omitempty"`
	UserTimezone       string        `json:"user_timezone,omitempty"`
}

type historyItem struct {
	Message     string   `json:"message"`
	Timestamp   string   `json:"timestamp"` // ISO-8601
	CrisisScore *float64 `json:"crisis_score,omitempty"`
	MessageID   string   `json:"message_id,omitempty"`
}

// wireRequest builds the body. History beyond MaxHistory would earn a 422
// for the whole message, so only the newest MaxHistory items go.
func wireRequest(r Request) analyzeRequest {
	w := analyzeRequest{
		Message: r.Message, IncludeExplanation: true, Verbosity: "standard",
		UserID: r.UserID, ChannelID: r.ChannelID, UserTimezone: r.UserTimezone,
	}
	hist := r.History
	if len(hist) > MaxHistory {
		hist = hist[len(hist)-MaxHistory:]
	}
	for _, h := range hist {
		w.MessageHistory = append(w.MessageHistory, historyItem{
			Message: h.Message, Timestamp: h.Timestamp.UTC().Format(time.RFC3339Nano),
			CrisisScore: h.CrisisScore, MessageID: h.MessageID,
		})
	}
	return w
}

// analyzeResponse is what ashbot reads of the answer; the service sends
// more, which is ignored.
type analyzeResponse struct {
	CrisisDetected       bool     `json:"crisis_detected"`
	Severity             *string  `json:"severity"`
	Confidence           float64  `json:"confidence"`
	CrisisScore          *float64 `json:"crisis_score"`
	RequiresIntervention bool     `json:"requires_intervention"`
	RecommendedAction    string   `json:"recommended_action"`
	RequestID            string   `json:"request_id"`
	ProcessingTimeMS     float64  `json:"processing_time_ms"`
	IsDegraded           bool     `json:"is_degraded"`
	Explanation          *struct {
		DecisionSummary string   `json:"decision_summary"`
		KeyFactors      []string `json:"key_factors"`
	} `json:"explanation"`
}

// Severities in ascending order, as the service names them.
var Severities = []string{"safe", "low", "medium", "high", "critical"}

// decodeResult reads a 200 answer. One without a known severity or a
// score in 0..1 cannot be acted on, so it counts as a bad answer rather
// than as safe.
func decodeResult(raw []byte) (Result, error) {
	var a analyzeResponse
	if err := json.Unmarshal(raw, &a); err != nil {
		return Result{}, fmt.Errorf("ash-nlp: undecodable answer: %w", err)
	}
	if a.Severity == nil || !slices.Contains(Severities, *a.Severity) {
		return Result{}, errors.New("ash-nlp: answer has no known severity")
	}
	if a.CrisisScore == nil || *a.CrisisScore < 0 || *a.CrisisScore > 1 {
		return Result{}, errors.New("ash-nlp: answer has no crisis_score in 0..1")
	}
	r := Result{
		CrisisDetected: a.CrisisDetected, Severity: *a.Severity, Confidence: a.Confidence,
		CrisisScore: *a.CrisisScore, RequiresIntervention: a.RequiresIntervention,
		RecommendedAction: a.RecommendedAction, RequestID: a.RequestID,
		ProcessingTimeMS: a.ProcessingTimeMS, IsDegraded: a.IsDegraded,
	}
	if a.Explanation != nil {
		r.DecisionSummary, r.KeyFactors = a.Explanation.DecisionSummary, a.Explanation.KeyFactors
	}
	return r, nil
}

// maxDetail bounds StatusError.Detail.
const maxDetail = 200

// safeDetail is what of an error body may be logged. A 422's FastAPI
// detail is a list of {type, loc, msg, input}: only type and loc are kept,
// since input (and, for custom validators, msg) can hold the member's
// message. Other answers keep a string "detail" only; anything else, such
// as an HTML error page, is left out.
func safeDetail(code int, raw []byte) string {
	var body struct {
		Detail json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(raw, &body) != nil || len(body.Detail) == 0 {
		return ""
	}
	if code == 422 {
		var items []struct {
			Type string `json:"type"`
			Loc  []any  `json:"loc"`
		}
		if json.Unmarshal(body.Detail, &items) != nil {
			return ""
		}
		parts := make([]string, 0, len(items))
		for _, it := range items {
			loc := make([]string, len(it.Loc))
			for i, l := range it.Loc {
				loc[i] = fmt.Sprint(l)
			}
			parts = append(parts, strings.Join(loc, ".")+": "+it.Type)
		}
		return truncate(strings.Join(parts, "; "))
	}
	var s string
	if json.Unmarshal(body.Detail, &s) != nil {
		return ""
	}
	return truncate(s)
}

func truncate(s string) string {
	if utf8.RuneCountInString(s) <= maxDetail {
		return s
	}
	return string([]rune(s)[:maxDetail]) + "…"
}
