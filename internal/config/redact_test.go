package config

import (
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://discord.com/api/v10", "https://discord.com/api/v10"},
		{"redis://", "redis://"},
		{"redis://cache/0?dial_timeout=1s", "redis://cache/0?dial_timeout=1s"},
		{"rediss://ashbot:s3cret@redis.example:6380/2", "rediss://ashbot:***@redis.example:6380/2"},
		{"redis://:s3cret@cache", "redis://:***@cache"},
		// A user name alone is how many services take a token.
		{"https://s3cret@discord.example/api", "https://***@discord.example/api"},
		{"redis://host:6379/0?password=s3cret", "redis://host:6379/0?password=***"},
		{"http://127.0.0.1:8080/api?v=10&token=s3cret&Access_Token=s3cret&api-key=s3cret&client_secret=s3cret", "http://127.0.0.1:8080/api?v=10&token=***&Access_Token=***&api-key=***&client_secret=***"},
		{"wss://gw.example/?encoding=json;auth=s3cret&sig=s3cret", "wss://gw.example/?encoding=json;auth=***&sig=***"},
		{"ws://gw.example/?Authorization=Bot%20s3cret&%70assword=s3cret", "ws://gw.example/?Authorization=***&%70assword=***"},
		{"https://u:s3cret@host/p?key=s3cret#access_token=s3cret", "https://u:***@host/p?key=***#access_token=***"},
		{"https://host/p#section", "https://host/p#section"},
		// Unparsable: hidden whole when it might hold a credential.
		{"redis://:s3cret@cache:bad", "***"},
		{"http://host:bad/?token=s3cret", "***"},
		{"http://host:bad/", "http://host:bad/"},
		{"redis:s3cret@cache", "***"},
	}
	for _, tt := range tests {
		got := redactURL(tt.in)
		if got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if strings.Contains(got, "s3cret") {
			t.Errorf("redactURL(%q) shows the secret: %q", tt.in, got)
		}
	}
}

// Every URL option, and any option holding a URL, shows its credentials
// masked in Describe (config check) and in the exit-2 error lines.
func TestURLCredentialsNeverShown(t *testing.T) {
	urls := map[string]string{
		"BOT_DISCORD_API_URL":     "https://bot:SECRET1@discord.example/api/v10?token=SECRET2",
		"BOT_DISCORD_GATEWAY_URL": "wss://gateway.example/?v=10&auth=SECRET3",
		"BOT_REDIS_URL":           "redis://SECRET4@cache:6379/0?dial_timeout=1s",
		// Not a URL option: a URL anywhere is masked all the same.
		"BOT_OUTBOX_SPOOL": "https://u:SECRET5@spool.example/x",
	}
	e := base()
	for k, v := range urls {
		e[k] = v
	}
	cfg, warnings := mustLoad(t, e)
	for _, s := range cfg.Describe() {
		if strings.Contains(s.Value, "SECRET") {
			t.Errorf("Describe shows a credential: %s=%s", s.Name, s.Value)
		}
	}
	if got := setting(t, cfg, "BOT_DISCORD_API_URL").Value; got != "https://bot:***@discord.example/api/v10?token=***" {
		t.Errorf("BOT_DISCORD_API_URL shown as %q", got)
	}
	for _, w := range warnings {
		if strings.Contains(w, "SECRET") {
			t.Errorf("warning shows a credential: %s", w)
		}
	}

	// The same values next to a broken setting: every problem line masks.
	bad := with(e, "BOT_WEEKLY_REPORT_HOUR", "25",
		"BOT_DISCORD_API_URL", "ftp://bot:SECRET6@discord.example/?token=SECRET7",
		"BOT_DISCORD_GATEWAY_URL", "https://gw.example/?key=SECRET8",
		"BOT_REDIS_URL", "redis://:SECRET9@cache/99")
	errs := mustFail(t, bad, nil)
	if msg := errs.Error(); strings.Contains(msg, "SECRET") || strings.Count(msg, "\n") != 3 {
		t.Errorf("problem lines:\n%s", msg)
	}
	if want := `BOT_DISCORD_API_URL="ftp://bot:***@discord.example/?token=***": must be empty or an http:// or https:// URL`; !strings.Contains(errs.Error(), want) {
		t.Errorf("problem lines lack %s:\n%s", want, errs.Error())
	}
}

// BOT_REDIS_URL's ?password= form is refused without echoing the value:
// other query parameters are ignored, and an ignored password would only
// show up later as NOAUTH.
func TestRedisURLQueryPasswordRefused(t *testing.T) {
	for _, tt := range []struct{ url, shown, names string }{
		{"redis://host:6379/0?password=SECRET", "redis://host:6379/0?password=***", "password"},
		{"rediss://host/0?db=0&user_password=SECRET&token=SECRET", "rediss://host/0?db=0&user_password=***&token=***", "user_password, token"},
	} {
		errs := mustFail(t, with(base(), "BOT_REDIS_URL", tt.url), nil)
		want := `BOT_REDIS_URL="` + tt.shown + `": must not carry credentials in its query (` + tt.names +
			`): put the password in the URL as redis://:PASSWORD@host or in BOT_REDIS_PASSWORD (or BOT_REDIS_PASSWORD_FILE)`
		if errs.Error() != want {
			t.Errorf("got  %s\nwant %s", errs.Error(), want)
		}
	}
}
