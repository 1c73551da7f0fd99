package logging

import (
	"bytes"
	"errors"
	"log/slog"
	"net/url"
	"strings"
	"testing"
)

const (
	token    = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.s3cr3t-t0k3n_value"
	password = `p<a>ss"w&rd\+/ =`
)

func logTo(format string) (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return New(&buf, Options{Level: "debug", Format: format, Color: true, Secrets: []string{token, password, ""}}), &buf
}

// Every form a secret can take in a record is replaced: in the message, in
// plain and grouped attributes, in an error, in a logger's With attributes,
// inside a JSON payload (escaped) and inside a URL (percent-encoded).
func TestSecretsRedacted(t *testing.T) {
	for _, format := range []string{"json", "text", "human"} {
		log, buf := logTo(format)
		log = log.With("conn", "redis://:"+password+"@host:6379/0")
		log.Info("connecting with "+token, "token", token, "err", errors.New("auth "+password+" refused"),
			slog.Group("g", "url", "https://x/?password="+url.QueryEscape(password)+"&t=1", "path", "https://x/"+url.PathEscape(password)),
			"quoted", `{"d":{"token":"`+token+`"}} trailing`, "any", struct{ P string }{password})
		out := buf.String()
		for _, leak := range []string{token, password, "p<a>ss", `p\u003ca\u003ess`, "p%3Ca%3Ess", "s3cr3t"} {
			if strings.Contains(out, leak) {
				t.Errorf("%s: log holds %q:\n%s", format, leak, out)
			}
		}
		if n := strings.Count(out, Redacted); n < 8 {
			t.Errorf("%s: %d redactions, want at least 8:\n%s", format, n, out)
		}
	}
}

// disgo's debug records of payloads keep their opcode, event name, sequence
// number and size, and lose everything else: message text, user ids, the
// identify token, and interaction tokens in REST paths.
func TestPayloadsWithheld(t *testing.T) {
	log, buf := logTo("json")
	msg := `{"op":0,"t":"MESSAGE_CREATE","s":7,"d":{"content":"i want to end it","author":{"id":"111122223333444455","username":"alice"}}}`
	log.Debug("received gateway message", "data", msg)
	log.Debug("sending gateway message", slog.String("data", `{"op":2,"d":{"token":"other-token","intents":1}}`))
	log.Debug("new request", "endpoint", "https://discord.com/api/v10/interactions/123/aW50ZXJhY3Rpb246dG9rZW4/callback",
		"body", "--boundary\r\nContent-Disposition: form-data; name=\"payload_json\"\r\n\r\n{\"content\":\"hello\"}")
	log.Debug("member", "endpoint", "https://discord.com/api/v10/guilds/1/members/111122223333444455")
	log.Warn("unexpected", "detail", `[{"content":"i want to end it"}]`)
	out := buf.String()
	for _, leak := range []string{"i want to end it", "111122223333444455", "alice", "other-token", "aW50ZXJhY3Rpb246dG9rZW4", "hello"} {
		if strings.Contains(out, leak) {
			t.Errorf("log holds %q:\n%s", leak, out)
		}
	}
	for _, want := range []string{"op=0 t=MESSAGE_CREATE s=7", "op=2", "/interactions/123/" + Redacted + "/callback", "/members/[user]"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

// Wrapping a redacting handler again adds secrets instead of stacking.
func TestRedactMerges(t *testing.T) {
	var buf bytes.Buffer
	h := Redact(slog.NewJSONHandler(&buf, nil), []string{"first-secret"})
	h = Redact(Redact(h, []string{"second-secret"}), []string{"third-secret"})
	if _, ok := h.(*handler).inner.(*handler); ok {
		t.Fatal("handler wrapped twice")
	}
	slog.New(h).Info("first-secret, second-secret and third-secret")
	if out := buf.String(); strings.Contains(out, "secret") {
		t.Errorf("log holds a secret: %s", out)
	}
}

// Ordinary records pass unchanged, with their types.
func TestOrdinaryRecordsKept(t *testing.T) {
	log, buf := logTo("json")
	log.Info("alert posted", "alert_id", "a1", "attempt", 2, "ok", true)
	if want := `"msg":"alert posted","alert_id":"a1","attempt":2,"ok":true}`; !strings.Contains(buf.String(), want) {
		t.Errorf("got %s, want %s", buf.String(), want)
	}
}
