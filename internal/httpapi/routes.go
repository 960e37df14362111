// Package httpapi is meetd's HTTP surface: the signed management API under /auth/, the dashboard,
// the meeting page's calls, downloads, the event stream, health, and the mount points of the web
// pages. Every route is a handler behind a door (doors.go): the door authenticates, the handler
// decodes, calls the room service and returns an answer or an error, and respond writes it with
// the HTTP status that meet.Codes gives at that door. The rules live in the room service.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"meetd/internal/analytics"
	"meetd/internal/auth"
	"meetd/internal/meet"
	"meetd/internal/outbox"
	"meetd/internal/recorder"
	"meetd/internal/rooms"
)

// Server holds what the handlers need.
type Server struct {
	Rooms    *rooms.Service
	Webhooks *outbox.Dispatcher
	// Analytics serves the attendance reports.
	Analytics *analytics.Service
	// Recordings records rooms and serves the recordings.
	Recordings *recorder.Service
	Keys       auth.Keys
	// APIKeys are the signed API's keys besides Keys (config api.keys), RequireV2 where its v1
	// signatures are refused, Nonces where v2 nonces are kept (nil: in memory; doc/api.md).
	APIKeys   []auth.Credential
	RequireV2 auth.RequireV2
	Nonces    auth.NonceStore
	verifier  *auth.Verifier
	Log       *slog.Logger
	// LiveKitURL returns the media server's WebSocket URL for a client that reached meetd with r.
	LiveKitURL func(r *http.Request) string
	// Ready reports whether the store and media are up.
	Ready func(ctx context.Context) error
	// DashboardPassword, if set, signs in to the dashboard besides the API key and secret.
	DashboardPassword string
	// Metrics, if set, counts requests; MetricsHandler serves /metrics (behind MetricsPassword).
	Metrics         *Metrics
	MetricsHandler  http.Handler
	MetricsPassword string
	// Mounts are further handlers by pattern: the LiveKit webhook receiver, the web pages.
	Mounts map[string]http.Handler
	// Wire is the dialect of answers to a call whose body shows none, from an API key that has
	// shown none yet (config api.wire; wire.go).
	Wire Wire
	// WireStore, if set, keeps what each API key last showed across restarts and processes.
	WireStore WireStore
	wires     wires
	// the dashboard's sign-in back-off and signed-out sessions (dashboard.go); clock is time.Now
	// but in tests
	signins signinThrottle
	revoked revokedSessions
	// SignOuts, if set, keeps signed-out dashboard sessions across restarts and processes.
	SignOuts SignOutStore
	clock    func() time.Time
	// Draining, if set, reports a graceful shutdown: /healthz answers 503, and new rooms and
	// joins are refused with SERVER_DRAINING (HTTP 503) while running meetings go on.
	Draining func() bool
	// StreamsPerToken and StreamsMax cap the open event streams per token (or dashboard session)
	// and in all; 0: 4 and 256 (events.go).
	StreamsPerToken, StreamsMax int
	streams                     streamCount
	// EventsPoll is how often a stream reads the store without EventsWritten; 0: 200 ms. With
	// the store wired to EventsWritten, only events written by another process wait for it.
	EventsPoll time.Duration
	bell       eventBell
	// AllowedOrigins are the origins whose pages may call the page API (/api/...) from the
	// browser (config embed.allowed_origins); none or "*": any. AssetsURL, if set, is
	// getClientFiles' static_assets_path (config embed.assets_url). See embed.go.
	AllowedOrigins []string
	AssetsURL      string
}

// Handler lists the whole HTTP API on one page. Each route is a handler behind its door (see
// doors.go): the door authenticates, and the door decides the HTTP status of each answer.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.verifier = &auth.Verifier{RequireV2: s.RequireV2, Nonces: s.Nonces,
		Keys: append([]auth.Credential{{Key: s.Keys.APIKey, Secret: s.Keys.APISecret, Scope: auth.ScopeFull}}, s.APIKeys...)}

	// Every API call is served twice: signed with the API key for backends, and with the
	// dashboard's session cookie for the dashboard. Same handler, same room service. signed
	// marks a call that changes state or hands out a join or download token (a key of scope full);
	// reads one that only reads, which a read-only API key may call too (doc/api.md, "Signatures").
	signed := func(path string, h handler) {
		mux.Handle("POST /auth/"+path, s.serve(meet.DoorAPI, s.signed(auth.ScopeFull, h)))
		mux.Handle("POST /dashboard/api/"+path, s.serve(meet.DoorDashboard, s.dashboard(h)))
	}
	reads := func(path string, h handler) {
		mux.Handle("POST /auth/"+path, s.serve(meet.DoorAPI, s.signed(auth.ScopeRead, h)))
		mux.Handle("POST /dashboard/api/"+path, s.serve(meet.DoorDashboard, s.dashboard(h)))
	}
	// new rooms and joins: refused while meetd drains
	starts := func(path string, h handler) {
		mux.Handle("POST /auth/"+path, s.serve(meet.DoorAPI, s.unlessDraining(s.signed(auth.ScopeFull, h))))
		mux.Handle("POST /dashboard/api/"+path, s.serve(meet.DoorDashboard, s.unlessDraining(s.dashboard(h))))
	}
	starts("room/create", s.roomCreate)
	starts("room/getJoinToken", s.getJoinToken)
	reads("room/isRoomActive", s.isRoomActive)
	reads("room/getActiveRoomInfo", s.getActiveRoomInfo)
	reads("room/getActiveRoomsInfo", s.getActiveRoomsInfo)
	signed("room/endRoom", s.endRoom)
	reads("room/fetchPastRooms", s.fetchPastRooms)
	signed("room/broadcastToRoom", s.broadcastToRoom)
	signed("room/removeParticipant", s.removeParticipant)
	signed("room/muteTrack", s.muteTrack)
	signed("room/updateLockSettings", s.updateLockSettings)
	reads("analytics/fetch", s.analyticsFetch)
	signed("analytics/delete", s.analyticsDelete)
	signed("analytics/getDownloadToken", s.analyticsDownloadToken)
	reads("analytics/attendance", s.analyticsAttendance)
	reads("artifact/fetch", s.artifactFetch)
	reads("artifact/info", s.artifactInfo)
	signed("artifact/delete", s.artifactDelete)
	signed("artifact/getDownloadToken", s.artifactDownloadToken)
	signed("recording/start", s.recordingStart)
	signed("recording/stop", s.recordingStop)
	reads("recording/fetch", s.recordingFetch)
	reads("recording/info", s.recordingInfo)
	reads("recording/recordingInfo", s.recordingInfo) // the old name, which PHP SDK 1.x calls
	signed("recording/updateMetadata", s.recordingUpdateMetadata)
	signed("recording/mergeRecordings", s.recordingMerge)
	signed("recording/delete", s.recordingDelete)
	signed("recording/getDownloadToken", s.recordingDownloadToken)
	signed("rtmp/start", s.rtmpStart)
	signed("rtmp/stop", s.rtmpStop)
	// polls (polls.go)
	signed("polls/create", s.pollsCreate)
	reads("polls/list", s.pollsList)
	reads("polls/results", s.pollsResults)
	signed("polls/close", s.pollsClose)
	// /polls
	reads("chat/history", s.chatHistory) // chat (chat.go)
	signed("chat/delete", s.chatDelete)
	// shared notes (notes.go)
	reads("notes/download", s.notesDownload)
	// /shared notes
	reads("whiteboard/download", s.whiteboardDownload) // whiteboard (whiteboard.go)
	reads("webhook/deliveries", s.webhookDeliveries)
	signed("webhook/redeliver", s.webhookRedeliver)
	// waiting room (waiting.go)
	reads("waitingRoom/list", s.waitingAPI("list"))
	signed("waitingRoom/admit", s.waitingAPI("admit"))
	signed("waitingRoom/reject", s.waitingAPI("reject"))
	signed("waitingRoom/update", s.waitingAPI("update"))
	// /waiting room
	// breakout rooms (breakout.go)
	starts("breakoutRoom/create", s.breakoutCreate)
	reads("breakoutRoom/list", s.breakoutList)
	signed("breakoutRoom/end", s.breakoutEnd)
	signed("breakoutRoom/extend", s.breakoutExtend)
	// /breakout rooms
	reads("getClientFiles", s.getClientFiles)
	mux.Handle("POST /auth/events/token", s.serve(meet.DoorAPI, s.signed(auth.ScopeRead, s.eventsToken)))
	mux.Handle("POST /auth/", s.serve(meet.DoorAPI, noRoute))

	mux.Handle("GET /auth/events", s.serve(meet.DoorStream, stream(s.streamToken, s.events)))
	mux.Handle("GET /dashboard/api/events", s.serve(meet.DoorStream, stream(s.dashboardCookie, s.events)))

	mux.Handle("POST /dashboard/login", s.serveLimit(meet.DoorDashboard, smallBody, s.dashboardLogin))
	mux.Handle("POST /dashboard/logout", s.serve(meet.DoorDashboard, s.dashboardLogout))
	mux.Handle("GET /dashboard/api/session", s.serve(meet.DoorDashboard, s.dashboardSession))

	// the download token in the path is the authentication: Analytics.Open, Analytics.OpenArtifact
	// and Recordings.Open check it
	mux.Handle("GET /download/analytics/{token}", s.serve(meet.DoorDownload, s.downloadAnalytics))
	mux.Handle("GET /download/recording/{token}", s.serve(meet.DoorDownload, s.downloadRecording))
	mux.Handle("GET /download/artifact/{token}", s.serve(meet.DoorDownload, s.downloadArtifact))
	mux.Handle("GET /download/chat/{token}", s.serve(meet.DoorDownload, s.downloadChat)) // chat (chat.go)

	mux.Handle("POST /api/join", s.serveLimit(meet.DoorPage, smallBody, s.unlessDraining(s.page(s.join))))
	mux.Handle("POST /api/moderate", s.serveLimit(meet.DoorPage, smallBody, s.page(s.moderate, auth.UsePage)))
	// waiting room: status is the waiting page's heartbeat; the others are an admin's
	mux.Handle("POST /api/waiting/status", s.serveLimit(meet.DoorPage, smallBody, s.page(s.waitingStatus, auth.UsePage)))
	for _, verb := range []string{"list", "admit", "reject", "update"} {
		mux.Handle("POST /api/waiting/"+verb, s.serveLimit(meet.DoorPage, smallBody, s.page(s.waitingPage(verb), auth.UsePage)))
	}
	// /waiting room
	mux.Handle("POST /api/hand", s.serveLimit(meet.DoorPage, smallBody, s.page(s.hand, auth.UsePage)))
	// breakout rooms (breakout.go): with the main room's page token
	for verb, h := range map[string]handler{"state": s.pageBreakoutState, "create": s.pageBreakoutCreate, "end": s.pageBreakoutEnd,
		"extend": s.pageBreakoutExtend, "join": s.pageBreakoutJoin, "back": s.pageBreakoutBack} {
		if verb == "create" {
			h = s.unlessDraining(h) // new rooms
		}
		mux.Handle("POST /api/breakout/"+verb, s.serveLimit(meet.DoorPage, smallBody, s.page(h, auth.UsePage)))
	}
	// /breakout rooms
	// polls (polls.go)
	for verb, h := range map[string]handler{"list": s.pagePolls, "create": s.pagePollsCreate, "vote": s.pagePollsVote, "close": s.pagePollsClose} {
		mux.Handle("POST /api/polls/"+verb, s.serveLimit(meet.DoorPage, smallBody, s.page(h, auth.UsePage)))
	}
	// /polls
	// chat and reactions (chat.go)
	mux.Handle("POST /api/chat/send", s.serveLimit(meet.DoorPage, chatBody, s.page(s.pageChatSend, auth.UsePage)))
	mux.Handle("POST /api/chat/upload", s.serveLimit(meet.DoorPage, chatUploadBody, s.page(s.pageChatUpload, auth.UsePage)))
	for verb, h := range map[string]handler{"history": s.pageChatHistory, "file": s.pageChatFile, "react": s.pageReact} {
		mux.Handle("POST /api/chat/"+verb, s.serveLimit(meet.DoorPage, smallBody, s.page(h, auth.UsePage)))
	}
	// /chat
	// shared notes (notes.go)
	for verb, nh := range map[string]struct {
		h     handler
		limit int64
	}{"state": {s.pageNotesState, smallBody}, "update": {s.pageNotesUpdate, notesUpdateBody},
		"render": {s.pageNotesRender, notesRenderBody}, "compact": {s.pageNotesCompact, notesCompactBody},
		"download": {s.pageNotesDownload, smallBody}} {
		mux.Handle("POST /api/notes/"+verb, s.serveLimit(meet.DoorPage, nh.limit, s.page(nh.h, auth.UsePage)))
	}
	// /shared notes
	// whiteboard (whiteboard.go; the board itself goes through /api/notes/* with doc "whiteboard")
	mux.Handle("POST /api/whiteboard/upload", s.serveLimit(meet.DoorPage, whiteboardUploadBody, s.page(s.pageWhiteboardUpload, auth.UsePage)))
	mux.Handle("POST /api/whiteboard/file", s.serveLimit(meet.DoorPage, smallBody, s.page(s.pageWhiteboardFile, auth.UsePage)))
	// /whiteboard
	mux.HandleFunc("OPTIONS /api/", preflight) // CORS for every page call (embed.go)

	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /healthCheck", s.healthz) // plugNmeet's probe path, for load balancers set up for it
	if s.MetricsHandler != nil {
		mux.Handle("GET /metrics", metricsAuth(s.MetricsPassword, s.MetricsHandler))
	}
	for pattern, h := range s.Mounts {
		mux.Handle(pattern, h)
	}
	return s.pageCORS(newOrigins(s.AllowedOrigins), recoverPanics(s.Log, s.Metrics.instrument(mux)))
}

// noRoute answers a POST under /auth/ that matches no API call.
func noRoute(r *http.Request) (any, error) {
	return nil, meet.Errorf(meet.CodeRouteNotFound, "no such API route: %s %s", r.Method, r.URL.Path)
}

// healthz is the probe of load balancers and orchestrators: "ok", or "draining" / "not ready", as
// text with the probe door's statuses of meet.Codes (doc/api.md, /healthz).
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if s.draining() {
		http.Error(w, "draining", status(meet.DoorProbe, meet.CodeServerDraining))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Ready(ctx); err != nil {
		s.Log.Warn("not ready", "err", err)
		http.Error(w, "not ready", status(meet.DoorProbe, meet.CodeNotReady))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status(meet.DoorProbe, meet.CodeSuccess))
	_, _ = w.Write([]byte("ok\n"))
}

// recoverPanics answers a 500 instead of dropping the connection, and logs the panic.
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("panic in handler", "path", r.URL.Path, "panic", v)
				writeJSON(w, status(meet.DoorAPI, meet.CodeInternalServerError), failure(errInternal)) // 500 at every door
			}
		}()
		next.ServeHTTP(w, r)
	})
}
