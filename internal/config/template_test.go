package config

import (
	"bufio"
	"bytes"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite ../../.env.template")

// The committed .env.template is exactly what WriteTemplate writes, and
// loading it as an environment gives the defaults without a problem.
func TestEnvTemplate(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTemplate(&b); err != nil {
		t.Fatal(err)
	}
	const path = "../../.env.template"
	if *update {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	committed, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, b.Bytes()) {
		t.Fatalf(".env.template is stale: run `go test ./internal/config -run TestEnvTemplate -update`")
	}
	env := map[string]string{}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(committed))
	for sc.Scan() {
		line := sc.Text()
		if name, ok := strings.CutPrefix(line, "# "); ok && strings.HasSuffix(name, "=") && strings.HasPrefix(name, "BOT_") {
			seen[strings.TrimSuffix(name, "=")] = true
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, _ := strings.Cut(line, "=")
		env[k], seen[k] = v, true
	}
	for _, o := range options() {
		if !seen[o.name] {
			t.Errorf(".env.template lacks %s", o.name)
		}
	}
	env["BOT_SECRETS_DIR"] = ""
	if _, _, err := Load(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, noFiles); err != nil {
		t.Fatalf("the template does not load: %v", err)
	}
}
