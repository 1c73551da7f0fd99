package app

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/standin/anthropicsim"
	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
	"github.com/alphabetcartel/ashbot/internal/standin/modelsim"
	"github.com/alphabetcartel/ashbot/internal/standin/openaisim"
)

// modelStandin is one provider's stand-in as a chat test drives it.
type modelStandin struct {
	*modelsim.Server
	conversations func() []modelsim.Conversation
}

// providers are the two APIs Ash can talk to, each through its stand-in
// and the official SDK.
var providers = []struct {
	name  string
	start func(t *testing.T, respond modelsim.Responder, env map[string]string) modelStandin
}{
	{"anthropic", func(t *testing.T, respond modelsim.Responder, env map[string]string) modelStandin {
		sim, err := anthropicsim.Start(anthropicsim.Options{Respond: respond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sim.Close)
		env["BOT_ASH_PROVIDER"], env["BOT_ASH_API_KEY"], env["BOT_ASH_BASE_URL"] = "anthropic", sim.APIKey(), sim.URL()
		return modelStandin{sim.Server, sim.Conversations}
	}},
	{"openai", func(t *testing.T, respond modelsim.Responder, env map[string]string) modelStandin {
		sim, err := openaisim.Start(openaisim.Options{Respond: respond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sim.Close)
		env["BOT_ASH_PROVIDER"], env["BOT_ASH_MODEL"], env["BOT_ASH_BASE_URL"] = "openai", "llama3.2", sim.BaseURL()
		return modelStandin{sim.Server, sim.Conversations}
	}},
}

// chatRig is a running bot whose Ash talks to a model stand-in, and a
// chat with alice that carol asked for.
type chatRig struct {
	*harness
	model   modelStandin
	alert   discordsim.Message
	channel discordsim.ChannelID // alice's DM channel
	in      *instance
}

func startChat(t *testing.T, provider int, respond modelsim.Responder, opts ...harnessOption) *chatRig {
	t.Helper()
	h := newHarness(t, opts...)
	r := &chatRig{harness: h}
	r.model = providers[provider].start(t, respond, h.env)
	r.in = h.startBot()
	_, r.alert = h.raise("I don't think I can keep going", "high", h.crisis)
	if got := h.talkToAsh(r.alert, h.carol); !strings.Contains(got, "Ash reached out") {
		t.Fatalf("Talk to Ash: %q", got)
	}
	r.channel = h.waitDMs(1)[0].ChannelID
	return r
}

// say sends text as alice and returns the bot's DMs that follow, once
// there are n of them.
func (r *chatRig) say(text string, n int) []discordsim.Message {
	r.t.Helper()
	before := len(r.sim.BotMessages(r.channel))
	r.clock.Advance(time.Second) // each message later than the one before
	if _, err := r.sim.SendMessage(r.channel, r.alice, text); err != nil {
		r.t.Fatal(err)
	}
	r.waitFor("Ash's answer", func() bool { return len(r.sim.BotMessages(r.channel)) >= before+n })
	return r.sim.BotMessages(r.channel)[before:]
}

func forEachProvider(t *testing.T, f func(t *testing.T, provider int)) {
	for i, p := range providers {
		t.Run(p.name, func(t *testing.T) { f(t, i) })
	}
}

// The model is sent the chat so far, the welcome folded into the system
// prompt; its answers reach the person as plain text that pings nobody,
// with the typing indicator on meanwhile. A restart in the middle carries
// on where the chat was, and the chat's text is gone when it ends.
func TestAshChatConversation(t *testing.T) {
	forEachProvider(t, func(t *testing.T, provider int) {
		var logs syncBuffer
		r := startChat(t, provider, nil, withLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		got := r.say("hi. it's been a really hard week", 1)
		if got[0].Content != "[turns=1] you said: hi. it's been a really hard week" {
			t.Fatalf("first answer %q", got[0].Content)
		}
		got = r.say("my family doesn't get it", 1)
		if got[0].Content != "[turns=3] you said: my family doesn't get it" {
			t.Fatalf("second answer %q", got[0].Content)
		}
		convs := r.model.conversations()
		if len(convs) != 2 || len(convs[1].Turns) != 3 || convs[1].Turns[0].Text != "hi. it's been a really hard week" ||
			convs[1].Turns[1].Role != "assistant" || !strings.HasPrefix(convs[1].Turns[1].Text, "[turns=1]") {
			t.Fatalf("conversations %+v", convs)
		}
		if !strings.Contains(convs[0].System, "You are Ash") || !strings.Contains(convs[0].System, "> Hi, I'm Ash") {
			t.Errorf("system prompt lacks the persona or the welcome")
		}
		if r.sim.TypingCount(r.channel) < 2 {
			t.Errorf("typing shown %d times for two replies", r.sim.TypingCount(r.channel))
		}

		// A new instance on the same Redis: the chat goes on.
		r.in.stop(t)
		r.in = r.startBot()
		got = r.say("are you still there?", 1)
		if got[0].Content != "[turns=5] you said: are you still there?" {
			t.Fatalf("answer after a restart %q", got[0].Content)
		}
		if c := r.model.conversations()[2]; c.Turns[2].Text != "my family doesn't get it" {
			t.Errorf("after a restart the model was sent %+v", c.Turns)
		}
		sid := r.sessionID()
		// Message history: its retention (7 days by default), renewed.
		if ttl := r.rdb.PTTL(context.Background(), ash.ChatKey(sid)).Val(); ttl < 6*24*time.Hour || ttl > 7*24*time.Hour {
			t.Fatalf("chat key TTL %v, want the message-history retention", ttl)
		}
		r.say("bye ash", 1)
		r.waitFor("chat text deleted", func() bool { return r.rdb.Exists(context.Background(), ash.ChatKey(sid)).Val() == 0 })
		r.in.stop(t)
		if !strings.Contains(logs.String(), "a language model writes Ash's replies") {
			t.Error("the start-up log does not say the model writes the replies")
		}
		for _, text := range []string{"hard week", "family doesn", "still there", "you said"} {
			if strings.Contains(logs.String(), text) {
				t.Errorf("the log holds chat text %q", text)
			}
		}
	})
}

func (r *chatRig) sessionID() string {
	r.t.Helper()
	id, err := r.rdb.Get(context.Background(), ash.UserSessionKey(r.alice.ID.String())).Result()
	if err != nil {
		r.t.Fatal(err)
	}
	return id
}

// A message of concern gets the resources with Ash's reply and an alarm
// in the thread; a class that rises to critical does too; asking for a
// person hands the chat to the CRT.
func TestAshChatSafetyAndHandoff(t *testing.T) {
	forEachProvider(t, func(t *testing.T, provider int) {
		nlp := &markerNLP{}
		r := startChat(t, provider, nil, func(h *harness) { h.classifier = nlp })
		got := r.say("i keep thinking about taking all my pills", 1)
		if !strings.HasPrefix(got[0].Content, "[turns=1]") || !strings.Contains(got[0].Content, "988") {
			t.Errorf("reply without the resources: %q", got[0].Content)
		}
		r.waitThreadNote(r.alert, "Ash added the crisis resources to its reply")
		r.say("tonight [critical]", 1)
		r.waitThreadNote(r.alert, "as **critical** (the alert was high)")
		if c := r.model.conversations(); strings.Contains(c[1].Turns[1].Text, "988") {
			t.Error("the resources went into the model's history")
		}

		got = r.say("can I talk to a real person please", 1)
		if !strings.Contains(got[0].Content, "Crisis Response Team is going to continue") {
			t.Errorf("handoff answer %q", got[0].Content)
		}
		r.waitThreadNote(r.alert, "asked Ash for a human")
		r.waitThreadNote(r.alert, "can I talk to a real person please")
		r.waitThreadNote(r.alert, "Handed off to the CRT: yes")
		if n := len(r.model.conversations()); n != 2 {
			t.Errorf("the model was asked %d times, want 2 (not for the handoff)", n)
		}
	})
}

// What the model does wrong never leaves the person without an answer: a
// 429 is waited out, a timeout gets a holding message and one retry then
// the fallback text (and the CRT is told), and a refused key switches Ash
// to its scripted texts once.
func TestAshChatModelFaults(t *testing.T) {
	forEachProvider(t, func(t *testing.T, provider int) {
		r := startChat(t, provider, nil, withEnv("BOT_ASH_REPLY_TIMEOUT", "1s"))
		r.model.Inject(modelsim.Fault{Status: http.StatusTooManyRequests, RetryAfter: "0"})
		got := r.say("hello", 1)
		if got[0].Content != "[turns=1] you said: hello" {
			t.Errorf("after a 429: %q", got[0].Content)
		}

		r.model.Inject(modelsim.Fault{Hang: true}, modelsim.Fault{Hang: true})
		got = r.say("are you there", 2)
		if got[0].Content != ash.HoldingText || got[1].Content != ash.FallbackText {
			t.Errorf("after timeouts: %q, %q", got[0].Content, got[1].Content)
		}
		r.waitThreadNote(r.alert, "did not answer in time")

		r.model.Inject(modelsim.Fault{Status: http.StatusUnauthorized})
		got = r.say("hm", 1)
		if strings.HasPrefix(got[0].Content, "[turns=") || got[0].Content == ash.FallbackText {
			t.Errorf("after a 401: %q, want a scripted reply", got[0].Content)
		}
		calls := len(r.model.Recorded())
		got = r.say("still here", 1)
		if len(r.model.Recorded()) != calls || strings.HasPrefix(got[0].Content, "[turns=") {
			t.Errorf("the model was called again after a 401: %q", got[0].Content)
		}
		r.waitThreadNote(r.alert, "Ash switched to its scripted texts")
		n := 0
		for _, m := range r.threadMessages(r.alert) {
			if strings.Contains(m, "switched to its scripted texts") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%d notices of the switch", n)
		}
	})
}

// A reply longer than a Discord message arrives in parts cut at sentence
// ends, and what the model writes can mention nobody.
func TestAshChatLongReplyMentionsNobody(t *testing.T) {
	forEachProvider(t, func(t *testing.T, provider int) {
		var long string
		respond := func(modelsim.Conversation) string { return long }
		r := startChat(t, provider, respond, withEnv("BOT_ASH_MAX_TOKENS", "4000"))
		long = strings.Repeat("You are not alone @everyone, and <@"+r.carol.ID.String()+"> cares, as does <@&"+r.crtRole.ID.String()+">. ", 50)
		if n := utf8.RuneCountInString(long); n < 4500 {
			t.Fatalf("reply of %d characters", n)
		}
		got := r.say("hi", 3)
		total := 0
		for i, m := range got {
			total += utf8.RuneCountInString(m.Content)
			if utf8.RuneCountInString(m.Content) > 2000 || !strings.HasSuffix(m.Content, "cares, as does <@&"+r.crtRole.ID.String()+">.") {
				t.Errorf("part %d: %d characters, ends %q", i, utf8.RuneCountInString(m.Content), m.Content[max(0, len(m.Content)-30):])
			}
			if m.MentionEveryone || len(m.MentionUsers) != 0 || len(m.MentionRoles) != 0 {
				t.Errorf("part %d pings: everyone %v users %v roles %v", i, m.MentionEveryone, m.MentionUsers, m.MentionRoles)
			}
		}
		if len(got) != 3 || total < len(strings.TrimSpace(long))-10 {
			t.Errorf("%d parts, %d characters", len(got), total)
		}
	})
}

// One reply in flight per chat: a message written while Ash answers the
// one before joins the next request, which carries that answer.
func TestAshChatOneReplyInFlight(t *testing.T) {
	forEachProvider(t, func(t *testing.T, provider int) {
		r := startChat(t, provider, nil)
		r.model.SetLatency(300 * time.Millisecond)
		before := len(r.sim.BotMessages(r.channel))
		for _, text := range []string{"first", "second"} {
			if _, err := r.sim.SendMessage(r.channel, r.alice, text); err != nil {
				t.Fatal(err)
			}
		}
		r.waitFor("two answers", func() bool { return len(r.sim.BotMessages(r.channel)) >= before+2 })
		convs := r.model.conversations()
		if len(convs) != 2 || len(convs[1].Turns) != 3 || convs[1].Turns[1].Text != "[turns=1] you said: first" ||
			convs[1].Turns[2].Text != "second" {
			t.Fatalf("conversations %+v", convs)
		}
		if got := r.sim.BotMessages(r.channel)[before+1].Content; got != "[turns=3] you said: second" {
			t.Errorf("second answer %q", got)
		}
		if _, ok := button(r.current(r.alert.ID), alerts.ActionTakeOver); !ok {
			t.Error("alert lost its take-over button")
		}
	})
}

// Two replicas both get every DM: each message is stored and answered
// once, and one reply is in flight for the chat across them.
func TestAshChatTwoReplicas(t *testing.T) {
	h := newHarness(t)
	model := providers[0].start(t, nil, h.env)
	h.startBot()
	_, alert := h.raise("I don't think I can keep going", "high", h.crisis)
	if got := h.talkToAsh(alert, h.carol); !strings.Contains(got, "Ash reached out") {
		t.Fatalf("Talk to Ash: %q", got)
	}
	channel := h.waitDMs(1)[0].ChannelID
	// The second replica joins once the chat runs: both would answer an
	// interaction (one of them too late, which Discord refuses).
	h.startBot()
	model.SetLatency(200 * time.Millisecond)
	for _, text := range []string{"first", "second"} {
		if _, err := h.sim.SendMessage(channel, h.alice, text); err != nil {
			t.Fatal(err)
		}
	}
	last := func() string { m := h.sim.BotMessages(channel); return m[len(m)-1].Content }
	h.waitFor("second answered", func() bool { return strings.HasSuffix(last(), "second") })
	if _, err := h.sim.SendMessage(channel, h.alice, "third"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("third answered", func() bool { return strings.HasSuffix(last(), "you said: third") })
	replies := h.sim.BotMessages(channel)[1:]
	convs := model.conversations()
	if len(convs) != len(replies) || len(replies) < 2 || len(replies) > 3 {
		t.Fatalf("%d model calls, %d replies", len(convs), len(replies))
	}
	seen := map[string]bool{}
	for i, c := range convs {
		if seen[c.LastUser()] {
			t.Errorf("%q answered twice", c.LastUser())
		}
		seen[c.LastUser()] = true
		// Each request carries every answer before it: none overlapped.
		if want := 2*i + 1; len(c.Turns) != want {
			t.Errorf("request %d has %d turns, want %d", i, len(c.Turns), want)
		}
	}
}
