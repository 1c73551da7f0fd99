package alerts

import (
	"fmt"
	"strings"
)

// Custom ids of the alert buttons. They carry everything a click needs when
// Redis has no state for the alert (a restart, another replica, an outage):
// the alert id and the person concerned. Discord caps custom ids at 100
// characters; ours stay under 60.
const (
	ActionAcknowledge = "ack"
	ActionTalkToAsh   = "ash"
	ActionTakeOver    = "takeover"
	ActionResolve     = "resolve"
)

const buttonPrefix = "/alert/"

// MaxCustomID is Discord's limit on a component's custom id.
const MaxCustomID = 100

// Button names one click on an alert button.
type Button struct {
	Action  string
	AlertID string
	UserID  string // the person in crisis
}

// ButtonID returns the custom id of an alert button.
func ButtonID(action, alertID, userID string) string {
	return buttonPrefix + action + "/" + alertID + "/" + userID
}

// ParseButtonID reads a custom id made by ButtonID. ok is false for custom
// ids that are not alert buttons.
func ParseButtonID(customID string) (Button, bool) {
	rest, ok := strings.CutPrefix(customID, buttonPrefix)
	if !ok {
		return Button{}, false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || parts[1] == "" || parts[2] == "" {
		return Button{}, false
	}
	switch parts[0] {
	case ActionAcknowledge, ActionTalkToAsh, ActionTakeOver, ActionResolve:
	default:
		return Button{}, false
	}
	return Button{Action: parts[0], AlertID: parts[1], UserID: parts[2]}, true
}

const flagPrefix = "/flag/"

// FlagSelectID is the custom id of the severity menu shown to a member who
// flags a message: it carries the flagged message so the choice can be
// handled by any replica.
func FlagSelectID(channelID, messageID string) string {
	return flagPrefix + channelID + "/" + messageID
}

// ParseFlagSelectID reads a custom id made by FlagSelectID.
func ParseFlagSelectID(customID string) (channelID, messageID string, ok bool) {
	rest, found := strings.CutPrefix(customID, flagPrefix)
	if !found {
		return "", "", false
	}
	channelID, messageID, found = strings.Cut(rest, "/")
	if !found || channelID == "" || messageID == "" || strings.Contains(messageID, "/") {
		return "", "", false
	}
	return channelID, messageID, true
}

// checkCustomID guards the 100-character limit at the place ids are built,
// so an unexpectedly long id fails the post loudly instead of Discord
// rejecting the whole alert.
func checkCustomID(id string) error {
	if len(id) > MaxCustomID {
		return fmt.Errorf("custom id %q is longer than %d characters", id, MaxCustomID)
	}
	return nil
}
