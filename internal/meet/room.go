// Package meet is the vocabulary of meetd: rooms, sessions, users, participants, events and the
// status codes of the API. It holds no behaviour beyond defaults, validation and new ids, and
// imports only the standard library.
package meet

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"regexp"
	"time"
)

// Limits of the API (doc/api.md).
const (
	MaxNameBytes     = 256
	MaxMetadataBytes = 64 << 10
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidID reports whether s is a valid room_id or user_id.
func ValidID(s string) bool { return idPattern.MatchString(s) }

// CheckID checks a required identifier field: present, and a valid identifier.
func CheckID(field, value string) error {
	if value == "" {
		return Errorf(CodeInvalidParameters, "%s is required", field)
	}
	if !ValidID(value) {
		return BadID(field)
	}
	return nil
}

// Lookup reads the stored thing a request names by its id: the id is checked as field (CheckID),
// get reads it, and when nothing is stored the error is NOT_FOUND "no <what> <id>".
func Lookup[T any](ctx context.Context, field, what, id string, get func(context.Context, string) (*T, error)) (*T, error) {
	if err := CheckID(field, id); err != nil {
		return nil, err
	}
	v, err := get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", what, id, err)
	}
	if v == nil {
		return nil, Errorf(CodeNotFound, "no %s %s", what, id)
	}
	return v, nil
}

// NewID returns prefix followed by 16 random characters of [0-9A-Za-z]: a session's sid (RM_),
// a user id the API made up (U_), an event id (EV_).
func NewID(prefix string) string {
	return prefix + rand.Text()[:16]
}

// InternalPrefix starts the identities of the server's own participants (recorder, RTMP),
// which are never listed.
const InternalPrefix = "__meetd_"

// BadID is the error for a field whose value is not a valid identifier.
func BadID(field string) error {
	return Errorf(CodeInvalidParameters, "%s must match %s", field, idPattern)
}

// Session is one run of a room, from room/create until it ends. A room_id has at most one
// active session at a time; each session has its own SID.
type Session struct {
	SID             string
	RoomID          string
	Metadata        RoomMetadata // effective: every default filled in
	MaxParticipants int
	EmptyTimeout    int // seconds the room stays open while nobody has joined
	CreatedAt       time.Time
	EndedAt         time.Time // zero while running
	EndReason       string

	JoinedParticipants int       // distinct users who joined this session
	Connected          int       // participant connections open now, as the store knows them
	FirstJoinAt        time.Time // zero until somebody joins
	LastLeftAt         time.Time // when the last connection closed

	IsRecording     bool
	IsActiveRTMP    bool
	AnalyticsFileID string

	// UsersRev moves with every change to the session's users or metadata; what is derived from
	// them (participants' metadata) may be kept while it stays the same.
	UsersRev int64
}

// SessionFilter selects sessions (and their recordings and reports) for the list calls
// (fetchPastRooms and the like), newest first unless Ascending.
type SessionFilter struct {
	RoomIDs   []string
	From      int
	Limit     int
	Ascending bool
}

// Running reports whether the session has not ended.
func (s *Session) Running() bool { return s.EndedAt.IsZero() }

// Title is the room title.
func (s *Session) Title() string { return s.Metadata.RoomTitle }

// WebhookURL is the room's own webhook URL, or "".
func (s *Session) WebhookURL() string { return s.Metadata.WebhookURL }

// Why a session ended.
const (
	EndByAPI       = "ended_by_api"
	EndByModerator = "ended_by_moderator"
	EndEmpty       = "empty_timeout"
	EndDeparture   = "departure_timeout"
	EndDuration    = "room_duration"
)

// User is what the backend said about a person when it asked for their join token, kept for the
// session: their role and metadata, and whether they were blocked.
type User struct {
	UserID   string
	Name     string
	IsAdmin  bool
	IsHidden bool
	Metadata UserMetadata
	Blocked  bool
	Joined   bool // has joined this session at least once
	// Generation is raised when the user is removed: page tokens of an older one are refused.
	Generation int64
}

// UserMetadata is the per-user metadata of getJoinToken.
type UserMetadata struct {
	ProfilePic    string        `json:"profile_pic,omitempty"`
	RecordWebcam  *bool         `json:"record_webcam,omitempty"`
	PreferredLang string        `json:"preferred_lang,omitempty"`
	ExUserID      string        `json:"ex_user_id,omitempty"`
	ExtraData     ExtraData     `json:"extra_data,omitempty"`
	LockSettings  *LockSettings `json:"lock_settings,omitempty"`
}

// ParticipantMetadata is the JSON published as a participant's metadata: who they are in the
// meeting and what they may do.
type ParticipantMetadata struct {
	IsAdmin       bool         `json:"is_admin"`
	IsHidden      bool         `json:"is_hidden"`
	ProfilePic    string       `json:"profile_pic"`
	RecordWebcam  bool         `json:"record_webcam"`
	PreferredLang string       `json:"preferred_lang"`
	ExUserID      string       `json:"ex_user_id"`
	ExtraData     ExtraData    `json:"extra_data"`
	LockSettings  LockSettings `json:"lock_settings"`
}

// ParticipantMetadata is the user's metadata with the room's default locks applied: admins are
// never locked; a user's own lock settings override the room's defaults field by field.
func (u *User) ParticipantMetadata(room *RoomMetadata) ParticipantMetadata {
	m := ParticipantMetadata{
		IsAdmin:       u.IsAdmin,
		IsHidden:      u.IsHidden,
		ProfilePic:    u.Metadata.ProfilePic,
		RecordWebcam:  u.Metadata.RecordWebcam == nil || *u.Metadata.RecordWebcam,
		PreferredLang: u.Metadata.PreferredLang,
		ExUserID:      u.Metadata.ExUserID,
		ExtraData:     u.Metadata.ExtraData,
	}
	if !u.IsAdmin {
		m.LockSettings = room.DefaultLockSettings.Merge(u.Metadata.LockSettings)
	} else {
		m.LockSettings = LockSettings{}.Merge(nil)
	}
	return m
}

// JSON returns v marshalled; for the metadata types above it cannot fail.
func JSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	return string(b)
}
