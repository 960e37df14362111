package meet

import "time"

// RoomInfo is the Room Info object of the API (spec §2.4).
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
}

// Info is the session as the API shows it.
func (s *Session) Info() RoomInfo {
	return RoomInfo{
		RoomTitle:          s.Title(),
		RoomID:             s.RoomID,
		SID:                s.SID,
		JoinedParticipants: int64(s.JoinedParticipants),
		IsRunning:          s.Running(),
		IsRecording:        s.IsRecording,
		IsActiveRTMP:       s.IsActiveRTMP,
		CreationTime:       s.CreatedAt.Unix(),
		Metadata:           JSON(s.Metadata),
		WebhookURL:         s.WebhookURL(),
	}
}

// ParticipantInfo is one connected participant (spec §2.4), with meetd's additions.
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
}

// Names of the events (spec §7).
const (
	EventRoomCreated        = "room_created"
	EventRoomStarted        = "room_started"
	EventRoomFinished       = "room_finished"
	EventParticipantJoined  = "participant_joined"
	EventParticipantLeft    = "participant_left"
	EventTrackPublished     = "track_published"
	EventTrackUnpublished   = "track_unpublished"
	EventStartRecording     = "start_recording"
	EventEndRecording       = "end_recording"
	EventRecordingProceeded = "recording_proceeded"
	EventStartRTMP          = "start_rtmp"
	EventEndRTMP            = "end_rtmp"
	EventAnalyticsProceeded = "analytics_proceeded"
)

// Event is something that happened to a session, as the webhook body carries it (spec §7).
// Events are written in the same transaction as the change that causes them.
type Event struct {
	Event       string           `json:"event"`
	ID          string           `json:"id"`
	CreatedAt   int64            `json:"created_at"`
	Room        *EventRoom       `json:"room,omitempty"`
	Participant *ParticipantInfo `json:"participant,omitempty"`
	Track       *Track           `json:"track,omitempty"`
	Analytics   *EventAnalytics  `json:"analytics,omitempty"`
	// RecordingInfo is the recording of start_recording, end_recording and recording_proceeded.
	RecordingInfo *EventRecording `json:"recording_info,omitempty"`
}

// EventRecording names a recording; Reason says why it ended (end_recording).
type EventRecording struct {
	RecordID string  `json:"record_id"`
	FilePath string  `json:"file_path,omitempty"` // inside the recordings folder
	FileSize float64 `json:"file_size,omitempty"` // MB
	Reason   string  `json:"reason,omitempty"`
}

// EventAnalytics names the attendance report of analytics_proceeded.
type EventAnalytics struct {
	FileID string `json:"file_id"`
}

// EventRoom is the room object of an event.
type EventRoom struct {
	SID             string `json:"sid"`
	RoomID          string `json:"room_id"`
	Name            string `json:"name"`
	EmptyTimeout    int    `json:"empty_timeout"`
	MaxParticipants int    `json:"max_participants"`
	CreationTime    int64  `json:"creation_time"`
	Metadata        string `json:"metadata"`
	NumParticipants int    `json:"num_participants"`
}

// EventRoom is the session as events carry it.
func (s *Session) EventRoom() *EventRoom {
	return &EventRoom{
		SID:             s.SID,
		RoomID:          s.RoomID,
		Name:            s.Title(),
		EmptyTimeout:    s.EmptyTimeout,
		MaxParticipants: s.MaxParticipants,
		CreationTime:    s.CreatedAt.Unix(),
		Metadata:        JSON(s.Metadata),
		NumParticipants: s.Connected,
	}
}

// NewEvent makes an event of the session at time t; id must be unique.
func NewEvent(name, id string, s *Session, t time.Time) Event {
	return Event{Event: name, ID: id, CreatedAt: t.Unix(), Room: s.EventRoom()}
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
