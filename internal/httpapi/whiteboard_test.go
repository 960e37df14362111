package httpapi_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"meetd/internal/meettest"
)

// boardPNG is a small real PNG image.
func boardPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{255, 0, 0, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestWhiteboard: the board is the document "whiteboard" of the notes' routes, allowed by
// whiteboard_features and locked by lock_whiteboard (live; never a moderator); its rendering
// must be {svg, scene} without scripts; its images are type-checked on their content; the
// server key downloads it as SVG or as an .excalidraw scene with its images, during and after
// the meeting.
func TestWhiteboard(t *testing.T) {
	s := newScript(t, meettest.Options{})
	s.signed("room/create", map[string]any{"room_id": "wb", "metadata": map[string]any{"room_title": "Board",
		"room_features":         map[string]any{"whiteboard_features": map[string]any{"is_allow": true}},
		"default_lock_settings": map[string]any{"lock_whiteboard": false}}})
	s.signed("room/create", map[string]any{"room_id": "off", "metadata": map[string]any{"room_title": "No board",
		"room_features": map[string]any{"whiteboard_features": map[string]any{"is_allow": false}}}})
	page := func(room, user string, admin bool) string {
		tok := s.post("/api/join", bearerHeader(joinToken(s, room, user, admin)), nil)["page_token"].(string)
		join(s, room, user)
		return tok
	}
	ann, bob := page("wb", "ann", true), page("wb", "bob", false)
	off := page("off", "dan", false)

	if st := s.post("/api/notes/state", bearerHeader(bob), `{"doc":"whiteboard"}`); code(st) != "SUCCESS" || st["doc"] != "whiteboard" || st["writable"] != true {
		t.Fatalf("bob's board: %v", st)
	}
	img := boardPNG(t)
	svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><path d="M0 0L10 10" stroke="#1e1e1e"/></svg>`
	render := func(svg string) map[string]any {
		return map[string]any{"doc": "whiteboard", "seq": 1, "rendering": map[string]any{"svg": svg,
			"scene": map[string]any{"elements": []any{map[string]any{"id": "e1", "type": "freedraw", "version": 3}}, "appState": map[string]any{"viewBackgroundColor": "#ffffff"}}}}
	}
	for _, c := range []struct {
		tok, path string
		body      any
		want      string
	}{
		{off, "notes/state", `{"doc":"whiteboard"}`, "PERMISSION_DENIED"},
		{off, "whiteboard/upload", map[string]any{"id": "f1", "data": img}, "PERMISSION_DENIED"},
		{off, "whiteboard/file", `{"id":"f1"}`, "PERMISSION_DENIED"},
		{bob, "notes/state", `{"doc":"board"}`, "INVALID_PARAMETERS"},
		{bob, "notes/update", `{"doc":"whiteboard","update":""}`, "INVALID_PARAMETERS"},
		{bob, "notes/render", `{"doc":"whiteboard","seq":1,"rendering":{"ops":[]}}`, "INVALID_PARAMETERS"}, // the notes' form
		{bob, "notes/render", render(`<svg><script>alert(1)</script></svg>`), "INVALID_PARAMETERS"},
		{bob, "notes/render", render(`<svg><rect onload="alert(1)"/></svg>`), "INVALID_PARAMETERS"},
		{bob, "notes/render", render(`<html></html>`), "INVALID_PARAMETERS"},
		{bob, "whiteboard/upload", map[string]any{"id": "../x", "data": img}, "INVALID_PARAMETERS"},
		{bob, "whiteboard/upload", map[string]any{"id": "f1", "data": []byte("<svg onload='x'></svg>")}, "INVALID_PARAMETERS"},
		{bob, "whiteboard/upload", map[string]any{"id": "f1"}, "INVALID_PARAMETERS"},
		{bob, "whiteboard/upload", `{"id":"f1","data":"not base64!"}`, "INVALID_PARAMETERS"},
		{bob, "whiteboard/file", `{"id":"nothing"}`, "NOT_FOUND"},
		{bob, "whiteboard/file", `{"id":""}`, "INVALID_PARAMETERS"},
	} {
		if got := code(s.post("/api/"+c.path, bearerHeader(c.tok), c.body)); got != c.want {
			t.Errorf("%s %v: %s, want %s", c.path, c.body, got, c.want)
		}
	}
	if got := code(s.signed("whiteboard/download", `{"room_id":"wb","format":"png"}`)); got != "INVALID_PARAMETERS" {
		t.Errorf("a png download (the page makes those): %s", got)
	}

	// a stroke, its rendering, an image
	if a := s.post("/api/notes/update", bearerHeader(bob), map[string]any{"doc": "whiteboard", "update": b64("stroke")}); code(a) != "SUCCESS" || a["seq"].(float64) != 1 {
		t.Fatalf("bob's stroke: %v", a)
	}
	if a := s.post("/api/notes/render", bearerHeader(bob), render(svg)); a["kept"] != true {
		t.Fatalf("bob's rendering: %v", a)
	}
	if a := s.post("/api/whiteboard/upload", bearerHeader(bob), map[string]any{"id": "f1", "data": img}); code(a) != "SUCCESS" || a["mime_type"] != "image/png" {
		t.Fatalf("bob's image: %v", a)
	}
	f := s.post("/api/whiteboard/file", bearerHeader(ann), `{"id":"f1"}`)
	if got, _ := base64.StdEncoding.DecodeString(f["data"].(string)); !bytes.Equal(got, img) || f["mime_type"] != "image/png" {
		t.Errorf("ann's copy of the image: %v", f)
	}
	// the notes stay apart from the board
	if st := s.post("/api/notes/state", bearerHeader(bob), `{}`); code(st) != "PERMISSION_DENIED" {
		t.Errorf("the notes of a room with a board only: %v", st)
	}

	download := func(format string) map[string]any {
		t.Helper()
		a := s.signed("whiteboard/download", map[string]any{"room_id": "wb", "format": format})
		if code(a) != "SUCCESS" {
			t.Fatalf("download %s: %v", format, a)
		}
		return a
	}
	if a := download(""); a["content"] != svg || a["content_type"] != "image/svg+xml" || !strings.HasSuffix(a["file_name"].(string), ".svg") || a["rendered_seq"].(float64) != 1 {
		t.Errorf("the SVG download: %v", a)
	}
	if a := s.signed("notes/download", `{"room_id":"wb","doc":"whiteboard","format":"svg"}`); a["content"] != svg {
		t.Errorf("notes/download of the board: %v", a)
	}
	var scene struct {
		Type     string           `json:"type"`
		Elements []map[string]any `json:"elements"`
		Files    map[string]struct {
			MimeType string `json:"mimeType"`
			DataURL  string `json:"dataURL"`
		} `json:"files"`
	}
	a := download("json")
	if err := json.Unmarshal([]byte(a["content"].(string)), &scene); err != nil || scene.Type != "excalidraw" || len(scene.Elements) != 1 ||
		scene.Files["f1"].DataURL != "data:image/png;base64,"+base64.StdEncoding.EncodeToString(img) || !strings.HasSuffix(a["file_name"].(string), ".excalidraw") {
		t.Errorf("the .excalidraw download (%v): %v", err, a)
	}

	// a lock refuses bob at once (strokes, renderings, images); ann, a moderator, still draws
	s.signed("room/updateLockSettings", `{"room_id":"wb","user_id":"bob","lock_settings":{"lock_whiteboard":true}}`)
	for _, c := range []struct {
		path string
		body any
	}{
		{"notes/update", map[string]any{"doc": "whiteboard", "update": b64("x")}},
		{"notes/render", render(svg)},
		{"whiteboard/upload", map[string]any{"id": "f2", "data": img}},
	} {
		if got := code(s.post("/api/"+c.path, bearerHeader(bob), c.body)); got != "PERMISSION_DENIED" {
			t.Errorf("bob locked, %s: %s", c.path, got)
		}
	}
	if st := s.post("/api/notes/state", bearerHeader(bob), `{"doc":"whiteboard"}`); st["locked"] != true || len(st["updates"].([]any)) != 1 {
		t.Errorf("bob's board when locked: %v", st)
	}
	if got := code(s.post("/api/notes/update", bearerHeader(ann), map[string]any{"doc": "whiteboard", "update": b64("y")})); got != "SUCCESS" {
		t.Errorf("the moderator's stroke: %s", got)
	}

	// after the end: downloads still work, the board takes nothing more
	s.signed("room/endRoom", `{"room_id":"wb"}`)
	if a := download("svg"); a["content"] != svg || a["is_running"] != false {
		t.Errorf("the board after the end: %v", a)
	}
	if a := download("json"); !strings.Contains(a["content"].(string), `"f1"`) {
		t.Errorf("the board's images after the end: %v", a)
	}
	if got := code(s.signed("whiteboard/download", `{"room_id":"ghost"}`)); got != "ROOM_NOT_FOUND" {
		t.Errorf("an unknown room: %s", got)
	}
}
