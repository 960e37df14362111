// Package rooms is the room service: the rules of meetd's sessions and their lifecycle. The API,
// the media adapter and the timers all change rooms through it, and nothing else does.
package rooms

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meet"
)

// Media is what the room service needs of the media server (LiveKit).
type Media interface {
	// Participants lists who is connected to the room now, in join order; none if the media room does not exist.
	Participants(ctx context.Context, roomID string) ([]meet.ParticipantInfo, error)
	// CloseRoom disconnects everyone and closes the media room; it returns once they are gone.
	CloseRoom(ctx context.Context, roomID string) error
	// RemoveParticipant disconnects one participant.
	RemoveParticipant(ctx context.Context, roomID, identity string) error
	// UpdateParticipant applies a changed grant (metadata, permissions) to a connected participant.
	UpdateParticipant(ctx context.Context, g Grant) error
	// MuteTrack mutes or unmutes one published track.
	MuteTrack(ctx context.Context, roomID, identity, trackSID string, muted bool) error
	// SetAttributes sets attributes of a connected participant, which every participant sees; an
	// empty value removes one.
	SetAttributes(ctx context.Context, roomID, identity string, attrs map[string]string) error
	// Grant makes the media server's access token for a participant.
	Grant(g Grant) (token string, err error)
	// SendData delivers a data message to the room's participants (all if identities is empty).
	SendData(ctx context.Context, roomID, topic string, payload []byte, identities []string) error
}

// Grant is what a participant may do in the media room.
type Grant struct {
	RoomID         string
	Identity       string
	Name           string
	Metadata       string
	IsAdmin        bool
	Hidden         bool
	PublishSources []string // CAMERA, MICROPHONE, SCREEN_SHARE, SCREEN_SHARE_AUDIO
	PublishData    bool
	TTL            time.Duration
	// MaxParticipants is the room's limit, which the media server enforces too; 0: none.
	MaxParticipants int
}

// Config holds the service's settings.
type Config struct {
	Keys                auth.Keys
	DepartureTimeout    time.Duration // how long a room stays open after the last participant left
	DefaultEmptyTimeout int           // seconds, when room/create gives none
	JoinTokenTTL        time.Duration
	Now                 func() time.Time

	// Node names the media node this process's participants connect to; the store keeps it with
	// each connection. Several meetd sharing one store each have their own.
	Node string
	// NodeTimeout is how long a node may go without a heartbeat (one per sweep) before the other
	// processes count its connections as gone (default 30 s).
	NodeTimeout time.Duration
	// ChatDir is where the files shared in chats are kept (data_dir/chat), by sid and file id.
	ChatDir string
	// WhiteboardDir is where the images put on whiteboards are kept (data_dir/whiteboard), by sid
	// and file id (whiteboard.go).
	WhiteboardDir string
}

// Service is the room service.
type Service struct {
	store Store
	media Media
	cfg   Config
	hooks Hooks
	log   *slog.Logger

	ending sync.Map // sid → *sync.Mutex: one ending at a time per session
	users  userCache
	kept   metadataCache // room info's parsed session metadata (shown.go)

	trackEvents    *eventLimiter   // per participant (ratelimit.go)
	presenceEvents *presenceEvents // participant_joined/left, per user and per session (ratelimit.go)
	reactions      *eventLimiter   // per participant (chat.go)
	docUpdates     *eventLimiter   // shared documents' updates, per user and document (documents.go)
}

// Hooks are the other services' work at fixed points of a session's life, given to New. A nil
// hook does nothing.
type Hooks struct {
	// Started runs when a session's first participant joined: automatic recording starts here.
	// It must not block.
	Started func(ctx context.Context, sess *meet.Session)
	// Ending runs before a session's media room closes, while it is still open: the recording
	// stops here, so that its file is complete.
	Ending func(ctx context.Context, sess *meet.Session)
	// Ended runs after a session ended: the attendance report is written here. A failure is
	// logged; the work must be safe to redo, since a crash can come between the end and the work.
	Ended func(ctx context.Context, sid string) error
}

// New makes the room service.
func New(store Store, media Media, cfg Config, hooks Hooks, log *slog.Logger) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.JoinTokenTTL == 0 {
		cfg.JoinTokenTTL = 10 * time.Minute
	}
	if cfg.DefaultEmptyTimeout == 0 {
		cfg.DefaultEmptyTimeout = 1800
	}
	if hooks.Started == nil {
		hooks.Started = func(context.Context, *meet.Session) {}
	}
	if hooks.Ending == nil {
		hooks.Ending = func(context.Context, *meet.Session) {}
	}
	if hooks.Ended == nil {
		hooks.Ended = func(context.Context, string) error { return nil }
	}
	return &Service{store: store, media: media, cfg: cfg, hooks: hooks, log: log,
		trackEvents: newLimiter(trackEventBurst, trackEventRate), presenceEvents: newPresenceEvents(),
		reactions: newLimiter(reactionBurst, reactionRate), docUpdates: newLimiter(docUpdateBurst, docUpdateRate)}
}

func (s *Service) now() time.Time { return s.cfg.Now() }

// DroppedParticipantEvents counts the participant_joined and participant_left events not written
// since the start because a user or a room joined and left faster than their limit (ratelimit.go).
func (s *Service) DroppedParticipantEvents() int64 { return s.presenceEvents.dropped.Load() }

// Events returns the events after seq, in order, at most limit.
func (s *Service) Events(ctx context.Context, afterSeq int64, limit int) ([]StoredEvent, error) {
	return s.store.Events(ctx, afterSeq, limit)
}

// OldestEventSeq is the sequence number of the oldest event kept, 0 if none.
func (s *Service) OldestEventSeq(ctx context.Context) (int64, error) {
	return s.store.OldestEventSeq(ctx)
}

// LastEventSeq is the sequence number of the newest event, 0 if none.
func (s *Service) LastEventSeq(ctx context.Context) (int64, error) {
	return s.store.LastEventSeq(ctx)
}
