package httpapi

import (
	"net/http"

	"meetd/internal/meet"
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

type recordingItem struct {
	RecordID         string  `json:"record_id"`
	RoomID           string  `json:"room_id"`
	RoomSID          string  `json:"room_sid"`
	FilePath         string  `json:"file_path"`
	FileSize         float64 `json:"file_size"` // MB, 2 decimals
	CreationTime     int64   `json:"creation_time"`
	RoomCreationTime int64   `json:"room_creation_time"`
}

func (s *Server) recordingFetch(r *http.Request) (any, error) {
	ctx := r.Context()
	req, f, err := decodeList(r)
	if err != nil {
		return nil, err
	}
	list, total, err := s.Recordings.List(ctx, f)
	if err != nil {
		return nil, err
	}
	type result struct {
		TotalRecordings int64           `json:"total_recordings"`
		From            int64           `json:"from"`
		Limit           int64           `json:"limit"`
		OrderBy         string          `json:"order_by"`
		RecordingsList  []recordingItem `json:"recordings_list"`
	}
	res := result{TotalRecordings: int64(total), From: int64(f.From), Limit: int64(f.Limit), OrderBy: req.OrderBy, RecordingsList: []recordingItem{}}
	for _, r := range list {
		res.RecordingsList = append(res.RecordingsList, recordingItem{r.RecordID, r.RoomID, r.SID, r.RecordID + "/" + r.FileName,
			mb(r.FileSize), r.CreatedAt.Unix(), r.RoomCreationTime.Unix()})
	}
	env := OK()
	if len(list) == 0 {
		env = Envelope{Msg: "no recordings found", StatusCode: meet.CodeNotFound}
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
	return struct {
		Envelope
		RecordingInfo recordingItem `json:"recording_info"`
		Duration      float64       `json:"duration"` // seconds
	}{OK(), recordingItem{f.RecordID, f.RoomID, f.SID, f.RecordID + "/" + f.FileName, mb(f.FileSize), f.CreatedAt.Unix(), f.RoomCreationTime.Unix()},
		f.Duration.Seconds()}, nil
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
