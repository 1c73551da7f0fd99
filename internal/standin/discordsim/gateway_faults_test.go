package discordsim

import (
	"bytes"
	"compress/zlib"
	"encoding/json"
	"io"
	"testing"
	"time"

	"github.com/disgoorg/disgo/gateway"
	"github.com/gorilla/websocket"
)

// readKind reads one frame and says whether it came zlib-compressed, and
// checks that it did exactly when it is large.
func (g *rawGW) readKind() (frame, bool) {
	g.t.Helper()
	_ = g.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	mt, data, err := g.ws.ReadMessage()
	if err != nil {
		g.t.Fatalf("read frame: %v", err)
	}
	compressed := mt == websocket.BinaryMessage
	if compressed {
		zr, err := zlib.NewReader(bytes.NewReader(data))
		if err != nil {
			g.t.Fatalf("binary frame is not zlib: %v", err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			g.t.Fatalf("binary frame is not one whole zlib stream: %v", err)
		}
	}
	var f frame
	if err := json.Unmarshal(data, &f); err != nil {
		g.t.Fatalf("frame %q: %v", data, err)
	}
	if large := len(data) >= compressMin; g.compress && large != compressed {
		g.t.Errorf("%s of %d bytes: compressed %v", f.T, len(data), compressed)
	}
	return f, compressed
}

// With compress: true in Identify, large payloads come as binary frames of
// one zlib stream each, small ones as text; a resumed connection keeps it.
func TestRawGatewayPayloadCompression(t *testing.T) {
	sim, _ := newSim(t, Options{})
	for range 12 {
		sim.AddChannel("a-channel-with-a-long-enough-name")
	}
	g := dialRaw(t, sim.GatewayURL())
	g.compress = true
	g.send(opIdentify, map[string]any{"token": sim.Token(), "intents": gateway.IntentGuilds, "compress": true,
		"properties": map[string]string{"os": "linux"}})
	ready, _ := g.readKind()
	gc, zg := g.readKind()
	if ready.T != "READY" || gc.T != "GUILD_CREATE" || !zg {
		t.Fatalf("GUILD_CREATE compressed %v (%q %q)", zg, ready.T, gc.T)
	}
	g.send(opHeartbeat, 2)
	if ack, z := g.readKind(); ack.Op != opHeartbeatACK || z {
		t.Errorf("heartbeat ACK %+v compressed %v, want small and plain", ack, z)
	}
	var rd struct {
		SessionID string `json:"session_id"`
	}
	_ = json.Unmarshal(ready.D, &rd)
	sim.DisconnectGateway(0)
	sim.AddChannel("another-channel-with-a-long-name")
	sim.AddChannel("and-one-more-channel-for-size")
	g2 := dialRaw(t, sim.GatewayURL()+"/resume")
	g2.compress = true
	g2.send(opResume, map[string]any{"token": sim.Token(), "session_id": rd.SessionID, "seq": 2})
	replayed := 0
	for {
		f, _ := g2.readKind()
		if f.T == "RESUMED" {
			break
		}
		replayed++
	}
	if replayed == 0 {
		t.Error("nothing replayed after resume")
	}

	// Without compress, everything is text.
	g3 := dialRaw(t, sim.GatewayURL())
	g3.send(opIdentify, map[string]any{"token": sim.Token(), "intents": gateway.IntentGuilds, "properties": map[string]string{"os": "linux"}})
	g3.readKind()
	if f, z := g3.readKind(); f.T != "GUILD_CREATE" || z {
		t.Errorf("GUILD_CREATE without compress: %q compressed %v", f.T, z)
	}
}

// StopHeartbeatACKs silences the current connections only.
func TestRawGatewayStopHeartbeatACKs(t *testing.T) {
	sim, _ := newSim(t, Options{})
	g := dialRaw(t, sim.GatewayURL())
	g.identify(sim.Token(), 0)
	sim.StopHeartbeatACKs()
	g.send(opHeartbeat, 1)
	_ = g.ws.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if _, data, err := g.ws.ReadMessage(); err == nil {
		t.Errorf("silenced connection answered %s", data)
	}
	g2 := dialRaw(t, sim.GatewayURL())
	g2.send(opHeartbeat, nil)
	if ack := g2.read(); ack.Op != opHeartbeatACK {
		t.Errorf("new connection: %+v, want an ACK", ack)
	}
}
