package httpapi

import (
	"net/http"

	"meetd/internal/meet"
	"meetd/internal/rooms"
)

// The waiting room (doc/api.md, "Waiting room"): the server key's waitingRoom/* calls (also the
// dashboard's), and the meeting page's /api/waiting/* calls.

// waitingAnswer is /api/join's answer to someone who must wait (or was rejected): no media token.
func waitingAnswer(j *rooms.Joined) any {
	return struct {
		Envelope
		Waiting        bool   `json:"waiting"`
		WaitingState   string `json:"waiting_state"`
		WaitingRoomMsg string `json:"waiting_room_msg"`
		RejectReason   string `json:"reject_reason,omitempty"`
		RoomID         string `json:"room_id"`
		UserID         string `json:"user_id"`
		Name           string `json:"name"`
		RoomTitle      string `json:"room_title"`
		PageToken      string `json:"page_token"`
		PreferredLang  string `json:"preferred_lang,omitempty"` // doc/web.md, "Languages"
	}{OK(), true, j.Waiting.State, j.Session.Metadata.RoomFeatures.WaitingRoomFeatures.WaitingRoomMsg, j.Waiting.Reason,
		j.Session.RoomID, j.User.UserID, j.User.Name, j.Session.Title(), j.PageToken, j.User.Metadata.PreferredLang}
}

// waitingStatus is the waiting page's heartbeat: still waiting, rejected, or admitted (then the
// full /api/join answer).
func (s *Server) waitingStatus(r *http.Request) (any, error) {
	j, err := s.Rooms.WaitingStatus(r.Context(), pageToken(r))
	if err != nil {
		return nil, err
	}
	return s.joinAnswer(r, j), nil
}

// waitingRequest is the body of the waiting room's calls.
type waitingRequest struct {
	RoomID  string   `json:"room_id"`
	UserIDs []string `json:"user_ids"`
	All     bool     `json:"all"`
	Reason  string   `json:"reason"`
	// update
	IsActive       *bool   `json:"is_active"`
	WaitingRoomMsg *string `json:"waiting_room_msg"`
}

type waitingList struct {
	Envelope
	IsActive bool          `json:"is_active"`
	Waiting  []meet.Waiter `json:"waiting_participants"`
}

type waitingDecided struct {
	Envelope
	Decided []meet.Waiter `json:"decided"`
}

// doWaiting runs one waiting-room verb for a room.
func (s *Server) doWaiting(r *http.Request, verb, roomID string, req waitingRequest) (any, error) {
	ctx := r.Context()
	switch verb {
	case "list":
		active, list, err := s.Rooms.Waiting(ctx, roomID)
		if err != nil {
			return nil, err
		}
		return waitingList{OK(), active, list}, nil
	case "admit":
		d, err := s.Rooms.Admit(ctx, roomID, req.UserIDs, req.All)
		if err != nil {
			return nil, err
		}
		return waitingDecided{OK(), d}, nil
	case "reject":
		d, err := s.Rooms.Reject(ctx, roomID, req.UserIDs, req.All, req.Reason)
		if err != nil {
			return nil, err
		}
		return waitingDecided{OK(), d}, nil
	case "update":
		if req.IsActive == nil {
			return nil, meet.Errorf(meet.CodeInvalidParameters, "is_active is required (true or false)")
		}
		if err := s.Rooms.SetWaitingRoom(ctx, roomID, *req.IsActive, req.WaitingRoomMsg); err != nil {
			return nil, err
		}
		return OK(), nil
	}
	return nil, meet.Errorf(meet.CodeRouteNotFound, "no such waiting room call: %s", verb)
}

// waitingAPI is waitingRoom/<verb> with the server key (or the dashboard's session).
func (s *Server) waitingAPI(verb string) handler {
	return func(r *http.Request) (any, error) {
		var req waitingRequest
		if err := decode(r, &req); err != nil {
			return nil, err
		}
		return s.doWaiting(r, verb, req.RoomID, req)
	}
}

// waitingPage is /api/waiting/<verb> from an admin's meeting page: the room is the token's.
func (s *Server) waitingPage(verb string) handler {
	return func(r *http.Request) (any, error) {
		sess, err := s.Rooms.Moderator(r.Context(), pageToken(r))
		if err != nil {
			return nil, err
		}
		var req waitingRequest
		if err := decodeSmall(r, &req); err != nil {
			return nil, err
		}
		return s.doWaiting(r, verb, sess.RoomID, req)
	}
}
