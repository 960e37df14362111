package httpapi

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"meetd/internal/analytics"
	"meetd/internal/meet"
)

// The artifact calls (doc/api.md, "Artifacts"): plugNmeet's FetchArtifacts, ArtifactInfo,
// DeleteArtifact and GetArtifactDownloadToken messages. Answers have exactly the messages'
// fields in both dialects; in the protobuf-JSON one 64-bit integers are decimal strings.

func (s *Server) artifactFetch(r *http.Request) (any, error) {
	var req struct {
		RoomIDs []string        `json:"room_ids"`
		RoomSID string          `json:"room_sid"`
		Type    json.RawMessage `json:"type"`
		From    json.RawMessage `json:"from"`
		Limit   json.RawMessage `json:"limit"`
		OrderBy string          `json:"order_by"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	typ, err := artifactType(req.Type)
	if err != nil {
		return nil, err
	}
	from, err := artifactUint("from", req.From)
	if err != nil {
		return nil, err
	}
	limit, err := artifactUint("limit", req.Limit)
	if err != nil {
		return nil, err
	}
	orderBy := strings.ToUpper(req.OrderBy)
	switch orderBy {
	case "":
		orderBy = "DESC"
	case "ASC", "DESC":
	default:
		return nil, meet.Errorf(meet.CodeInvalidParameters, "order_by must be ASC or DESC")
	}
	sf, err := checkFilter(meet.SessionFilter{RoomIDs: req.RoomIDs, From: from, Limit: limit, Ascending: orderBy == "ASC"})
	if err != nil {
		return nil, err
	}
	list, total, err := s.Analytics.Artifacts(r.Context(), analytics.ArtifactFilter{SessionFilter: sf, RoomSID: req.RoomSID, Type: typ})
	if err != nil {
		return nil, err
	}
	w := wireOf(r)
	type result struct {
		TotalArtifacts any            `json:"total_artifacts"`
		From           any            `json:"from"`
		Limit          any            `json:"limit"`
		OrderBy        string         `json:"order_by"`
		Type           string         `json:"type,omitempty"` // optional: the type asked for
		ArtifactsList  []artifactItem `json:"artifacts_list"`
	}
	res := result{TotalArtifacts: int64Of(w, int64(total)), From: int64Of(w, int64(sf.From)), Limit: int64Of(w, int64(sf.Limit)),
		OrderBy: orderBy, Type: typ, ArtifactsList: []artifactItem{}}
	for _, a := range list {
		res.ArtifactsList = append(res.ArtifactsList, infoOf(w, a))
	}
	env := OK()
	if len(list) == 0 {
		env = Envelope{Msg: "no artifacts found", StatusCode: meet.CodeNotFound}
	}
	return struct {
		Envelope
		Result result `json:"result"`
	}{env, res}, nil
}

type artifactIDRequest struct {
	ArtifactID string `json:"artifact_id"`
}

func (s *Server) artifactInfo(r *http.Request) (any, error) {
	var req artifactIDRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	a, sess, err := s.Analytics.ArtifactInfo(r.Context(), req.ArtifactID)
	if err != nil {
		return nil, err
	}
	w := wireOf(r)
	var room *artifactRoom
	if sess != nil {
		room = &artifactRoom{
			RoomTitle: sess.Title(), RoomID: sess.RoomID, RoomSID: sess.SID, JoinedParticipants: int64Of(w, int64(sess.JoinedParticipants)),
			WebhookURL: sess.WebhookURL(), Created: rfc3339(sess.CreatedAt), Ended: rfc3339(sess.EndedAt),
		}
		if id := sess.AnalyticsFileID; id != "" || w == WireDocs {
			room.AnalyticsFileID = &id // optional in the message: absent when there is none
		}
	}
	info := infoOf(w, *a)
	return struct {
		Envelope
		ArtifactInfo *artifactItem `json:"artifact_info"`
		RoomInfo     *artifactRoom `json:"room_info,omitempty"`
	}{OK(), &info, room}, nil
}

func (s *Server) artifactDelete(r *http.Request) (any, error) {
	var req artifactIDRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.Analytics.DeleteArtifact(r.Context(), req.ArtifactID); err != nil {
		return nil, err
	}
	return OK(), nil
}

func (s *Server) artifactDownloadToken(r *http.Request) (any, error) {
	var req artifactIDRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	token, err := s.Analytics.ArtifactDownloadToken(r.Context(), req.ArtifactID)
	if err != nil {
		return nil, err
	}
	return tokenAnswer(token), nil
}

// downloadArtifact sends an artifact's file to whoever holds its download token.
func (s *Server) downloadArtifact(r *http.Request) (any, error) {
	path, name, ctype, err := s.Analytics.OpenArtifact(r.Context(), r.PathValue("token"))
	return s.download(path, name, ctype, err)
}

// artifactItem is ArtifactInfo; metadata is RoomArtifactMetadata with the file's part.
type artifactItem struct {
	ArtifactID string `json:"artifact_id"`
	RoomID     string `json:"room_id"`
	Type       string `json:"type"`
	Created    string `json:"created"`
	Metadata   struct {
		FileInfo struct {
			FilePath string `json:"file_path"`
			FileSize any    `json:"file_size"` // bytes
			MimeType string `json:"mime_type"`
		} `json:"file_info"`
	} `json:"metadata"`
}

func infoOf(w Wire, a analytics.Artifact) artifactItem {
	info := artifactItem{ArtifactID: a.ArtifactID, RoomID: a.RoomID, Type: a.Type, Created: rfc3339(a.CreatedAt)}
	info.Metadata.FileInfo.FilePath = a.FileName
	info.Metadata.FileInfo.FileSize = int64Of(w, a.FileSize)
	info.Metadata.FileInfo.MimeType = a.MimeType
	return info
}

// artifactRoom is PastRoomInfo: the session of artifact/info.
type artifactRoom struct {
	RoomTitle          string  `json:"room_title"`
	RoomID             string  `json:"room_id"`
	RoomSID            string  `json:"room_sid"`
	JoinedParticipants any     `json:"joined_participants"`
	WebhookURL         string  `json:"webhook_url"`
	Created            string  `json:"created"`
	Ended              string  `json:"ended"`
	AnalyticsFileID    *string `json:"analytics_file_id,omitempty"`
}

// int64Of is a 64-bit integer of an answer: a decimal string in the protobuf-JSON dialect, a
// number in the documented one.
func int64Of(w Wire, v int64) any {
	if w == WireProto {
		return pbInt64(v)
	}
	return v
}

// artifactUint reads a uint64 field of a request: a JSON number or a decimal string (as SDK 2
// sends them), absent is 0.
func artifactUint(field string, raw json.RawMessage) (int, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	text := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &text); err != nil {
			return 0, meet.Errorf(meet.CodeInvalidParameters, "%s must be a number", field)
		}
	}
	n, err := strconv.ParseUint(text, 10, 64)
	if err != nil {
		return 0, meet.Errorf(meet.CodeInvalidParameters, "%s must be a non-negative whole number (or its decimal string), not %s", field, raw)
	}
	return int(min(n, math.MaxInt32)), nil
}

// artifactType reads the type filter: a RoomArtifactType name or number; absent is "" (any).
func artifactType(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var name string
	if err := json.Unmarshal(raw, &name); err == nil {
		if slices.Contains(analytics.ArtifactTypes, name) {
			return name, nil
		}
	} else if n, err := strconv.Atoi(string(raw)); err == nil && n >= 0 && n < len(analytics.ArtifactTypes) {
		return analytics.ArtifactTypes[n], nil
	}
	return "", meet.Errorf(meet.CodeInvalidParameters, "type must be a RoomArtifactType name or number (MEETING_ANALYTICS or 1), not %s", raw)
}
