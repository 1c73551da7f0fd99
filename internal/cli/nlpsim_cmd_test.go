package cli

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestNLPSimCommand(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan result, 1)
	go func() {
		var out, errb bytes.Buffer
		code := Main(ctx, []string{"nlp-sim", "--addr", addr, "--status", "503", "--not-ready"}, &Env{
			Stdout: &out, Stderr: &errb, LookupEnv: func(string) (string, bool) { return "", false },
		})
		done <- result{code, out.String(), errb.String()}
	}()
	var resp *http.Response
	for deadline := time.Now().Add(5 * time.Second); ; {
		resp, err = http.Post("http://"+addr+"/analyze", "application/json", strings.NewReader(`{"message": "I want to end it all"}`))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nlp-sim not listening: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	resp.Body.Close()
	if resp.StatusCode != 503 {
		t.Errorf("/analyze with --status 503: %d", resp.StatusCode)
	}
	if resp, err := http.Get("http://" + addr + "/health"); err != nil || resp.StatusCode != 503 {
		t.Errorf("/health with --not-ready: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	cancel()
	r := <-done
	if r.code != ExitOK || !strings.Contains(r.stderr, "http://"+addr) || !strings.Contains(r.stderr, "stopped after 2 requests") {
		t.Errorf("exit %d, stderr %s", r.code, r.stderr)
	}
}

func TestNLPSimCommandUsage(t *testing.T) {
	for _, args := range [][]string{{"nlp-sim", "extra"}, {"nlp-sim", "--status", "200"}, {"nlp-sim", "--latency", "soon"}} {
		if r := run(t, nil, "", args...); r.code != ExitUsage {
			t.Errorf("%v: exit %d", args, r.code)
		}
	}
}
