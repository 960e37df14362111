package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	"meetd/internal/meet"
	"meetd/internal/recorder"
)

func (s *Server) recordingStart(r *http.Request) (any, error) {
	ctx := r.Context()
	var req roomIDRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.Recordings.Start(ctx, req.RoomID); err != nil {
		return nil, err
	}
	return OK(), nil
}

func (s *Server) recordingStop(r *http.Request) (any, error) {
	ctx := r.Context()
	var req roomIDRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.Recordings.Stop(ctx, req.RoomID); err != nil {
		return nil, err
	}
	return OK(), nil
}

func (s *Server) rtmpStart(r *http.Request) (any, error) {
	ctx := r.Context()
	var req struct {
		RoomID  string `json:"room_id"`
		RTMPURL string `json:"rtmp_url"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.Recordings.StartRTMP(ctx, req.RoomID, req.RTMPURL); err != nil {
		return nil, err
	}
	return OK(), nil
}

func (s *Server) rtmpStop(r *http.Request) (any, error) {
	ctx := r.Context()
	var req roomIDRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.Recordings.StopRTMP(ctx, req.RoomID); err != nil {
		return nil, err
	}
	return OK(), nil
}

// recordingItem is a recording as the documented dialect gives it (RecordingInfo, doc/api.md).
type recordingItem struct {
	RecordID         string            `json:"record_id"`
	RoomID           string            `json:"room_id"`
	RoomSID          string            `json:"room_sid"`
	FilePath         string            `json:"file_path"`
	FileSize         float64           `json:"file_size"` // MB, 2 decimals
	CreationTime     int64             `json:"creation_time"`
	RoomCreationTime int64             `json:"room_creation_time"`
	Metadata         recorder.Metadata `json:"metadata"`
}

// pbRecordingItem is plugNmeet's RecordingInfo for protojson callers: int64 as strings.
type pbRecordingItem struct {
	RecordID         string            `json:"record_id"`
	RoomID           string            `json:"room_id"`
	RoomSID          string            `json:"room_sid"`
	FilePath         string            `json:"file_path"`
	FileSize         float64           `json:"file_size"`
	CreationTime     pbInt64           `json:"creation_time"`
	RoomCreationTime pbInt64           `json:"room_creation_time"`
	Metadata         recorder.Metadata `json:"metadata"`
}

// recordingAnswer is f in the call's dialect. Its metadata (plugNmeet's RecordingMetadata) is the
// same in both: title and description only when set, subtitles and extra_data always (objects).
func recordingAnswer(w Wire, f *recorder.File) any {
	md := f.Metadata.Clone()
	if md.Subtitles == nil {
		md.Subtitles = map[string]recorder.Subtitle{}
	}
	if md.ExtraData == nil {
		md.ExtraData = map[string]string{}
	}
	path := f.RecordID + "/" + f.FileName
	if w == WireProto {
		return pbRecordingItem{f.RecordID, f.RoomID, f.SID, path, mb(f.FileSize), pbInt64(f.CreatedAt.Unix()), pbInt64(f.RoomCreationTime.Unix()), md}
	}
	return recordingItem{f.RecordID, f.RoomID, f.SID, path, mb(f.FileSize), f.CreatedAt.Unix(), f.RoomCreationTime.Unix(), md}
}

// recordingRoom is the session of a recording as fetchPastRooms gives it (PastRoomInfo).
type recordingRoom struct {
	RoomTitle          string `json:"room_title"`
	RoomID             string `json:"room_id"`
	RoomSID            string `json:"room_sid"`
	JoinedParticipants any    `json:"joined_participants"` // int64; a string for protojson callers
	WebhookURL         string `json:"webhook_url"`
	Created            string `json:"created"`
	Ended              string `json:"ended"`
	AnalyticsFileID    string `json:"analytics_file_id,omitempty"`
}

func recordingRoomAnswer(w Wire, sess *meet.Session) *recordingRoom {
	if sess == nil {
		return nil
	}
	var joined any = int64(sess.JoinedParticipants)
	if w == WireProto {
		joined = pbInt64(sess.JoinedParticipants)
	}
	return &recordingRoom{
		RoomTitle: sess.Title(), RoomID: sess.RoomID, RoomSID: sess.SID, JoinedParticipants: joined,
		WebhookURL: sess.WebhookURL(), Created: rfc3339(sess.CreatedAt), Ended: rfc3339(sess.EndedAt),
		AnalyticsFileID: sess.AnalyticsFileID,
	}
}

// recordingFetch is recording/fetch: the list calls' filter and paging, and room_sid (one
// session's recordings).
func (s *Server) recordingFetch(r *http.Request) (any, error) {
	ctx := r.Context()
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body)) // for decodeList, the list calls' paging
	req, sf, err := decodeList(r)
	if err != nil {
		return nil, err
	}
	var bySession struct {
		RoomSID *string `json:"room_sid"`
	}
	if err := decodeJSON(body, &bySession); err != nil {
		return nil, err
	}
	f := recorder.Filter{SessionFilter: sf}
	if sid := bySession.RoomSID; sid != nil && *sid != "" {
		if err := meet.CheckID("room_sid", *sid); err != nil {
			return nil, err
		}
		f.SID = *sid
	}
	list, total, err := s.Recordings.List(ctx, f)
	if err != nil {
		return nil, err
	}
	w := wireOf(r)
	items := make([]any, 0, len(list))
	for i := range list {
		items = append(items, recordingAnswer(w, &list[i]))
	}
	env := OK()
	if len(list) == 0 {
		env = Envelope{Msg: "no recordings found", StatusCode: meet.CodeNotFound}
	}
	type result struct {
		TotalRecordings any    `json:"total_recordings"` // int64; a string for protojson callers
		From            int64  `json:"from"`
		Limit           int64  `json:"limit"`
		OrderBy         string `json:"order_by"`
		RecordingsList  []any  `json:"recordings_list"`
	}
	res := result{TotalRecordings: int64(total), From: int64(sf.From), Limit: int64(sf.Limit), OrderBy: req.OrderBy, RecordingsList: items}
	if w == WireProto {
		res.TotalRecordings = pbInt64(total)
	}
	return struct {
		Envelope
		Result result `json:"result"`
	}{env, res}, nil
}

// mb is a size in MB with two decimals.
func mb(n int64) float64 { return float64(int64(float64(n)/(1<<20)*100+0.5)) / 100 }

type recordIDRequest struct {
	RecordID string `json:"record_id"`
}

// recordingInfo is recording/info and its old name recording/recordingInfo: the recording and
// its session (null if the session is no longer stored). The documented dialect adds duration.
func (s *Server) recordingInfo(r *http.Request) (any, error) {
	ctx := r.Context()
	var req recordIDRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	f, err := s.Recordings.Info(ctx, req.RecordID)
	if err != nil {
		return nil, err
	}
	sess, err := s.Recordings.Session(ctx, f)
	if err != nil {
		return nil, err
	}
	w := wireOf(r)
	if w == WireProto {
		return struct {
			Envelope
			RecordingInfo any            `json:"recording_info"`
			RoomInfo      *recordingRoom `json:"room_info"`
		}{OK(), recordingAnswer(w, f), recordingRoomAnswer(w, sess)}, nil
	}
	return struct {
		Envelope
		RecordingInfo any            `json:"recording_info"`
		RoomInfo      *recordingRoom `json:"room_info"`
		Duration      float64        `json:"duration"` // seconds
	}{OK(), recordingAnswer(w, f), recordingRoomAnswer(w, sess), f.Duration.Seconds()}, nil
}

// recordingUpdateMetadata is recording/updateMetadata: a patch of the recording's metadata
// (recorder.Metadata's apply). The body is read here, not by decode, because the keys of
// subtitles and extra_data are the caller's (a language such as en-US, any key) and keep their
// spelling.
func (s *Server) recordingUpdateMetadata(r *http.Request) (any, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	var req recordIDRequest
	if err := decodeJSON(body, &req); err != nil {
		return nil, err
	}
	if err := meet.CheckID("record_id", req.RecordID); err != nil {
		return nil, err
	}
	p, err := metadataPatch(body)
	if err != nil {
		return nil, err
	}
	if err := s.Recordings.UpdateMetadata(r.Context(), req.RecordID, p); err != nil {
		return nil, err
	}
	return OK(), nil
}

// metadataPatch reads the metadata object of an updateMetadata body.
func metadataPatch(body []byte) (recorder.Metadata, error) {
	var p recorder.Metadata
	var err error
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return p, meet.Errorf(meet.CodeInvalidParameters, "request body must be a JSON object")
	}
	raw := field(top, "metadata", "metadata")
	if raw == nil {
		return p, meet.Errorf(meet.CodeInvalidParameters, "metadata is required")
	}
	var md map[string]json.RawMessage
	if err := json.Unmarshal(raw, &md); err != nil || md == nil {
		return p, meet.Errorf(meet.CodeInvalidParameters, "metadata must be an object")
	}
	text := func(name string) (*string, error) {
		v := field(md, name, name)
		if v == nil {
			return nil, nil
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, meet.Errorf(meet.CodeInvalidParameters, "metadata.%s must be a string", name)
		}
		return &s, nil
	}
	if p.Title, err = text("title"); err != nil {
		return p, err
	}
	if p.Description, err = text("description"); err != nil {
		return p, err
	}
	if v := field(md, "subtitles", "subtitles"); v != nil {
		var subs map[string]json.RawMessage
		if err := json.Unmarshal(v, &subs); err != nil {
			return p, meet.Errorf(meet.CodeInvalidParameters, "metadata.subtitles must be an object of {label, url} by language")
		}
		p.Subtitles = map[string]recorder.Subtitle{}
		for lang, sv := range subs {
			var sub struct {
				Label *string `json:"label"`
				URL   *string `json:"url"`
			}
			if string(sv) != "null" {
				if err := json.Unmarshal(sv, &sub); err != nil {
					return p, meet.Errorf(meet.CodeInvalidParameters, "metadata.subtitles[%q] must be an object {label, url} of strings", lang)
				}
			}
			st := recorder.Subtitle{}
			if sub.Label != nil {
				st.Label = *sub.Label
			}
			if sub.URL != nil {
				st.URL = *sub.URL
			}
			p.Subtitles[lang] = st
		}
	}
	if v := field(md, "extra_data", "extraData"); v != nil {
		if err := json.Unmarshal(v, &p.ExtraData); err != nil {
			return p, meet.Errorf(meet.CodeInvalidParameters, "metadata.extra_data must be an object of strings")
		}
	}
	return p, nil
}

// field is obj's value under the snake_case or the lowerCamelCase name (the snake one wins); nil
// if absent or null.
func field(obj map[string]json.RawMessage, snakeName, camelName string) json.RawMessage {
	for _, k := range []string{snakeName, camelName} {
		if v, ok := obj[k]; ok && string(v) != "null" {
			return v
		}
	}
	return nil
}

// recordingMerge is recording/mergeRecordings: by_session {room_sid, exclude_recording_ids} or
// by_ids {room_id, recording_ids (at least 2)}. It answers once the merge is checked and queued;
// recording_proceeded announces the new recording when it is ready. The documented dialect's
// answer also names the new recording (record_id).
func (s *Server) recordingMerge(r *http.Request) (any, error) {
	var req struct {
		BySession *struct {
			RoomSID             string   `json:"room_sid"`
			ExcludeRecordingIDs []string `json:"exclude_recording_ids"`
		} `json:"by_session"`
		ByIDs *struct {
			RoomID       string   `json:"room_id"`
			RecordingIDs []string `json:"recording_ids"`
		} `json:"by_ids"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	var sc recorder.MergeScope
	switch {
	case req.BySession != nil && req.ByIDs != nil:
		return nil, meet.Errorf(meet.CodeInvalidParameters, "only one of by_session and by_ids may be given")
	case req.BySession != nil:
		if err := meet.CheckID("by_session.room_sid", req.BySession.RoomSID); err != nil {
			return nil, err
		}
		if err := checkIDCount("by_session.exclude_recording_ids", req.BySession.ExcludeRecordingIDs); err != nil {
			return nil, err
		}
		for _, id := range req.BySession.ExcludeRecordingIDs {
			if !meet.ValidID(id) {
				return nil, meet.BadID("by_session.exclude_recording_ids")
			}
		}
		sc.RoomSID, sc.Exclude = req.BySession.RoomSID, req.BySession.ExcludeRecordingIDs
	case req.ByIDs != nil:
		if err := meet.CheckID("by_ids.room_id", req.ByIDs.RoomID); err != nil {
			return nil, err
		}
		if len(req.ByIDs.RecordingIDs) < 2 {
			return nil, meet.Errorf(meet.CodeInvalidParameters, "by_ids.recording_ids must list at least 2 recordings")
		}
		if err := checkIDCount("by_ids.recording_ids", req.ByIDs.RecordingIDs); err != nil {
			return nil, err
		}
		for _, id := range req.ByIDs.RecordingIDs {
			if !meet.ValidID(id) {
				return nil, meet.BadID("by_ids.recording_ids")
			}
		}
		sc.RoomID, sc.RecordIDs = req.ByIDs.RoomID, req.ByIDs.RecordingIDs
	default:
		return nil, meet.Errorf(meet.CodeInvalidParameters, "by_session or by_ids is required")
	}
	id, err := s.Recordings.Merge(r.Context(), sc)
	if err != nil {
		return nil, err
	}
	if wireOf(r) == WireProto {
		return OK(), nil
	}
	return struct {
		Envelope
		RecordID string `json:"record_id"`
	}{OK(), id}, nil
}

func (s *Server) recordingDelete(r *http.Request) (any, error) {
	ctx := r.Context()
	var req recordIDRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.Recordings.Delete(ctx, req.RecordID); err != nil {
		return nil, err
	}
	return OK(), nil
}

func (s *Server) recordingDownloadToken(r *http.Request) (any, error) {
	ctx := r.Context()
	var req recordIDRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	token, err := s.Recordings.DownloadToken(ctx, req.RecordID)
	if err != nil {
		return nil, err
	}
	return tokenAnswer(token), nil
}

// downloadRecording sends a recording to whoever holds its download token (Range requests work).
func (s *Server) downloadRecording(r *http.Request) (any, error) {
	path, name, err := s.Recordings.Open(r.Context(), r.PathValue("token"))
	return s.download(path, name, "video/mp4", err)
}
