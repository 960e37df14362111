package rooms

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	"meetd/internal/meet"
)

// The whiteboard's images (doc/api.md, "Whiteboard"). The board itself is the shared document
// "whiteboard" (documents.go); an image on it (an Excalidraw "file") is too large to travel in
// every update, so a page uploads it once, by the id the board's elements use, and the other
// pages fetch it when an element needs it. The bytes are kept under WhiteboardDir/<sid>/<id>,
// with the session, and go into the API's .excalidraw download.

// WhiteboardFile is an image of a session's board.
type WhiteboardFile struct {
	ID       string
	MimeType string
	Data     []byte
	Created  time.Time
}

// whiteboardFileID is the form of an image's id: Excalidraw's are hex digests.
var whiteboardFileID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// whiteboardTypes are the image types a board keeps, as their content shows them (never SVG: it
// may carry scripts).
var whiteboardTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

func checkWhiteboardFileID(id string) error {
	if !whiteboardFileID.MatchString(id) {
		return meet.Errorf(meet.CodeInvalidParameters, "id must be 1 to 128 letters, digits, - or _")
	}
	return nil
}

func (s *Service) whiteboardDir(sid string) (string, error) {
	if s.cfg.WhiteboardDir == "" || !meet.ValidID(sid) {
		return "", meet.Errorf(meet.CodeConflict, "this server keeps no whiteboard images")
	}
	return filepath.Join(s.cfg.WhiteboardDir, sid), nil // sid: made by the server (meet.NewID)
}

// PutWhiteboardFile keeps an image of the page's board under id (a writer's: lock_whiteboard
// refuses it). The same id again keeps the first (an id names one content). It answers the type
// the content shows.
func (s *Service) PutWhiteboardFile(ctx context.Context, token, id string, data []byte) (string, error) {
	sess, _, err := s.pageWriter(ctx, token, "whiteboard")
	if err != nil {
		return "", err
	}
	if err := checkWhiteboardFileID(id); err != nil {
		return "", err
	}
	switch {
	case len(data) == 0:
		return "", meet.Errorf(meet.CodeInvalidParameters, "data must be an image (base64)")
	case len(data) > meet.WhiteboardMaxFile:
		return "", meet.Errorf(meet.CodeInvalidParameters, "data must be at most %d bytes", meet.WhiteboardMaxFile)
	}
	mime := http.DetectContentType(data)
	if !whiteboardTypes[mime] {
		return "", meet.Errorf(meet.CodeInvalidParameters, "data must be a PNG, JPEG, GIF or WebP image (it is %s)", mime)
	}
	if !sess.Running() {
		return "", meet.ErrRoomNotActive
	}
	dir, err := s.whiteboardDir(sess.SID)
	if err != nil {
		return "", err
	}
	final := filepath.Join(dir, id)
	if _, err := os.Stat(final); err == nil {
		return mime, nil
	}
	names, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("whiteboard folder: %w", err)
	}
	if len(names) >= meet.WhiteboardMaxFiles {
		return "", meet.Errorf(meet.CodeConflict, "this board keeps %d images already, the most it may", meet.WhiteboardMaxFiles)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("whiteboard folder: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return "", fmt.Errorf("whiteboard file: %w", err)
	}
	defer os.Remove(tmp.Name()) // gone once renamed
	_, werr := tmp.Write(data)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return "", fmt.Errorf("whiteboard file: %w", werr)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return "", fmt.Errorf("whiteboard file: %w", err)
	}
	s.log.Info("whiteboard image", "room_id", sess.RoomID, "file_id", id, "size", len(data), "type", mime)
	return mime, nil
}

// PageWhiteboardFile is an image of the page's board (any member, locked or not); NOT_FOUND if
// the board has none of that id (yet: the page that put it may still be uploading it).
func (s *Service) PageWhiteboardFile(ctx context.Context, token, id string) (*WhiteboardFile, error) {
	sess, _, _, err := s.pageDoc(ctx, token, "whiteboard")
	if err != nil {
		return nil, err
	}
	if err := checkWhiteboardFileID(id); err != nil {
		return nil, err
	}
	dir, err := s.whiteboardDir(sess.SID)
	if err != nil {
		return nil, err
	}
	return readWhiteboardFile(dir, id)
}

func readWhiteboardFile(dir, id string) (*WhiteboardFile, error) {
	path := filepath.Join(dir, id)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, meet.Errorf(meet.CodeNotFound, "the board has no image %s", id)
	} else if err != nil {
		return nil, fmt.Errorf("whiteboard file: %w", err)
	}
	f := &WhiteboardFile{ID: id, MimeType: http.DetectContentType(data), Data: data}
	if fi, err := os.Stat(path); err == nil {
		f.Created = fi.ModTime()
	}
	return f, nil
}

// WhiteboardFiles are the images of a session's board, by id (for the API's download).
func (s *Service) WhiteboardFiles(sess *meet.Session) ([]*WhiteboardFile, error) {
	dir, err := s.whiteboardDir(sess.SID)
	if err != nil {
		return nil, nil // nothing kept
	}
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("whiteboard folder: %w", err)
	}
	var out []*WhiteboardFile
	for _, e := range entries {
		if !whiteboardFileID.MatchString(e.Name()) || e.IsDir() {
			continue // an upload under way
		}
		f, err := readWhiteboardFile(dir, e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}
