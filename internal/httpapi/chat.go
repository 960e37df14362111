package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"meetd/internal/meet"
	"meetd/internal/rooms"
)

// Chat and reactions (doc/api.md, "Chat", "Reactions"): the meeting page's
// /api/chat/{send,upload,history,file,react}, the download of a shared file
// (/download/chat/{token}) and the server key's /auth/chat/history. Answers are meetd's
// (snake_case) in both dialects: plugNmeet has no such routes.

// chatBody is the most a page's chat message may take: 2000 characters of up to 4 bytes, or a
// sealed message, in JSON.
const chatBody = 32 << 10

// chatUploadBody is the most an upload may take, whatever the room allows (meet.ChatMaxFileMB).
const chatUploadBody = meet.ChatMaxFileMB<<20 + 1

// pageChatSend: {message} or {e2ee} (a sealed message), and to_user_id for a private message.
func (s *Server) pageChatSend(r *http.Request) (any, error) {
	var req struct {
		Message  string `json:"message"`
		E2EE     string `json:"e2ee"`
		ToUserID string `json:"to_user_id"`
	}
	if err := decodeSmall(r, &req); err != nil {
		return nil, err
	}
	m, err := s.Rooms.SendChat(r.Context(), pageToken(r), rooms.ChatSend{Message: req.Message, E2EE: req.E2EE, To: req.ToUserID})
	if err != nil {
		return nil, err
	}
	return chatAnswer(m), nil
}

func chatAnswer(m *meet.ChatMessage) any {
	return struct {
		Envelope
		ChatMessage rooms.ChatPayload `json:"chat_message"`
	}{OK(), rooms.NewChatPayload(m)}
}

// pageChatUpload: the body is the file's bytes; ?name= its name, ?to_user_id= the addressee of a
// private share.
func (s *Server) pageChatUpload(r *http.Request) (any, error) {
	q := r.URL.Query()
	if q.Get("name") == "" {
		return nil, meet.Errorf(meet.CodeInvalidParameters, "name is required (the file's name, in the query)")
	}
	m, err := s.Rooms.ShareChatFile(r.Context(), pageToken(r), q.Get("name"), q.Get("to_user_id"), r.Body)
	if err != nil {
		return nil, err
	}
	return chatAnswer(m), nil
}

// pageChatHistory: the page's view of its session's chat (public, and its own private messages).
func (s *Server) pageChatHistory(r *http.Request) (any, error) {
	list, err := s.Rooms.ChatHistory(r.Context(), pageToken(r))
	if err != nil {
		return nil, err
	}
	out := make([]rooms.ChatPayload, 0, len(list))
	for _, m := range list {
		out = append(out, rooms.NewChatPayload(m))
	}
	return struct {
		Envelope
		Messages []rooms.ChatPayload `json:"messages"`
	}{OK(), out}, nil
}

// pageChatFile: {file_id} → a download token and its URL path, valid minutes.
func (s *Server) pageChatFile(r *http.Request) (any, error) {
	var req struct {
		FileID string `json:"file_id"`
	}
	if err := decodeSmall(r, &req); err != nil {
		return nil, err
	}
	token, err := s.Rooms.ChatFileToken(r.Context(), pageToken(r), req.FileID)
	if err != nil {
		return nil, err
	}
	return struct {
		Envelope
		Token string `json:"token"`
		URL   string `json:"url"`
	}{OK(), token, "/download/chat/" + token}, nil
}

// pageReact: {emoji}, one of meet.Reactions.
func (s *Server) pageReact(r *http.Request) (any, error) {
	var req struct {
		Emoji string `json:"emoji"`
	}
	if err := decodeSmall(r, &req); err != nil {
		return nil, err
	}
	if err := s.Rooms.React(r.Context(), pageToken(r), req.Emoji); err != nil {
		return nil, err
	}
	return OK(), nil
}

// downloadChat serves a shared file for its download token, as an attachment that the browser
// does not sniff or run.
func (s *Server) downloadChat(r *http.Request) (any, error) {
	f, cf, err := s.Rooms.OpenChatFile(r.Context(), r.PathValue("token"))
	if err != nil {
		if meet.CodeOf(err) == meet.CodeNotFound {
			return nil, &meet.Error{Code: meet.CodeNotFound, Msg: "not found", Err: err}
		}
		return nil, err
	}
	return chatFile{file{f, cf.CreatedAt, cf.Name, cf.MimeType}}, nil
}

type chatFile struct{ file }

func (c chatFile) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "sandbox; default-src 'none'")
	c.file.ServeHTTP(w, r)
}

// chatHistory (server key): {room_id, sid (optional: else the running or latest session), format
// ("json", the default, or "text")}: the session's whole chat, private messages included.
func (s *Server) chatHistory(r *http.Request) (any, error) {
	var req struct {
		RoomID string `json:"room_id"`
		SID    string `json:"sid"`
		Format string `json:"format"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if req.Format != "" && req.Format != "json" && req.Format != "text" {
		return nil, meet.Errorf(meet.CodeInvalidParameters, "format must be json or text")
	}
	sess, list, err := s.Rooms.ChatLog(r.Context(), req.RoomID, req.SID)
	if err != nil {
		return nil, err
	}
	out := make([]rooms.ChatPayload, 0, len(list))
	var text strings.Builder
	for _, m := range list {
		p := rooms.NewChatPayload(m)
		out = append(out, p)
		if req.Format == "text" {
			text.WriteString(chatLine(m, p))
		}
	}
	if req.Format == "text" {
		return struct {
			Envelope
			RoomID string `json:"room_id"`
			SID    string `json:"sid"`
			Text   string `json:"text"`
		}{OK(), sess.RoomID, sess.SID, text.String()}, nil
	}
	return struct {
		Envelope
		RoomID    string              `json:"room_id"`
		SID       string              `json:"sid"`
		IsRunning bool                `json:"is_running"`
		Total     int                 `json:"total"`
		Messages  []rooms.ChatPayload `json:"messages"`
	}{OK(), sess.RoomID, sess.SID, sess.Running(), len(out), out}, nil
}

// chatLine is a message as a line of the text log: "[time] from → to: text".
func chatLine(m *meet.ChatMessage, p rooms.ChatPayload) string {
	who := fmt.Sprintf("%s (%s)", m.FromName, m.FromUserID)
	if m.Private() {
		who += " → " + m.ToUserID
	}
	text := m.Message
	switch {
	case m.Sealed:
		text = "[end-to-end encrypted]"
	case p.File != nil:
		text = fmt.Sprintf("[file %s, %d bytes, %s]", p.File.Name, p.File.Size, p.File.MimeType)
	}
	return fmt.Sprintf("[%s] %s: %s\n", m.SentAt.UTC().Format(time.RFC3339), who, strings.ReplaceAll(text, "\n", "\n    "))
}

// chatDelete (server key): {room_id, sid (optional: else the latest session)}: deletes an ended
// session's chat and its files.
func (s *Server) chatDelete(r *http.Request) (any, error) {
	var req struct {
		RoomID string `json:"room_id"`
		SID    string `json:"sid"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	sid, n, err := s.Rooms.DeleteChat(r.Context(), req.RoomID, req.SID)
	if err != nil {
		return nil, err
	}
	return struct {
		Envelope
		SID     string `json:"sid"`
		Deleted int64  `json:"deleted"`
	}{OK(), sid, n}, nil
}
