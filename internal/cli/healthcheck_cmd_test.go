package cli

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthcheck(t *testing.T) {
	ready := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		if !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"ready":false,"checks":{"redis":"dial tcp: refused"}}`))
			return
		}
		w.Write([]byte(`{"ready":true}`))
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))

	// A wildcard listen address is probed on loopback.
	r := run(t, map[string]string{"BOT_HTTP_ADDR": ":" + port}, "", "healthcheck")
	if r.code != ExitOK || !strings.Contains(r.stdout, "ready") {
		t.Fatalf("ready bot: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	ready = false
	r = run(t, map[string]string{"BOT_HTTP_ADDR": "0.0.0.0:" + port}, "", "healthcheck")
	if r.code != ExitFailed || !strings.Contains(r.stderr, "503") || !strings.Contains(r.stderr, "redis") {
		t.Fatalf("unready bot: exit %d, stderr %q", r.code, r.stderr)
	}
	srv.Close()
	r = run(t, nil, "", "healthcheck", "--url", srv.URL+"/readyz")
	if r.code != ExitFailed || !strings.Contains(r.stderr, "not ready") {
		t.Fatalf("stopped bot: exit %d, stderr %q", r.code, r.stderr)
	}
	r = run(t, map[string]string{"BOT_HTTP_ADDR": ""}, "", "healthcheck")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "BOT_HTTP_ADDR") {
		t.Fatalf("no address: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestReadyURL(t *testing.T) {
	for addr, want := range map[string]string{
		":30881":          "http://127.0.0.1:30881/readyz",
		"0.0.0.0:30881":   "http://127.0.0.1:30881/readyz",
		"[::]:30881":      "http://[::1]:30881/readyz",
		"10.0.0.5:9102":   "http://10.0.0.5:9102/readyz",
		"localhost:30881": "http://localhost:30881/readyz",
	} {
		if got, err := readyURL(addr); err != nil || got != want {
			t.Errorf("readyURL(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
	if _, err := readyURL("localhost"); err == nil {
		t.Error("an address without a port should be refused")
	}
}
