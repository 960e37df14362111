package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"

	"meetd/internal/meet"
	"meetd/internal/rooms"
)

// The whiteboard (doc/api.md, "Whiteboard"): the shared document "whiteboard" goes through the
// notes' routes (notes.go: state, update, render, compact, download); here are its images
// (/api/whiteboard/upload, /api/whiteboard/file), its rendering ({svg, scene}) and its download
// (svg, or the .excalidraw scene with its images as json).

// whiteboardUploadBody: an image (meet.WhiteboardMaxFile) in base64, and its id.
const whiteboardUploadBody = 6 << 20

// boardRendering is what a page posts as the board's rendering: the board as an SVG picture
// (Excalidraw's export) and its scene (the elements and the view's settings, without images).
type boardRendering struct {
	SVG   string `json:"svg"`
	Scene struct {
		Elements []json.RawMessage `json:"elements"`
		AppState json.RawMessage   `json:"appState"`
	} `json:"scene"`
}

// svgActive finds what would make an SVG run code when a browser opens it: scripts, event
// attributes, javascript: links, embedded HTML.
var svgActive = regexp.MustCompile(`(?i)<script|<foreignobject|javascript:|<[^>]*\son[a-z]+\s*=`)

// parseBoardRendering checks a page's rendering of the board: {svg: "<svg…</svg>", scene:
// {elements: [objects], appState: {…}}}; the SVG must not carry scripts.
func parseBoardRendering(raw json.RawMessage) (*boardRendering, error) {
	var b boardRendering
	dec := json.NewDecoder(bytes.NewReader(raw))
	if len(bytes.TrimSpace(raw)) == 0 || raw[0] != '{' || dec.Decode(&b) != nil || b.Scene.Elements == nil {
		return nil, meet.Errorf(meet.CodeInvalidParameters, "rendering must be the board as {svg, scene: {elements, appState}}")
	}
	svg := strings.TrimSpace(b.SVG)
	if !strings.HasPrefix(svg, "<svg") || !strings.HasSuffix(svg, "</svg>") {
		return nil, meet.Errorf(meet.CodeInvalidParameters, "rendering.svg must be an SVG picture (<svg …>…</svg>)")
	}
	if svgActive.MatchString(svg) {
		return nil, meet.Errorf(meet.CodeInvalidParameters, "rendering.svg must not carry scripts, event attributes or embedded HTML")
	}
	for _, e := range b.Scene.Elements {
		if len(bytes.TrimSpace(e)) == 0 || bytes.TrimSpace(e)[0] != '{' {
			return nil, meet.Errorf(meet.CodeInvalidParameters, "rendering.scene.elements must be objects")
		}
	}
	if len(b.Scene.AppState) > 0 && bytes.TrimSpace(b.Scene.AppState)[0] != '{' && string(bytes.TrimSpace(b.Scene.AppState)) != "null" {
		return nil, meet.Errorf(meet.CodeInvalidParameters, "rendering.scene.appState must be an object")
	}
	return &b, nil
}

func boardFormat(f string) (string, error) {
	format := strings.ToLower(f)
	switch format {
	case "", "svg":
		return "svg", nil
	case "json", "excalidraw":
		return "json", nil
	}
	return "", meet.Errorf(meet.CodeInvalidParameters, "format must be svg or json for the whiteboard")
}

// emptyBoard is the SVG of a board nobody drew on.
const emptyBoard = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 20 20" width="20" height="20"><rect width="20" height="20" fill="#ffffff"/></svg>`

// boardFile is the answer of a download of the whiteboard in format: the latest rendering's SVG,
// or its scene with the board's images as an .excalidraw file (JSON).
func (s *Server) boardFile(st *rooms.DocState, format string) (any, error) {
	b := &boardRendering{SVG: emptyBoard}
	b.Scene.Elements = []json.RawMessage{}
	if d := st.Doc; d != nil && d.Rendering != "" {
		var err error
		if b, err = parseBoardRendering(json.RawMessage(d.Rendering)); err != nil {
			return nil, err // checked when posted: not expected
		}
	}
	var content, ext, mime string
	switch format {
	case "json":
		files, err := s.Rooms.WhiteboardFiles(st.Session)
		if err != nil {
			return nil, err
		}
		type file struct {
			ID       string `json:"id"`
			MimeType string `json:"mimeType"`
			DataURL  string `json:"dataURL"`
			Created  int64  `json:"created"` // Unix ms
		}
		scene := struct {
			Type     string            `json:"type"`
			Version  int               `json:"version"`
			Source   string            `json:"source"`
			Elements []json.RawMessage `json:"elements"`
			AppState json.RawMessage   `json:"appState"`
			Files    map[string]file   `json:"files"`
		}{"excalidraw", 2, "meetd", b.Scene.Elements, b.Scene.AppState, map[string]file{}}
		if len(scene.AppState) == 0 || string(scene.AppState) == "null" {
			scene.AppState = json.RawMessage(`{"viewBackgroundColor":"#ffffff"}`)
		}
		for _, f := range files {
			scene.Files[f.ID] = file{f.ID, f.MimeType, "data:" + f.MimeType + ";base64," + base64.StdEncoding.EncodeToString(f.Data), f.Created.UnixMilli()}
		}
		out, err := json.Marshal(scene)
		if err != nil {
			return nil, err
		}
		content, ext, mime = string(out), ".excalidraw", "application/json"
	default:
		content, ext, mime = b.SVG, ".svg", "image/svg+xml"
	}
	return docFile(st, format, mime, ext, content), nil
}

// whiteboardDownload: /auth/whiteboard/download, notes/download with doc "whiteboard": {room_id,
// sid, format (svg, the default; json)}.
func (s *Server) whiteboardDownload(r *http.Request) (any, error) {
	var req struct {
		RoomID string `json:"room_id"`
		SID    string `json:"sid"`
		Format string `json:"format"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return s.documentDownload(r, req.RoomID, req.SID, "whiteboard", req.Format)
}

// pageWhiteboardUpload: {id (the image's id on the board), data (base64: PNG, JPEG, GIF or WebP)}.
func (s *Server) pageWhiteboardUpload(r *http.Request) (any, error) {
	var req struct {
		ID   string `json:"id"`
		Data []byte `json:"data"`
	}
	if err := decodeSmall(r, &req); err != nil {
		return nil, err
	}
	mime, err := s.Rooms.PutWhiteboardFile(r.Context(), pageToken(r), req.ID, req.Data)
	if err != nil {
		return nil, err
	}
	return struct {
		Envelope
		ID       string `json:"id"`
		MimeType string `json:"mime_type"`
	}{OK(), req.ID, mime}, nil
}

// pageWhiteboardFile: {id}: an image of the board, {id, mime_type, data (base64), created (Unix ms)}.
func (s *Server) pageWhiteboardFile(r *http.Request) (any, error) {
	var req struct {
		ID string `json:"id"`
	}
	if err := decodeSmall(r, &req); err != nil {
		return nil, err
	}
	f, err := s.Rooms.PageWhiteboardFile(r.Context(), pageToken(r), req.ID)
	if err != nil {
		return nil, err
	}
	return struct {
		Envelope
		ID       string `json:"id"`
		MimeType string `json:"mime_type"`
		Data     []byte `json:"data"`
		Created  int64  `json:"created"`
	}{OK(), f.ID, f.MimeType, f.Data, f.Created.UnixMilli()}, nil
}
