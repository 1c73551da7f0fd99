package config

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Companion configures the language model behind Ash (BOT_ASH_PROVIDER and
// its settings). With the scripted provider the other fields are unused.
type Companion struct {
	Provider  string // BOT_ASH_PROVIDER: scripted, anthropic or openai
	Model     string // BOT_ASH_MODEL
	MaxTokens int    // BOT_ASH_MAX_TOKENS
	// BaseURL is BOT_ASH_BASE_URL: the API's root; "" is Anthropic's own
	// for anthropic, and is not allowed for openai.
	BaseURL string
	// APIKey is BOT_ASH_API_KEY (or its _FILE, or ash_api_key in the
	// secrets directory), or else the earlier bot's claude_api_token file
	// (secrets directory, then ./secrets) or CLAUDE_API_TOKEN, which only
	// count for anthropic: a Claude key must never reach another server.
	APIKey string
	// ReplyTimeout bounds one model call, retries included.
	ReplyTimeout time.Duration
	// SystemPromptFile is BOT_ASH_SYSTEM_PROMPT_FILE: empty keeps Ash's
	// own persona (internal/ash/persona.md).
	SystemPromptFile string
	// SystemPrompt is that file's text, read and checked at start-up so a
	// missing or empty persona stops the bot instead of a chat.
	SystemPrompt string
}

// maxSystemPrompt bounds BOT_ASH_SYSTEM_PROMPT_FILE: the prompt travels
// with every request and eats the context budget, so a file far larger
// than a persona is the wrong file.
const maxSystemPrompt = 16 << 10

// Providers accepted by BOT_ASH_PROVIDER.
const (
	CompanionScripted  = "scripted"
	CompanionAnthropic = "anthropic"
	CompanionOpenAI    = "openai"
)

// The earlier bot's names for the Claude key (shared/spec/earlier-bot.md).
const (
	legacyClaudeFile = "claude_api_token"
	legacyClaudeEnv  = "CLAUDE_API_TOKEN"
	legacySecretsDir = "secrets" // ./secrets, after BOT_SECRETS_DIR
)

func companionProvider() option {
	return option{name: "BOT_ASH_PROVIDER", help: "Who writes Ash's messages: scripted (fixed, reviewed texts), anthropic (Claude) or openai (any OpenAI-compatible server: Ollama, vLLM, llama.cpp, LM Studio).",
		set: oneOf([]string{CompanionScripted, CompanionAnthropic, CompanionOpenAI}, func(c *Config, v string) { c.Companion.Provider = v })}
}

func companionModel() option {
	return option{name: "BOT_ASH_MODEL", help: "Model Ash's provider runs; the default is a Claude model, so openai needs the name its server serves.",
		set: func(c *Config, raw string) error {
			v := strings.TrimSpace(raw)
			if v == "" || strings.ContainsFunc(v, unicode.IsSpace) {
				return errors.New("must be a model name without spaces")
			}
			c.Companion.Model = v
			return nil
		}}
}

func companionMaxTokens() option {
	return option{name: "BOT_ASH_MAX_TOKENS", help: "Most tokens one Ash reply may use (16-8192).",
		set: integer(16, 8192, func(c *Config, n int64) { c.Companion.MaxTokens = int(n) })}
}

func companionBaseURL() option {
	return option{name: "BOT_ASH_BASE_URL",
		help: "Root URL of the model API: required for openai (e.g. http://ollama:11434/v1); for anthropic a proxy or test server, empty for Anthropic itself.",
		set:  baseURL([]string{"http", "https"}, "must be empty or an http:// or https:// URL", func(c *Config, v string) { c.Companion.BaseURL = v })}
}

func companionAPIKey() option {
	return option{name: "BOT_ASH_API_KEY", secret: true,
		help: "Key of the model API (or BOT_ASH_API_KEY_FILE, or ash_api_key in the secrets directory; for anthropic also the earlier bot's claude_api_token file there or in ./secrets, or CLAUDE_API_TOKEN); optional for openai.",
		set: func(c *Config, raw string) error {
			if strings.ContainsFunc(raw, unicode.IsSpace) {
				return errors.New("must not contain spaces or line breaks")
			}
			c.Companion.APIKey = raw
			return nil
		}}
}

func companionReplyTimeout() option {
	return option{name: "BOT_ASH_REPLY_TIMEOUT", help: "Longest wait for one model reply, retries included (Go duration, 1s-120s).",
		set: duration(time.Second, 2*time.Minute, func(c *Config, d time.Duration) { c.Companion.ReplyTimeout = d })}
}

func companionSystemPromptFile() option {
	return option{name: "BOT_ASH_SYSTEM_PROMPT_FILE",
		help: "File whose text replaces Ash's system prompt (persona and rules) when a language model writes its replies; empty keeps the built-in one.",
		set:  func(c *Config, raw string) error { c.Companion.SystemPromptFile = strings.TrimSpace(raw); return nil }}
}

// systemPrompt reads BOT_ASH_SYSTEM_PROMPT_FILE: a regular file (the
// reader refuses others), not empty, at most maxSystemPrompt bytes of
// UTF-8. Its text is never shown: only its path and size are.
func (l *loader) systemPrompt() {
	c := &l.cfg.Companion
	if c.SystemPromptFile == "" || !l.ok("BOT_ASH_SYSTEM_PROMPT_FILE") {
		return
	}
	b, err := l.readFile(c.SystemPromptFile)
	switch {
	case err != nil:
		l.problem("BOT_ASH_SYSTEM_PROMPT_FILE", c.SystemPromptFile, fmt.Sprintf("must be a readable regular file (%v)", err))
	case len(b) > maxSystemPrompt:
		l.problem("BOT_ASH_SYSTEM_PROMPT_FILE", c.SystemPromptFile, fmt.Sprintf("must be at most %d bytes, not %d", maxSystemPrompt, len(b)))
	case !utf8.Valid(b):
		l.problem("BOT_ASH_SYSTEM_PROMPT_FILE", c.SystemPromptFile, "must be UTF-8 text")
	case strings.TrimSpace(string(b)) == "":
		l.problem("BOT_ASH_SYSTEM_PROMPT_FILE", c.SystemPromptFile, "must not be empty")
	default:
		c.SystemPrompt = strings.TrimSpace(string(b))
		if c.Provider == CompanionScripted {
			l.warn("BOT_ASH_SYSTEM_PROMPT_FILE is set but BOT_ASH_PROVIDER=scripted: no model reads it")
		}
	}
}

// deriveCompanion finds the earlier bot's Claude key and checks what each
// provider needs.
func (l *loader) deriveCompanion() {
	c := &l.cfg.Companion
	l.systemPrompt()
	if !l.ok("BOT_ASH_PROVIDER", "BOT_ASH_API_KEY", "BOT_ASH_MODEL", "BOT_ASH_BASE_URL") {
		return
	}
	if c.APIKey == "" && c.Provider != CompanionOpenAI {
		l.legacyClaudeKey()
	}
	switch c.Provider {
	case CompanionAnthropic:
		if c.APIKey == "" && l.ok("BOT_ASH_API_KEY") {
			l.problem("BOT_ASH_API_KEY", "", "must be set when BOT_ASH_PROVIDER=anthropic (or BOT_ASH_API_KEY_FILE, "+
				"ash_api_key or claude_api_token in the secrets directory or ./secrets, or CLAUDE_API_TOKEN)")
		}
	case CompanionOpenAI:
		if c.BaseURL == "" {
			l.problem("BOT_ASH_BASE_URL", "", "must name the server (e.g. http://ollama:11434/v1) when BOT_ASH_PROVIDER=openai")
		}
		if !l.explicit("BOT_ASH_MODEL") {
			l.problem("BOT_ASH_MODEL", c.Model, "must name a model the server serves when BOT_ASH_PROVIDER=openai (the default is a Claude model)")
		}
	case CompanionScripted:
		if c.APIKey != "" {
			l.warn("a model API key is set but BOT_ASH_PROVIDER=scripted: Ash uses its scripted texts (set BOT_ASH_PROVIDER=anthropic to use Claude)")
		}
	}
}

// legacyClaudeKey reads the key under the earlier bot's names: the file
// claude_api_token in the secrets directory, then in ./secrets, then
// CLAUDE_API_TOKEN. An unreadable file stops start-up, as for every
// secret.
func (l *loader) legacyClaudeKey() {
	var dirs []string
	if l.secretsDir != "" {
		dirs = append(dirs, l.secretsDir)
	}
	dirs = append(dirs, legacySecretsDir)
	for _, dir := range dirs {
		path := filepath.Join(dir, legacyClaudeFile)
		b, err := l.readFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			l.problem("BOT_ASH_API_KEY", "", fmt.Sprintf("must be readable from %s when that file is present (%v)", path, err))
			l.failed["BOT_ASH_API_KEY"] = true
			return
		}
		l.useLegacyKey(strings.TrimSpace(string(b)), SourceSecretsDir, path)
		return
	}
	if v, ok := l.lookup(legacyClaudeEnv); ok && strings.TrimSpace(v) != "" {
		l.useLegacyKey(strings.TrimSpace(v), SourceEnv, legacyClaudeEnv)
	}
}

func (l *loader) useLegacyKey(key, source, from string) {
	if strings.ContainsFunc(key, unicode.IsSpace) {
		l.problem("BOT_ASH_API_KEY", "***", fmt.Sprintf("must not contain spaces or line breaks (read from %s)", from))
		l.failed["BOT_ASH_API_KEY"] = true
		return
	}
	l.cfg.Companion.APIKey = key
	l.raw["BOT_ASH_API_KEY"], l.source["BOT_ASH_API_KEY"] = key, source
}

// MaskURL is how a URL setting may be shown outside config (the companion's
// base URL on /readyz): the same masking config check applies.
func MaskURL(raw string) string { return redactURL(raw) }
