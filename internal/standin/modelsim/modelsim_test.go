package modelsim

import (
	"net/http"
	"runtime"
	"testing"
)

func TestCompleteCutsAtMaxTokens(t *testing.T) {
	c := Conversation{System: "be kind", Turns: []Turn{{"user", "a b"}, {"assistant", "c"}, {"user", "d e f"}}}
	text, in, out, cut := Complete(nil, c)
	if text != "[turns=3] you said: d e f" || in != 8 || out != 6 || cut {
		t.Fatalf("got %q %d %d %v", text, in, out, cut)
	}
	c.MaxTokens = 2
	if text, _, out, cut := Complete(nil, c); text != "[turns=3] you" || out != 2 || !cut {
		t.Fatalf("cut: got %q %d %v", text, out, cut)
	}
}

// A hanging request is released when the stand-in closes, so tests end.
func TestHangEndsWithClose(t *testing.T) {
	s, err := Start(API{
		Serve:      func(w http.ResponseWriter, _ *http.Request, _ []byte) int { w.WriteHeader(200); return 200 },
		WriteFault: func(w http.ResponseWriter, status int) { w.WriteHeader(status) },
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Inject(Fault{Hang: true})
	done := make(chan error, 1)
	go func() {
		res, err := http.Post(s.URL()+"/x", "application/json", nil)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	for len(s.Recorded()) == 0 {
		runtime.Gosched() // the request is recorded before it hangs
	}
	s.Close()
	<-done
	if rec := s.Recorded(); len(rec) != 1 || rec[0].Status != 0 {
		t.Fatalf("recorded %+v", rec)
	}
}
