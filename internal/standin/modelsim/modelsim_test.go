package modelsim

import (
	"net/http"
	"runtime"
	"slices"
	"strings"
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

// Every answer, a fault's too, carries its own request id, counted per
// server; ConversationsWith reads only the requests answered with 200.
func TestRequestIDsAndConversations(t *testing.T) {
	s, err := Start(API{
		Serve: func(w http.ResponseWriter, _ *http.Request, _ []byte) int {
			w.WriteHeader(200)
			_, _ = w.Write([]byte(w.Header().Get("x-id")))
			return 200
		},
		WriteFault:      func(w http.ResponseWriter, status int) { w.WriteHeader(status) },
		RequestIDHeader: "x-id",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Inject(Fault{Status: 529})
	var ids []string
	for _, body := range []string{"first", "second", "third"} {
		res, err := http.Post(s.URL()+"/x", "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		ids = append(ids, res.Header.Get("x-id"))
	}
	if want := []string{"req_sim00000001", "req_sim00000002", "req_sim00000003"}; !slices.Equal(ids, want) {
		t.Errorf("request ids %q, want %q", ids, want)
	}
	got := s.ConversationsWith(func(r Recorded) (Conversation, bool) {
		return Conversation{Turns: []Turn{{"user", string(r.Body)}}}, string(r.Body) != "third"
	})
	if len(got) != 1 || got[0].LastUser() != "second" {
		t.Errorf("conversations %+v: want the second only (the first was a fault, the third skipped)", got)
	}
}
