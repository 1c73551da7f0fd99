package discordsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/disgoorg/snowflake/v2"
)

// Discord JSON error codes the simulator produces
// (https://discord.com/developers/docs/topics/opcodes-and-status-codes#json).
const (
	CodeGeneral                   = 0
	CodeUnknownChannel            = 10003
	CodeUnknownGuild              = 10004
	CodeUnknownMember             = 10007
	CodeUnknownMessage            = 10008
	CodeUnknownRole               = 10011
	CodeUnknownUser               = 10013
	CodeUnknownWebhook            = 10015
	CodeUnknownApplicationCommand = 10063
	CodeUnknownInteraction        = 10062
	CodeRequestTooLarge           = 40005
	CodeInteractionAcknowledged   = 40060
	CodeMissingAccess             = 50001
	CodeCannotEditOthersMessage   = 50005
	CodeCannotSendEmptyMessage    = 50006
	CodeCannotMessageUser         = 50007
	CodeInvalidChannelType        = 50024
	CodeInvalidWebhookToken       = 50027
	CodeInvalidFormBody           = 50035
	CodeThreadArchived            = 50083
	CodeThreadAlreadyCreated      = 160004
)

const (
	// maxRequestBody is Discord's "maximum request size when sending a
	// message", 25 MiB (https://discord.com/developers/docs/resources/message#create-message).
	maxRequestBody = 25 << 20
	maxLoggedBody  = 1 << 20
)

// response is what a REST handler produces.
type response struct {
	status int
	body   any
	code   int
	html   string // a page from in front of the API (Cloudflare), sent instead of body
}

type errorBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Errors  any    `json:"errors,omitempty"`
}

func jsonResp(status int, v any) response { return response{status: status, body: v} }

func noContent() response { return response{status: http.StatusNoContent} }

func errResp(status, code int, msg string) response {
	return response{status: status, code: code, body: errorBody{Code: code, Message: msg}}
}

func unknownChannel() response {
	return errResp(http.StatusNotFound, CodeUnknownChannel, "Unknown Channel")
}

func unknownMessage() response {
	return errResp(http.StatusNotFound, CodeUnknownMessage, "Unknown Message")
}

func invalidChannelType() response {
	return errResp(http.StatusBadRequest, CodeInvalidChannelType, "Cannot execute action on this channel type")
}

// formError is a 400 Invalid Form Body naming the offending field by its
// dotted path (e.g. "embeds.0.title"), nested the way Discord nests them.
type formError struct {
	path string
	code string
	msg  string
}

func (e *formError) Error() string { return e.path + ": " + e.msg }

func fieldErr(path, code, format string, args ...any) *formError {
	return &formError{path: path, code: code, msg: fmt.Sprintf(format, args...)}
}

// formResp answers a body that failed to parse or validate: 50006 for an
// empty new message (errEmptyMessage), else 400 Invalid Form Body.
func formResp(err error) response {
	if errors.Is(err, errEmptyMessage) {
		return errResp(http.StatusBadRequest, CodeCannotSendEmptyMessage, "Cannot send an empty message")
	}
	if errors.Is(err, errFileTooLarge) {
		return errResp(http.StatusRequestEntityTooLarge, CodeRequestTooLarge, "Request entity too large")
	}
	var fe *formError
	if !errors.As(err, &fe) {
		return errResp(http.StatusBadRequest, CodeInvalidFormBody, "Invalid Form Body")
	}
	leaf := map[string]any{"_errors": []map[string]string{{"code": fe.code, "message": fe.msg}}}
	parts := strings.Split(fe.path, ".")
	var node any = leaf
	for i := len(parts) - 1; i >= 0; i-- {
		node = map[string]any{parts[i]: node}
	}
	return response{status: http.StatusBadRequest, code: CodeInvalidFormBody, body: errorBody{
		Code: CodeInvalidFormBody, Message: "Invalid Form Body", Errors: node,
	}}
}

// defaultFaultBody is the body Discord sends for each status when a fault
// does not say otherwise.
func defaultFaultBody(status int) (int, string) {
	switch status {
	case http.StatusBadRequest:
		return CodeInvalidFormBody, "Invalid Form Body"
	case http.StatusUnauthorized:
		return CodeGeneral, "401: Unauthorized"
	case http.StatusForbidden:
		return CodeMissingAccess, "Missing Access"
	case http.StatusNotFound:
		return CodeGeneral, "404: Not Found"
	case http.StatusTooManyRequests:
		return CodeGeneral, "You are being rate limited."
	case http.StatusInternalServerError:
		return CodeGeneral, "500: Internal Server Error"
	case http.StatusBadGateway:
		return CodeGeneral, "502: Bad Gateway"
	}
	return CodeGeneral, fmt.Sprintf("%d: %s", status, http.StatusText(status))
}

// apiReq is the per-request context handed to handlers.
type apiReq struct {
	r    *http.Request
	body []byte
}

func (q *apiReq) id(name string) (snowflake.ID, bool) {
	id, err := snowflake.Parse(q.r.PathValue(name))
	return id, err == nil
}

func (q *apiReq) decode(v any) error {
	if len(q.body) == 0 {
		return nil
	}
	if err := json.Unmarshal(q.body, v); err != nil {
		return fmt.Errorf("decode %s body: %w", q.r.URL.Path, err)
	}
	return nil
}

// decodeValid decodes the JSON body into v and, if v has a validate method,
// validates it. The result is the 400 response for a bad body, else nil.
func (q *apiReq) decodeValid(v any) *response {
	if err := q.decode(v); err != nil {
		return ptr(formResp(fieldErr("_body", "JSON_DECODE", "%v", err)))
	}
	if vv, ok := v.(interface{ validate() error }); ok {
		if err := vv.validate(); err != nil {
			return ptr(formResp(err))
		}
	}
	return nil
}

type route struct {
	method string
	path   string // relative to /api/v10, with {name} wildcards
	auth   bool   // requires "Authorization: Bot <token>"
	h      func(*apiReq) response
}

func (s *Sim) routes() http.Handler {
	root := http.NewServeMux()
	for _, rt := range s.apiRoutes() {
		root.HandleFunc(rt.method+" "+apiPrefix+rt.path, s.wrap(rt))
	}
	root.HandleFunc(apiPrefix+"/", s.wrap(route{path: "/*", h: func(*apiReq) response {
		return errResp(http.StatusNotFound, CodeGeneral, "404: Not Found")
	}}))
	root.HandleFunc("GET /gateway", s.serveGateway)
	root.HandleFunc("GET /gateway/resume", s.serveGateway)
	root.HandleFunc("GET /attachments/{channel}/{attachment}/{filename}", s.serveAttachment)
	return root
}

// wrap adds what every Discord REST response has: rate-limit headers, fault
// injection, auth, JSON errors and the request log.
func (s *Sim) wrap(rt route) http.HandlerFunc {
	pattern := strings.TrimSpace(rt.method + " " + rt.path)
	bucket := bucketHash(pattern)
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxRequestBody))
		rel := strings.TrimPrefix(r.URL.Path, apiPrefix)
		req := Request{Method: r.Method, Path: rel, Query: r.URL.RawQuery, Route: pattern, Body: body,
			UserAgent: r.UserAgent(), ContentType: r.Header.Get("Content-Type"), BotToken: hasBotToken(r)}
		if len(body) > maxLoggedBody {
			req.Body, req.BodyTruncated = bytes.Clone(body[:maxLoggedBody]), true
		}
		s.notePermsForRequest(r, &req)
		var res response
		var injected *faultRec
		var lim *limitState
		switch {
		case !ValidUserAgent(req.UserAgent):
			// Cloudflare stops it before Discord sees it: no fault, no auth.
			res = response{status: http.StatusForbidden, code: CloudflareBrowserBanned}
		case err != nil:
			res = errResp(http.StatusRequestEntityTooLarge, CodeRequestTooLarge, "Request entity too large")
		default:
			injected = s.takeFault(r.Method, rel)
			if injected == nil {
				lim = s.takeLimit(r.Method, rel, pattern)
			}
			switch {
			case injected != nil:
				res = injected.response()
				req.Injected = true
			case lim != nil && lim.exceeded:
				res = lim.response()
			case rt.auth && !s.authOK(r):
				res = errResp(http.StatusUnauthorized, CodeGeneral, "401: Unauthorized")
			default:
				res = rt.h(&apiReq{r: r, body: body})
			}
		}
		if res.code == CloudflareBrowserBanned {
			writeCloudflareBlock(w)
		} else {
			s.writeResponse(w, res, bucket, injected, lim)
		}
		req.Status, req.Code = res.status, res.code
		s.mu.Lock()
		req.At = s.nowLocked()
		s.st.requests = append(s.st.requests, req)
		if over := len(s.st.requests) - s.opts.MaxLog; over > 0 {
			s.st.requests = append(s.st.requests[:0:0], s.st.requests[over:]...)
			s.st.dropped += over
		}
		s.notifyLocked()
		s.mu.Unlock()
		if res.status >= 400 {
			s.log.Debug("rest error", slog.String("method", r.Method), slog.String("path", rel),
				slog.Int("status", res.status), slog.Int("code", res.code), slog.Bool("injected", injected != nil))
		}
	}
}

// hasBotToken reports whether r carries "Authorization: Bot <token>".
func hasBotToken(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bot ")
	return ok && strings.TrimSpace(tok) != ""
}

func (s *Sim) authOK(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	if !strings.HasPrefix(h, "Bot ") {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenOKLocked(strings.TrimPrefix(h, "Bot "))
}

func (s *Sim) writeResponse(w http.ResponseWriter, res response, bucket string, f *faultRec, lim *limitState) {
	h := w.Header()
	s.setRateHeaders(h, res, bucket, f, lim)
	if res.html != "" {
		h.Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(res.status)
		_, _ = io.WriteString(w, res.html)
		return
	}
	if res.status == http.StatusNoContent || res.body == nil {
		if res.status == 0 {
			res.status = http.StatusNoContent
		}
		w.WriteHeader(res.status)
		return
	}
	raw, err := json.Marshal(res.body)
	if err != nil {
		s.log.Error("marshal response", slog.Any("err", err))
		raw, res.status = []byte(`{"code":0,"message":"500: Internal Server Error"}`), http.StatusInternalServerError
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(res.status)
	_, _ = w.Write(raw)
}

func (s *Sim) serveAttachment(w http.ResponseWriter, r *http.Request) {
	id, err := snowflake.Parse(r.PathValue("attachment"))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	a, ok := s.st.attachments[id]
	s.mu.Unlock()
	if !ok || a.Filename != r.PathValue("filename") {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(a.Data)))
	_, _ = w.Write(a.Data)
}
