package meet

import (
	"bytes"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"
)

// Chat (doc/api.md, "Chat"): the meeting pages send their messages through the server, which keeps
// them with the session and relays them: to everyone, or a private message to its two parties
// only. A message may carry one shared file.

// ChatMessage is one message of a session's chat.
type ChatMessage struct {
	MsgID      string
	SID        string
	RoomID     string
	FromUserID string
	FromName   string
	// ToUserID is the addressee of a private message; "" for everyone.
	ToUserID string
	// Message is the text, or, when Sealed, the end-to-end encrypted payload the server cannot read.
	Message string
	Sealed  bool
	FileID  string
	SentAt  time.Time
	// File is the shared file, when FileID is set (read with the message).
	File *ChatFile
}

// Private says whether the message is between two participants.
func (m *ChatMessage) Private() bool { return m.ToUserID != "" }

// VisibleTo says whether user may see the message: everyone sees the public ones, the two
// parties their private one. Moderators do not see other people's private messages.
func (m *ChatMessage) VisibleTo(userID string) bool {
	return !m.Private() || m.FromUserID == userID || m.ToUserID == userID
}

// ChatFile is a file shared in a session's chat; its bytes are in the chat folder under the
// session's sid, by FileID (never a name from a request).
type ChatFile struct {
	FileID    string
	SID       string
	RoomID    string
	UserID    string
	Name      string // as the sender named it, cleaned; for display and Content-Disposition only
	MimeType  string
	Size      int64 // bytes
	CreatedAt time.Time
}

// Chat limits.
const (
	ChatMaxMessage = 2000     // characters of a plain message (the page's limit)
	ChatMaxSealed  = 4 * 2000 // bytes of a sealed message (base64 of the encrypted text)
	ChatMaxFileMB  = 1024     // the most a room's max_file_size may allow, MB
	ChatMaxPerSess = 20000    // messages a session keeps
	chatNameBytes  = MaxNameBytes
)

// EventChatFileShared (doc/api.md, "Webhooks"): a participant shared a file in the chat.
const EventChatFileShared = "chat_file_shared"

// EventChatFile is the file of chat_file_shared: who shared it, with whom ("" everyone).
type EventChatFile struct {
	FileID   string `json:"file_id"`
	Name     string `json:"name"`
	MimeType string `json:"mime_type"`
	Size     int64  `json:"size"`
	UserID   string `json:"user_id"`
	ToUserID string `json:"to_user_id,omitempty"`
}

// DefaultChatFileTypes are the extensions allowed when chat_features.allowed_file_types is empty.
var DefaultChatFileTypes = []string{"jpg", "jpeg", "png", "gif", "webp", "pdf", "txt", "csv", "zip",
	"docx", "xlsx", "pptx", "odt", "ods", "odp", "mp3", "mp4", "webm"}

// chatSniff is what a file of each extension must look like, by http.DetectContentType's answer
// (its media type, without parameters); "ole" is the compound file of the old Office formats.
// An extension not listed here is refused: the server cannot check it.
var chatSniff = map[string][]string{
	"jpg": {"image/jpeg"}, "jpeg": {"image/jpeg"}, "png": {"image/png"}, "gif": {"image/gif"},
	"webp": {"image/webp"}, "bmp": {"image/bmp"}, "pdf": {"application/pdf"},
	"txt": {"text/plain"}, "csv": {"text/plain"}, "md": {"text/plain"}, "log": {"text/plain"},
	"zip": {"application/zip"}, "docx": {"application/zip"}, "xlsx": {"application/zip"},
	"pptx": {"application/zip"}, "odt": {"application/zip"}, "ods": {"application/zip"}, "odp": {"application/zip"},
	"doc": {"ole"}, "xls": {"ole"}, "ppt": {"ole"},
	"mp3": {"audio/mpeg"}, "wav": {"audio/wave"}, "ogg": {"application/ogg"}, "mp4": {"video/mp4"},
	"webm": {"video/webm"}, "gz": {"application/x-gzip"},
}

// chatServeAs is the Content-Type a checked file is served with.
var chatServeAs = map[string]string{
	"csv": "text/csv; charset=utf-8", "md": "text/plain; charset=utf-8", "log": "text/plain; charset=utf-8",
	"txt":  "text/plain; charset=utf-8",
	"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
	"odt":  "application/vnd.oasis.opendocument.text", "ods": "application/vnd.oasis.opendocument.spreadsheet",
	"odp": "application/vnd.oasis.opendocument.presentation",
	"doc": "application/msword", "xls": "application/vnd.ms-excel", "ppt": "application/vnd.ms-powerpoint",
}

// CleanFileName is a shared file's name as it is kept: its last path element, without control
// characters or quotes, at most 256 bytes; "file" if nothing is left.
func CleanFileName(name string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' || r == '/' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	for len(name) > chatNameBytes {
		_, size := lastRune(name)
		name = name[:len(name)-size]
	}
	if name == "" || name == "." || name == ".." {
		return "file"
	}
	return name
}

func lastRune(s string) (rune, int) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] < 0x80 || s[i] >= 0xC0 {
			return rune(s[i]), len(s) - i
		}
	}
	return 0, 1
}

// fileExt is a name's extension, lower case, without the dot.
func fileExt(name string) string {
	return strings.ToLower(strings.TrimPrefix(path.Ext(name), "."))
}

// ChatFileRule checks a file to share against the room's chat_features: its name's extension in
// allowed_file_types (DefaultChatFileTypes when empty), and its first bytes (head: up to 512) what
// that extension must be. It returns the Content-Type to serve it with.
func ChatFileRule(f *ChatFeatures, name string, head []byte) (string, error) {
	ext := fileExt(name)
	allowed := f.AllowedFileTypes
	if len(allowed) == 0 {
		allowed = DefaultChatFileTypes
	}
	ok := slices.ContainsFunc(allowed, func(a string) bool {
		return strings.EqualFold(strings.TrimPrefix(strings.TrimSpace(a), "."), ext)
	})
	if ext == "" || !ok {
		return "", Errorf(CodePermissionDenied, "file type %q is not allowed in this room (chat_features.allowed_file_types: %s)", ext, strings.Join(allowed, ", "))
	}
	want, known := chatSniff[ext]
	if !known {
		return "", Errorf(CodePermissionDenied, "file type %q cannot be checked by this server, so it is not shared", ext)
	}
	got := sniff(head)
	if !slices.Contains(want, got) {
		return "", Errorf(CodePermissionDenied, "the file's content (%s) is not a .%s file", got, ext)
	}
	if t, ok := chatServeAs[ext]; ok {
		return t, nil
	}
	return want[0], nil
}

var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

func sniff(head []byte) string {
	if bytes.HasPrefix(head, oleMagic) {
		return "ole"
	}
	t := http.DetectContentType(head)
	t, _, _ = strings.Cut(t, ";")
	return t
}

// ChatMaxFileBytes is the room's max_file_size in bytes (MB as plugNmeet counts it).
func ChatMaxFileBytes(f *ChatFeatures) int64 {
	mb := 50
	if f.MaxFileSize != nil {
		mb = *f.MaxFileSize
	}
	if mb > ChatMaxFileMB {
		mb = ChatMaxFileMB
	}
	return int64(mb) << 20
}

// Reactions (doc/api.md, "Reactions"): the fixed set a page may send.
var Reactions = []string{"👍", "👏", "❤️", "😂", "😮", "🎉"}

// ReactionsOn says whether the room allows reactions: allow_reactions, on unless false (as
// plugNmeet's default).
func ReactionsOn(f *RoomFeatures) bool { return f.AllowReactions == nil || *f.AllowReactions }
