package httpapi

import (
	"net/http"
	"slices"

	"meetd/internal/meet"
	"meetd/internal/rooms"
)

// Breakout rooms (doc/api.md, "Breakout rooms"): the server key's /auth/breakoutRoom/* and the
// meeting page's /api/breakout/*. Both go through the room service's breakout methods.

// breakoutPlanRequest is the body of breakoutRoom/create and /api/breakout/create.
type breakoutPlanRequest struct {
	RoomID        string `json:"room_id"`
	Duration      int    `json:"duration"` // minutes
	WelcomeMsg    string `json:"welcome_msg"`
	NumberOfRooms int    `json:"number_of_rooms"`
	Rooms         []struct {
		Title string `json:"title"`
		Users []struct {
			ID string `json:"id"`
		} `json:"users"`
	} `json:"rooms"`
}

func (req *breakoutPlanRequest) plan() rooms.BreakoutPlan {
	p := rooms.BreakoutPlan{Duration: req.Duration, WelcomeMsg: req.WelcomeMsg, NumberOfRooms: req.NumberOfRooms}
	for _, r := range req.Rooms {
		users := []string{}
		for _, u := range r.Users {
			users = append(users, u.ID)
		}
		p.Rooms = append(p.Rooms, rooms.BreakoutRoomPlan{Title: r.Title, Users: users})
	}
	return p
}

// breakoutRoomAnswer is one breakout room in an answer.
type breakoutRoomAnswer struct {
	RoomID       string               `json:"room_id"`
	SID          string               `json:"sid"`
	ParentRoomID string               `json:"parent_room_id"`
	Title        string               `json:"title"`
	IsRunning    bool                 `json:"is_running"`
	Created      int64                `json:"created"` // Unix seconds
	EndsAt       int64                `json:"ends_at"` // Unix seconds
	Users        []breakoutUserAnswer `json:"users"`
}

type breakoutUserAnswer struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Joined bool   `json:"joined"` // connected to the breakout room now
}

func breakoutAnswer(r rooms.BreakoutRoom) breakoutRoomAnswer {
	a := breakoutRoomAnswer{RoomID: r.RoomID, SID: r.SID, ParentRoomID: r.ParentRoomID, Title: r.Title, IsRunning: r.Running,
		Created: r.CreatedAt.Unix(), EndsAt: r.EndsAt.Unix(), Users: []breakoutUserAnswer{}}
	for _, id := range r.Users {
		a.Users = append(a.Users, breakoutUserAnswer{ID: id, Name: r.Names[id], Joined: slices.Contains(r.Connected, id)})
	}
	for _, id := range r.Connected { // a moderator who came to visit
		if !slices.Contains(r.Users, id) {
			a.Users = append(a.Users, breakoutUserAnswer{ID: id, Name: r.Names[id], Joined: true})
		}
	}
	return a
}

func breakoutAnswers(list []rooms.BreakoutRoom) []breakoutRoomAnswer {
	out := make([]breakoutRoomAnswer, 0, len(list))
	for _, r := range list {
		out = append(out, breakoutAnswer(r))
	}
	return out
}

type breakoutRoomsAnswer struct {
	Envelope
	Rooms []breakoutRoomAnswer `json:"rooms"`
}

// listed answers the open round of the room after a change.
func (s *Server) listed(r *http.Request, roomID string) (any, error) {
	list, err := s.Rooms.Breakouts(r.Context(), roomID)
	if err != nil {
		return nil, err
	}
	return breakoutRoomsAnswer{OK(), breakoutAnswers(list)}, nil
}

func (s *Server) breakoutCreate(r *http.Request) (any, error) {
	var req breakoutPlanRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if _, err := s.Rooms.CreateBreakouts(r.Context(), req.RoomID, req.plan()); err != nil {
		return nil, err
	}
	return s.listed(r, req.RoomID)
}

func (s *Server) breakoutList(r *http.Request) (any, error) {
	var req roomIDRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return s.listed(r, req.RoomID)
}

type breakoutTargetRequest struct {
	RoomID         string `json:"room_id"`
	BreakoutRoomID string `json:"breakout_room_id"` // "": every breakout room of the room
	Duration       int    `json:"duration"`         // minutes more (extend)
}

func (s *Server) breakoutEnd(r *http.Request) (any, error) {
	var req breakoutTargetRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return s.endBreakouts(r, req.RoomID, req)
}

func (s *Server) breakoutExtend(r *http.Request) (any, error) {
	var req breakoutTargetRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return s.extendBreakouts(r, req.RoomID, req)
}

// endBreakouts and extendBreakouts act on roomID's breakout rooms for the API and the page.
func (s *Server) endBreakouts(r *http.Request, roomID string, req breakoutTargetRequest) (any, error) {
	if err := s.Rooms.EndBreakouts(r.Context(), roomID, req.BreakoutRoomID); err != nil {
		return nil, err
	}
	return OK(), nil
}

func (s *Server) extendBreakouts(r *http.Request, roomID string, req breakoutTargetRequest) (any, error) {
	if _, err := s.Rooms.ExtendBreakouts(r.Context(), roomID, req.BreakoutRoomID, req.Duration); err != nil {
		return nil, err
	}
	return s.listed(r, roomID)
}

// The meeting page's calls, each with the main room's page token (the page keeps it while in a
// breakout room).

// pageBreakoutState is what the page shows: whether the room allows breakout rooms, the open
// round, the user's own breakout room, and the server's clock (for the time left).
func (s *Server) pageBreakoutState(r *http.Request) (any, error) {
	if err := decodeSmall(r, &struct{}{}); err != nil {
		return nil, err
	}
	st, err := s.Rooms.BreakoutStateOf(r.Context(), pageToken(r))
	if err != nil {
		return nil, err
	}
	return struct {
		Envelope
		RoomID             string               `json:"room_id"`
		IsAllow            bool                 `json:"is_allow"`
		AllowedNumberRooms int                  `json:"allowed_number_rooms"`
		IsAdmin            bool                 `json:"is_admin"`
		Mine               string               `json:"mine"`
		ServerTime         int64                `json:"server_time"` // Unix ms
		Rooms              []breakoutRoomAnswer `json:"rooms"`
	}{OK(), st.Parent.RoomID, st.Allowed, st.Max, st.User.IsAdmin, st.Mine, s.now().UnixMilli(), breakoutAnswers(st.Rooms)}, nil
}

// moderated checks that the page token is a moderator's of the main room, decodes the body into
// req, and returns the main room's id.
func (s *Server) moderated(r *http.Request, req any) (string, error) {
	parent, err := s.Rooms.BreakoutModerator(r.Context(), pageToken(r))
	if err != nil {
		return "", err
	}
	return parent.RoomID, decodeSmall(r, req)
}

func (s *Server) pageBreakoutCreate(r *http.Request) (any, error) {
	var req breakoutPlanRequest
	roomID, err := s.moderated(r, &req)
	if err != nil {
		return nil, err
	}
	if _, err := s.Rooms.CreateBreakouts(r.Context(), roomID, req.plan()); err != nil {
		return nil, err
	}
	return s.listed(r, roomID)
}

func (s *Server) pageBreakoutEnd(r *http.Request) (any, error) {
	var req breakoutTargetRequest
	roomID, err := s.moderated(r, &req)
	if err != nil {
		return nil, err
	}
	return s.endBreakouts(r, roomID, req)
}

func (s *Server) pageBreakoutExtend(r *http.Request) (any, error) {
	var req breakoutTargetRequest
	roomID, err := s.moderated(r, &req)
	if err != nil {
		return nil, err
	}
	return s.extendBreakouts(r, roomID, req)
}

// pageBreakoutJoin moves the page into a breakout room: the answer is /api/join's for it, with
// the breakout room.
func (s *Server) pageBreakoutJoin(r *http.Request) (any, error) {
	var req struct {
		BreakoutRoomID string `json:"breakout_room_id"`
	}
	if err := decodeSmall(r, &req); err != nil {
		return nil, err
	}
	j, b, err := s.Rooms.JoinBreakout(r.Context(), pageToken(r), req.BreakoutRoomID)
	if err != nil {
		return nil, err
	}
	return s.joinedAnswer(r, j, b), nil
}

// pageBreakoutBack brings the page back to the main room: /api/join's answer for it.
func (s *Server) pageBreakoutBack(r *http.Request) (any, error) {
	if err := decodeSmall(r, &struct{}{}); err != nil {
		return nil, err
	}
	j, err := s.Rooms.BackToMain(r.Context(), pageToken(r))
	if err != nil {
		return nil, err
	}
	return s.joinedAnswer(r, j, nil), nil
}

// joinedAnswer is /api/join's answer (page.go) for a room the page moves to, with the breakout
// room when it is one. Moving back to the main room answers "breakout": null.
func (s *Server) joinedAnswer(r *http.Request, j *rooms.Joined, b *meet.Breakout) any {
	a := s.joinedPage(r, j, nil)
	if b == nil {
		return struct {
			joinedPageAnswer
			Breakout *pageBreakout `json:"breakout"`
		}{a, nil}
	}
	a.Breakout = &pageBreakout{b.RoomID, b.ParentRoomID, b.Title, b.EndsAt.Unix()}
	return a
}
