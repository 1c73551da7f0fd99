package ash

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/companion"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/schedule/scheduletest"
)

// fakeDM is Discord's REST API as Ash uses it, in memory.
type fakeDM struct {
	mu     sync.Mutex
	sent   []discord.MessageCreate
	typing int
	next   atomic.Int64
}

const dmChannel = snowflake.ID(4242)

func (d *fakeDM) CreateDMChannel(snowflake.ID, ...rest.RequestOpt) (*discord.DMChannel, error) {
	var c discord.DMChannel
	err := json.Unmarshal([]byte(fmt.Sprintf(`{"id":"%d","type":1}`, dmChannel)), &c)
	return &c, err
}

func (d *fakeDM) CreateMessage(_ snowflake.ID, m discord.MessageCreate, _ ...rest.RequestOpt) (*discord.Message, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sent = append(d.sent, m)
	return &discord.Message{ID: snowflake.New(now.Add(time.Duration(d.next.Add(1)) * time.Millisecond))}, nil
}

func (d *fakeDM) UpdateMessage(snowflake.ID, snowflake.ID, discord.MessageUpdate, ...rest.RequestOpt) (*discord.Message, error) {
	return &discord.Message{}, nil
}

func (d *fakeDM) SendTyping(snowflake.ID, ...rest.RequestOpt) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.typing++
	return nil
}

func (d *fakeDM) texts() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []string
	for _, m := range d.sent {
		out = append(out, m.Content)
	}
	return out
}

type fakeTeam struct {
	mu      sync.Mutex
	updates []Update
}

func (f *fakeTeam) AshUpdate(_ context.Context, _ string, u Update) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.updates = append(f.updates, u)
}

func (f *fakeTeam) of(k UpdateKind) []Update {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Update
	for _, u := range f.updates {
		if u.Kind == k {
			out = append(out, u)
		}
	}
	return out
}

type nopSink struct{}

func (nopSink) Add(events.Event) {}

// fakeModel answers with answer(request), after gate (when set) lets it.
type fakeModel struct {
	mu     sync.Mutex
	reqs   []companion.Request
	answer func(n int, r companion.Request) (companion.Reply, error)
	gate   chan struct{}
}

func (f *fakeModel) Complete(_ context.Context, r companion.Request) (companion.Reply, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, r)
	n := len(f.reqs)
	f.mu.Unlock()
	if f.gate != nil {
		<-f.gate
	}
	if f.answer == nil {
		return companion.Reply{Text: fmt.Sprintf("reply %d", n)}, nil
	}
	return f.answer(n, r)
}

func (f *fakeModel) requests() []companion.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]companion.Request(nil), f.reqs...)
}

// rules is the safety rules in miniature: the real ones are package
// safety's, tested there.
type rules struct{}

func (rules) Concern(text string) (string, bool) {
	if strings.Contains(text, "overdose") {
		return "overdose", true
	}
	return "", false
}
func (rules) WantsHuman(text string) bool { return strings.Contains(text, "real person") }

type markerClassifier struct{}

func (markerClassifier) Classify(_ context.Context, text string) (events.Severity, error) {
	for _, s := range []events.Severity{events.Critical, events.High, events.Medium, events.Low} {
		if strings.Contains(text, "["+string(s)+"]") {
			return s, nil
		}
	}
	if strings.Contains(text, "[down]") {
		return "", fmt.Errorf("ash-nlp: unreachable")
	}
	return "", nil
}

type chatRig struct {
	m     *Manager
	dm    *fakeDM
	team  *fakeTeam
	model *fakeModel
	chats *Chats
	s     Session
}

func newChatRig(t *testing.T, model *fakeModel, tweak func(*Options)) *chatRig {
	t.Helper()
	st, rdb := newStore(t)
	chats, err := NewChats(rdb, 7*day)
	if err != nil {
		t.Fatal(err)
	}
	r := &chatRig{dm: &fakeDM{}, team: &fakeTeam{}, model: model, chats: chats}
	opts := Options{
		Store: st, Deadlines: NewDueSet(rdb, SessionDeadlinesKey), Chats: chats, DM: r.dm, Team: r.team, Events: nopSink{},
		ReplyTimeout: time.Second, Safety: rules{}, Classifier: markerClassifier{}, HandoffContext: true,
		ResourcesText: "Call 988.", IdleTimeout: time.Hour, MaxSession: 4 * time.Hour, Clock: scheduletest.NewClock(now),
	}
	if model != nil {
		opts.Model = model
	}
	if tweak != nil {
		tweak(&opts)
	}
	if r.m, err = NewManager(opts); err != nil {
		t.Fatal(err)
	}
	if r.s, err = r.m.Contact(context.Background(), ContactRequest{AlertID: "1001", UserID: "2002", By: "3003", Severity: events.High}); err != nil {
		t.Fatal(err)
	}
	return r
}

var msgSeq atomic.Int64

// say sends text as the person, a second after the last message.
func (r *chatRig) say(t *testing.T, text string) snowflake.ID {
	t.Helper()
	id := snowflake.New(now.Add(time.Duration(msgSeq.Add(1)) * time.Second))
	if err := r.m.HandleMessage(context.Background(), "2002", dmChannel, id, text); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestChatCarriesTheConversation(t *testing.T) {
	r := newChatRig(t, &fakeModel{}, nil)
	r.say(t, "hi, it's been a hard week")
	r.say(t, "my family doesn't get it")
	reqs := r.model.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d model calls", len(reqs))
	}
	if !strings.Contains(reqs[0].System, "You are Ash") || !strings.Contains(reqs[0].System, "> Hi, I'm Ash") {
		t.Errorf("system prompt lacks the persona or the welcome: %q", reqs[0].System)
	}
	want := []companion.Turn{{Role: companion.User, Text: "hi, it's been a hard week"}, {Role: companion.Assistant, Text: "reply 1"},
		{Role: companion.User, Text: "my family doesn't get it"}}
	if fmt.Sprint(reqs[1].Turns) != fmt.Sprint(want) {
		t.Errorf("second request %+v", reqs[1].Turns)
	}
	texts := r.dm.texts()
	if len(texts) != 3 || texts[1] != "reply 1" || texts[2] != "reply 2" {
		t.Errorf("sent %q", texts)
	}
	for _, m := range r.dm.sent[1:] {
		if m.AllowedMentions == nil || len(m.AllowedMentions.Parse) != 0 || len(m.Embeds) != 0 || m.Flags != discord.MessageFlagSuppressEmbeds {
			t.Errorf("reply may mention or embed: %+v", m)
		}
	}
	if r.dm.typing == 0 {
		t.Error("no typing indicator")
	}
	// A message without text (an image alone) is answered too.
	r.say(t, "  ")
	if reqs := r.model.requests(); len(reqs) != 3 || reqs[2].Turns[4].Text != NoTextTurn {
		t.Errorf("no-text message: %+v", reqs[len(reqs)-1].Turns)
	}
	// A replica that got the same gateway event stores and answers nothing.
	id := snowflake.New(now.Add(time.Hour))
	for range 2 {
		if err := r.m.HandleMessage(context.Background(), "2002", dmChannel, id, "same message"); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(r.model.requests()); n != 4 {
		t.Errorf("a duplicate message was answered: %d calls", n)
	}
}

// One reply in flight: what arrives while the model writes joins the
// next request, which the writer sends once it has answered.
func TestChatOneReplyInFlight(t *testing.T) {
	model := &fakeModel{gate: make(chan struct{})}
	r := newChatRig(t, model, nil)
	first := make(chan error, 1)
	go func() {
		first <- r.m.HandleMessage(context.Background(), "2002", dmChannel, snowflake.New(now.Add(time.Second)), "first")
	}()
	waitFor(t, func() bool { return len(model.requests()) == 1 })
	// Two more while the first reply is written: they return at once.
	for i, text := range []string{"second", "third"} {
		if err := r.m.HandleMessage(context.Background(), "2002", dmChannel, snowflake.New(now.Add(time.Duration(2+i)*time.Second)), text); err != nil {
			t.Fatal(err)
		}
	}
	model.gate <- struct{}{}
	model.gate <- struct{}{}
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	reqs := model.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d calls, want 2", len(reqs))
	}
	if last := reqs[1].Turns[len(reqs[1].Turns)-1]; last.Text != "second\n\nthird" || len(reqs[1].Turns) != 3 {
		t.Errorf("second request %+v", reqs[1].Turns)
	}
}

func TestChatConcernAndRise(t *testing.T) {
	r := newChatRig(t, &fakeModel{}, nil)
	r.say(t, "i keep thinking about an overdose [critical]")
	texts := r.dm.texts()
	if got := texts[len(texts)-1]; got != "reply 1\n\nCall 988." {
		t.Errorf("reply %q, want the resources appended", got)
	}
	if c := r.team.of(Concern); len(c) != 1 || c[0].Topic != "overdose" {
		t.Errorf("concern updates %+v", c)
	}
	if u := r.team.of(SeverityRise); len(u) != 1 || u[0].Severity != events.Critical {
		t.Errorf("rise updates %+v", u)
	}
	// The history holds Ash's words, not the resources.
	turns, _ := r.chats.Turns(context.Background(), r.s.ID)
	if turns[len(turns)-1].Text != "reply 1" {
		t.Errorf("stored reply %q", turns[len(turns)-1].Text)
	}
	// Neither a repeat of critical nor high (the alert's) is news; an
	// outage of the classifier leaves the reply alone.
	r.say(t, "still [critical]")
	r.say(t, "[high]")
	r.say(t, "[down]")
	if u := r.team.of(SeverityRise); len(u) != 1 {
		t.Errorf("rise updates %+v", u)
	}
	if n := len(r.model.requests()); n != 4 {
		t.Errorf("%d calls", n)
	}
}

func TestChatHandoffAndNote(t *testing.T) {
	r := newChatRig(t, &fakeModel{}, nil)
	for _, m := range []string{"one [low]", "two", "three [medium]", "four", "can I talk to a real person"} {
		r.say(t, m)
	}
	h := r.team.of(HandoffRequested)
	if len(h) != 1 || h[0].Handoff == nil {
		t.Fatalf("handoff updates %+v", h)
	}
	hc := h[0].Handoff
	if hc.Messages != 5 || fmt.Sprint(hc.Last) != "[three [medium] four can I talk to a real person]" || hc.Duration <= 0 {
		t.Errorf("context %+v", hc)
	}
	if fmt.Sprint(hc.Severities[:4]) != "[low safe medium safe]" {
		t.Errorf("severities %v", hc.Severities)
	}
	s, _ := r.m.Session(context.Background(), r.s.ID)
	if s.EndReason != events.EndHandoff {
		t.Errorf("ended %q", s.EndReason)
	}
	if n := r.chats.rdb.Exists(context.Background(), ChatKey(r.s.ID)).Val(); n != 0 {
		t.Error("the chat's text outlived it")
	}
	notes := r.team.of(SessionNote)
	if len(notes) != 1 || notes[0].Note.Messages != 5 || !notes[0].Note.HandedOff || notes[0].Note.Highest != events.Medium ||
		notes[0].Note.Reason != events.EndHandoff {
		t.Errorf("notes %+v", notes)
	}
	texts := r.dm.texts()
	if !strings.Contains(texts[len(texts)-1], "Crisis Response Team is going to continue") || len(r.model.requests()) != 4 {
		t.Errorf("last DM %q after %d calls", texts[len(texts)-1], len(r.model.requests()))
	}
}

func TestChatModelTrouble(t *testing.T) {
	var fallbacks []string
	timeout := &companion.Error{Kind: companion.Timeout}
	model := &fakeModel{answer: func(n int, _ companion.Request) (companion.Reply, error) {
		switch n {
		case 1, 2, 3, 4: // a timeout, its retry too; then again
			return companion.Reply{}, timeout
		case 5:
			return companion.Reply{Text: "  "}, nil
		}
		return companion.Reply{}, &companion.Error{Kind: companion.Auth, Status: 401}
	}}
	r := newChatRig(t, model, func(o *Options) { o.OnFallback = func(k string) { fallbacks = append(fallbacks, k) } })
	r.say(t, "hello")
	texts := r.dm.texts()
	if fmt.Sprint(texts[1:]) != fmt.Sprint([]string{HoldingText, FallbackText}) {
		t.Errorf("sent %q", texts[1:])
	}
	r.say(t, "hello again")
	r.say(t, "are you there")
	if got := r.dm.texts()[len(r.dm.texts())-1]; got != FallbackText {
		t.Errorf("empty reply answered %q", got)
	}
	// Told once per kind: timeout twice, empty once.
	trouble := r.team.of(ModelTrouble)
	if len(trouble) != 2 || trouble[0].Detail != "timeout" || trouble[1].Detail != FallbackEmpty {
		t.Errorf("trouble %+v", trouble)
	}
	// A refused key: scripted from now on, for every chat, told once.
	r.say(t, "hm")
	r.say(t, "and now")
	if !r.m.ModelOff() || len(model.requests()) != 6 {
		t.Errorf("model off %v after %d calls", r.m.ModelOff(), len(model.requests()))
	}
	if got := r.dm.texts()[len(r.dm.texts())-1]; got != replies[4%len(replies)] {
		t.Errorf("scripted reply %q", got)
	}
	if a := r.team.of(ModelTrouble); len(a) != 3 || a[2].Detail != "auth" {
		t.Errorf("trouble %+v", a)
	}
	if fmt.Sprint(fallbacks) != "[timeout timeout empty auth]" {
		t.Errorf("fallbacks counted %v", fallbacks)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
