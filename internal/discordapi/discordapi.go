// Package discordapi is ashbot's door to Discord's REST API for the work
// that runs outside the gateway session (the weekly report, CLI posts): it
// builds disgo's REST client, pointed at Discord or at a local stand-in and
// paced by ashbot's own rate limiter (RateLimiter), and posts messages
// with every failure sorted into "worth another try later" and "will fail
// the same way until someone changes something".
package discordapi

import (
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"
)

// APIPath is the REST API version disgo speaks; a base URL without a path
// gets it appended.
const APIPath = "/api/v10"

// Config says how to reach Discord's REST API.
type Config struct {
	// Token is the bot token, without the "Bot " prefix.
	Token string
	// BaseURL is BOT_DISCORD_API_URL: empty for Discord itself, otherwise
	// the REST base of a stand-in such as discordsim. A URL without a path
	// ("http://127.0.0.1:8080") gets APIPath appended.
	BaseURL string
	// Timeout bounds one HTTP request. Zero keeps disgo's 20 s.
	Timeout time.Duration
	// HTTPClient replaces the HTTP client (tests use it to lose replies);
	// when set, Timeout is ignored.
	HTTPClient *http.Client
	// RateLimiter paces the requests; nil gets a new one (see
	// RateLimiter), with RateLimitRetries.
	RateLimiter *RateLimiter
	// RateLimitRetries is how many 429 answers a new RateLimiter waits out
	// and retries before the error reaches the caller. Zero keeps
	// DefaultRateLimitRetries.
	RateLimitRetries int
	// Version is ashbot's version (cli.Version), named in the User-Agent
	// header; empty means "dev".
	Version string
	Logger  *slog.Logger
	// RoundTrip, when set, is told how long each HTTP exchange with
	// Discord took until its answer's headers, for the detailed health
	// report.
	RoundTrip func(time.Duration)
}

// ProjectURL is the URL named in ashbot's User-Agent.
const ProjectURL = "https://github.com/alphabetcartel/ashbot"

// UserAgent is the User-Agent every REST request carries. Discord requires
// "DiscordBot ($url, $versionNumber)" and may block requests without it at
// Cloudflare (https://discord.com/developers/docs/reference#user-agent);
// disgo sends none unless told.
func UserAgent(version string) string {
	if strings.TrimSpace(version) == "" {
		version = "dev"
	}
	return "DiscordBot (" + ProjectURL + ", " + version + ")"
}

// NewREST builds disgo's REST client from cfg. Close it when done.
func NewREST(cfg Config) (rest.Rest, error) {
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, errors.New("discord rest client: no bot token")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "discord_rest")
	opts := []rest.ClientConfigOpt{rest.WithLogger(log), rest.WithUserAgent(UserAgent(cfg.Version))}
	if cfg.BaseURL != "" {
		base, err := restBase(cfg.BaseURL)
		if err != nil {
			return nil, err
		}
		opts = append(opts, rest.WithURL(base))
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 20 * time.Second} // disgo's default
		if cfg.Timeout > 0 {
			client.Timeout = cfg.Timeout
		}
	}
	if cfg.RoundTrip != nil {
		timed := *client
		base := timed.Transport
		if base == nil {
			base = http.DefaultTransport
		}
		timed.Transport = timedTransport{base: base, observe: cfg.RoundTrip}
		client = &timed
	}
	opts = append(opts, rest.WithHTTPClient(client))
	limiter := cfg.RateLimiter
	if limiter == nil {
		limiter = NewRateLimiter(RateLimiterConfig{MaxRetries: cfg.RateLimitRetries, Logger: log})
	}
	opts = append(opts, rest.WithRateLimiter(limiter))
	return rest.New(rest.NewClient(cfg.Token, opts...)), nil
}

// timedTransport tells observe how long each exchange that got an answer
// took.
type timedTransport struct {
	base    http.RoundTripper
	observe func(time.Duration)
}

func (t timedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	began := time.Now()
	resp, err := t.base.RoundTrip(r)
	if err == nil {
		t.observe(time.Since(began))
	}
	return resp, err
}

// restBase turns BOT_DISCORD_API_URL into the base disgo prefixes to every
// endpoint path.
func restBase(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		// Not echoed: a URL can carry credentials.
		return "", errors.New("discord rest client: the base URL (BOT_DISCORD_API_URL) is not an http(s) URL")
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	if u.Path == "" {
		u.Path = APIPath
	}
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}

// NoMentions is the allowed_mentions that pings nobody, whatever mentions
// the text holds: reports, notices and Ash's messages name people without
// notifying them. A caller that must ping someone lists them on the copy
// it gets.
func NoMentions() *discord.AllowedMentions {
	return &discord.AllowedMentions{Parse: []discord.AllowedMentionType{}, Users: []snowflake.ID{}, Roles: []snowflake.ID{}}
}
