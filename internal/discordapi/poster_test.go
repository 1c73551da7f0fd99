package discordapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
)

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

type fixture struct {
	sim     *discordsim.Sim
	client  rest.Rest
	poster  *Poster
	channel discordsim.ChannelID
}

func newFixture(t *testing.T, cfg Config) fixture {
	t.Helper()
	sim := discordsim.New(discordsim.Options{Now: discordsim.NewClock(time.Date(2026, 1, 12, 9, 0, 0, 0, time.UTC)).Now})
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	cfg.Token = sim.Token()
	cfg.BaseURL = sim.URL()
	cfg.Logger = quiet()
	client, err := NewREST(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(context.Background()) })
	return fixture{sim: sim, client: client, poster: NewPoster(client), channel: sim.AddChannel("crt-reports")}
}

func message(png []byte) discord.MessageCreate {
	return discord.MessageCreate{
		Embeds: []discord.Embed{{Title: "Weekly", Image: &discord.EmbedResource{URL: "attachment://chart.png"}}},
		Files:  []*discord.File{discord.NewFile("chart.png", "", bytes.NewReader(png))},
	}
}

func TestRestBase(t *testing.T) {
	cases := []struct{ in, want string }{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/api/v10"},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080/api/v10"},
		{"http://127.0.0.1:8080/api/v10", "http://127.0.0.1:8080/api/v10"},
		{"https://discord.example/api/v10/", "https://discord.example/api/v10"},
	}
	for _, c := range cases {
		got, err := restBase(c.in)
		if err != nil || got != c.want {
			t.Errorf("restBase(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"ws://x", "127.0.0.1:80", "http://"} {
		if _, err := restBase(bad); err == nil {
			t.Errorf("restBase(%q) accepted", bad)
		}
	}
	if _, err := NewREST(Config{Token: " "}); err == nil {
		t.Error("NewREST without a token accepted")
	}
}

func TestPostSendsEverything(t *testing.T) {
	f := newFixture(t, Config{})
	png := []byte("\x89PNG\r\n\x1a\nnot really")
	nonce := Nonce("weekly-report", "2026-W03", f.channel.String())
	m, err := f.poster.Post(context.Background(), f.channel.String(), message(png), nonce)
	if err != nil {
		t.Fatal(err)
	}
	msgs := f.sim.Messages(f.channel)
	if len(msgs) != 1 || msgs[0].ID != m.ID {
		t.Fatalf("channel holds %d messages, want the one posted", len(msgs))
	}
	got := msgs[0]
	if got.Nonce != nonce || !got.EnforceNonce {
		t.Errorf("nonce %q enforce %v, want %q enforced", got.Nonce, got.EnforceNonce, nonce)
	}
	if len(got.Embeds) != 1 || got.Embeds[0].Title != "Weekly" {
		t.Errorf("embeds %+v", got.Embeds)
	}
	a, ok := got.Attachment("chart.png")
	if !ok || !bytes.Equal(a.Data, png) {
		t.Errorf("attachment %+v, want the file bytes", a)
	}
}

// Every request names ashbot and its version in the User-Agent Discord
// requires; the stand-in, like Cloudflare in front of Discord, refuses
// requests without it.
func TestUserAgent(t *testing.T) {
	for version, want := range map[string]string{
		"v1.4.0": "DiscordBot (https://github.com/alphabetcartel/ashbot, v1.4.0)",
		"":       "DiscordBot (https://github.com/alphabetcartel/ashbot, dev)",
	} {
		f := newFixture(t, Config{Version: version})
		if _, err := f.poster.Post(context.Background(), f.channel.String(), discord.MessageCreate{Content: "hi"}, ""); err != nil {
			t.Fatalf("version %q: %v", version, err)
		}
		reqs := f.sim.Requests()
		if len(reqs) == 0 {
			t.Fatal("no request recorded")
		}
		for _, r := range reqs {
			if r.UserAgent != want {
				t.Errorf("version %q: %s %s sent User-Agent %q, want %q", version, r.Method, r.Path, r.UserAgent, want)
			}
		}
		if !discordsim.ValidUserAgent(UserAgent(version)) {
			t.Errorf("UserAgent(%q) = %q is not of Discord's form", version, UserAgent(version))
		}
	}
}

func TestNonce(t *testing.T) {
	a := Nonce("weekly-report", "2026-W03", "111")
	if len(a) > 25 || a != Nonce("weekly-report", "2026-W03", "111") {
		t.Errorf("nonce %q: not stable or too long", a)
	}
	for _, other := range []string{
		Nonce("weekly-report", "2026-W03", "222"), Nonce("weekly-report", "2026-W04", "111"),
		Nonce("weekly-report", "2026-W031", "11"), Nonce("other-job", "2026-W03", "111"),
	} {
		if other == a {
			t.Errorf("different posts share nonce %q", a)
		}
	}
}

func TestPostErrors(t *testing.T) {
	cases := []struct {
		name      string
		setup     func(f fixture) string // returns the channel to post to
		status    int
		code      int
		reason    string
		retryable bool
	}{
		{"403 missing access", func(f fixture) string {
			f.sim.FailNext("POST", "/channels/*/messages", 403, 1)
			return f.channel.String()
		}, 403, 50001, "missing access", false},
		{"403 missing permissions", func(f fixture) string {
			f.sim.InjectFault(discordsim.Fault{Method: "POST", Path: "/channels/*/messages", Status: 403, Code: 50013, Message: "Missing Permissions"})
			return f.channel.String()
		}, 403, 50013, "missing permissions", false},
		{"404 unknown channel", func(f fixture) string { return "123456789012345678" }, 404, 10003, "unknown channel", false},
		{"401 bad token", func(f fixture) string {
			f.sim.SetTokenValid(false)
			return f.channel.String()
		}, 401, 0, "unauthorized", false},
		{"500", func(f fixture) string {
			f.sim.FailNext("POST", "/channels/*/messages", 500, 1)
			return f.channel.String()
		}, 500, 0, "server error", true},
		{"429 past the limiter's retries", func(f fixture) string {
			f.sim.InjectFault(discordsim.Fault{Method: "POST", Path: "/channels/*/messages", Status: 429, Times: 2})
			return f.channel.String()
		}, 429, 0, "rate limited", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, Config{RateLimitRetries: 2})
			ch := c.setup(f)
			_, err := f.poster.Post(context.Background(), ch, message([]byte("png")), "n1")
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T), want *Error", err, err)
			}
			if e.Status != c.status || e.Code != c.code || !strings.HasPrefix(e.Reason, c.reason) || e.Retryable != c.retryable {
				t.Errorf("got %+v, want status %d code %d reason %q retryable %v", e, c.status, c.code, c.reason, c.retryable)
			}
			if IsRetryable(err) != c.retryable {
				t.Errorf("IsRetryable = %v", !c.retryable)
			}
			if !strings.Contains(err.Error(), ch) {
				t.Errorf("error %q does not name the channel", err)
			}
			if n := len(f.sim.Messages(f.channel)); n != 0 {
				t.Errorf("%d messages posted by a failed request", n)
			}
		})
	}
}

func TestRateLimitWaitedOut(t *testing.T) {
	f := newFixture(t, Config{RateLimitRetries: 3})
	// Retry-After 0: disgo retries at once, so the test does not sleep.
	f.sim.InjectFault(discordsim.Fault{Method: "POST", Path: "/channels/*/messages", Status: 429, Times: 2})
	if _, err := f.poster.Post(context.Background(), f.channel.String(), message([]byte("png")), "n1"); err != nil {
		t.Fatal(err)
	}
	if n := len(f.sim.Messages(f.channel)); n != 1 {
		t.Errorf("%d messages after two 429s, want 1", n)
	}
	if n := len(f.sim.RequestsTo("POST", "/channels/*/messages")); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestNetworkErrorIsRetryable(t *testing.T) {
	f := newFixture(t, Config{})
	f.sim.Close()
	_, err := f.poster.Post(context.Background(), f.channel.String(), message([]byte("png")), "")
	var e *Error
	if !errors.As(err, &e) || !e.Retryable || e.Reason != "network error" || e.Status != 0 {
		t.Fatalf("error %+v, want a retryable network error", err)
	}
}

func TestInvalidChannelIsNotSent(t *testing.T) {
	f := newFixture(t, Config{})
	_, err := f.poster.Post(context.Background(), "general", message(nil), "")
	if err == nil || IsRetryable(err) {
		t.Fatalf("error %v, want a non-retryable one", err)
	}
	if n := len(f.sim.Requests()); n != 0 {
		t.Errorf("%d requests for an invalid channel id", n)
	}
}

// losingTransport delivers requests but loses the first reply, as when the
// connection drops after Discord created the message.
type losingTransport struct {
	next http.RoundTripper
	lost atomic.Int32
}

func (l *losingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := l.next.RoundTrip(r)
	if err == nil && l.lost.Add(1) == 1 {
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return nil, errors.New("connection reset by peer")
	}
	return res, err
}

func TestRetryAfterLostReplyDoesNotDuplicate(t *testing.T) {
	f := newFixture(t, Config{HTTPClient: &http.Client{Transport: &losingTransport{next: http.DefaultTransport}}})
	nonce := Nonce("weekly-report", "2026-W03", f.channel.String())
	_, err := f.poster.Post(context.Background(), f.channel.String(), message([]byte("png")), nonce)
	if !IsRetryable(err) {
		t.Fatalf("lost reply: error %v, want retryable", err)
	}
	m, err := f.poster.Post(context.Background(), f.channel.String(), message([]byte("png")), nonce)
	if err != nil {
		t.Fatal(err)
	}
	msgs := f.sim.Messages(f.channel)
	if len(msgs) != 1 || msgs[0].ID != m.ID {
		t.Fatalf("%d messages after a retry with the same nonce, want the first one only", len(msgs))
	}
}

func TestPostNeverPanics(t *testing.T) {
	p := NewPoster(panicky{})
	_, err := p.Post(context.Background(), "123456789012345678", discord.MessageCreate{Content: "x"}, "")
	if err == nil || IsRetryable(err) {
		t.Fatalf("error %v, want a non-retryable internal error", err)
	}
}

type panicky struct{ rest.Channels }

func (panicky) CreateMessage(_ snowflake.ID, _ discord.MessageCreate, _ ...rest.RequestOpt) (*discord.Message, error) {
	panic("boom")
}
