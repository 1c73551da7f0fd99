package discordsim

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/disgoorg/disgo"
	"github.com/disgoorg/disgo/bot"
	"github.com/disgoorg/disgo/gateway"
	"github.com/gorilla/websocket"
)

// These tests drive the gateway with a bare websocket client: connection
// endings (resume, 4004, invalid sessions) cannot be exercised through
// disgo under -race (see connect in sim_test.go), and a raw client also
// pins down the exact wire protocol.

type frame struct {
	Op int             `json:"op"`
	S  int             `json:"s"`
	T  string          `json:"t"`
	D  json.RawMessage `json:"d"`
}

type rawGW struct {
	t        *testing.T
	ws       *websocket.Conn
	compress bool // identified with compress: true
}

func dialRaw(t *testing.T, url string) *rawGW {
	t.Helper()
	ws, rs, err := websocket.DefaultDialer.Dial(url+"?v=10&encoding=json", nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	_ = rs.Body.Close()
	t.Cleanup(func() { _ = ws.Close() })
	g := &rawGW{t: t, ws: ws}
	hello := g.read()
	if hello.Op != opHello {
		t.Fatalf("first frame op %d, want Hello", hello.Op)
	}
	return g
}

func (g *rawGW) send(op int, d any) {
	g.t.Helper()
	if err := g.ws.WriteJSON(map[string]any{"op": op, "d": d}); err != nil {
		g.t.Fatal(err)
	}
}

func (g *rawGW) read() frame {
	g.t.Helper()
	_ = g.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	var f frame
	if err := g.ws.ReadJSON(&f); err != nil {
		g.t.Fatalf("read frame: %v", err)
	}
	return f
}

// readClose reads until the server closes and returns the close code.
func (g *rawGW) readClose() int {
	g.t.Helper()
	_ = g.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := g.ws.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		if err != nil {
			g.t.Fatalf("want close frame, got %v", err)
		}
	}
}

func (g *rawGW) identify(token string, intents gateway.Intents) (sessionID, resumeURL string) {
	g.t.Helper()
	g.send(opIdentify, map[string]any{"token": token, "intents": intents, "properties": map[string]string{"os": "linux"}})
	ready := g.read()
	if ready.Op != opDispatch || ready.T != "READY" || ready.S != 1 {
		g.t.Fatalf("want READY s=1, got %+v", ready)
	}
	var d struct {
		SessionID string `json:"session_id"`
		ResumeURL string `json:"resume_gateway_url"`
	}
	if err := json.Unmarshal(ready.D, &d); err != nil {
		g.t.Fatal(err)
	}
	return d.SessionID, d.ResumeURL
}

func TestRawGatewayHelloHeartbeatIdentify(t *testing.T) {
	sim, _ := newSim(t, Options{HeartbeatInterval: 1234 * time.Millisecond})
	sim.AddChannel("general")
	ws, rs, err := websocket.DefaultDialer.Dial(sim.GatewayURL()+"?v=10&encoding=json", nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = rs.Body.Close()
	defer ws.Close()
	g := &rawGW{t: t, ws: ws}
	hello := g.read()
	var hd struct {
		HeartbeatInterval int `json:"heartbeat_interval"`
	}
	_ = json.Unmarshal(hello.D, &hd)
	if hello.Op != opHello || hd.HeartbeatInterval != 1234 {
		t.Fatalf("hello = %+v", hello)
	}
	g.send(opHeartbeat, nil)
	if ack := g.read(); ack.Op != opHeartbeatACK {
		t.Fatalf("want heartbeat ACK, got %+v", ack)
	}
	g.identify(sim.Token(), gateway.IntentGuilds)
	gc := g.read()
	if gc.T != "GUILD_CREATE" || gc.S != 2 {
		t.Fatalf("want GUILD_CREATE s=2, got %+v", gc)
	}
	var guild struct {
		Channels []struct{ Name string } `json:"channels"`
		Members  []struct {
			User struct{ ID string } `json:"user"`
		} `json:"members"`
	}
	if err := json.Unmarshal(gc.D, &guild); err != nil {
		t.Fatal(err)
	}
	// Without GUILD_MEMBERS only the bot itself is listed.
	if len(guild.Channels) != 1 || guild.Channels[0].Name != "general" || len(guild.Members) != 1 || guild.Members[0].User.ID != DefaultBotUserID.String() {
		t.Errorf("guild create = %s", gc.D)
	}
	g.send(opIdentify, map[string]any{"token": sim.Token(), "intents": 0})
	if code := g.readClose(); code != CloseAlreadyAuthenticated {
		t.Errorf("second identify closed with %d", code)
	}
}

func TestRawGatewayCloseCodes(t *testing.T) {
	cases := []struct {
		name  string
		opts  Options
		badTk bool
		send  func(g *rawGW, token string)
		want  int
	}{
		{"invalid token", Options{}, true, func(g *rawGW, tk string) {
			g.send(opIdentify, map[string]any{"token": tk, "intents": 1})
		}, CloseAuthenticationFailed},
		{"wrong token", Options{Token: "right"}, false, func(g *rawGW, _ string) {
			g.send(opIdentify, map[string]any{"token": "wrong", "intents": 1})
		}, CloseAuthenticationFailed},
		{"missing intents", Options{}, false, func(g *rawGW, tk string) {
			g.send(opIdentify, map[string]any{"token": tk})
		}, CloseInvalidIntents},
		{"disallowed intents", Options{DisallowedIntents: gateway.IntentMessageContent}, false, func(g *rawGW, tk string) {
			g.send(opIdentify, map[string]any{"token": tk, "intents": gateway.IntentMessageContent | gateway.IntentGuilds})
		}, CloseDisallowedIntents},
		{"not authenticated", Options{}, false, func(g *rawGW, _ string) {
			g.send(opPresenceUpdate, map[string]any{"status": "online"})
		}, CloseNotAuthenticated},
		{"unknown opcode", Options{}, false, func(g *rawGW, _ string) {
			g.send(42, nil)
		}, CloseUnknownOpcode},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sim, _ := newSim(t, tc.opts)
			if tc.badTk {
				sim.SetTokenValid(false)
			}
			g := dialRaw(t, sim.GatewayURL())
			tc.send(g, sim.Token())
			if code := g.readClose(); code != tc.want {
				t.Errorf("close code %d, want %d", code, tc.want)
			}
		})
	}
}

func TestRawGatewayResumeReplaysMissedDispatches(t *testing.T) {
	sim, _ := newSim(t, Options{})
	ch := sim.AddChannel("general")
	alice := sim.AddMember("alice")
	all := gateway.IntentGuilds | gateway.IntentGuildMessages | gateway.IntentMessageContent

	g := dialRaw(t, sim.GatewayURL())
	session, resumeURL := g.identify(sim.Token(), all)
	if g.read().T != "GUILD_CREATE" {
		t.Fatal("no GUILD_CREATE")
	}
	// The connection dies without a close frame; the session survives.
	seq := sim.LastEventSeq()
	_ = g.ws.NetConn().Close()
	if _, err := sim.WaitEvent(ctxT(t), seq, func(e Event) bool { return e.Kind == KindGatewayClose }); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.SendMessage(ch, alice, "missed me?"); err != nil {
		t.Fatal(err)
	}
	if sim.ConnectedSessions() != 0 || len(sim.Sessions()) != 1 {
		t.Fatalf("sessions %v connected %d", sim.Sessions(), sim.ConnectedSessions())
	}

	g2 := dialRaw(t, resumeURL)
	g2.send(opResume, map[string]any{"token": sim.Token(), "session_id": session, "seq": 2})
	missed := g2.read()
	if missed.T != "MESSAGE_CREATE" || missed.S != 3 {
		t.Fatalf("want replayed MESSAGE_CREATE s=3, got %+v", missed)
	}
	var m struct{ Content string }
	_ = json.Unmarshal(missed.D, &m)
	if m.Content != "missed me?" {
		t.Errorf("replayed content %q", m.Content)
	}
	if resumed := g2.read(); resumed.T != "RESUMED" || resumed.S != 4 {
		t.Fatalf("want RESUMED s=4, got %+v", resumed)
	}
	// Live dispatches continue on the resumed connection.
	if _, err := sim.SendMessage(ch, alice, "welcome back"); err != nil {
		t.Fatal(err)
	}
	if live := g2.read(); live.T != "MESSAGE_CREATE" || live.S != 5 {
		t.Fatalf("want MESSAGE_CREATE s=5, got %+v", live)
	}

	// Reconnect request and invalid sessions.
	sim.RequestReconnect()
	if f := g2.read(); f.Op != opReconnect {
		t.Fatalf("want op 7, got %+v", f)
	}
	sim.InvalidateSessions(false)
	if f := g2.read(); f.Op != opInvalidSession || string(f.D) != "false" {
		t.Fatalf("want op 9 false, got %+v", f)
	}
	g3 := dialRaw(t, resumeURL)
	g3.send(opResume, map[string]any{"token": sim.Token(), "session_id": session, "seq": 5})
	if f := g3.read(); f.Op != opInvalidSession || string(f.D) != "false" {
		t.Fatalf("resume of a forgotten session: want op 9 false, got %+v", f)
	}
}

func TestRawGatewayServerDisconnect(t *testing.T) {
	sim, _ := newSim(t, Options{})
	g := dialRaw(t, sim.GatewayURL())
	g.identify(sim.Token(), 0)
	sim.DisconnectGateway(CloseUnknownError)
	if code := g.readClose(); code != CloseUnknownError {
		t.Errorf("close code %d", code)
	}
}

func TestRawGatewayRequestGuildMembers(t *testing.T) {
	sim, _ := newSim(t, Options{})
	sim.AddMember("alice")
	sim.AddMember("albert")
	sim.AddMember("bob")
	g := dialRaw(t, sim.GatewayURL())
	g.identify(sim.Token(), gateway.IntentGuildMembers)
	g.send(opRequestGuildMembers, map[string]any{"guild_id": sim.GuildID(), "query": "al", "limit": 0, "nonce": "n1"})
	f := g.read()
	var d struct {
		Members []struct {
			User struct{ Username string } `json:"user"`
		} `json:"members"`
		Nonce string `json:"nonce"`
	}
	_ = json.Unmarshal(f.D, &d)
	if f.T != "GUILD_MEMBERS_CHUNK" || len(d.Members) != 2 || d.Nonce != "n1" {
		t.Errorf("chunk = %s %s", f.T, f.D)
	}
}

func TestInvalidTokenREST(t *testing.T) {
	sim, _ := newSim(t, Options{})
	sim.SetTokenValid(false)
	// GET /gateway needs no auth, so building the client still works; the
	// gateway is never opened here (see connect for why).
	client, err := disgo.New(sim.Token(), append(sim.ClientOpts(), bot.WithLogger(testLogger()))...)
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.Rest.GetCurrentUser("")
	if re := restErr(t, err); re.Response.StatusCode != http.StatusUnauthorized || re.Message != "401: Unauthorized" {
		t.Errorf("REST with bad token: %v", err)
	}
	sim.SetTokenValid(true)
	u, err := client.Rest.GetCurrentUser("")
	if err != nil || u.ID != DefaultBotUserID {
		t.Errorf("after restoring token: %v %v", u, err)
	}
}
