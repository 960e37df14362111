package httpapi

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meet"
)

// Every route is a handler behind a door: the door's middleware authenticates the caller, the
// handler returns an answer or an error, and respond writes it with the HTTP status that
// meet.Codes gives the code at that door (doc/api.md, "Status codes").

// handler serves one call: the request in, the answer (written as JSON) or an error out. An
// answer that is an http.Handler writes itself (a file, an event stream).
type handler func(r *http.Request) (any, error)

// serve runs h at door: the body is limited to maxBody, and respond writes what h returns.
func (s *Server) serve(door meet.Door, h handler) http.Handler {
	return s.serveLimit(door, maxBody, h)
}

// serveLimit is serve with a body limit of its own: the meeting page's calls and the sign-in
// take smallBody.
func (s *Server) serveLimit(door meet.Door, limit int64, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		res, err := h(r)
		s.respond(w, r, door, res, err)
	})
}

// respond writes the outcome of a request at door: res on success, else err's envelope. A
// client-facing error (a *meet.Error) shows its code and message; anything else is logged and
// answered as INTERNAL_SERVER_ERROR, without its cause. The download door answers client errors
// as plain text, for the browser that follows the link.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, door meet.Door, res any, err error) {
	if err == nil {
		switch a := res.(type) {
		case http.Handler:
			a.ServeHTTP(w, r)
		case withCookie:
			http.SetCookie(w, a.cookie)
			s.respond(w, r, door, a.answer, nil)
		default:
			writeJSON(w, status(door, meet.CodeSuccess), res)
		}
		return
	}
	var e *meet.Error
	if !errors.As(err, &e) || e.Code == meet.CodeInternalServerError {
		s.Log.Error("request failed", "path", r.URL.Path, "err", err)
		e = errInternal
	}
	code, ok := meet.Status(door, e.Code)
	if !ok {
		s.Log.Error("request failed with a code its door does not answer", "path", r.URL.Path, "code", e.Code, "err", err)
		e = errInternal
		code = status(door, e.Code)
	}
	if e.Code == meet.CodeServerDraining {
		w.Header().Set("Retry-After", "30")
	}
	if door == meet.DoorDownload && e != errInternal {
		http.Error(w, e.Msg, code)
		return
	}
	writeJSON(w, code, failure(e))
}

// errInternal is what a client sees of an error that is not for them.
var errInternal = &meet.Error{Code: meet.CodeInternalServerError, Msg: "internal server error"}

// status is the HTTP status of a code that every door answers (success, internal error).
func status(door meet.Door, code meet.Code) int {
	s, ok := meet.Status(door, code)
	if !ok {
		panic("meet.Codes has no status for " + string(code))
	}
	return s
}

// withCookie is an answer that sets a cookie first (the dashboard's session).
type withCookie struct {
	cookie *http.Cookie
	answer any
}

// The doors' authentication.

// signed is the door of the signed API: API-KEY and a signature, plugNmeet's HASH-SIGNATURE over
// the body or meetd's X-Meetd-Signature over method, path, timestamp, nonce and body (doc/api.md,
// "Signatures"), from a key whose scope allows the route (auth.ScopeRead or auth.ScopeFull).
// A verified call's dialect (wire.go) is told by its body, else by what its API key last sent.
func (s *Server) signed(scope auth.Scope, h handler) handler {
	return verified(func(r *http.Request, body []byte) (*http.Request, error) {
		cred, err := s.verifier.Verify(r.Context(), r, body, scope)
		if err != nil {
			return r, err
		}
		return withWire(r, s.wires.of(r.Context(), s.WireStore, s.Log, cred.Key, body, s.Wire)), nil
	}, h)
}

// dashboard is the door of the dashboard's API calls: its session cookie and the
// X-Meetd-Dashboard header, which a cross-site form cannot set.
func (s *Server) dashboard(h handler) handler {
	return verified(func(r *http.Request, _ []byte) (*http.Request, error) {
		if r.Header.Get(dashboardHeader) != "1" {
			return r, meet.Errorf(meet.CodeMissingRequiredParameter, "the "+dashboardHeader+" header is required")
		}
		return r, s.dashboardCookie(r)
	}, h)
}

// verified reads the body first (a signature covers it), lets verify check the request (and add
// to its context), then runs h, which decodes the body again.
func verified(verify func(r *http.Request, body []byte) (*http.Request, error), h handler) handler {
	return func(r *http.Request) (any, error) {
		body, err := readBody(r)
		if err != nil {
			return nil, err
		}
		if r, err = verify(r, body); err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		return h(r)
	}
}

// page is the door of the meeting page: the caller's join or page token as
// "Authorization: Bearer <token>". The door checks the token's signature, times and use before
// anything reads the body (doc/security.md), so a stranger's body costs no JSON work; the room
// service then checks the token against the store (rooms.Service.Join, Moderator, Hand), and h
// reads it with pageToken. uses are the token uses h takes besides a join token's ("").
func (s *Server) page(h handler, uses ...string) handler {
	return func(r *http.Request) (any, error) {
		token := pageToken(r)
		if token == "" {
			return nil, meet.Errorf(meet.CodeMissingRequiredParameter, "Authorization: Bearer <access_token> is required")
		}
		var c auth.JoinClaims
		if err := auth.Parse(s.Keys.APISecret, token, &c, s.now()); err != nil {
			return nil, &meet.Error{Code: meet.CodeInvalidTokenOrSignature, Msg: "invalid or expired access token", Err: err}
		}
		if c.Use != "" && !slices.Contains(uses, c.Use) {
			return nil, meet.Errorf(meet.CodeInvalidTokenOrSignature, "this token cannot be used here")
		}
		return h(r)
	}
}

// pageToken is the bearer token of a meeting page request, or "".
func pageToken(r *http.Request) string {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	return token
}

// stream is the door of the event streams: check says whether the caller may listen.
func stream(check func(r *http.Request) error, h handler) handler {
	return func(r *http.Request) (any, error) {
		if err := check(r); err != nil {
			return nil, &meet.Error{Code: meet.CodeInvalidTokenOrSignature, Msg: "a valid stream token is required", Err: err}
		}
		return h(r)
	}
}

// streamToken checks the ?token= of /auth/events (from /auth/events/token).
func (s *Server) streamToken(r *http.Request) error {
	return s.Keys.CheckPurpose(r.URL.Query().Get("token"), auth.PurposeEvents, time.Now())
}
