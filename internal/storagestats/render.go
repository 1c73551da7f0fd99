package storagestats

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteJSON renders s as one indented JSON object.
func WriteJSON(w io.Writer, s Stats) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("write storage stats: %w", err)
	}
	return nil
}

// WriteText renders s as a table for people.
func WriteText(w io.Writer, s Stats) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Redis storage at %s\n", s.CollectedAt.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "total keys:  %d (DBSIZE over %d master%s)\n", s.TotalKeys, s.Masters, plural(s.Masters))
	fmt.Fprintf(&b, "used memory: %s (INFO used_memory)\n\n", Bytes(s.UsedMemoryBytes))
	fmt.Fprintf(&b, "%-16s %10s %12s %16s\n", "category", "keys", "without TTL", "approx. memory*")
	for _, c := range s.Categories {
		fmt.Fprintf(&b, "%-16s %10d %12d %16s\n", c.Category, c.Keys, c.KeysWithoutTTL, Bytes(c.ApproxMemoryBytes))
	}
	fmt.Fprintf(&b, "%-16s %10d\n", "other", s.OtherKeys)
	fmt.Fprintf(&b, "\n* %s\n", s.MemoryNote)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write storage stats: %w", err)
	}
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Bytes formats n with a binary unit, as Redis's own *_human fields do.
func Bytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
