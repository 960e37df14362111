package httpapi

import (
	"net/http"
	"os"
	"time"

	"meetd/internal/analytics"
	"meetd/internal/meet"
)

func (s *Server) analyticsFetch(r *http.Request) (any, error) {
	ctx := r.Context()
	req, f, err := decodeList(r)
	if err != nil {
		return nil, err
	}
	list, total, err := s.Analytics.List(ctx, f)
	if err != nil {
		return nil, err
	}
	type item struct {
		RoomID           string `json:"room_id"`
		FileID           string `json:"file_id"`
		FileName         string `json:"file_name"`
		FileSize         int64  `json:"file_size"`
		CreationTime     int64  `json:"creation_time"`
		RoomCreationTime int64  `json:"room_creation_time"`
	}
	type result struct {
		TotalAnalytics int64  `json:"total_analytics"`
		From           int64  `json:"from"`
		Limit          int64  `json:"limit"`
		OrderBy        string `json:"order_by"`
		AnalyticsList  []item `json:"analytics_list"`
	}
	res := result{TotalAnalytics: int64(total), From: int64(f.From), Limit: int64(f.Limit), OrderBy: req.OrderBy, AnalyticsList: []item{}}
	for _, a := range list {
		res.AnalyticsList = append(res.AnalyticsList, item{a.RoomID, a.FileID, a.FileName, a.FileSize, a.CreatedAt.Unix(), a.RoomCreationTime.Unix()})
	}
	env := OK()
	if len(list) == 0 {
		env = Envelope{Msg: "no analytics found", StatusCode: meet.CodeNotFound}
	}
	if wireOf(r) == WireProto { // plugNmeet's AnalyticsInfo has no room_creation_time
		type pbItem struct {
			RoomID       string `json:"room_id"`
			FileID       string `json:"file_id"`
			FileName     string `json:"file_name"`
			FileSize     int64  `json:"file_size"`
			CreationTime int64  `json:"creation_time"`
		}
		type pbResult struct {
			TotalAnalytics int64    `json:"total_analytics"`
			From           int64    `json:"from"`
			Limit          int64    `json:"limit"`
			OrderBy        string   `json:"order_by"`
			AnalyticsList  []pbItem `json:"analytics_list"`
		}
		out := pbResult{res.TotalAnalytics, res.From, res.Limit, res.OrderBy, make([]pbItem, 0, len(res.AnalyticsList))}
		for _, a := range res.AnalyticsList {
			out.AnalyticsList = append(out.AnalyticsList, pbItem{a.RoomID, a.FileID, a.FileName, a.FileSize, a.CreationTime})
		}
		return struct {
			Envelope
			Result pbResult `json:"result"`
		}{env, out}, nil
	}
	return struct {
		Envelope
		Result result `json:"result"`
	}{env, res}, nil
}

type fileIDRequest struct {
	FileID string `json:"file_id"`
}

func (s *Server) analyticsDelete(r *http.Request) (any, error) {
	ctx := r.Context()
	var req fileIDRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if err := s.Analytics.Delete(ctx, req.FileID); err != nil {
		return nil, err
	}
	return OK(), nil
}

func (s *Server) analyticsDownloadToken(r *http.Request) (any, error) {
	ctx := r.Context()
	var req fileIDRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	token, err := s.Analytics.DownloadToken(ctx, req.FileID)
	if err != nil {
		return nil, err
	}
	return tokenAnswer(token), nil
}

func (s *Server) analyticsAttendance(r *http.Request) (any, error) {
	ctx := r.Context()
	var req struct {
		RoomID   string `json:"room_id"`
		UserID   string `json:"user_id"`
		FromTime int64  `json:"from_time"`
		ToTime   int64  `json:"to_time"`
		Limit    int    `json:"limit"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	q := analytics.AttendanceQuery{RoomID: req.RoomID, UserID: req.UserID, Limit: req.Limit}
	if req.FromTime > 0 {
		q.From = time.Unix(req.FromTime, 0)
	}
	if req.ToTime > 0 {
		q.To = time.Unix(req.ToTime, 0)
	}
	rows, err := s.Analytics.Attendance(ctx, q)
	if err != nil {
		return nil, err
	}
	type row struct {
		RoomID    string `json:"room_id"`
		RoomSID   string `json:"room_sid"`
		RoomTitle string `json:"room_title"`
		UserID    string `json:"user_id"`
		Name      string `json:"name"`
		IsAdmin   bool   `json:"is_admin"`
		JoinedAt  int64  `json:"joined_at"`
		LeftAt    int64  `json:"left_at"` // 0 while connected
		Seconds   int64  `json:"seconds"`
	}
	out := []row{}
	now := time.Now()
	for _, r := range rows {
		left, until := int64(0), now
		if !r.LeftAt.IsZero() {
			left, until = r.LeftAt.Unix(), r.LeftAt
		}
		out = append(out, row{r.RoomID, r.SID, r.RoomTitle, r.UserID, r.Name, r.IsAdmin, r.JoinedAt.Unix(), left,
			int64(until.Sub(r.JoinedAt).Round(time.Second).Seconds())})
	}
	env := OK()
	if len(out) == 0 {
		env = Envelope{Msg: "no attendance found", StatusCode: meet.CodeNotFound}
	}
	return struct {
		Envelope
		Attendance []row `json:"attendance"`
	}{env, out}, nil
}

// downloadAnalytics sends a report to whoever holds its download token.
func (s *Server) downloadAnalytics(r *http.Request) (any, error) {
	path, name, ctype, err := s.Analytics.Open(r.Context(), r.PathValue("token"), r.URL.Query().Get("format"))
	return s.download(path, name, ctype, err)
}

// download opens the file that a download token opened, or says why it could not: a bad token,
// a file that is gone (the answer says only "not found"), a bad request.
func (s *Server) download(path, name, ctype string, err error) (any, error) {
	if err != nil {
		if meet.CodeOf(err) == meet.CodeNotFound {
			return nil, &meet.Error{Code: meet.CodeNotFound, Msg: "not found", Err: err}
		}
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		s.Log.Error("open download", "err", err)
		return nil, &meet.Error{Code: meet.CodeNotFound, Msg: "not found", Err: err}
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return file{f, st.ModTime(), name, ctype}, nil
}

// file is an answer that sends an open file as an attachment (Range requests work), and closes it.
type file struct {
	f       *os.File
	modTime time.Time
	name    string
	ctype   string
}

func (a file) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer a.f.Close()
	w.Header().Set("Content-Type", a.ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+a.name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	http.ServeContent(w, r, "", a.modTime, a.f)
}
