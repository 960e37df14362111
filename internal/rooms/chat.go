package rooms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"

	"meetd/internal/auth"
	"meetd/internal/meet"
)

// Chat and reactions (doc/api.md, "Chat", "Reactions"). The pages send their messages through the
// server (/api/chat/send, /api/chat/upload), which checks the room's chat_features and the
// sender's locks as they are now, keeps the message with the session and relays it on ChatTopic:
// to everyone, or a private message to its two parties only (the media delivers it to those
// identities, so a third page never receives it). In an end-to-end encrypted meeting whose chat
// is included, the server keeps and relays the sealed text, which it cannot read.

// ChatStore keeps the sessions' chat (part of Store).
type ChatStore interface {
	// AddChat stores a message of a running session (and its file) with its events; false if the
	// session ended.
	AddChat(ctx context.Context, m *meet.ChatMessage, f *meet.ChatFile, events func(*meet.Session) []meet.Event) (bool, error)
	// ChatMessages returns a session's chat, oldest first.
	ChatMessages(ctx context.Context, sid string) ([]*meet.ChatMessage, error)
	// ChatCount is how many messages a session's chat holds.
	ChatCount(ctx context.Context, sid string) (int, error)
	// ChatFileMessage returns the message that shared a file; nil if unknown.
	ChatFileMessage(ctx context.Context, fileID string) (*meet.ChatMessage, error)
	// DeleteChat deletes a session's chat (messages and file rows).
	DeleteChat(ctx context.Context, sid string) (int64, error)
}

// The data topics of chat and reactions; payloads in doc/web.md.
const (
	ChatTopic      = "meetd.chat"
	ReactionsTopic = "meetd.reactions"
)

// Reactions are rate limited per participant: a burst of reactionBurst, then reactionRate a second.
const (
	reactionBurst = 5
	reactionRate  = 1
)

// ChatSend is a message a page sends.
type ChatSend struct {
	Message string
	// E2EE is the sealed message of an end-to-end encrypted chat (instead of Message).
	E2EE string
	// To is the addressee of a private message ("" everyone).
	To string
}

// chatSender checks that u may send in sess now: the room's chat, the sender's locks, and a
// private message's addressee.
func (s *Service) chatSender(ctx context.Context, sess *meet.Session, u *meet.User, to string) error {
	f := &sess.Metadata.RoomFeatures
	locks := u.ParticipantMetadata(&sess.Metadata).LockSettings
	if !meet.Bool(f.ChatFeatures.AllowChat) {
		return meet.Errorf(meet.CodePermissionDenied, "chat is not allowed in this room (room_features.chat_features.allow_chat)")
	}
	if meet.Bool(locks.LockChat) || meet.Bool(locks.LockChatSendMsg) {
		return meet.Errorf(meet.CodePermissionDenied, "sending chat messages is locked (lock_chat_send_message)")
	}
	if to == "" {
		return nil
	}
	if !meet.ValidID(to) {
		return meet.BadID("to_user_id")
	}
	if to == u.UserID {
		return meet.Errorf(meet.CodeInvalidParameters, "to_user_id must be another participant")
	}
	other, err := s.store.User(ctx, sess.SID, to)
	if err != nil {
		return fmt.Errorf("load user %s: %w", to, err)
	}
	if other == nil || other.Blocked || strings.HasPrefix(to, meet.InternalPrefix) {
		return meet.Errorf(meet.CodeUserNotFound, "to_user_id %s is not in this meeting", to)
	}
	if meet.Bool(locks.LockPrivateChat) && !other.IsAdmin { // as plugNmeet: a moderator can still be asked privately
		return meet.Errorf(meet.CodePermissionDenied, "private chat is locked (lock_private_chat): only moderators can be written to privately")
	}
	return nil
}

// chatRoom checks the session's chat can hold one more message.
func (s *Service) chatRoom(ctx context.Context, sess *meet.Session) error {
	n, err := s.store.ChatCount(ctx, sess.SID)
	if err != nil {
		return fmt.Errorf("chat of %s: %w", sess.SID, err)
	}
	if n >= meet.ChatMaxPerSess {
		return meet.Errorf(meet.CodeConflict, "this meeting's chat holds %d messages, the most it can", meet.ChatMaxPerSess)
	}
	return nil
}

// SendChat sends the token holder's message: stored with the session and relayed.
func (s *Service) SendChat(ctx context.Context, token string, c ChatSend) (*meet.ChatMessage, error) {
	sess, u, err := s.member(ctx, token, auth.UsePage)
	if err != nil {
		return nil, err
	}
	if err := s.chatSender(ctx, sess, u, c.To); err != nil {
		return nil, err
	}
	e2ee := meet.E2EEOf(&sess.Metadata.RoomFeatures)
	m := &meet.ChatMessage{MsgID: meet.NewID("CM_"), SID: sess.SID, RoomID: sess.RoomID, FromUserID: u.UserID, FromName: u.Name,
		ToUserID: c.To, SentAt: s.now()}
	switch {
	case e2ee.IncludeChat && c.E2EE == "":
		return nil, meet.Errorf(meet.CodeInvalidParameters, "e2ee is required: this meeting's chat is end-to-end encrypted")
	case !e2ee.IncludeChat && c.E2EE != "":
		return nil, meet.Errorf(meet.CodeInvalidParameters, "e2ee must be empty: this meeting's chat is not end-to-end encrypted")
	case c.E2EE != "":
		if len(c.E2EE) > meet.ChatMaxSealed || strings.TrimSpace(c.Message) != "" {
			return nil, meet.Errorf(meet.CodeInvalidParameters, "e2ee must be at most %d bytes, and message empty beside it", meet.ChatMaxSealed)
		}
		m.Message, m.Sealed = c.E2EE, true
	default:
		text := strings.TrimSpace(c.Message)
		if text == "" || !utf8.ValidString(text) || utf8.RuneCountInString(text) > meet.ChatMaxMessage {
			return nil, meet.Errorf(meet.CodeInvalidParameters, "message must be a text of 1 to %d characters", meet.ChatMaxMessage)
		}
		m.Message = text
	}
	if err := s.chatRoom(ctx, sess); err != nil {
		return nil, err
	}
	added, err := s.store.AddChat(ctx, m, nil, nil)
	if err != nil {
		return nil, err
	}
	if !added {
		return nil, meet.ErrRoomNotActive
	}
	s.relayChat(ctx, m)
	return m, nil
}

// ChatPayload is a message as the pages receive it on ChatTopic and in /api/chat/history.
type ChatPayload struct {
	Type       string       `json:"type"` // "chat"
	MsgID      string       `json:"msg_id"`
	FromUserID string       `json:"from_user_id"`
	FromName   string       `json:"from_name"`
	ToUserID   string       `json:"to_user_id,omitempty"`
	Message    string       `json:"message"`
	E2EE       string       `json:"e2ee,omitempty"`
	SentAt     int64        `json:"sent_at"` // Unix ms
	File       *ChatFileRef `json:"file,omitempty"`
}

// ChatFileRef is a shared file as a message shows it; its download token comes from
// /api/chat/file.
type ChatFileRef struct {
	FileID   string `json:"file_id"`
	Name     string `json:"name"`
	MimeType string `json:"mime_type"`
	Size     int64  `json:"size"`
}

// NewChatPayload is m as the pages see it.
func NewChatPayload(m *meet.ChatMessage) ChatPayload {
	p := ChatPayload{Type: "chat", MsgID: m.MsgID, FromUserID: m.FromUserID, FromName: m.FromName, ToUserID: m.ToUserID,
		Message: m.Message, SentAt: m.SentAt.UnixMilli()}
	if m.Sealed {
		p.Message, p.E2EE = "", m.Message
	}
	if m.File != nil {
		p.File = &ChatFileRef{FileID: m.File.FileID, Name: m.File.Name, MimeType: m.File.MimeType, Size: m.File.Size}
	}
	return p
}

// relayChat sends a stored message to the pages: everyone, or a private one's two parties. A page
// that misses it sees it in the history.
func (s *Service) relayChat(ctx context.Context, m *meet.ChatMessage) {
	var to []string
	if m.Private() {
		to = []string{m.FromUserID, m.ToUserID}
	}
	if err := s.media.SendData(ctx, m.RoomID, ChatTopic, []byte(meet.JSON(NewChatPayload(m))), to); err != nil {
		s.log.Warn("chat message", "room_id", m.RoomID, "msg_id", m.MsgID, "err", err)
	}
}

// ShareChatFile shares a file in the token holder's chat (to everyone, or privately): its size
// and type are checked against the room's chat_features (its content, not only its name), its
// bytes kept under ChatDir, and a message carrying it is stored and relayed.
func (s *Service) ShareChatFile(ctx context.Context, token, name, to string, body io.Reader) (*meet.ChatMessage, error) {
	sess, u, err := s.member(ctx, token, auth.UsePage)
	if err != nil {
		return nil, err
	}
	if err := s.chatSender(ctx, sess, u, to); err != nil {
		return nil, err
	}
	f := &sess.Metadata.RoomFeatures.ChatFeatures
	locks := u.ParticipantMetadata(&sess.Metadata).LockSettings
	switch {
	case !meet.Bool(f.AllowFileUpload):
		return nil, meet.Errorf(meet.CodePermissionDenied, "sharing files is not allowed in this room (room_features.chat_features.allow_file_upload)")
	case meet.Bool(locks.LockChatFileShare):
		return nil, meet.Errorf(meet.CodePermissionDenied, "sharing files is locked (lock_chat_file_share)")
	case meet.E2EEOf(&sess.Metadata.RoomFeatures).IncludeChat:
		return nil, meet.Errorf(meet.CodePermissionDenied, "files cannot be shared in an end-to-end encrypted chat: the server would see them")
	case s.cfg.ChatDir == "":
		return nil, meet.Errorf(meet.CodeConflict, "this server keeps no chat files")
	}
	if err := s.chatRoom(ctx, sess); err != nil {
		return nil, err
	}
	name = meet.CleanFileName(name)
	limit := meet.ChatMaxFileBytes(f)
	dir := filepath.Join(s.cfg.ChatDir, sess.SID) // sid: made by the server (meet.NewID)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("chat folder: %w", err)
	}
	fileID := meet.NewID("CF_")
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return nil, fmt.Errorf("chat file: %w", err)
	}
	defer func() {
		tmp.Close()
		_ = os.Remove(tmp.Name()) // gone once renamed
	}()
	n, err := io.Copy(tmp, io.LimitReader(body, limit+1))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, meet.Errorf(meet.CodePermissionDenied, "the file is larger than this room's max_file_size (%d MB)", limit>>20)
	} else if err != nil {
		return nil, &meet.Error{Code: meet.CodeBodyUnreadable, Msg: "the file could not be read", Err: err}
	}
	if n > limit {
		return nil, meet.Errorf(meet.CodePermissionDenied, "the file is larger than this room's max_file_size (%d MB)", limit>>20)
	}
	if n == 0 {
		return nil, meet.Errorf(meet.CodeInvalidParameters, "the file is empty")
	}
	head := make([]byte, 512)
	k, _ := tmp.ReadAt(head, 0)
	mime, err := meet.ChatFileRule(f, name, head[:k])
	if err != nil {
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("chat file: %w", err)
	}
	final := filepath.Join(dir, fileID)
	if err := os.Rename(tmp.Name(), final); err != nil {
		return nil, fmt.Errorf("chat file: %w", err)
	}
	now := s.now()
	file := &meet.ChatFile{FileID: fileID, SID: sess.SID, RoomID: sess.RoomID, UserID: u.UserID, Name: name, MimeType: mime, Size: n, CreatedAt: now}
	m := &meet.ChatMessage{MsgID: meet.NewID("CM_"), SID: sess.SID, RoomID: sess.RoomID, FromUserID: u.UserID, FromName: u.Name,
		ToUserID: to, FileID: fileID, SentAt: now, File: file}
	added, err := s.store.AddChat(ctx, m, file, func(cur *meet.Session) []meet.Event {
		e := meet.NewEvent(meet.EventChatFileShared, cur, now)
		e.ChatFile = &meet.EventChatFile{FileID: fileID, Name: name, MimeType: mime, Size: n, UserID: u.UserID, ToUserID: to}
		return []meet.Event{e}
	})
	if err != nil || !added {
		_ = os.Remove(final)
		if err == nil {
			err = meet.ErrRoomNotActive
		}
		return nil, err
	}
	s.log.Info("chat file shared", "room_id", sess.RoomID, "file_id", fileID, "size", n, "type", mime)
	s.relayChat(ctx, m)
	return m, nil
}

// ChatHistory is the token holder's view of their session's chat: the public messages and their
// own private ones.
func (s *Service) ChatHistory(ctx context.Context, token string) ([]*meet.ChatMessage, error) {
	sess, u, err := s.member(ctx, token, auth.UsePage)
	if err != nil {
		return nil, err
	}
	all, err := s.store.ChatMessages(ctx, sess.SID)
	if err != nil {
		return nil, fmt.Errorf("chat of %s: %w", sess.SID, err)
	}
	return slices.DeleteFunc(all, func(m *meet.ChatMessage) bool { return !m.VisibleTo(u.UserID) }), nil
}

// ChatLog is a room's session's whole chat (sid, or else the running or latest one), for the
// server key: private messages included.
func (s *Service) ChatLog(ctx context.Context, roomID, sid string) (*meet.Session, []*meet.ChatMessage, error) {
	sess, err := s.roomSession(ctx, roomID, sid)
	if err != nil {
		return nil, nil, err
	}
	all, err := s.store.ChatMessages(ctx, sess.SID)
	if err != nil {
		return nil, nil, fmt.Errorf("chat of %s: %w", sess.SID, err)
	}
	return sess, all, nil
}

// ChatFileToken is a download token for a file shared in the token holder's session, if they may
// see the message that shared it.
func (s *Service) ChatFileToken(ctx context.Context, token, fileID string) (string, error) {
	sess, u, err := s.member(ctx, token, auth.UsePage)
	if err != nil {
		return "", err
	}
	if err := meet.CheckID("file_id", fileID); err != nil {
		return "", err
	}
	m, err := s.store.ChatFileMessage(ctx, fileID)
	if err != nil {
		return "", fmt.Errorf("chat file %s: %w", fileID, err)
	}
	if m == nil || m.SID != sess.SID || !m.VisibleTo(u.UserID) {
		return "", meet.Errorf(meet.CodeNotFound, "this meeting has no file %s", fileID)
	}
	return s.cfg.Keys.DownloadToken(auth.ChatFileDownload, fileID, s.now())
}

// OpenChatFile opens the file a download token names.
func (s *Service) OpenChatFile(ctx context.Context, token string) (*os.File, *meet.ChatFile, error) {
	fileID, err := s.cfg.Keys.ParseDownloadToken(auth.ChatFileDownload, token, s.now())
	if err != nil {
		return nil, nil, err
	}
	m, err := s.store.ChatFileMessage(ctx, fileID)
	if err != nil {
		return nil, nil, fmt.Errorf("chat file %s: %w", fileID, err)
	}
	if m == nil || m.File == nil || !meet.ValidID(m.SID) || !meet.ValidID(fileID) || s.cfg.ChatDir == "" {
		return nil, nil, meet.Errorf(meet.CodeNotFound, "the file is gone")
	}
	f, err := os.Open(filepath.Join(s.cfg.ChatDir, m.SID, fileID))
	if err != nil {
		return nil, nil, meet.Errorf(meet.CodeNotFound, "the file is gone")
	}
	return f, m.File, nil
}

// React sends the token holder's reaction (one of meet.Reactions) to every page, at most
// reactionBurst at once and reactionRate a second per participant.
func (s *Service) React(ctx context.Context, token, emoji string) error {
	sess, u, err := s.member(ctx, token, auth.UsePage)
	if err != nil {
		return err
	}
	if !meet.ReactionsOn(&sess.Metadata.RoomFeatures) {
		return meet.Errorf(meet.CodePermissionDenied, "reactions are not allowed in this room (room_features.allow_reactions)")
	}
	if meet.Bool(u.ParticipantMetadata(&sess.Metadata).LockSettings.LockReactions) {
		return meet.Errorf(meet.CodePermissionDenied, "reactions are locked (lock_reactions)")
	}
	if !slices.Contains(meet.Reactions, emoji) {
		return meet.Errorf(meet.CodeInvalidParameters, "emoji must be one of %s", strings.Join(meet.Reactions, " "))
	}
	if !s.reactions.allow(sess.SID+"/"+u.UserID, s.now()) {
		return meet.Errorf(meet.CodeTooManyRequests, "too many reactions: wait a moment")
	}
	payload := meet.JSON(map[string]any{"type": "reaction", "from_user_id": u.UserID, "from_name": u.Name, "emoji": emoji,
		"sent_at": s.now().UnixMilli()})
	if err := s.media.SendData(ctx, sess.RoomID, ReactionsTopic, []byte(payload), nil); err != nil {
		return fmt.Errorf("reaction: %w", err)
	}
	return nil
}

// DeleteChat deletes the chat of an ended session of a room (sid, or else its latest one): its
// messages and its shared files. A running session's chat cannot be deleted (CONFLICT).
func (s *Service) DeleteChat(ctx context.Context, roomID, sid string) (string, int64, error) {
	sess, err := s.roomSession(ctx, roomID, sid)
	if err != nil {
		return "", 0, err
	}
	if sess.Running() {
		return "", 0, meet.Errorf(meet.CodeConflict, "the session %s is running: its chat is deleted after it ends", sess.SID)
	}
	n, err := s.store.DeleteChat(ctx, sess.SID)
	if err != nil {
		return "", 0, err
	}
	if s.cfg.ChatDir != "" && meet.ValidID(sess.SID) {
		if err := os.RemoveAll(filepath.Join(s.cfg.ChatDir, sess.SID)); err != nil {
			return "", 0, fmt.Errorf("chat files of %s: %w", sess.SID, err)
		}
	}
	s.log.Info("chat deleted", "room_id", sess.RoomID, "sid", sess.SID, "messages", n)
	return sess.SID, n, nil
}
