package bbb

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"meetd/internal/bbbdata"
	"meetd/internal/meet"
	"meetd/internal/recorder"
)

// The recording calls (doc/bbb.md, "Recordings"). A BBB recording is one session of a meeting
// made by create that recorded: its recordID is the session's internalMeetingID, its files are
// the session's meetd recordings (each start/stop a part), and its BBB state (published,
// protected, metadata) is a bbb_recordings row, made by the feed (callbacks.go) when the
// session's recording starts or a file is ready.

// recordingStore is the recordings' part of the store.
type recordingStore interface {
	BBBRecording(ctx context.Context, recordID string) (*bbbdata.Recording, error)
	BBBRecordingOfSession(ctx context.Context, sid string) (*bbbdata.Recording, error)
	BBBRecordings(ctx context.Context, meetingIDs, recordIDs []string) ([]bbbdata.Recording, error)
	BBBUpdateRecordings(ctx context.Context, recordIDs []string, change func(*bbbdata.Recording)) (bool, error)
	BBBDeleteRecording(ctx context.Context, recordID string) (bool, error)
	Recordings(ctx context.Context, f recorder.Filter) ([]recorder.File, int, error)
}

// The states of a recording (getRecordings' state).
const (
	stateProcessing  = "processing"
	statePublished   = "published"
	stateUnpublished = "unpublished"
)

// protectedFor is how long a protected recording's playback URL works after getRecordings.
const protectedFor = time.Hour

// playbackPath is where the recordings play: <playbackPath><recordID>?s=… or ?t=….
const playbackPath = "/bigbluebutton/playback/"

// listed is a recording with its files.
type listed struct {
	bbbdata.Recording
	files []recorder.File
	sess  *meet.Session
}

func (l *listed) state() string {
	switch {
	case len(l.files) == 0:
		return stateProcessing
	case l.Published:
		return statePublished
	}
	return stateUnpublished
}

// splitList splits a comma list, without empty items.
func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// metaParams are the request's meta_* parameters by lower-cased name (metaOf, meetings.go).
func metaParams(r *Request) map[string]string { return metaOf(r.Params) }

func (s *Server) files(ctx context.Context, sid string) ([]recorder.File, error) {
	list, _, err := s.store.Recordings(ctx, recorder.Filter{SID: sid, SessionFilter: meet.SessionFilter{Limit: 1000, Ascending: true}})
	return list, err
}

func (s *Server) getRecordings(ctx context.Context, r *Request) *Response {
	states := map[string]bool{statePublished: true, stateUnpublished: true}
	if v := r.Get("state"); v != "" {
		states = map[string]bool{}
		for _, st := range splitList(strings.ToLower(v)) {
			if st == "any" {
				states = nil
				break
			}
			states[st] = true
		}
	}
	offset, limit := 0, 0
	if v := r.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fail("validationError", "offset must be a non-negative integer")
		}
		offset = n
	}
	if v := r.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fail("validationError", "limit must be an integer from 1 to 100")
		}
		limit = min(n, 100)
	}
	rows, err := s.store.BBBRecordings(ctx, splitList(r.Get("meetingID")), splitList(r.Get("recordID")))
	if err != nil {
		s.log.Error("bbb: list recordings", "err", err)
		return fail("internalError", "could not list the recordings")
	}
	filters := metaParams(r)
	var out []listed
	for _, row := range rows {
		l := listed{Recording: row}
		if l.files, err = s.files(ctx, row.SID); err != nil {
			s.log.Error("bbb: list recordings", "err", err)
			return fail("internalError", "could not list the recordings")
		}
		if states != nil && !states[l.state()] {
			continue
		}
		match := true
		for k, v := range filters {
			if l.Metadata[k] != v {
				match = false
			}
		}
		if !match {
			continue
		}
		out = append(out, l)
	}
	if offset > 0 || limit > 0 {
		out = out[min(offset, len(out)):]
		if limit > 0 && len(out) > limit {
			out = out[:limit]
		}
	}
	list := EP("recordings")
	for i := range out {
		l := &out[i]
		if l.sess, err = s.store.SessionBySID(ctx, l.SID); err != nil {
			s.log.Error("bbb: list recordings", "err", err)
			return fail("internalError", "could not list the recordings")
		}
		list.Kids = append(list.Kids, s.recordingXML(r, l))
	}
	if len(out) == 0 {
		return ok(list, E("messageKey", "noRecordings"), E("message", "There are no recordings for the meeting(s)."))
	}
	return ok(list)
}

// recordingXML is one <recording> of getRecordings, in bbb-web's element order.
func (s *Server) recordingXML(r *Request, l *listed) El {
	start := l.StartTime.UnixMilli()
	var end, size int64
	var dur time.Duration
	for _, f := range l.files {
		size += f.FileSize
		dur += f.Duration
		end = max(end, f.CreatedAt.UnixMilli())
	}
	participants := 0
	if l.sess != nil {
		participants = l.sess.JoinedParticipants
		if !l.sess.EndedAt.IsZero() {
			end = l.sess.EndedAt.UnixMilli()
		}
	}
	md := EP("metadata")
	for _, k := range sortedKeys(l.Metadata) {
		md.Kids = append(md.Kids, E(k, l.Metadata[k]))
	}
	playback := EP("playback")
	if len(l.files) > 0 {
		minutes := int64((dur + 30*time.Second) / time.Minute)
		playback.Kids = append(playback.Kids, EP("format",
			E("type", "video"), E("url", s.playbackURL(r, &l.Recording)), EI("processingTime", 0), EI("length", minutes), EI("size", size)))
	}
	return EP("recording",
		E("recordID", l.RecordID), E("meetingID", l.MeetingID), E("internalMeetingID", l.RecordID), E("name", l.Name),
		EB("isBreakout", l.IsBreakout), EB("published", l.Published && len(l.files) > 0), E("state", l.state()),
		EB("protected", l.Protected),
		EI("startTime", start), EI("endTime", end), EI("participants", int64(participants)), EI("rawSize", size),
		md, EI("size", size), playback, EP("data"))
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ { // few keys
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// baseURL is the server's origin for a request ("https://host").
func (s *Server) baseURL(r *http.Request) string {
	if s.deps.PageURL != nil {
		return strings.TrimSuffix(s.deps.PageURL(r), "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// playbackSig signs a playback URL: for ever (until == 0) or until a Unix time.
func (s *Server) playbackSig(recordID string, until int64) string {
	mac := hmac.New(sha256.New, []byte("meetd bbb playback\x00"+s.deps.Keys.APISecret))
	mac.Write([]byte(recordID + "\x00" + strconv.FormatInt(until, 10)))
	return hex.EncodeToString(mac.Sum(nil))
}

// playbackURL is a recording's URL: signed for that recording for ever, or, when protected,
// for protectedFor from now (a new one in every answer).
func (s *Server) playbackURL(r *Request, rec *bbbdata.Recording) string {
	u := s.baseURL(r.HTTP) + playbackPath + rec.RecordID
	if rec.Protected {
		until := s.now().Add(protectedFor).Unix()
		return u + "?t=" + strconv.FormatInt(until, 10) + "." + s.playbackSig(rec.RecordID, until)
	}
	return u + "?s=" + s.playbackSig(rec.RecordID, 0)
}

// playback plays a recording (GET /bigbluebutton/playback/{id}): its file (?part=N for the N-th
// of several), if the URL's signature holds, the recording is published, and, when protected,
// the URL is a protected one not expired. Anything else is 404, the same for every refusal.
func (s *Server) playback(w http.ResponseWriter, hr *http.Request) {
	ctx := hr.Context()
	id := hr.PathValue("id")
	rec, err := s.store.BBBRecording(ctx, id)
	if err != nil || rec == nil || !rec.Published || s.deps.Recorder == nil {
		http.NotFound(w, hr)
		return
	}
	q := hr.URL.Query()
	valid := false
	if t := q.Get("t"); t != "" {
		until, sig, _ := strings.Cut(t, ".")
		n, err := strconv.ParseInt(until, 10, 64)
		valid = err == nil && s.now().Unix() < n && hmac.Equal([]byte(sig), []byte(s.playbackSig(id, n)))
	} else if sig := q.Get("s"); sig != "" && !rec.Protected {
		valid = hmac.Equal([]byte(sig), []byte(s.playbackSig(id, 0)))
	}
	if !valid {
		http.NotFound(w, hr)
		return
	}
	files, err := s.files(ctx, rec.SID)
	part := 1
	if v := q.Get("part"); v != "" {
		part, _ = strconv.Atoi(v)
	}
	if err != nil || part < 1 || part > len(files) {
		http.NotFound(w, hr)
		return
	}
	token, err := s.deps.Recorder.DownloadToken(ctx, files[part-1].RecordID)
	if err != nil {
		http.NotFound(w, hr)
		return
	}
	path, _, err := s.deps.Recorder.Open(ctx, token)
	if err != nil {
		http.NotFound(w, hr)
		return
	}
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("Content-Type", "video/mp4")
	http.ServeFile(w, hr, path)
}

// recordIDs is the request's recordID list, or the answer to give without one.
func recordIDsOf(r *Request) ([]string, *Response) {
	ids := splitList(r.Get("recordID"))
	if len(ids) == 0 {
		return nil, fail("missingParamRecordID", "You must specify one or more a recordIDs.")
	}
	return ids, nil
}

// strictBoolParam reads a true/false parameter (any case), refusing anything else; nil when absent.
func strictBoolParam(r *Request, name string) (*bool, *Response) {
	switch v := strings.ToLower(r.Get(name)); v {
	case "":
		return nil, nil
	case "true", "false":
		b := v == "true"
		return &b, nil
	}
	return nil, fail("validationError", name+" must be true or false")
}

var notFoundRecordings = fail("notFound", "We could not find recordings")

func (s *Server) publishRecordings(ctx context.Context, r *Request) *Response {
	ids, res := recordIDsOf(r)
	if res != nil {
		return res
	}
	publish, res := strictBoolParam(r, "publish")
	switch {
	case res != nil:
		return res
	case publish == nil:
		return fail("missingParamPublish", "You must specify a publish value true or false.")
	}
	found, err := s.store.BBBUpdateRecordings(ctx, ids, func(rec *bbbdata.Recording) { rec.Published = *publish })
	switch {
	case err != nil:
		s.log.Error("bbb: publish recordings", "err", err)
		return fail("internalError", "could not publish the recordings")
	case !found:
		return notFoundRecordings
	}
	return ok(EB("published", *publish))
}

func (s *Server) updateRecordings(ctx context.Context, r *Request) *Response {
	ids, res := recordIDsOf(r)
	if res != nil {
		return res
	}
	protect, res := strictBoolParam(r, "protect")
	if res != nil {
		return res
	}
	meta := metaParams(r)
	found, err := s.store.BBBUpdateRecordings(ctx, ids, func(rec *bbbdata.Recording) {
		if protect != nil {
			rec.Protected = *protect
		}
		for k, v := range meta {
			if v == "" {
				delete(rec.Metadata, k)
			} else {
				rec.Metadata[k] = v
			}
		}
	})
	switch {
	case err != nil:
		s.log.Error("bbb: update recordings", "err", err)
		return fail("internalError", "could not update the recordings")
	case !found:
		return notFoundRecordings
	}
	return ok(EB("updated", true))
}

func (s *Server) deleteRecordings(ctx context.Context, r *Request) *Response {
	ids, res := recordIDsOf(r)
	if res != nil {
		return res
	}
	var rows []*bbbdata.Recording
	for _, id := range ids {
		rec, err := s.store.BBBRecording(ctx, id)
		if err != nil {
			s.log.Error("bbb: delete recordings", "err", err)
			return fail("internalError", "could not delete the recordings")
		}
		if rec == nil {
			return notFoundRecordings
		}
		rows = append(rows, rec)
	}
	for _, rec := range rows {
		files, err := s.files(ctx, rec.SID)
		if err == nil && s.deps.Recorder != nil {
			for _, f := range files {
				if err = s.deps.Recorder.Delete(ctx, f.RecordID); err != nil {
					break
				}
			}
		}
		if err == nil {
			_, err = s.store.BBBDeleteRecording(ctx, rec.RecordID)
		}
		if err != nil {
			s.log.Error("bbb: delete recordings", "record_id", rec.RecordID, "err", err)
			return fail("internalError", "could not delete the recordings")
		}
	}
	return ok(EB("deleted", true))
}

func (s *Server) getRecordingTextTracks(ctx context.Context, r *Request) *Response {
	return notImplemented(s, ctx, r)
}

func (s *Server) putRecordingTextTrack(ctx context.Context, r *Request) *Response {
	return notImplemented(s, ctx, r)
}
