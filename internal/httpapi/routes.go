// Package httpapi is meetd's HTTP surface: the signed management API under /auth/, the join
// exchange of the meeting page, health, and the mount points of the web pages. Handlers decode,
// call the room service, and encode; the rules live in the room service.
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
	Log        *slog.Logger
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
	// Draining, if set, reports a graceful shutdown: /healthz answers 503, and new rooms and
	// joins are refused with SERVER_DRAINING (HTTP 503) while running meetings go on.
	Draining func() bool
}

// Handler lists the whole HTTP API on one page.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()

	// Every API call is served twice: signed with the API key for backends, and with the
	// dashboard's session cookie for the dashboard. Same handler, same room service.
	signed := func(path string, h handler) {
		mux.Handle("POST /auth/"+path, s.call(h, s.verifySignature))
		mux.Handle("POST /dashboard/api/"+path, s.call(h, s.verifyDashboard))
	}
	// new rooms and joins: refused while meetd drains
	starts := func(path string, h handler) {
		mux.Handle("POST /auth/"+path, s.unlessDraining(s.call(h, s.verifySignature)))
		mux.Handle("POST /dashboard/api/"+path, s.unlessDraining(s.call(h, s.verifyDashboard)))
	}
	starts("room/create", s.roomCreate)
	starts("room/getJoinToken", s.getJoinToken)
	signed("room/isRoomActive", s.isRoomActive)
	signed("room/getActiveRoomInfo", s.getActiveRoomInfo)
	signed("room/getActiveRoomsInfo", s.getActiveRoomsInfo)
	signed("room/endRoom", s.endRoom)
	signed("room/fetchPastRooms", s.fetchPastRooms)
	signed("room/broadcastToRoom", s.broadcastToRoom)
	signed("room/removeParticipant", s.removeParticipant)
	signed("room/muteTrack", s.muteTrack)
	signed("room/updateLockSettings", s.updateLockSettings)
	signed("analytics/fetch", s.analyticsFetch)
	signed("analytics/delete", s.analyticsDelete)
	signed("analytics/getDownloadToken", s.analyticsDownloadToken)
	signed("analytics/attendance", s.analyticsAttendance)
	signed("recording/start", s.recordingStart)
	signed("recording/stop", s.recordingStop)
	signed("recording/fetch", s.recordingFetch)
	signed("recording/info", s.recordingInfo)
	signed("recording/delete", s.recordingDelete)
	signed("recording/getDownloadToken", s.recordingDownloadToken)
	signed("rtmp/start", s.rtmpStart)
	signed("rtmp/stop", s.rtmpStop)
	signed("webhook/deliveries", s.webhookDeliveries)
	signed("webhook/redeliver", s.webhookRedeliver)

	mux.Handle("POST /auth/events/token", s.call(s.eventsToken, s.verifySignature))
	mux.HandleFunc("GET /auth/events", s.events)
	mux.HandleFunc("GET /dashboard/api/events", s.events)
	mux.HandleFunc("POST /dashboard/login", s.dashboardLogin)
	mux.HandleFunc("POST /dashboard/logout", s.dashboardLogout)
	mux.HandleFunc("GET /dashboard/api/session", s.dashboardSession)

	mux.HandleFunc("GET /download/analytics/{token}", s.downloadAnalytics)
	mux.HandleFunc("GET /download/recording/{token}", s.downloadRecording)
	mux.Handle("POST /api/join", s.unlessDraining(http.HandlerFunc(s.join)))
	mux.HandleFunc("POST /api/moderate", s.moderate)
	mux.HandleFunc("POST /api/hand", s.hand)
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("POST /auth/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, Envelope{Msg: "no such API route: " + r.Method + " " + r.URL.Path, StatusCode: meet.CodeNotFound})
	})
	if s.MetricsHandler != nil {
		mux.Handle("GET /metrics", metricsAuth(s.MetricsPassword, s.MetricsHandler))
	}
	for pattern, h := range s.Mounts {
		mux.Handle(pattern, h)
	}
	return recoverPanics(s.Log, s.Metrics.instrument(mux))
}

// handler is a signed API call: the verified body in, a response (envelope included) or an error out.
type handler func(ctx context.Context, body []byte) (any, error)

// call reads the body (at most 1 MiB), lets authorize check the request, then runs h.
func (s *Server) call(h handler, authorize func(r *http.Request, body []byte) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := readBody(w, r) // answers when it cannot
		if !ok {
			return
		}
		if err := authorize(r, body); err != nil {
			writeError(w, r, s.Log, http.StatusUnauthorized, err)
			return
		}
		res, err := h(r.Context(), body)
		if err != nil {
			if env, err2 := asFailure(err); err2 == nil {
				writeJSON(w, http.StatusOK, env)
				return
			}
			writeError(w, r, s.Log, http.StatusInternalServerError, err)
			return
		}
		writeJSON(w, http.StatusOK, res)
	})
}

// verifySignature checks the API-KEY and HASH-SIGNATURE headers (spec §1).
func (s *Server) verifySignature(r *http.Request, body []byte) error {
	return s.Keys.VerifyRequest(r.Header.Get("API-KEY"), r.Header.Get("HASH-SIGNATURE"), body)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if s.draining() {
		http.Error(w, "draining", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Ready(ctx); err != nil {
		s.Log.Warn("not ready", "err", err)
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
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
				writeJSON(w, http.StatusInternalServerError, Envelope{Msg: "internal server error", StatusCode: meet.CodeInternalServerError})
			}
		}()
		next.ServeHTTP(w, r)
	})
}
