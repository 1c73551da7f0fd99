package discordapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"
)

// Discord JSON error codes the classification names.
const (
	codeUnknownChannel     = 10003
	codeMissingAccess      = 50001
	codeMissingPermissions = 50013
)

// Error is a failed post, with what Discord said and whether trying again
// later can help.
type Error struct {
	ChannelID string
	// Status is the HTTP status, 0 when no answer came (network error).
	Status int
	// Code is Discord's JSON error code, 0 when none was given.
	Code int
	// Reason says in a few words what went wrong: "missing access",
	// "unknown channel", "unauthorized", "rate limited", "server error",
	// "network error", ...
	Reason string
	// Retryable is true when the same post may succeed later unchanged
	// (network trouble, Discord's 5xx, a rate limit disgo gave up on). It
	// is false when only a change of configuration, permissions or code
	// can help (401, 403, 404, 400).
	Retryable bool
	Err       error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("post to channel %s: %s", e.ChannelID, e.Reason)
	if e.Status != 0 {
		s += fmt.Sprintf(" (HTTP %d", e.Status)
		if e.Code != 0 {
			s += fmt.Sprintf(", code %d", e.Code)
		}
		s += ")"
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// IsRetryable reports whether err may go away if the same request is made
// later. Errors that did not come from a Poster count as retryable: only a
// definite answer from Discord justifies giving up.
func IsRetryable(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Retryable
	}
	return err != nil
}

// Nonce derives the nonce of a post from what makes it unique, e.g. (job,
// period, channel). Posting again with the same nonce and enforce_nonce
// within a few minutes makes Discord return the first message instead of
// creating a second one, which covers a retry after a reply was lost. The
// result is 24 hex characters, inside Discord's 25-character limit.
func Nonce(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:12])
}

// Poster sends messages to channels.
type Poster struct {
	channels rest.Channels
}

// NewPoster returns a Poster that sends through client (a rest.Rest, or
// just its Channels part).
func NewPoster(client rest.Channels) *Poster { return &Poster{channels: client} }

// Post sends msg to channelID. A non-empty nonce is sent with
// enforce_nonce so that a repeat of the same post is not shown twice.
// Failures are returned as *Error; Post never panics, whatever the
// library or the message does.
func (p *Poster) Post(ctx context.Context, channelID string, msg discord.MessageCreate, nonce string) (m *discord.Message, err error) {
	id, perr := snowflake.Parse(channelID)
	if perr != nil || id == 0 {
		return nil, &Error{ChannelID: channelID, Reason: "invalid channel id", Err: perr}
	}
	if nonce != "" {
		msg.Nonce, msg.EnforceNonce = nonce, true
	}
	defer func() {
		if v := recover(); v != nil {
			m, err = nil, &Error{ChannelID: channelID, Reason: "internal error", Err: fmt.Errorf("panic: %v", v)}
		}
	}()
	m, err = p.channels.CreateMessage(id, msg, rest.WithCtx(ctx))
	if err != nil {
		return nil, classify(ctx, channelID, err)
	}
	return m, nil
}

// classify sorts an error from disgo into retryable or not.
func classify(ctx context.Context, channelID string, err error) *Error {
	e := &Error{ChannelID: channelID, Err: err}
	var re *rest.Error
	if !errors.As(err, &re) || re.Response == nil {
		e.Retryable = true
		e.Reason = "network error"
		if ctx.Err() != nil {
			e.Reason = "cancelled"
		}
		return e
	}
	e.Status, e.Code = re.Response.StatusCode, int(re.Code)
	// The rest.Error text repeats the body; Reason and the codes say it.
	e.Err = nil
	if re.Message != "" {
		e.Err = errors.New(re.Message)
	}
	switch s := e.Status; {
	case s == http.StatusTooManyRequests:
		e.Reason, e.Retryable = "rate limited (gave up after the rate limiter's retries)", true
	case s >= 500 || s == http.StatusRequestTimeout:
		e.Reason, e.Retryable = "server error", true
	case s == http.StatusUnauthorized:
		e.Reason = "unauthorized: the bot token was refused"
	case s == http.StatusForbidden && e.Code == codeMissingPermissions:
		e.Reason = "missing permissions: the bot may not post here"
	case s == http.StatusForbidden && e.Code == codeMissingAccess:
		e.Reason = "missing access: the bot cannot see this channel"
	case s == http.StatusForbidden:
		e.Reason = "forbidden"
	case s == http.StatusNotFound && e.Code == codeUnknownChannel:
		e.Reason = "unknown channel"
	case s == http.StatusNotFound:
		e.Reason = "not found"
	case s == http.StatusBadRequest || s == http.StatusRequestEntityTooLarge:
		e.Reason = "message refused as invalid"
	default:
		e.Reason = "request refused"
	}
	return e
}
