package meet

import "time"

// RoomInfo is the Room Info object of the API (doc/api.md).
type RoomInfo struct {
	RoomTitle          string `json:"room_title"`
	RoomID             string `json:"room_id"`
	SID                string `json:"sid"`
	JoinedParticipants int64  `json:"joined_participants"`
	IsRunning          bool   `json:"is_running"`
	IsRecording        bool   `json:"is_recording"`
	IsActiveRTMP       bool   `json:"is_active_rtmp"`
	CreationTime       int64  `json:"creation_time"`
	Metadata           string `json:"metadata"`
	WebhookURL         string `json:"webhook_url"`
	// breakout rooms: only on a breakout room's session (doc/api.md, "Breakout rooms")
	IsBreakoutRoom bool   `json:"is_breakout_room,omitempty"`
	ParentRoomID   string `json:"parent_room_id,omitempty"`

	// quoted is the metadata as a JSON string, made once for many answers (SetMetadata);
	// AppendJSON uses it while Metadata is still quotedOf.
	quoted, quotedOf string
}

// SetMetadata sets the metadata together with its JSON string form (AppendString's), which
// AppendJSON then copies instead of escaping the metadata again.
func (r *RoomInfo) SetMetadata(metadata, quoted string) {
	r.Metadata, r.quotedOf, r.quoted = metadata, metadata, quoted
}

// Info is the session as the API shows it.
func (s *Session) Info() RoomInfo { return s.InfoWith(JSON(s.Metadata)) }

// InfoWith is Info with the session's metadata already as JSON (JSON(s.Metadata)).
func (s *Session) InfoWith(metadataJSON string) RoomInfo {
	return RoomInfo{
		RoomTitle:          s.Title(),
		RoomID:             s.RoomID,
		SID:                s.SID,
		JoinedParticipants: int64(s.JoinedParticipants),
		IsRunning:          s.Running(),
		IsRecording:        s.IsRecording,
		IsActiveRTMP:       s.IsActiveRTMP,
		CreationTime:       s.CreatedAt.Unix(),
		Metadata:           metadataJSON,
		WebhookURL:         s.WebhookURL(),
		IsBreakoutRoom:     s.Metadata.IsBreakoutRoom,
		ParentRoomID:       s.Metadata.ParentRoomID,
	}
}

// ParticipantInfo is one connected participant (doc/api.md), with meetd's additions.
type ParticipantInfo struct {
	SID      string `json:"sid"`
	Identity string `json:"identity"`
	Name     string `json:"name"`
	State    string `json:"state"` // JOINING, JOINED, ACTIVE, DISCONNECTED
	Metadata string `json:"metadata"`
	JoinedAt int64  `json:"joined_at"`
	Version  uint32 `json:"version"`
	// JoinedAtMs is joined_at in milliseconds, for attendance; not part of the API.
	JoinedAtMs int64 `json:"-"`

	IsAdmin     bool       `json:"is_admin"`
	IsHidden    bool       `json:"is_hidden"`
	IsPublisher bool       `json:"is_publisher"`
	Permission  Permission `json:"permission"`
	Tracks      []Track    `json:"tracks"`

	// quoted is the metadata as a JSON string, made once for many answers (SetMetadata); AppendJSON
	// uses it while Metadata is still quotedOf.
	quoted, quotedOf string
}

// SetMetadata sets the metadata together with its JSON string form (AppendString's), which
// AppendJSON then copies instead of escaping the metadata again.
func (p *ParticipantInfo) SetMetadata(metadata, quoted string) {
	p.Metadata, p.quotedOf, p.quoted = metadata, metadata, quoted
}

// Permission is what a participant may do in the media session.
type Permission struct {
	CanPublish     bool `json:"can_publish"`
	CanSubscribe   bool `json:"can_subscribe"`
	CanPublishData bool `json:"can_publish_data"`
	Hidden         bool `json:"hidden"`
}

// Track is one published track.
type Track struct {
	SID      string `json:"sid"`
	Type     string `json:"type"`   // AUDIO, VIDEO
	Source   string `json:"source"` // CAMERA, MICROPHONE, SCREEN_SHARE, SCREEN_SHARE_AUDIO
	Muted    bool   `json:"muted"`
	MimeType string `json:"mime_type"`
	Width    uint32 `json:"width"`
	Height   uint32 `json:"height"`
}

// Room is the answer of getActiveRoomInfo: the session and who is in it now.
type Room struct {
	RoomInfo         RoomInfo          `json:"room_info"`
	ParticipantsInfo []ParticipantInfo `json:"participants_info"`
	// WaitingParticipants are the people in the waiting room, when it is on (meetd's key).
	WaitingParticipants []Waiter `json:"waiting_participants,omitempty"`
}

// Stats is the state of the server at one moment, for metrics.
type Stats struct {
	RoomsActive           int
	ParticipantsConnected int
	Recordings            int // running now
	Broadcasts            int // RTMP running now
	WebhooksPending       int
	WebhooksFailed        int
	OldestPendingWebhook  time.Duration // age of the oldest pending delivery, 0 if none
}
