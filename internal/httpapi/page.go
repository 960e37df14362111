package httpapi

import (
	"net/http"

	"meetd/internal/meet"
	"meetd/internal/rooms"
)

// The calls of the meeting page, behind the page door: the join or page token as
// "Authorization: Bearer <token>" (doc/api.md, /api/join, /api/hand, /api/moderate).

// join is the exchange of the meeting page: a join token in, the media server's URL and token out.
func (s *Server) join(r *http.Request) (any, error) {
	j, err := s.Rooms.Join(r.Context(), pageToken(r))
	if err != nil {
		return nil, err
	}
	return s.joinAnswer(r, j), nil
}

// joinAnswer is what /api/join and /api/waiting/status answer: the media's URL and token, or
// the waiting room's state (waiting.go).
func (s *Server) joinAnswer(r *http.Request, j *rooms.Joined) any {
	if j.Waiting != nil {
		return waitingAnswer(j)
	}
	return s.joinedPage(r, j, nil)
}

// joinedPageAnswer is /api/join's answer for a room the page is let in to: the media's URL and
// token, the room as participants see it, the page token, end-to-end encryption, and the breakout
// room when it is one (breakout.go; null in the main room).
type joinedPageAnswer struct {
	Envelope
	LiveKitURL   string            `json:"livekit_url"`
	LiveKitToken string            `json:"livekit_token"`
	RoomID       string            `json:"room_id"`
	RoomSID      string            `json:"room_sid"`
	UserID       string            `json:"user_id"`
	Name         string            `json:"name"`
	IsAdmin      bool              `json:"is_admin"`
	IsHidden     bool              `json:"is_hidden"`
	RoomTitle    string            `json:"room_title"`
	RoomMetadata pageRoomMetadata  `json:"room_metadata"`
	LockSettings meet.LockSettings `json:"lock_settings"`
	// PageToken is for the page's calls while in the meeting (/api/moderate, /api/hand).
	PageToken string `json:"page_token"`
	// E2EE: end-to-end encryption and its key (doc/api.md, "End-to-end encryption").
	E2EE rooms.JoinE2EE `json:"e2ee"`
	// Breakout is set by the breakout rooms' moves only (breakout.go).
	Breakout *pageBreakout `json:"breakout,omitempty"`
	// PreferredLang is the language the user's join asked for (doc/web.md, "Languages").
	PreferredLang string `json:"preferred_lang,omitempty"`
}

// pageBreakout is the breakout room a page moved to, or null when it moved back to the main room.
type pageBreakout struct {
	RoomID       string `json:"room_id"`
	ParentRoomID string `json:"parent_room_id"`
	Title        string `json:"title"`
	EndsAt       int64  `json:"ends_at"` // Unix seconds
}

// joinedPage is the answer for j, with b the breakout room moved to (nil: none).
func (s *Server) joinedPage(r *http.Request, j *rooms.Joined, b *pageBreakout) joinedPageAnswer {
	return joinedPageAnswer{
		OK(), s.LiveKitURL(r), j.MediaToken, j.Session.RoomID, j.Session.SID, j.User.UserID, j.User.Name, j.User.IsAdmin,
		j.User.IsHidden, j.Session.Title(), pageRoomMetadata{RoomMetadata: j.Session.Metadata}, j.LockSettings, j.PageToken, j.E2EE, b,
		j.User.Metadata.PreferredLang,
	}
}

// pageRoomMetadata is the room's metadata as participants see it: without the backend's own
// webhook_url (which often carries a credential) and extra_data (doc/security.md). The empty
// fields of the outer struct hide the embedded ones.
type pageRoomMetadata struct {
	meet.RoomMetadata
	WebhookURL string `json:"webhook_url,omitempty"`
	ExtraData  string `json:"extra_data,omitempty"`
}

// hand raises or lowers the hand of the token's holder: {"raised": true|false}.
func (s *Server) hand(r *http.Request) (any, error) {
	var req struct {
		Raised *bool `json:"raised"`
	}
	if err := decodeSmall(r, &req); err != nil {
		return nil, err
	}
	if req.Raised == nil {
		return nil, meet.Errorf(meet.CodeInvalidParameters, "raised is required (true or false)")
	}
	if err := s.Rooms.Hand(r.Context(), pageToken(r), *req.Raised); err != nil {
		return nil, err
	}
	return OK(), nil
}

// moderate is what an admin does from the meeting page, with their own page (or join) token.
func (s *Server) moderate(r *http.Request) (any, error) {
	var req struct {
		Action string `json:"action"`
		UserID string `json:"user_id"`
		Block  bool   `json:"block"`
		// RTMPURL is the destination of rtmp_start.
		RTMPURL string `json:"rtmp_url"`
	}
	ctx := r.Context()
	sess, err := s.Rooms.Moderator(ctx, pageToken(r)) // before the body: a guest's costs nothing
	if err != nil {
		return nil, err
	}
	if err := decodeSmall(r, &req); err != nil {
		return nil, err
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
	if err != nil {
		return nil, err
	}
	return OK(), nil
}
