package rooms

import (
	"context"
	"encoding/base64"
	"fmt"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meet"
)

// Shared documents (doc/api.md, "Shared notes"): a session's collaborative documents, by name.
// The pages merge them (Yjs CRDT updates); meetd keeps every update in order, hands a page all of
// them (or those after a seq it has), and forwards each new one to the other pages with a data
// message on DocsTopic. It also keeps the latest rendering a page posted, from which the API's
// download is written. Two documents exist: "notes" (shared_note_pad_features, locked by
// lock_shared_notepad) and "whiteboard" (whiteboard_features, locked by lock_whiteboard; doc/api.md,
// "Whiteboard"), whose images are kept apart (whiteboard.go).

// DocumentStore keeps the sessions' documents (part of Store).
type DocumentStore interface {
	// Document returns a session's document; nil if it has none of that name.
	Document(ctx context.Context, sid, name string) (*meet.Document, error)
	// DocUpdates returns the updates after seq after, in order.
	DocUpdates(ctx context.Context, sid, name string, after int64) ([]meet.DocUpdate, error)
	// AppendDocUpdate appends an update to a running session's document and returns its seq; 0 if
	// the session ended. Past maxSize bytes kept it refuses (CONFLICT).
	AppendDocUpdate(ctx context.Context, sid, roomID, name, userID string, data []byte, at time.Time, maxSize int64) (int64, error)
	// SetDocRendering keeps a rendering showing the updates up to seq, unless a later one is kept.
	SetDocRendering(ctx context.Context, sid, name string, seq int64, rendering string) (bool, error)
	// CompactDoc replaces the updates up to upTo by snapshot; false if there is no update upTo.
	CompactDoc(ctx context.Context, sid, name string, upTo int64, snapshot []byte) (bool, error)
	// DocUpdateCount is the number of updates a document keeps.
	DocUpdateCount(ctx context.Context, sid, name string) (int, error)
}

// DocsTopic is the topic of the data messages that carry a document's new update to the pages:
// {"type":"update","doc":"notes","seq":7,"from":"<user_id>","update":"<base64>"} ("update" is
// left out when larger than docInlineUpdate: the pages fetch it).
const DocsTopic = "meetd.notes"

// docInlineUpdate is the largest update a data message carries (LiveKit's reliable data packets
// are best kept under 15 KiB).
const docInlineUpdate = 8 << 10

// Each user may send a burst of docUpdateBurst updates to a document, then docUpdateRate a second.
const (
	docUpdateBurst = 60
	docUpdateRate  = 20
)

// docKind is what a document name stands for: whether the room allows it, and whether a user's
// locks keep them from writing it.
type docKind struct {
	allowed func(*meet.RoomFeatures) bool
	locked  func(meet.LockSettings) bool
	feature string
	// maxRendering is the largest rendering a page may post, in bytes
	maxRendering int
}

var docKinds = map[string]docKind{
	"notes": {
		allowed: func(f *meet.RoomFeatures) bool {
			return meet.GroupOn(f.SharedNotePadFeatures, "allowed_shared_note_pad")
		},
		locked:       func(l meet.LockSettings) bool { return meet.Bool(l.LockSharedNotepad) },
		feature:      "room_features.shared_note_pad_features.is_allow",
		maxRendering: meet.DocMaxRendering,
	},
	"whiteboard": {
		allowed: func(f *meet.RoomFeatures) bool {
			return meet.GroupOn(f.WhiteboardFeatures, "allowed_whiteboard")
		},
		locked:       func(l meet.LockSettings) bool { return meet.Bool(l.LockWhiteboard) },
		feature:      "room_features.whiteboard_features.is_allow",
		maxRendering: meet.WhiteboardMaxRendering,
	},
}

// DocNames are the documents' names, in the order document_saved lists them.
var DocNames = []string{"notes", "whiteboard"}

func docKindOf(name string) (docKind, error) {
	if name == "" {
		name = "notes"
	}
	k, ok := docKinds[name]
	if !ok {
		return docKind{}, meet.Errorf(meet.CodeInvalidParameters, "doc must be one of: notes, whiteboard")
	}
	return k, nil
}

// DocState is a document as a page or the API sees it.
type DocState struct {
	Session  *meet.Session
	Name     string
	Doc      *meet.Document // nil while nobody wrote
	Updates  []meet.DocUpdate
	Writable bool // the viewer may write (a page); false for the API
	Locked   bool // the viewer's lock keeps them from writing
	// Compact asks the page to compact the document (it keeps DocCompactAfter updates or more).
	Compact bool
}

// pageDoc checks a page token and the document name: the session, the user, the kind.
func (s *Service) pageDoc(ctx context.Context, token, name string) (*meet.Session, *meet.User, docKind, error) {
	k, err := docKindOf(name)
	if err != nil {
		return nil, nil, k, err
	}
	sess, u, err := s.member(ctx, token, auth.UsePage)
	if err != nil {
		return nil, nil, k, err
	}
	if !k.allowed(&sess.Metadata.RoomFeatures) {
		return nil, nil, k, meet.Errorf(meet.CodePermissionDenied, "this document is not allowed in this room (%s)", k.feature)
	}
	return sess, u, k, nil
}

// docLocked is whether the user's locks keep them from writing (never a moderator).
func docLocked(sess *meet.Session, u *meet.User, k docKind) bool {
	return !u.IsAdmin && k.locked(u.ParticipantMetadata(&sess.Metadata).LockSettings)
}

// PageDocState is a document of the page's session: the updates after seq after (all for 0).
func (s *Service) PageDocState(ctx context.Context, token, name string, after int64) (*DocState, error) {
	sess, u, k, err := s.pageDoc(ctx, token, name)
	if err != nil {
		return nil, err
	}
	if after < 0 {
		return nil, meet.Errorf(meet.CodeInvalidParameters, "after must be a seq, 0 or more")
	}
	st, err := s.docState(ctx, sess, docName(name), after, true)
	if err != nil {
		return nil, err
	}
	st.Locked = docLocked(sess, u, k)
	st.Writable = !st.Locked
	return st, nil
}

func docName(name string) string {
	if name == "" {
		return "notes"
	}
	return name
}

func (s *Service) docState(ctx context.Context, sess *meet.Session, name string, after int64, withUpdates bool) (*DocState, error) {
	d, err := s.store.Document(ctx, sess.SID, name)
	if err != nil {
		return nil, fmt.Errorf("document %s of %s: %w", name, sess.SID, err)
	}
	st := &DocState{Session: sess, Name: name, Doc: d, Updates: []meet.DocUpdate{}}
	if d == nil || !withUpdates {
		return st, nil
	}
	if st.Updates, err = s.store.DocUpdates(ctx, sess.SID, name, after); err != nil {
		return nil, fmt.Errorf("updates of document %s of %s: %w", name, sess.SID, err)
	}
	if after > 0 && len(st.Updates) > 0 && st.Updates[0].Seq > after+1 {
		// compacted past what the page has: it gets the snapshot, which holds it all
		if st.Updates, err = s.store.DocUpdates(ctx, sess.SID, name, 0); err != nil {
			return nil, fmt.Errorf("updates of document %s of %s: %w", name, sess.SID, err)
		}
	}
	n, err := s.store.DocUpdateCount(ctx, sess.SID, name)
	if err != nil {
		return nil, fmt.Errorf("updates of document %s of %s: %w", name, sess.SID, err)
	}
	st.Compact = n >= meet.DocCompactAfter
	return st, nil
}

// pageWriter is pageDoc for a change: the user's lock refuses it.
func (s *Service) pageWriter(ctx context.Context, token, name string) (*meet.Session, *meet.User, error) {
	sess, u, k, err := s.pageDoc(ctx, token, name)
	if err != nil {
		return nil, nil, err
	}
	if docLocked(sess, u, k) {
		return nil, nil, meet.Errorf(meet.CodePermissionDenied, "this document is locked for you (lock_settings)")
	}
	return sess, u, nil
}

// PageDocUpdate stores an update of the page's document and forwards it to the other pages; it
// answers the update's seq.
func (s *Service) PageDocUpdate(ctx context.Context, token, name string, update []byte) (int64, error) {
	sess, u, err := s.pageWriter(ctx, token, name)
	if err != nil {
		return 0, err
	}
	name = docName(name)
	switch {
	case len(update) == 0:
		return 0, meet.Errorf(meet.CodeInvalidParameters, "update must be a non-empty update (base64)")
	case len(update) > meet.DocMaxUpdate:
		return 0, meet.Errorf(meet.CodeInvalidParameters, "update must be at most %d bytes", meet.DocMaxUpdate)
	}
	now := s.now()
	if !s.docUpdates.allow(sess.SID+"/"+name+"/"+u.UserID, now) {
		return 0, meet.Errorf(meet.CodeTooManyRequests, "too many updates: at most %d a second", docUpdateRate)
	}
	seq, err := s.store.AppendDocUpdate(ctx, sess.SID, sess.RoomID, name, u.UserID, update, now, meet.DocMaxSize)
	if err != nil {
		return 0, err
	}
	if seq == 0 {
		return 0, meet.ErrRoomNotActive
	}
	msg := map[string]any{"type": "update", "doc": name, "seq": seq, "from": u.UserID}
	if len(update) <= docInlineUpdate {
		msg["update"] = base64.StdEncoding.EncodeToString(update)
	}
	if err := s.media.SendData(ctx, sess.RoomID, DocsTopic, []byte(meet.JSON(msg)), nil); err != nil {
		// the other pages see it at their next fetch
		s.log.Warn("document message", "room_id", sess.RoomID, "doc", name, "err", err)
	}
	return seq, nil
}

// PageDocRendering keeps the page's rendering of its document, showing the updates up to seq
// (the latest seq wins); false if a later one is kept already.
func (s *Service) PageDocRendering(ctx context.Context, token, name string, seq int64, rendering string) (bool, error) {
	sess, _, err := s.pageWriter(ctx, token, name)
	if err != nil {
		return false, err
	}
	k, _ := docKindOf(name) // checked by pageWriter
	if seq < 1 {
		return false, meet.Errorf(meet.CodeInvalidParameters, "seq must be the seq of an update the rendering shows")
	}
	if len(rendering) > k.maxRendering {
		return false, meet.Errorf(meet.CodeInvalidParameters, "rendering must be at most %d bytes", k.maxRendering)
	}
	return s.store.SetDocRendering(ctx, sess.SID, docName(name), seq, rendering)
}

// PageDocCompact replaces the updates up to upTo by the page's snapshot (one update holding them).
func (s *Service) PageDocCompact(ctx context.Context, token, name string, upTo int64, snapshot []byte) (bool, error) {
	sess, _, err := s.pageWriter(ctx, token, name)
	if err != nil {
		return false, err
	}
	switch {
	case upTo < 1:
		return false, meet.Errorf(meet.CodeInvalidParameters, "up_to must be the seq of an update")
	case len(snapshot) == 0:
		return false, meet.Errorf(meet.CodeInvalidParameters, "snapshot must be a non-empty update (base64)")
	case len(snapshot) > meet.DocMaxSize:
		return false, meet.Errorf(meet.CodeInvalidParameters, "snapshot must be at most %d bytes", meet.DocMaxSize)
	}
	return s.store.CompactDoc(ctx, sess.SID, docName(name), upTo, snapshot)
}

// PageDocument is the page's session's document without its updates (for its download); any
// member may read it, locked or not.
func (s *Service) PageDocument(ctx context.Context, token, name string) (*DocState, error) {
	sess, _, _, err := s.pageDoc(ctx, token, name)
	if err != nil {
		return nil, err
	}
	return s.docState(ctx, sess, docName(name), 0, false)
}

// Document is a document of a room's session (sid, or else its running or latest one), running
// or ended, as the API sees it.
func (s *Service) Document(ctx context.Context, roomID, sid, name string) (*DocState, error) {
	if _, err := docKindOf(name); err != nil {
		return nil, err
	}
	sess, err := s.roomSession(ctx, roomID, sid)
	if err != nil {
		return nil, err
	}
	return s.docState(ctx, sess, docName(name), 0, false)
}

// savedDocuments are the documents written in a session, as document_saved carries them (at
// its end). A failure to read them is logged: the session ends anyway.
func (s *Service) savedDocuments(ctx context.Context, sess *meet.Session) []*meet.EventDocument {
	var out []*meet.EventDocument
	for _, name := range DocNames {
		d, err := s.store.Document(ctx, sess.SID, name)
		if err != nil {
			s.log.Warn("document at the end", "room_id", sess.RoomID, "doc", name, "err", err)
			continue
		}
		if d != nil {
			out = append(out, &meet.EventDocument{Name: d.Name, Seq: d.Seq, RenderedSeq: d.RenderSeq, Size: d.Size,
				UpdatedAt: d.UpdatedAt.Unix(), UpdatedBy: d.UpdatedBy})
		}
	}
	return out
}
