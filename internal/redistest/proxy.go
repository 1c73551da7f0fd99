package redistest

import (
	"io"
	"net"
	"sync"
)

// Proxy is a loopback TCP proxy in front of a server that a test can cut
// and restore, to act out a Redis outage without losing the server's data,
// or turn into a black hole: a Redis that accepts connections and never
// answers (a hung server, a half-dead network path).
type Proxy struct {
	Addr   string
	target string
	ln     net.Listener

	mu    sync.Mutex
	down  bool
	hole  *hole // set while the proxy is a black hole
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// hole is one BlackHole period.
type hole struct {
	// heard is closed when a connection first receives bytes: a client
	// waits for an answer that never comes.
	heard chan struct{}
	once  sync.Once
}

// NewProxy listens on a free loopback port and forwards to target.
func NewProxy(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{Addr: ln.Addr().String(), target: target, ln: ln, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down {
			p.mu.Unlock()
			c.Close()
			continue
		}
		if h := p.hole; h != nil {
			p.conns[c] = struct{}{}
			p.mu.Unlock()
			go h.swallow(c)
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		pipe := func(dst, src net.Conn) {
			io.Copy(dst, src)
			dst.Close()
			src.Close()
		}
		go pipe(up, c)
		go pipe(c, up)
	}
}

// swallow reads and discards what the client sends until it hangs up.
func (h *hole) swallow(c net.Conn) {
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			h.once.Do(func() { close(h.heard) })
		}
		if err != nil {
			c.Close()
			return
		}
	}
}

// BlackHole drops every connection and from then on accepts connections
// but never answers on them, until Up.
func (p *Proxy) BlackHole() {
	p.Down()
	p.mu.Lock()
	p.down, p.hole = false, &hole{heard: make(chan struct{})}
	p.mu.Unlock()
}

// Heard is closed once a client has sent a request into the black hole
// made by the last BlackHole call.
func (p *Proxy) Heard() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.hole == nil {
		return nil
	}
	return p.hole.heard
}

// Down drops every connection and refuses new ones until Up.
func (p *Proxy) Down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// Up accepts connections again.
func (p *Proxy) Up() {
	p.mu.Lock()
	p.down, p.hole = false, nil
	p.mu.Unlock()
}

// Close stops the proxy.
func (p *Proxy) Close() {
	p.Down()
	p.ln.Close()
	p.wg.Wait()
}
