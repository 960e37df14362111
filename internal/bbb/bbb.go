// Package bbb is meetd's BigBlueButton API (doc/bbb.md): /bigbluebutton/api/<call> with BBB's
// checksum and XML answers, on the same rooms as the plugNmeet API. A meeting created through it
// is a meetd room's session; BBB's own data (the client's meetingID, passwords, meta_*, options)
// is kept beside the session (store bbb_meetings).
package bbb

import (
	"context"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meet"
	"meetd/internal/recorder"
	"meetd/internal/rooms"
	"meetd/internal/store"
)

// Config is the BBB API's configuration (config bbb.*).
type Config struct {
	// Secrets are the shared secrets a checksum may be made with (any of them); none: the API
	// secret. An empty secret is never accepted.
	Secrets []string
	// Algorithms are the checksum algorithms accepted (sha1, sha256, sha384, sha512); none: all four.
	Algorithms []string
	// APIKey, if set, also serves the API under /<api_key>/bigbluebutton/ (plugNmeet's BBB path).
	APIKey string
}

// Store is what the BBB API needs of the store. meetingStore is the meetings' part (meetings.go);
// recordingStore and hookStore are the recordings' and hooks' parts (recordings.go, hooks.go).
type Store interface {
	meetingStore
	recordingStore
	hookStore
}

// meetingStore is the store of the meeting calls.
type meetingStore interface {
	Session(ctx context.Context, roomID string) (*meet.Session, error)
	SessionBySID(ctx context.Context, sid string) (*meet.Session, error)
	RunningSessions(ctx context.Context) ([]*meet.Session, error)
	Users(ctx context.Context, sid string) (map[string]*meet.User, error)
	PutBBBMeeting(ctx context.Context, m *store.BBBMeeting) (*store.BBBMeeting, bool, error)
	BBBMeeting(ctx context.Context, sid string) (*store.BBBMeeting, error)
	UpdateBBBMeetingData(ctx context.Context, sid string, d store.BBBMeetingData) error
	BBBAdmit(ctx context.Context, sid, userID, name string, at time.Time) error
}

// Deps are the services the BBB API drives.
type Deps struct {
	Store Store
	Rooms *rooms.Service
	Keys  auth.Keys
	Log   *slog.Logger
	Now   func() time.Time // nil: time.Now
	// PageURL is the meeting page's absolute URL ("https://host/") for a request; nil: from the
	// request's Host (and TLS).
	PageURL func(r *http.Request) string
	// Draining, if set, reports a graceful shutdown: create (of a new meeting) and join are
	// refused, as the plugNmeet API refuses new rooms and joins.
	Draining func() bool

	// (bbbrec) Recorder is meetd's recordings, which getRecordings lists, the playback serves and
	// deleteRecordings deletes (recordings.go); Domain is the server's name in hook calls
	// (callbacks.go; "" : localhost).
	Recorder *recorder.Service
	Domain   string
}

// Server serves the BBB API.
type Server struct {
	cfg   Config
	deps  Deps
	store Store
	rooms *rooms.Service
	log   *slog.Logger
	now   func() time.Time
	algos map[string]bool
}

// New makes the BBB API server.
func New(cfg Config, deps Deps) *Server {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	var secrets []string
	for _, s := range cfg.Secrets {
		if s != "" {
			secrets = append(secrets, s)
		}
	}
	if len(secrets) == 0 {
		secrets = []string{deps.Keys.APISecret}
	}
	cfg.Secrets = secrets
	if len(cfg.Algorithms) == 0 {
		cfg.Algorithms = AllAlgorithms
	}
	s := &Server{cfg: cfg, deps: deps, store: deps.Store, rooms: deps.Rooms, log: deps.Log, now: deps.Now, algos: map[string]bool{}}
	for _, a := range cfg.Algorithms {
		s.algos[strings.ToLower(a)] = true
	}
	return s
}

// call is one BBB API call: it answers the parsed request.
type call func(s *Server, ctx context.Context, r *Request) *Response

// calls are every call name of the BBB API that meetd answers (doc/bbb.md); any other name is
// HTTP 404, as bbb-web answers.
var calls = map[string]call{
	// meetings (meetings.go)
	"create":            (*Server).create,
	"join":              (*Server).join,
	"isMeetingRunning":  (*Server).isMeetingRunning,
	"end":               (*Server).end,
	"getMeetingInfo":    (*Server).getMeetingInfo,
	"getMeetings":       (*Server).getMeetings,
	"sendChatMessage":   (*Server).sendChatMessage,
	"insertDocument":    (*Server).insertDocument,
	"getSessions":       (*Server).getSessions,
	"getJoinUrl":        notImplemented,
	"learningDashboard": notImplemented,
	"feedback":          notImplemented,
	// recordings (recordings.go)
	"getRecordings":          (*Server).getRecordings,
	"publishRecordings":      (*Server).publishRecordings,
	"updateRecordings":       (*Server).updateRecordings,
	"deleteRecordings":       (*Server).deleteRecordings,
	"getRecordingTextTracks": (*Server).getRecordingTextTracks,
	"putRecordingTextTrack":  (*Server).putRecordingTextTrack,
	// hooks (hooks.go)
	"hooks/create":  (*Server).hooksCreate,
	"hooks/destroy": (*Server).hooksDestroy,
	"hooks/list":    (*Server).hooksList,
}

// postCalls are the calls that take POST, and what body each accepts: "form" (params in an
// application/x-www-form-urlencoded body) and/or "xml" (a document, params in the query).
var postCalls = map[string][]string{
	"create":                {"form", "xml"},
	"insertDocument":        {"xml"},
	"end":                   {"form"},
	"isMeetingRunning":      {"form"},
	"getMeetingInfo":        {"form"},
	"getMeetings":           {"form"},
	"updateRecordings":      {"form"},
	"putRecordingTextTrack": {"multipart"},
}

// noChecksum are the calls that need no checksum: the version (call "").
var noChecksum = map[string]bool{"": true}

// Request is one call as received.
type Request struct {
	Call     string     // "create", "hooks/create"; "" for the version
	Params   url.Values // the query's parameters, and a form body's
	RawQuery string     // as received: the checksum is computed over it
	Body     []byte     // an XML body (create, insertDocument), or nil
	HTTP     *http.Request
}

// Get is a parameter's first value, "" if absent.
func (r *Request) Get(name string) string { return r.Params.Get(name) }

// Has reports whether the parameter was given (even empty).
func (r *Request) Has(name string) bool { _, ok := r.Params[name]; return ok }

// maxBody is the body limit of a call (BBB's default 2 MB).
const maxBody = 2 << 20

// prefix is the BBB API's path.
const prefix = "/bigbluebutton/api"

// Register mounts the BBB API on mux: /bigbluebutton/api[/<call>] and, with an API key,
// /<api_key>/bigbluebutton/api[/<call>].
func (s *Server) Register(mux *http.ServeMux) {
	for pattern, h := range s.Mounts() {
		mux.Handle(pattern, h)
	}
}

// Mounts are the BBB API's routes by pattern (httpapi.Server.Mounts takes them): GET and POST,
// which do not conflict with the page's "GET /".
func (s *Server) Mounts() map[string]http.Handler {
	paths := []string{prefix, prefix + "/"}
	if k := s.cfg.APIKey; plainKey.MatchString(k) {
		paths = append(paths, "/"+k+prefix, "/"+k+prefix+"/")
	}
	m := map[string]http.Handler{}
	for _, p := range paths {
		m["GET "+p] = s
		m["POST "+p] = s
	}
	m["GET "+playbackPath+"{id}"] = http.HandlerFunc(s.playback) // (bbbrec) recordings.go
	return m
}

// plainKey is an API key that can be a path segment of a route pattern as it is.
var plainKey = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)

// ServeHTTP answers one BBB call.
func (s *Server) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	path := hr.URL.Path
	if k := s.cfg.APIKey; k != "" && strings.HasPrefix(path, "/"+k+prefix) {
		path = strings.TrimPrefix(path, "/"+k)
	}
	name := strings.TrimPrefix(strings.TrimPrefix(path, prefix), "/")
	if name == "" {
		writeResponse(w, hr, version())
		return
	}
	c, ok := calls[name]
	if !ok {
		http.NotFound(w, hr)
		return
	}
	r, res := s.parse(hr, name)
	if res == nil {
		res = c(s, hr.Context(), r)
	}
	writeResponse(w, hr, res)
}

// parse reads the request: its query, a form or XML body where the call takes one, and checks
// the checksum. A non-nil Response is the answer (an error).
func (s *Server) parse(hr *http.Request, name string) (*Request, *Response) {
	r := &Request{Call: name, RawQuery: hr.URL.RawQuery, HTTP: hr}
	q, err := url.ParseQuery(hr.URL.RawQuery)
	if err != nil {
		q = lenientQuery(hr.URL.RawQuery)
	}
	r.Params = q
	var formBody []byte
	switch hr.Method {
	case http.MethodGet, http.MethodHead:
	case http.MethodPost:
		body, err := io.ReadAll(io.LimitReader(hr.Body, maxBody+1))
		if err != nil {
			return nil, fail("badRequest", "could not read the request body")
		}
		if len(body) > maxBody {
			return nil, fail("requestTooLarge", "the request body is larger than 2 MB")
		}
		if len(body) == 0 {
			break
		}
		ct, _, _ := mime.ParseMediaType(hr.Header.Get("Content-Type"))
		kinds := postCalls[name]
		switch {
		case (ct == "application/xml" || ct == "text/xml") && has(kinds, "xml"):
			r.Body = body
		case ct == "application/x-www-form-urlencoded" && has(kinds, "form"):
			form, err := url.ParseQuery(string(body))
			if err != nil {
				form = lenientQuery(string(body))
			}
			for k := range form {
				if _, dup := q[k]; dup && k != "checksum" {
					return nil, fail("checksumError", "You did not pass the checksum security check")
				}
			}
			formBody = body
			r.Params = mergeValues(q, form)
		case ct == "multipart/form-data" && has(kinds, "multipart"):
			r.Body = body
		default:
			return nil, fail("unsupportedContentType", "POST request Content-Type is missing or unsupported")
		}
	default:
		return nil, fail("unsupportedRequestMethod", "the request method is not supported")
	}
	if noChecksum[name] {
		return r, nil
	}
	if !s.verify(name, hr.URL.RawQuery, formBody) {
		return nil, fail("checksumError", "You did not pass the checksum security check")
	}
	delete(r.Params, "checksum")
	return r, nil
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func mergeValues(a, b url.Values) url.Values {
	out := url.Values{}
	for k, v := range a {
		out[k] = append(out[k], v...)
	}
	for k, v := range b {
		out[k] = append(out[k], v...)
	}
	return out
}

// lenientQuery parses a query whose escapes are not all valid: each pair is kept, its bad escapes as written.
func lenientQuery(raw string) url.Values {
	out := url.Values{}
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		out[k] = append(out[k], v)
	}
	return out
}

// notImplemented answers a call meetd does not build (doc/bbb.md): FAILED notImplemented,
// never a success that would claim it acted.
func notImplemented(_ *Server, _ context.Context, r *Request) *Response {
	return fail("notImplemented", "meetd does not implement "+r.Call)
}
