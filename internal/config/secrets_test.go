package config

import (
	"slices"
	"testing"
)

// Secrets lists each secret however it was given, the Redis password from
// a URL included, and nothing that is not a secret.
func TestSecretsForRedaction(t *testing.T) {
	e := with(base(), "BOT_DISCORD_TOKEN_FILE", "/run/tok")
	cfg, _, err := Load(e.lookup, fakeFiles(map[string]string{"/run/tok": "tok-from-file\n"}), e.environ()...)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Secrets(); !slices.Equal(got, []string{"tok-from-file"}) {
		t.Errorf("Secrets() = %q; want the token from its file only", got)
	}
	cfg, _ = mustLoad(t, with(base(), "BOT_REDIS_PASSWORD", "pw-value", "BOT_DISCORD_TOKEN", "tok-value"))
	if got := cfg.Secrets(); len(got) != 2 || !slices.Contains(got, "pw-value") || !slices.Contains(got, "tok-value") {
		t.Errorf("Secrets() = %q; want the password and the token", got)
	}
	cfg, _ = mustLoad(t, with(base(), "BOT_REDIS_URL", "redis://:url-pw@redis.example:6379/0"))
	if got := cfg.Secrets(); !slices.Equal(got, []string{"url-pw"}) {
		t.Errorf("Secrets() = %q; want the URL's password", got)
	}
}
