package httpapi

import (
	"net/http"

	"meetd/internal/meet"
)

// unlessDraining refuses what would start something new (a room, a join) while meetd drains:
// SERVER_DRAINING (HTTP 503, Retry-After), so that a backend or a load balancer tries another
// server or later. Meetings already running are not affected. It comes before authentication.
func (s *Server) unlessDraining(h handler) handler {
	return func(r *http.Request) (any, error) {
		if s.draining() {
			return nil, meet.Errorf(meet.CodeServerDraining, "the server is shutting down: running meetings go on, new rooms and joins are refused; try again shortly")
		}
		return h(r)
	}
}

// draining reports whether meetd is shutting down gracefully (see Server.Draining).
func (s *Server) draining() bool { return s.Draining != nil && s.Draining() }
