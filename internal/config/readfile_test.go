//go:build unix

package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A secret path that is a FIFO, a device or a directory is refused with a
// clear problem; opening a FIFO with nobody writing would block start-up
// for good.
func TestSecretFileMustBeRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "token-fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link-to-fifo") // how Kubernetes mounts secrets
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ path, what string }{
		{fifo, "is a named pipe (FIFO), not a regular file"},
		{link, "is a named pipe (FIFO), not a regular file"},
		{"/dev/null", "is a device, not a regular file"},
		{dir, "is a directory, not a regular file"},
	} {
		e := with(base(), "BOT_DISCORD_TOKEN_FILE", tt.path)
		done := make(chan error, 1)
		go func() { _, _, err := Load(e.lookup, ReadFile, e.environ()...); done <- err }()
		var err error
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("Load blocked on %s", tt.path)
		}
		want := `BOT_DISCORD_TOKEN_FILE="` + tt.path + `": must name a readable file (read ` + tt.path + `: ` + tt.what + `)`
		if err == nil || err.Error() != want {
			t.Errorf("got  %v\nwant %s", err, want)
		}
	}

	// The same in the secrets directory.
	secrets := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(secrets, "redis_password"), 0o600); err != nil {
		t.Fatal(err)
	}
	errs := mustFail(t, with(base(), "BOT_SECRETS_DIR", secrets), ReadFile)
	if !strings.Contains(errs.Error(), "redis_password: is a named pipe (FIFO), not a regular file") {
		t.Errorf("got %s", errs.Error())
	}
}

func TestReadFileRegular(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "token")
	if err := os.WriteFile(p, []byte("tok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := with(base(), "BOT_DISCORD_TOKEN_FILE", p, "BOT_SECRETS_DIR", filepath.Join(dir, "none"))
	cfg, _, err := Load(e.lookup, ReadFile, e.environ()...)
	if err != nil || cfg.Discord.Token != "tok" {
		t.Fatalf("Load: %v", err)
	}
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, make([]byte, maxFileSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(big); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("ReadFile of a huge file: %v", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "missing")); !os.IsNotExist(err) {
		t.Errorf("ReadFile of a missing file: %v", err)
	}
}

// Only secrets have a _FILE companion; any other *_FILE name is a typo.
func TestUnknownFileVariables(t *testing.T) {
	e := with(base(),
		"BOT_REDIS_PASWORD_FILE", "/run/secrets/redis_password",
		"BOT_HTTP_ADDR_FILE", "/x",
		"BOT_REDIS_PASSWORD_FILE", "/unused",
		"BOT_REDIS_PASSWORD", "pw",
		"BOT_REDIS_TLS_CA_FILE", "")
	_, warnings, err := Load(e.lookup, noFiles, e.environ()...)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"BOT_REDIS_PASSWORD_FILE is ignored because BOT_REDIS_PASSWORD is set",
		"unknown variable BOT_HTTP_ADDR_FILE, ignored",
		"unknown variable BOT_REDIS_PASWORD_FILE, ignored",
	}
	if !slices.Equal(warnings, want) {
		t.Errorf("warnings =\n%q\nwant\n%q", warnings, want)
	}
}
