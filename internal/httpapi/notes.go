package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"

	"meetd/internal/meet"
	"meetd/internal/rooms"
)

// Shared notes (doc/api.md, "Shared notes"): the meeting page's /api/notes/{state,update,render,
// compact} and the server key's /auth/notes/download. Answers are meetd's (snake_case) in both
// dialects: plugNmeet has no such routes.

// Body limits of the page's document calls: an update (meet.DocMaxUpdate, base64), a rendering
// (meet.DocMaxRendering), a snapshot (meet.DocMaxSize, base64).
const (
	notesUpdateBody  = 128 << 10
	notesRenderBody  = 5 << 20 // a whiteboard's (meet.WhiteboardMaxRendering) or notes' rendering
	notesCompactBody = 6 << 20
)

type docUpdateView struct {
	Seq  int64  `json:"seq"`
	Data []byte `json:"data"` // base64
}

// pageNotesState: {doc ("notes" if empty), after (a seq: only the updates after it)}.
func (s *Server) pageNotesState(r *http.Request) (any, error) {
	var req struct {
		Doc   string `json:"doc"`
		After int64  `json:"after"`
	}
	if err := decodeSmall(r, &req); err != nil {
		return nil, err
	}
	st, err := s.Rooms.PageDocState(r.Context(), pageToken(r), req.Doc, req.After)
	if err != nil {
		return nil, err
	}
	updates := make([]docUpdateView, 0, len(st.Updates))
	for _, u := range st.Updates {
		updates = append(updates, docUpdateView{u.Seq, u.Data})
	}
	var seq int64
	if st.Doc != nil {
		seq = st.Doc.Seq
	}
	return struct {
		Envelope
		Doc      string          `json:"doc"`
		Seq      int64           `json:"seq"`
		Updates  []docUpdateView `json:"updates"`
		Writable bool            `json:"writable"`
		Locked   bool            `json:"locked"`
		Compact  bool            `json:"compact"`
	}{OK(), st.Name, seq, updates, st.Writable, st.Locked, st.Compact}, nil
}

// pageNotesUpdate: {doc, update (base64)}; answers the update's seq, and compact every
// meet.DocCompactAfter updates.
func (s *Server) pageNotesUpdate(r *http.Request) (any, error) {
	var req struct {
		Doc    string `json:"doc"`
		Update []byte `json:"update"`
	}
	if err := decodeSmall(r, &req); err != nil {
		return nil, err
	}
	seq, err := s.Rooms.PageDocUpdate(r.Context(), pageToken(r), req.Doc, req.Update)
	if err != nil {
		return nil, err
	}
	return struct {
		Envelope
		Seq int64 `json:"seq"`
		// Compact asks the page to compact, every meet.DocCompactAfter updates
		Compact bool `json:"compact"`
	}{OK(), seq, seq%meet.DocCompactAfter == 0}, nil
}

// pageNotesRender: {doc, seq, rendering (a Quill delta: {"ops":[…]}; the whiteboard's: {svg,
// scene}, whiteboard.go)}: the document as the page shows it after the updates up to seq.
func (s *Server) pageNotesRender(r *http.Request) (any, error) {
	var req struct {
		Doc       string          `json:"doc"`
		Seq       int64           `json:"seq"`
		Rendering json.RawMessage `json:"rendering"`
	}
	if err := decodeSmall(r, &req); err != nil {
		return nil, err
	}
	if req.Doc == "whiteboard" {
		if _, err := parseBoardRendering(req.Rendering); err != nil {
			return nil, err
		}
	} else if _, err := parseDelta("rendering", string(req.Rendering)); err != nil {
		return nil, err
	}
	kept, err := s.Rooms.PageDocRendering(r.Context(), pageToken(r), req.Doc, req.Seq, string(req.Rendering))
	if err != nil {
		return nil, err
	}
	return struct {
		Envelope
		Kept bool `json:"kept"`
	}{OK(), kept}, nil
}

// pageNotesCompact: {doc, up_to, snapshot (base64: one update holding every update up to up_to)}.
func (s *Server) pageNotesCompact(r *http.Request) (any, error) {
	var req struct {
		Doc      string `json:"doc"`
		UpTo     int64  `json:"up_to"`
		Snapshot []byte `json:"snapshot"`
	}
	if err := decodeSmall(r, &req); err != nil {
		return nil, err
	}
	done, err := s.Rooms.PageDocCompact(r.Context(), pageToken(r), req.Doc, req.UpTo, req.Snapshot)
	if err != nil {
		return nil, err
	}
	return struct {
		Envelope
		Compacted bool `json:"compacted"`
	}{OK(), done}, nil
}

// notesDownload: {room_id, sid (optional: else the running or latest session), doc ("notes";
// "whiteboard"), format ("markdown", the default; "html"; "text"; the whiteboard's "svg", the
// default, "json")}: the document as the latest rendering shows it.
func (s *Server) notesDownload(r *http.Request) (any, error) {
	var req struct {
		RoomID string `json:"room_id"`
		SID    string `json:"sid"`
		Doc    string `json:"doc"`
		Format string `json:"format"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return s.documentDownload(r, req.RoomID, req.SID, req.Doc, req.Format)
}

// documentDownload is the server key's download of a document in format.
func (s *Server) documentDownload(r *http.Request, roomID, sid, doc, f string) (any, error) {
	format, err := docFormat(doc, f)
	if err != nil {
		return nil, err
	}
	st, err := s.Rooms.Document(r.Context(), roomID, sid, doc)
	if err != nil {
		return nil, err
	}
	if st.Name == "whiteboard" {
		return s.boardFile(st, format)
	}
	return notesFile(st, format)
}

// pageNotesDownload: {doc, format}: the page's session's notes as notes/download gives them.
func (s *Server) pageNotesDownload(r *http.Request) (any, error) {
	var req struct {
		Doc    string `json:"doc"`
		Format string `json:"format"`
	}
	if err := decodeSmall(r, &req); err != nil {
		return nil, err
	}
	format, err := docFormat(req.Doc, req.Format)
	if err != nil {
		return nil, err
	}
	st, err := s.Rooms.PageDocument(r.Context(), pageToken(r), req.Doc)
	if err != nil {
		return nil, err
	}
	if st.Name == "whiteboard" {
		return s.boardFile(st, format)
	}
	return notesFile(st, format)
}

// docFormat checks a download's format for the document doc: the whiteboard's (svg, the
// default; json) or the notes'.
func docFormat(doc, f string) (string, error) {
	if doc == "whiteboard" {
		return boardFormat(f)
	}
	return notesFormat(f)
}

func notesFormat(f string) (string, error) {
	format := strings.ToLower(f)
	if format == "" || format == "md" {
		format = "markdown"
	}
	if format != "markdown" && format != "html" && format != "text" {
		return "", meet.Errorf(meet.CodeInvalidParameters, "format must be markdown, html or text")
	}
	return format, nil
}

// notesFile is the answer of a download: the text of st's latest rendering in format.
func notesFile(st *rooms.DocState, format string) (any, error) {
	rendering := `{"ops":[]}`
	if d := st.Doc; d != nil && d.Rendering != "" {
		rendering = d.Rendering
	}
	dl, err := parseDelta("rendering", rendering)
	if err != nil {
		return nil, err // checked when posted: not expected
	}
	title := st.Session.Metadata.RoomTitle
	if title == "" {
		title = st.Session.RoomID
	}
	title = "Notes: " + title
	var content, ext, mime string
	switch format {
	case "html":
		content, ext, mime = renderHTML(dl, title), ".html", "text/html; charset=utf-8"
	case "text":
		content, ext, mime = renderText(dl), ".txt", "text/plain; charset=utf-8"
	default:
		content, ext, mime = renderMarkdown(dl), ".md", "text/markdown; charset=utf-8"
	}
	return docFile(st, format, mime, ext, content), nil
}

// docFile is the answer of a document's download (notes or whiteboard): content, of type mime,
// written from st's latest rendering in format, named with ext.
func docFile(st *rooms.DocState, format, mime, ext, content string) any {
	var seq, renderSeq, updated int64
	updatedBy := ""
	if d := st.Doc; d != nil {
		seq, renderSeq, updated, updatedBy = d.Seq, d.RenderSeq, d.UpdatedAt.Unix(), d.UpdatedBy
	}
	return struct {
		Envelope
		RoomID      string `json:"room_id"`
		SID         string `json:"sid"`
		Doc         string `json:"doc"`
		IsRunning   bool   `json:"is_running"`
		Format      string `json:"format"`
		ContentType string `json:"content_type"`
		FileName    string `json:"file_name"`
		Seq         int64  `json:"seq"`
		RenderedSeq int64  `json:"rendered_seq"`
		UpdatedAt   int64  `json:"updated_at"` // Unix s; 0 if never written
		UpdatedBy   string `json:"updated_by"`
		Content     string `json:"content"`
	}{OK(), st.Session.RoomID, st.Session.SID, st.Name, st.Session.Running(), format, mime,
		st.Session.RoomID + "-" + st.Name + "-" + st.Session.CreatedAt.UTC().Format("20060102-1504") + ext,
		seq, renderSeq, updated, updatedBy, content}
}
