package app

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alphabetcartel/ashbot/internal/companion"
	"github.com/alphabetcartel/ashbot/internal/config"
	"github.com/alphabetcartel/ashbot/internal/standin/anthropicsim"
	"github.com/alphabetcartel/ashbot/internal/standin/openaisim"
)

// The model built from the settings answers through the stand-ins, and
// /readyz's entry follows its calls.
func TestBuildCompanion(t *testing.T) {
	claude, err := anthropicsim.Start(anthropicsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(claude.Close)
	local, err := openaisim.Start(openaisim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(local.Close)
	base := config.Companion{MaxTokens: 500, ReplyTimeout: 10 * time.Second}
	for _, c := range []struct {
		name string
		cfg  config.Companion
	}{
		{"anthropic", config.Companion{Provider: config.CompanionAnthropic, Model: "claude-sonnet-5-5", APIKey: claude.APIKey(), BaseURL: claude.URL()}},
		{"openai", config.Companion{Provider: config.CompanionOpenAI, Model: "llama3.2", BaseURL: local.BaseURL()}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			cfg.MaxTokens, cfg.ReplyTimeout = base.MaxTokens, base.ReplyTimeout
			part, err := buildCompanion(cfg, prometheus.NewRegistry(), testLogger())
			if err != nil {
				t.Fatal(err)
			}
			reply, err := part.model.Complete(context.Background(), companion.Request{Turns: []companion.Turn{{Role: companion.User, Text: "hello"}}})
			if err != nil || reply.Text != "[turns=1] you said: hello" {
				t.Fatalf("reply %+v, %v", reply, err)
			}
			info := part.info().(map[string]any)
			if info["provider"] != c.name || info["calls"] != int64(1) || info["last_result"] != "ok" {
				t.Fatalf("info %v", info)
			}
		})
	}
	part, err := buildCompanion(config.Companion{Provider: config.CompanionScripted}, prometheus.NewRegistry(), testLogger())
	if err != nil || part.model != nil {
		t.Fatalf("scripted: %+v, %v", part, err)
	}
}
