package config

import (
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCompanionSettings(t *testing.T) {
	tests := []struct {
		name  string
		env   env
		files map[string]string
		want  Companion
		// source is where BOT_ASH_API_KEY came from, as Describe says.
		source string
	}{
		{name: "default: scripted", env: base(),
			want: Companion{Provider: CompanionScripted, Model: "claude-sonnet-5-5", MaxTokens: 500, ReplyTimeout: 20 * time.Second}, source: SourceDefault},
		{name: "anthropic with the key in the environment",
			env:  with(base(), "BOT_ASH_PROVIDER", "Anthropic", "BOT_ASH_API_KEY", "sk-ant-1", "BOT_ASH_MAX_TOKENS", "300", "BOT_ASH_REPLY_TIMEOUT", "5s"),
			want: Companion{Provider: CompanionAnthropic, Model: "claude-sonnet-5-5", MaxTokens: 300, APIKey: "sk-ant-1", ReplyTimeout: 5 * time.Second}, source: SourceEnv},
		{name: "anthropic through a proxy, key from BOT_ASH_API_KEY_FILE",
			env:   with(base(), "BOT_ASH_PROVIDER", "anthropic", "BOT_ASH_API_KEY_FILE", "/keys/claude", "BOT_ASH_BASE_URL", "http://proxy:8080/"),
			files: map[string]string{"/keys/claude": "sk-ant-2\n"},
			want:  Companion{Provider: CompanionAnthropic, Model: "claude-sonnet-5-5", MaxTokens: 500, BaseURL: "http://proxy:8080/", APIKey: "sk-ant-2", ReplyTimeout: 20 * time.Second}, source: SourceFile},
		{name: "anthropic, the earlier bot's claude_api_token in the secrets directory",
			env:   with(base(), "BOT_ASH_PROVIDER", "anthropic", "BOT_SECRETS_DIR", "/run/secrets"),
			files: map[string]string{"/run/secrets/claude_api_token": "sk-ant-3\n", "secrets/claude_api_token": "sk-ant-not-this"},
			want:  Companion{Provider: CompanionAnthropic, Model: "claude-sonnet-5-5", MaxTokens: 500, APIKey: "sk-ant-3", ReplyTimeout: 20 * time.Second}, source: SourceSecretsDir},
		{name: "anthropic, claude_api_token in ./secrets",
			env:   with(base(), "BOT_ASH_PROVIDER", "anthropic", "CLAUDE_API_TOKEN", "sk-ant-not-this"),
			files: map[string]string{"secrets/claude_api_token": "sk-ant-4"},
			want:  Companion{Provider: CompanionAnthropic, Model: "claude-sonnet-5-5", MaxTokens: 500, APIKey: "sk-ant-4", ReplyTimeout: 20 * time.Second}, source: SourceSecretsDir},
		{name: "anthropic, CLAUDE_API_TOKEN last",
			env:  with(base(), "BOT_ASH_PROVIDER", "anthropic", "CLAUDE_API_TOKEN", "sk-ant-5"),
			want: Companion{Provider: CompanionAnthropic, Model: "claude-sonnet-5-5", MaxTokens: 500, APIKey: "sk-ant-5", ReplyTimeout: 20 * time.Second}, source: SourceEnv},
		{name: "BOT_ASH_API_KEY wins over the earlier names",
			env:   with(base(), "BOT_ASH_PROVIDER", "anthropic", "BOT_ASH_API_KEY", "sk-ant-6", "CLAUDE_API_TOKEN", "sk-ant-not-this"),
			files: map[string]string{"secrets/claude_api_token": "sk-ant-not-this"},
			want:  Companion{Provider: CompanionAnthropic, Model: "claude-sonnet-5-5", MaxTokens: 500, APIKey: "sk-ant-6", ReplyTimeout: 20 * time.Second}, source: SourceEnv},
		{name: "openai without a key: the Claude key is not sent to it",
			env:   with(base(), "BOT_ASH_PROVIDER", "openai", "BOT_ASH_BASE_URL", "http://ollama:11434/v1", "BOT_ASH_MODEL", "llama3.2", "CLAUDE_API_TOKEN", "sk-ant-7"),
			files: map[string]string{"secrets/claude_api_token": "sk-ant-7"},
			want:  Companion{Provider: CompanionOpenAI, Model: "llama3.2", MaxTokens: 500, BaseURL: "http://ollama:11434/v1", ReplyTimeout: 20 * time.Second}, source: SourceDefault},
		{name: "openai with a key",
			env:  with(base(), "BOT_ASH_PROVIDER", "openai", "BOT_ASH_BASE_URL", "https://vllm.internal/v1", "BOT_ASH_MODEL", "qwen3", "BOT_ASH_API_KEY", "local-key"),
			want: Companion{Provider: CompanionOpenAI, Model: "qwen3", MaxTokens: 500, BaseURL: "https://vllm.internal/v1", APIKey: "local-key", ReplyTimeout: 20 * time.Second}, source: SourceEnv},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, warnings, err := Load(tt.env.lookup, fakeFiles(tt.files), tt.env.environ()...)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(warnings) > 0 {
				t.Errorf("warnings: %q", warnings)
			}
			if cfg.Companion != tt.want {
				t.Errorf("companion = %+v, want %+v", cfg.Companion, tt.want)
			}
			s := setting(t, cfg, "BOT_ASH_API_KEY")
			if s.Source != tt.source {
				t.Errorf("BOT_ASH_API_KEY source %q, want %q", s.Source, tt.source)
			}
			if tt.want.APIKey != "" && s.Value != "***" {
				t.Errorf("BOT_ASH_API_KEY shown as %q", s.Value)
			}
		})
	}
}

func TestCompanionProblems(t *testing.T) {
	tests := []struct {
		name  string
		env   env
		files func(string) ([]byte, error)
		want  []string // Var: Allowed prefix
	}{
		{name: "unknown provider", env: with(base(), "BOT_ASH_PROVIDER", "gemini"),
			want: []string{"BOT_ASH_PROVIDER: must be one of scripted, anthropic, openai"}},
		{name: "anthropic without a key", env: with(base(), "BOT_ASH_PROVIDER", "anthropic"),
			want: []string{"BOT_ASH_API_KEY: must be set when BOT_ASH_PROVIDER=anthropic"}},
		{name: "openai without a server or model", env: with(base(), "BOT_ASH_PROVIDER", "openai"),
			want: []string{"BOT_ASH_BASE_URL: must name the server", "BOT_ASH_MODEL: must name a model the server serves"}},
		{name: "bad values", env: with(base(), "BOT_ASH_MAX_TOKENS", "0", "BOT_ASH_REPLY_TIMEOUT", "20", "BOT_ASH_BASE_URL", "ollama:11434", "BOT_ASH_MODEL", "claude sonnet", "BOT_ASH_API_KEY", "sk ant"),
			want: []string{"BOT_ASH_MODEL: must be a model name without spaces", "BOT_ASH_MAX_TOKENS: must be an integer from 16 to 8192",
				"BOT_ASH_BASE_URL: must be empty or an http:// or https:// URL", "BOT_ASH_API_KEY: must not contain spaces",
				"BOT_ASH_REPLY_TIMEOUT: must be a duration from 1s to 2m0s"}},
		{name: "unreadable claude_api_token", env: with(base(), "BOT_ASH_PROVIDER", "anthropic", "BOT_SECRETS_DIR", ""),
			files: func(p string) ([]byte, error) {
				if p == "secrets/claude_api_token" {
					return nil, fs.ErrPermission
				}
				return nil, fs.ErrNotExist
			},
			want: []string{"BOT_ASH_API_KEY: must be readable from secrets/claude_api_token"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errs := mustFail(t, tt.env, tt.files)
			var got []string
			for _, p := range errs.Problems {
				got = append(got, p.Var+": "+p.Allowed)
				if strings.Contains(p.Value, "sk") {
					t.Errorf("%s shows a key: %q", p.Var, p.Value)
				}
			}
			if len(got) != len(tt.want) {
				t.Fatalf("problems %q, want %d like %q", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("problem %d = %q, want it to start %q", i, got[i], w)
				}
			}
		})
	}
}

// A key left over with the scripted companion is a hint worth a warning.
func TestCompanionKeyWithScripted(t *testing.T) {
	_, warnings := mustLoad(t, with(base(), "CLAUDE_API_TOKEN", "sk-ant-8"))
	if !slices.ContainsFunc(warnings, func(w string) bool { return strings.Contains(w, "BOT_ASH_PROVIDER=scripted") }) {
		t.Fatalf("warnings %q: want one about the unused key", warnings)
	}
	for _, w := range warnings {
		if strings.Contains(w, "sk-ant-8") {
			t.Fatalf("warning shows the key: %q", w)
		}
	}
}

func TestMaskURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://ollama:11434/v1":              "http://ollama:11434/v1",
		"https://user:pw@proxy.example/v1":    "https://user:***@proxy.example/v1",
		"https://proxy.example/v1?key=secret": "https://proxy.example/v1?key=***",
		"":                                    "",
		"%zz@secret":                          "***",
	} {
		if got := MaskURL(in); got != want {
			t.Errorf("MaskURL(%q) = %q, want %q", in, got, want)
		}
	}
	cfg, _ := mustLoad(t, with(base(), "BOT_ASH_BASE_URL", "https://user:pw@proxy.example/v1"))
	if s := setting(t, cfg, "BOT_ASH_BASE_URL"); strings.Contains(s.Value, "pw") {
		t.Fatalf("Describe shows %q", s.Value)
	}
}

// BOT_ASH_SYSTEM_PROMPT_FILE is read once at start-up; a file that cannot
// be Ash's persona stops start-up naming the variable, never showing its
// text.
func TestCompanionSystemPromptFile(t *testing.T) {
	files := map[string]string{"/p/ok.md": "  You are Ash.\n", "/p/empty.md": " \n\t", "/p/big.md": strings.Repeat("a", maxSystemPrompt+1),
		"/p/binary": "\xff\xfe"}
	read := func(p string) ([]byte, error) {
		if v, ok := files[p]; ok {
			return []byte(v), nil
		}
		return nil, fs.ErrNotExist
	}
	env := with(base(), "BOT_ASH_PROVIDER", "anthropic", "BOT_ASH_API_KEY", "sk-ant-1", "BOT_ASH_SYSTEM_PROMPT_FILE", "/p/ok.md")
	cfg, _, err := Load(env.lookup, read, env.environ()...)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Companion.SystemPrompt != "You are Ash." || cfg.Companion.SystemPromptFile != "/p/ok.md" {
		t.Errorf("prompt %q from %q", cfg.Companion.SystemPrompt, cfg.Companion.SystemPromptFile)
	}
	if cfg, _ := mustLoad(t, base()); cfg.Companion.SystemPrompt != "" {
		t.Errorf("default prompt %q, want empty (Ash's own)", cfg.Companion.SystemPrompt)
	}
	for path, want := range map[string]string{"/p/missing": "must be a readable regular file", "/p/empty.md": "must not be empty",
		"/p/big.md": "must be at most", "/p/binary": "must be UTF-8 text"} {
		errs := mustFail(t, with(env, "BOT_ASH_SYSTEM_PROMPT_FILE", path), read)
		if len(errs.Problems) != 1 || errs.Problems[0].Var != "BOT_ASH_SYSTEM_PROMPT_FILE" || !strings.HasPrefix(errs.Problems[0].Allowed, want) {
			t.Errorf("%s: problems %+v, want %q", path, errs.Problems, want)
		}
		if strings.Contains(errs.Error(), "aaaa") {
			t.Errorf("%s: the error shows the file's text", path)
		}
	}
}
