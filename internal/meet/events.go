package meet

import "time"

// Names of the events (doc/api.md, "Webhooks").
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
	// EventSessionEnded is plugNmeet's name for a session's end: written with room_finished, in
	// the same transaction, right after it.
	EventSessionEnded = "session_ended"
	// EventArtifactCreated announces an artifact of a session (room_artifact), written with it.
	EventArtifactCreated = "artifact_created"

	// waiting room (doc/api.md, "Waiting room"): a person arrives in it, is admitted or rejected
	// (waiting_room carries the reason), or a moderator switches it on or off
	EventWaitingRoomJoined   = "waiting_room_joined"
	EventWaitingRoomAdmitted = "waiting_room_admitted"
	EventWaitingRoomRejected = "waiting_room_rejected"
	EventWaitingRoomUpdated  = "waiting_room_updated"
	// polls (doc/api.md, "Polls"): a moderator created one; a poll was closed, with its results
	EventPollCreated = "poll_created"
	EventPollClosed  = "poll_closed"
	// shared documents (doc/api.md, "Shared notes"): at a session's end, one for each document
	// written in it (document names it), right before room_finished
	EventDocumentSaved = "document_saved"
)

// Breakout rooms (doc/api.md, "Breakout rooms"): events of the parent room, whose breakout_rooms
// lists the breakout rooms. Each breakout room's own events (room_created … room_finished) carry
// is_breakout_room and parent_room_id in their room object.
const (
	// EventBreakoutRoomsCreated: a moderator or the API split the participants into breakout rooms.
	EventBreakoutRoomsCreated = "breakout_rooms_created"
	// EventBreakoutRoomsExtended: the breakout rooms' end was moved (extend).
	EventBreakoutRoomsExtended = "breakout_rooms_extended"
	// EventBreakoutRoomsEnded: the last breakout room of a round ended (time up, ended, or the
	// parent ended); everyone is back in the parent room.
	EventBreakoutRoomsEnded = "breakout_rooms_ended"
)

// EventBreakoutRoom is one breakout room in breakout_rooms: its room and session, title, the
// users sent to it, and when it ends (Unix seconds).
type EventBreakoutRoom struct {
	RoomID string   `json:"room_id"`
	SID    string   `json:"sid"`
	Title  string   `json:"title"`
	Users  []string `json:"users"`
	EndsAt int64    `json:"ends_at"`
}

// Event is something that happened to a session, as the webhook body carries it (doc/api.md,
// "Webhooks"). Events are written in the same transaction as the change that causes them.
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
	// RoomArtifact is the artifact of artifact_created.
	RoomArtifact *EventArtifact `json:"room_artifact,omitempty"`
	// WaitingRoom is the waiting room of the waiting_room_* events (meetd's).
	WaitingRoom *EventWaitingRoom `json:"waiting_room,omitempty"`
	// BreakoutRooms are the breakout rooms of breakout_rooms_created, _extended and _ended.
	BreakoutRooms []EventBreakoutRoom `json:"breakout_rooms,omitempty"`
	// Poll is the poll of poll_created and poll_closed.
	Poll *EventPoll `json:"poll,omitempty"`
	// ChatFile is the file of chat_file_shared (chat.go).
	ChatFile *EventChatFile `json:"chat_file,omitempty"`
	// Document is the shared document of document_saved.
	Document *EventDocument `json:"document,omitempty"`

	// WebhookURL is the room's own webhook URL when the event was made ("" if none). It is not
	// part of the body: the store keeps it beside the event, and the webhook fan-out reads it there.
	WebhookURL string `json:"-"`
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

// EventArtifact is plugNmeet's RoomArtifactWebhookEvent: the artifact's type (a RoomArtifactType
// name, MEETING_ANALYTICS), id, and its file.
type EventArtifact struct {
	Type       string                 `json:"type"`
	ArtifactID string                 `json:"artifact_id"`
	Metadata   *EventArtifactMetadata `json:"metadata,omitempty"`
}

// EventArtifactMetadata is RoomArtifactMetadata, as far as meetd fills it: the file.
type EventArtifactMetadata struct {
	FileInfo *ArtifactFileInfo `json:"file_info,omitempty"`
}

// ArtifactFileInfo is RoomArtifactFileInfo: the file's name, size in bytes, and type.
type ArtifactFileInfo struct {
	FilePath string `json:"file_path"`
	FileSize int64  `json:"file_size"`
	MimeType string `json:"mime_type"`
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
	// breakout rooms: only in the events of a breakout room
	IsBreakoutRoom bool   `json:"is_breakout_room,omitempty"`
	ParentRoomID   string `json:"parent_room_id,omitempty"`
}

// EventRoom is the session as events carry it. Its metadata has no webhook_url: every webhook
// receiver and event stream gets the event, and a room's webhook URL often carries the
// credential of its own receiver (doc/security.md).
func (s *Session) EventRoom() *EventRoom {
	md := s.Metadata
	md.WebhookURL = ""
	return &EventRoom{
		SID:             s.SID,
		RoomID:          s.RoomID,
		Name:            s.Title(),
		EmptyTimeout:    s.EmptyTimeout,
		MaxParticipants: s.MaxParticipants,
		CreationTime:    s.CreatedAt.Unix(),
		Metadata:        JSON(md),
		NumParticipants: s.Connected,
		IsBreakoutRoom:  s.Metadata.IsBreakoutRoom,
		ParentRoomID:    s.Metadata.ParentRoomID,
	}
}

// NewEvent makes an event of the session at time t, with a new id and the room's webhook URL.
func NewEvent(name string, s *Session, t time.Time) Event {
	return Event{Event: name, ID: NewID("EV_"), CreatedAt: t.Unix(), Room: s.EventRoom(), WebhookURL: s.WebhookURL()}
}

// EventWaitingRoom is the waiting room's state (waiting_room_updated) or a decision's reason.
type EventWaitingRoom struct {
	IsActive *bool  `json:"is_active,omitempty"`
	Reason   string `json:"reason,omitempty"`
}
