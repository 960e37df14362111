package httpapi

import (
	"net/http"

	"meetd/internal/meet"
)

// draining reports whether meetd is shutting down gracefully (see Server.Draining).
func (s *Server) draining() bool { return s.Draining != nil && s.Draining() }

// unlessDraining refuses what would start something new (a room, a join) while meetd drains:
// HTTP 503 with SERVER_DRAINING, so that a backend or a load balancer tries another server or
// later. Meetings already running are not affected.
func (s *Server) unlessDraining(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.draining() {
			w.Header().Set("Retry-After", "30")
			writeJSON(w, http.StatusServiceUnavailable, Envelope{
				Msg:        "the server is shutting down: running meetings go on, new rooms and joins are refused; try again shortly",
				StatusCode: meet.CodeServerDraining,
			})
			return
		}
		next.ServeHTTP(w, r)
	})
}
