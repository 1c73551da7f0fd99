package ash

import "github.com/alphabetcartel/ashbot/internal/ash/safety"

// SafetyRules is Safety by Ash's own rules (package safety), the default.
type SafetyRules struct{}

// Concern applies safety.Concern.
func (SafetyRules) Concern(text string) (string, bool) { return safety.Concern(text) }

// WantsHuman applies safety.WantsHuman.
func (SafetyRules) WantsHuman(text string) bool { return safety.WantsHuman(text) }
