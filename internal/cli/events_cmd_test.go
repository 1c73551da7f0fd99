package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A directory is refused like a missing file: exit 2, before connecting.
func TestImportDirectoryExitsTwoBeforeConnecting(t *testing.T) {
	for _, arg := range []string{t.TempDir(), filepath.Join(t.TempDir(), "missing.jsonl")} {
		r := run(t, map[string]string{"BOT_REDIS_HOST": "127.0.0.1", "BOT_REDIS_PORT": "1"}, "", "events", "import", arg)
		if r.code != ExitUsage || r.stdout != "" || strings.Contains(r.stderr, "redis") {
			t.Errorf("import %s: %+v", arg, r)
		}
	}
}

// A file saved with a byte-order mark imports cleanly.
func TestImportFileWithByteOrderMark(t *testing.T) {
	srv.Fresh(t)
	name := filepath.Join(t.TempDir(), "bom.jsonl")
	line := `{"type":"alert_created","alert_id":"a1","at":"2026-11-18T22:10:00Z","alert_message_id":"1300000000000000001","user_id":"400000000000000001","channel_id":"900000000000000001","severity":"low"}`
	if err := os.WriteFile(name, []byte("\uFEFF"+line+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "", "events", "import", name)
	if r.code != ExitOK || r.stdout != "recorded 1, duplicate 0, rejected 0\n" {
		t.Fatalf("%+v", r)
	}
}

// An acknowledgment before its alert's creation counts on the first import.
func TestImportOutOfOrderCountsOnFirstImport(t *testing.T) {
	srv.Fresh(t)
	in := `{"type":"acknowledged","alert_id":"a1","at":"2026-11-18T22:12:30Z","by":"111"}` + "\n" +
		`{"type":"alert_created","alert_id":"a1","at":"2026-11-18T22:10:00Z","alert_message_id":"1300000000000000001","user_id":"400000000000000001","channel_id":"900000000000000001","severity":"low"}` + "\n"
	r := run(t, nil, in, "events", "import", "-")
	if r.code != ExitOK || r.stdout != "recorded 2, duplicate 0, rejected 0\n" {
		t.Fatalf("%+v", r)
	}
	r = run(t, nil, in, "events", "import", "-")
	if r.stdout != "recorded 0, duplicate 2, rejected 0\n" {
		t.Fatalf("second import: %+v", r)
	}
}
