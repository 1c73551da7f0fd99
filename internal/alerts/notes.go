package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"
)

// Notes are what CRT members write on an alert for continuity of care
// (/ash note): who, when, and the text. They live in a list next to the
// alert's state, with the same TTL, and are shown only to the CRT (in
// /ash alert and the alert's thread), never in reports.

// NotesKey names an alert's list of notes.
func NotesKey(alertID string) string { return notesPrefix + alertID }

// Bounds of notes: a note fits in one Discord message with its heading,
// and an alert's notes stay readable in /ash alert.
const (
	MaxNoteRunes = 1000
	MaxNotes     = 25
)

// ErrTooManyNotes is returned when an alert already holds MaxNotes notes.
var ErrTooManyNotes = errors.New("the alert has the most notes it can hold")

// Note is one note on an alert.
type Note struct {
	By   string    `json:"by"` // the CRT member's user id
	At   time.Time `json:"at"`
	Text string    `json:"text"`
}

// CleanNoteText trims a note and checks its length.
func CleanNoteText(text string) (string, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return "", errors.New("the note is empty")
	}
	if n := utf8.RuneCountInString(text); n > MaxNoteRunes {
		return "", fmt.Errorf("the note has %d characters; at most %d fit", n, MaxNoteRunes)
	}
	return text, nil
}

// addNoteScript appends a note unless the list is full, and sets the
// list's TTL. KEYS[1] notes; ARGV: note JSON, max notes, TTL (ms). Replies
// the new length, or 0 when full.
var addNoteScript = redis.NewScript(`
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
local n = redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return n`)

// AddNote adds n to the alert st, whose state must exist (Load it first:
// a note on an unknown or expired alert would outlive nothing it belongs
// to). The notes expire with the alert's state.
func (s *Store) AddNote(ctx context.Context, st State, n Note) error {
	text, err := CleanNoteText(n.Text)
	if err != nil {
		return err
	}
	n.Text = text
	b, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("encode note: %w", err)
	}
	created := st.CreatedAt
	if created.IsZero() {
		created = st.ClaimedAt
	}
	res, err := addNoteScript.Run(ctx, s.rdb, []string{NotesKey(st.AlertID)}, string(b), MaxNotes,
		s.ttlFrom(created).Milliseconds()).Int64()
	if err != nil {
		return fmt.Errorf("add a note to alert %s: %w", st.AlertID, err)
	}
	if res == 0 {
		return fmt.Errorf("alert %s: %w (%d)", st.AlertID, ErrTooManyNotes, MaxNotes)
	}
	return nil
}

// Notes returns an alert's notes, oldest first. A note that cannot be read
// (written by a newer version, or damaged) is returned with its text
// replaced by a placeholder, so the count stays right.
func (s *Store) Notes(ctx context.Context, alertID string) ([]Note, error) {
	raw, err := s.rdb.LRange(ctx, NotesKey(alertID), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("read notes of alert %s: %w", alertID, err)
	}
	out := make([]Note, 0, len(raw))
	for _, r := range raw {
		var n Note
		if err := json.Unmarshal([]byte(r), &n); err != nil {
			n = Note{Text: "(unreadable note)"}
		}
		out = append(out, n)
	}
	return out, nil
}
