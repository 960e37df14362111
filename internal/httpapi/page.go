package httpapi

import (
	"net/http"
	"strings"

	"meetd/internal/meet"
)

// bearer is the join token of a meeting page request.
func bearer(r *http.Request) (string, error) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return "", meet.Errorf(meet.CodeMissingRequiredParameter, "Authorization: Bearer <access_token> is required")
	}
	return token, nil
}

// answer writes a page request's outcome: res on success, else the error's envelope.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, res any, err error) {
	if err != nil {
		if env, err2 := asFailure(err); err2 == nil {
			writeJSON(w, httpStatus(env.StatusCode), env)
			return
		}
		writeError(w, r, s.Log, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// moderate is what an admin does from the meeting page, with their own join token.
// hand raises or lowers the hand of the token's holder: {"raised": true|false}.
func (s *Server) hand(w http.ResponseWriter, r *http.Request) {
	token, err := bearer(r)
	if err != nil {
		s.answer(w, r, nil, err)
		return
	}
	body, ok := readBody(w, r) // answers when it cannot
	if !ok {
		return
	}
	var req struct {
		Raised *bool `json:"raised"`
	}
	if err := decode(body, &req); err != nil {
		s.answer(w, r, nil, err)
		return
	}
	if req.Raised == nil {
		s.answer(w, r, nil, meet.Errorf(meet.CodeInvalidParameters, "raised is required (true or false)"))
		return
	}
	s.answer(w, r, OK(), s.Rooms.Hand(r.Context(), token, *req.Raised))
}

func (s *Server) moderate(w http.ResponseWriter, r *http.Request) {
	token, err := bearer(r)
	if err != nil {
		s.answer(w, r, nil, err)
		return
	}
	body, ok := readBody(w, r) // answers when it cannot
	if !ok {
		return
	}
	var req struct {
		Action string `json:"action"`
		UserID string `json:"user_id"`
		Block  bool   `json:"block"`
		// RTMPURL is the destination of rtmp_start.
		RTMPURL string `json:"rtmp_url"`
	}
	if err := decode(body, &req); err != nil {
		s.answer(w, r, nil, err)
		return
	}
	ctx := r.Context()
	sess, err := s.Rooms.Moderator(ctx, token)
	if err != nil {
		s.answer(w, r, nil, err)
		return
	}
	switch req.Action {
	case "mute":
		err = s.Rooms.Mute(ctx, sess.RoomID, req.UserID, "", []string{"MICROPHONE", "SCREEN_SHARE_AUDIO"}, true)
	case "remove":
		err = s.Rooms.RemoveParticipant(ctx, sess.RoomID, req.UserID, req.Block)
	case "end":
		err = s.Rooms.End(ctx, sess.RoomID, meet.EndByModerator)
	case "record_start":
		err = s.Recordings.Start(ctx, sess.RoomID)
	case "record_stop":
		err = s.Recordings.Stop(ctx, sess.RoomID)
	case "rtmp_start":
		err = s.Recordings.StartRTMP(ctx, sess.RoomID, req.RTMPURL)
	case "rtmp_stop":
		err = s.Recordings.StopRTMP(ctx, sess.RoomID)
	default:
		err = meet.Errorf(meet.CodeInvalidParameters, "action must be mute, remove, end, record_start, record_stop, rtmp_start or rtmp_stop")
	}
	s.answer(w, r, OK(), err)
}
