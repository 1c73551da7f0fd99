package discordsim

import (
	"bytes"
	"compress/zlib"

	"github.com/gorilla/websocket"
)

// compressMin is the size from which a session that identified with
// compress: true gets a payload zlib-compressed. Discord compresses "large"
// payloads without saying where large starts
// (https://discord.com/developers/docs/events/gateway#payload-compression):
// READY and GUILD_CREATE are always above this, heartbeat ACKs below.
const compressMin = 1024

// wireFrame is how data goes on the wire for c: a text frame, or, once the
// session asked for payload compression and data is large, a binary frame
// holding one whole zlib stream (each payload compressed on its own).
func (c *gwConn) wireFrame(data []byte) (int, []byte) {
	c.mu.Lock()
	compress := c.compress
	c.mu.Unlock()
	if !compress || len(data) < compressMin {
		return websocket.TextMessage, data
	}
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	_, _ = zw.Write(data) // writes to a bytes.Buffer do not fail
	_ = zw.Close()
	return websocket.BinaryMessage, buf.Bytes()
}

func (c *gwConn) setCompress(on bool) {
	c.mu.Lock()
	c.compress = on
	c.mu.Unlock()
}

// acks reports whether c answers heartbeats (see StopHeartbeatACKs).
func (c *gwConn) acks() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.noACK
}

// StopHeartbeatACKs makes every current gateway connection ignore the
// client's heartbeats, as a half-open connection does: nothing arrives,
// nothing is said. Discord expects the client to notice the missing
// HEARTBEAT_ACK, close and resume
// (https://discord.com/developers/docs/events/gateway#heartbeat-interval-example-heartbeat-ack);
// new connections are ACKed again.
func (s *Sim) StopHeartbeatACKs() {
	s.mu.Lock()
	conns := s.st.allConns()
	s.mu.Unlock()
	for _, c := range conns {
		c.mu.Lock()
		c.noACK = true
		c.mu.Unlock()
	}
}
