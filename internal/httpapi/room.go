package httpapi

import (
	"net/http"
	"strings"
	"time"

	"meetd/internal/meet"
	"meetd/internal/rooms"
)

type roomIDRequest struct {
	RoomID string `json:"room_id"`
}

type roomInfoResponse struct {
	Envelope
	RoomInfo *meet.RoomInfo `json:"room_info"`
}

func (s *Server) roomCreate(r *http.Request) (any, error) {
	ctx := r.Context()
	var req struct {
		RoomID          string             `json:"room_id"`
		MaxParticipants int                `json:"max_participants"`
		EmptyTimeout    int                `json:"empty_timeout"`
		Metadata        *meet.RoomMetadata `json:"metadata"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if req.Metadata == nil {
		return nil, meet.Errorf(meet.CodeInvalidParameters, "metadata is required")
	}
	// a literal private address is refused here; a host name when the webhook is sent
	if err := s.Webhooks.CheckURL("metadata.webhook_url", req.Metadata.WebhookURL); err != nil {
		return nil, err
	}
	sess, err := s.Rooms.Create(ctx, rooms.CreateRequest{
		RoomID: req.RoomID, MaxParticipants: req.MaxParticipants, EmptyTimeout: req.EmptyTimeout, Metadata: *req.Metadata,
	})
	if err != nil {
		return nil, err
	}
	info := sess.Info()
	if wireOf(r) == WireProto {
		return struct {
			Envelope
			RoomInfo pbActiveRoomInfo `json:"room_info"`
		}{OK(), pbRoomInfo(&info)}, nil
	}
	return roomInfoResponse{Envelope: OK(), RoomInfo: &info}, nil
}

// The codes and messages plugNmeet answers a WireProto caller for a room that is not running
// (doc/api.md, "Two dialects"): ROOM_NOT_FOUND, whether the room never ran or has ended.
const (
	msgNotActiveInfo  = "room not found in active state" // getActiveRoomInfo
	msgNotActiveEnd   = "room not found or not active"   // endRoom
	msgNotActiveToken = "room is not active"             // getJoinToken
)

// asRealServer turns a documented ROOM_NOT_FOUND / ROOM_NOT_ACTIVE into the real server's
// ROOM_NOT_FOUND with msg, for a WireProto caller; other errors, and every error of a documented
// caller, stay as they are.
func asRealServer(r *http.Request, err error, msg string) error {
	if wireOf(r) != WireProto {
		return err
	}
	switch meet.CodeOf(err) {
	case meet.CodeRoomNotFound, meet.CodeRoomNotActive:
		return &meet.Error{Code: meet.CodeRoomNotFound, Msg: msg, Err: err}
	}
	return err
}

func (s *Server) getJoinToken(r *http.Request) (any, error) {
	ctx := r.Context()
	var req struct {
		RoomID   string `json:"room_id"`
		UserInfo *struct {
			Name         string            `json:"name"`
			UserID       string            `json:"user_id"`
			IsAdmin      bool              `json:"is_admin"`
			IsHidden     bool              `json:"is_hidden"`
			UserMetadata meet.UserMetadata `json:"user_metadata"`
			// ClientType (WEB, HYBRID_WEB or their numbers) is accepted and ignored: meetd has
			// one page for every client (doc/api.md, room/getJoinToken).
			ClientType any `json:"client_type"`
		} `json:"user_info"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if req.UserInfo == nil {
		return nil, meet.Errorf(meet.CodeInvalidParameters, "user_info is required")
	}
	u := req.UserInfo
	token, err := s.Rooms.JoinToken(ctx, req.RoomID, rooms.UserInfo{
		UserID: u.UserID, Name: u.Name, IsAdmin: u.IsAdmin, IsHidden: u.IsHidden, Metadata: u.UserMetadata,
	})
	if err != nil {
		return nil, asRealServer(r, err, msgNotActiveToken)
	}
	return tokenAnswer(token), nil
}

func (s *Server) isRoomActive(r *http.Request) (any, error) {
	ctx := r.Context()
	var req roomIDRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	active, code, err := s.Rooms.IsActive(ctx, req.RoomID)
	if err != nil {
		return nil, err
	}
	env := OK()
	switch code {
	case meet.CodeRoomNotFound:
		env = Envelope{Status: true, Msg: meet.ErrRoomNotFound.Msg, StatusCode: code}
	case meet.CodeRoomNotActive:
		env = Envelope{Status: true, Msg: meet.ErrRoomNotActive.Msg, StatusCode: code}
	}
	return struct {
		Envelope
		IsActive bool `json:"is_active"`
	}{env, active}, nil
}

func (s *Server) getActiveRoomInfo(r *http.Request) (any, error) {
	ctx := r.Context()
	var req roomIDRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	room, err := s.Rooms.ActiveRoom(ctx, req.RoomID)
	if err != nil {
		env, err := asFailure(asRealServer(r, err, msgNotActiveInfo))
		return activeRoom{Envelope: env}, err
	}
	if wireOf(r) == WireProto {
		pr := pbRoomOf(room)
		return struct {
			Envelope
			Room *pbRoom `json:"room"`
		}{OK(), &pr}, nil
	}
	return activeRoom{OK(), room}, nil
}

// activeRoom is the answer of getActiveRoomInfo.
type activeRoom struct {
	Envelope
	Room *meet.Room `json:"room"`
}

func (a activeRoom) AppendJSON(b []byte) []byte {
	b = append(appendEnvelope(b, a.Envelope), `,"room":`...)
	if a.Room == nil {
		b = append(b, "null"...)
	} else {
		b = a.Room.AppendJSON(b)
	}
	return append(b, '}')
}

// activeRooms is the answer of getActiveRoomsInfo.
type activeRooms struct {
	Envelope
	Rooms []meet.Room `json:"rooms"`
}

func (a activeRooms) AppendJSON(b []byte) []byte {
	b = append(appendEnvelope(b, a.Envelope), `,"rooms":`...)
	b = meet.AppendList(b, a.Rooms, (*meet.Room).AppendJSON)
	return append(b, '}')
}

func (s *Server) getActiveRoomsInfo(r *http.Request) (any, error) {
	ctx := r.Context()
	if err := decode(r, &struct{}{}); err != nil {
		return nil, err
	}
	list, err := s.Rooms.ActiveRooms(ctx)
	if err != nil {
		return nil, err
	}
	env := OK()
	if len(list) == 0 {
		env = Envelope{Msg: "no active room found", StatusCode: meet.CodeNotFound}
	}
	if wireOf(r) == WireProto {
		out := make([]pbRoom, 0, len(list))
		for i := range list {
			out = append(out, pbRoomOf(&list[i]))
		}
		return struct {
			Envelope
			Rooms []pbRoom `json:"rooms"`
		}{env, out}, nil
	}
	return activeRooms{env, list}, nil
}

func (s *Server) endRoom(r *http.Request) (any, error) {
	ctx := r.Context()
	var req roomIDRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.Rooms.End(ctx, req.RoomID, meet.EndByAPI); err != nil {
		return nil, asRealServer(r, err, msgNotActiveEnd)
	}
	return OK(), nil
}

type pastRoom struct {
	RoomTitle          string `json:"room_title"`
	RoomID             string `json:"room_id"`
	RoomSID            string `json:"room_sid"`
	JoinedParticipants int64  `json:"joined_participants"`
	WebhookURL         string `json:"webhook_url"`
	Created            string `json:"created"`
	Ended              string `json:"ended"`
	AnalyticsFileID    string `json:"analytics_file_id"`
	// breakout rooms: only on a breakout room's session (PastRoomInfo has no such fields: not in
	// the protobuf-JSON dialect)
	IsBreakoutRoom bool   `json:"is_breakout_room,omitempty"`
	ParentRoomID   string `json:"parent_room_id,omitempty"`
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// listRequest is the paging of the fetch calls.
type listRequest struct {
	RoomIDs []string `json:"room_ids"`
	From    int      `json:"from"`
	Limit   int      `json:"limit"`
	OrderBy string   `json:"order_by"`
}

// filter reads the paging: order_by ASC (any case) is oldest first; anything else, as in
// plugNmeet, newest first (DESC).
func (l *listRequest) filter() (meet.SessionFilter, error) {
	if strings.ToUpper(l.OrderBy) == "ASC" {
		l.OrderBy = "ASC"
	} else {
		l.OrderBy = "DESC"
	}
	return meet.SessionFilter{RoomIDs: l.RoomIDs, From: l.From, Limit: l.Limit, Ascending: l.OrderBy == "ASC"}, nil
}

// decodeList reads the body of a fetch call and checks its filter and paging.
func decodeList(r *http.Request) (listRequest, meet.SessionFilter, error) {
	var req listRequest
	if err := decode(r, &req); err != nil {
		return req, meet.SessionFilter{}, err
	}
	f, err := req.filter()
	if err != nil {
		return req, f, err
	}
	f, err = checkFilter(f)
	return req, f, err
}

// maxIDs is the most ids a list in a request may hold (room_ids, recording_ids, …): a page of
// answers is at most 100 too (doc/api.md).
const maxIDs = 100

// checkIDCount refuses a list of more than maxIDs ids, naming its field.
func checkIDCount(field string, ids []string) error {
	if len(ids) > maxIDs {
		return meet.Errorf(meet.CodeInvalidParameters, "%s must list at most %d ids", field, maxIDs)
	}
	return nil
}

// checkFilter validates the paging of a fetch call and fills its defaults.
func checkFilter(f meet.SessionFilter) (meet.SessionFilter, error) {
	if err := checkIDCount("room_ids", f.RoomIDs); err != nil {
		return f, err
	}
	for _, id := range f.RoomIDs {
		if !meet.ValidID(id) {
			return f, meet.Errorf(meet.CodeInvalidParameters, "room_ids contains an invalid room_id %q", id)
		}
	}
	switch {
	case f.From < 0:
		return f, meet.Errorf(meet.CodeInvalidParameters, "from must not be negative")
	case f.Limit < 0:
		return f, meet.Errorf(meet.CodeInvalidParameters, "limit must not be negative")
	case f.Limit == 0:
		f.Limit = 20
	case f.Limit > 100:
		f.Limit = 100
	}
	return f, nil
}

func (s *Server) fetchPastRooms(r *http.Request) (any, error) {
	ctx := r.Context()
	req, f, err := decodeList(r)
	if err != nil {
		return nil, err
	}
	list, total, err := s.Rooms.PastRooms(ctx, f)
	if err != nil {
		return nil, err
	}
	res := pastRooms{TotalRooms: int64(total), From: int64(req.From), Limit: int64(f.Limit), OrderBy: req.OrderBy, RoomsList: []pastRoom{}}
	for _, sess := range list {
		res.RoomsList = append(res.RoomsList, pastRoom{
			RoomTitle: sess.Title(), RoomID: sess.RoomID, RoomSID: sess.SID, JoinedParticipants: int64(sess.JoinedParticipants),
			WebhookURL: sess.WebhookURL(), Created: rfc3339(sess.CreatedAt), Ended: rfc3339(sess.EndedAt),
			AnalyticsFileID: sess.AnalyticsFileID,
			IsBreakoutRoom:  sess.Metadata.IsBreakoutRoom, ParentRoomID: sess.Metadata.ParentRoomID,
		})
	}
	env := OK()
	if len(list) == 0 {
		env = Envelope{Msg: "no rooms found", StatusCode: meet.CodeNotFound}
	}
	if wireOf(r) == WireProto {
		return pbPastRooms(env, res, list), nil
	}
	return struct {
		Envelope
		Result pastRooms `json:"result"`
	}{env, res}, nil
}

// pastRooms is the result of fetchPastRooms in the documented dialect.
type pastRooms struct {
	TotalRooms int64      `json:"total_rooms"`
	From       int64      `json:"from"`
	Limit      int64      `json:"limit"`
	OrderBy    string     `json:"order_by"`
	RoomsList  []pastRoom `json:"rooms_list"`
}

// pbPastRooms is fetchPastRooms' answer as plugNmeet's FetchPastRoomsRes.
func pbPastRooms(env Envelope, res pastRooms, list []*meet.Session) any {
	type pastRoom struct {
		RoomTitle          string  `json:"room_title"`
		RoomID             string  `json:"room_id"`
		RoomSID            string  `json:"room_sid"`
		JoinedParticipants pbInt64 `json:"joined_participants"`
		WebhookURL         string  `json:"webhook_url"`
		Created            string  `json:"created"`
		Ended              string  `json:"ended"`
		AnalyticsFileID    *string `json:"analytics_file_id,omitempty"`
	}
	type result struct {
		TotalRooms pbInt64    `json:"total_rooms"`
		From       uint32     `json:"from"`
		Limit      uint32     `json:"limit"`
		OrderBy    string     `json:"order_by"`
		RoomsList  []pastRoom `json:"rooms_list"`
	}
	out := result{TotalRooms: pbInt64(res.TotalRooms), From: uint32(res.From), Limit: uint32(res.Limit), OrderBy: res.OrderBy,
		RoomsList: make([]pastRoom, 0, len(list))}
	for _, sess := range list {
		p := pastRoom{RoomTitle: sess.Title(), RoomID: sess.RoomID, RoomSID: sess.SID, JoinedParticipants: pbInt64(sess.JoinedParticipants),
			WebhookURL: sess.WebhookURL(), Created: pbTime(sess.CreatedAt), Ended: pbTime(sess.EndedAt)}
		if sess.AnalyticsFileID != "" {
			id := sess.AnalyticsFileID
			p.AnalyticsFileID = &id
		}
		out.RoomsList = append(out.RoomsList, p)
	}
	return struct {
		Envelope
		Result result `json:"result"`
	}{env, out}
}
