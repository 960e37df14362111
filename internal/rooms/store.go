package rooms

import (
	"context"
	"time"

	"meetd/internal/meet"
)

// Store keeps sessions, their users and presence, and the outbox of events. Every method that
// changes state takes a function that builds the events of the change from the state as it is
// inside the transaction, and writes them in that same transaction.
type Store interface {
	// CreateSession inserts sess unless the room has a running session, which it returns instead.
	CreateSession(ctx context.Context, sess *meet.Session, events func(*meet.Session) []meet.Event) (got *meet.Session, created bool, err error)
	// EndSession ends a running session and closes its open connections; false if it had already ended.
	EndSession(ctx context.Context, sid string, at time.Time, reason string, events func(*meet.Session, []Presence) []meet.Event) (bool, error)
	// Session returns the room's running session, or else its latest; nil if none.
	Session(ctx context.Context, roomID string) (*meet.Session, error)
	// SessionText is Session with the metadata unparsed (sess.Metadata empty) and returned as
	// its stored JSON text.
	SessionText(ctx context.Context, roomID string) (*meet.Session, string, error)
	SessionBySID(ctx context.Context, sid string) (*meet.Session, error)
	RunningSessions(ctx context.Context) ([]*meet.Session, error)
	// RunningSessionsText is RunningSessions with the metadata unparsed, as texts[i] for list[i].
	RunningSessionsText(ctx context.Context) (list []*meet.Session, texts []string, err error)
	Sessions(ctx context.Context, f meet.SessionFilter) ([]*meet.Session, int, error)

	// E2EEKey is the session's end-to-end encryption key, "" if none; PutE2EEKey gives it key
	// unless it has one, and returns the one it has (e2ee.go). EndSession deletes it.
	E2EEKey(ctx context.Context, sid string) (string, error)
	PutE2EEKey(ctx context.Context, sid, key string, at time.Time) (string, error)

	// SetMetadata replaces a session's effective metadata.
	SetMetadata(ctx context.Context, sid string, md meet.RoomMetadata) error

	// PutUser records or replaces a user of the session (moving its users_rev).
	PutUser(ctx context.Context, sid string, u *meet.User) error
	// AddUser records a user the session does not know yet; false if it knows them already (and
	// nothing changed). A new user leaves users_rev as it is: what is kept by it holds no such user.
	AddUser(ctx context.Context, sid string, u *meet.User) (bool, error)
	User(ctx context.Context, sid, userID string) (*meet.User, error)
	Users(ctx context.Context, sid string) (map[string]*meet.User, error)
	BlockUser(ctx context.Context, sid, userID string) error
	// RevokeUser raises the user's token generation (meet.User.Generation), if the user exists.
	RevokeUser(ctx context.Context, sid, userID string) error

	ParticipantJoined(ctx context.Context, sid string, p Presence, events func(*meet.Session, JoinFacts) []meet.Event) error
	ParticipantLeft(ctx context.Context, sid string, p Presence, events func(*meet.Session) []meet.Event) error
	// CloseNodePresence closes every open connection held by one media node (it restarted, or it
	// stopped beating). Sessions left empty start their departure timeout at at.
	CloseNodePresence(ctx context.Context, node string, at time.Time) error
	// Heartbeat records that a media node is alive at at.
	Heartbeat(ctx context.Context, node string, at time.Time) error
	// NodeRooms lists the rooms of running sessions with connections open on one media node.
	NodeRooms(ctx context.Context, node string) ([]string, error)
	// StaleNodes lists the nodes holding open connections whose last heartbeat is before before
	// (or that never beat).
	StaleNodes(ctx context.Context, before time.Time) ([]string, error)
	// Connection returns one participant connection of a session (At is when it joined); nil if unknown.
	Connection(ctx context.Context, sid, participantSID string) (*Presence, error)

	// SetActivity opens or closes an interval of activity: a track muted, a participant speaking.
	SetActivity(ctx context.Context, sid string, a Activity) error
	// TrackPublished and TrackUnpublished keep when each track was on, with the track's event,
	// which is not written if its participant has left or the session has ended.
	TrackPublished(ctx context.Context, sid, userID string, t meet.Track, at time.Time, events ...meet.Event) error
	TrackUnpublished(ctx context.Context, sid string, t meet.Track, at time.Time, events ...meet.Event) error

	// waiting room (store/waiting.go)
	Waiter(ctx context.Context, sid, userID string) (*meet.Waiter, error)
	Waiters(ctx context.Context, sid string) ([]meet.Waiter, error)
	WaitingSeen(ctx context.Context, sid, userID, name string, at, stale time.Time, arrive func(meet.Waiter) []meet.Event) (*meet.Waiter, error)
	DecideWaiting(ctx context.Context, sid string, userIDs []string, state, reason, also string, decided func([]meet.Waiter) []meet.Event) ([]meet.Waiter, error)

	AddEvents(ctx context.Context, events ...meet.Event) error
	Events(ctx context.Context, afterSeq int64, limit int) ([]StoredEvent, error)
	LastEventSeq(ctx context.Context) (int64, error)
	// OldestEventSeq is the sequence number of the oldest event kept (older ones were pruned), 0 if none.
	OldestEventSeq(ctx context.Context) (int64, error)

	// PollStore keeps the sessions' polls (polls.go).
	PollStore
	// ChatStore keeps the sessions' chat (chat.go).
	ChatStore
	// DocumentStore keeps the sessions' shared documents (documents.go).
	DocumentStore
}

// Presence is one participant connection.
type Presence struct {
	ParticipantSID string
	UserID         string
	Name           string
	At             time.Time // joined or left
	Node           string    // the media node holding the connection
}

// JoinFacts say what a join was the first of.
type JoinFacts struct {
	FirstOfUser    bool // the user had not joined this session before
	FirstOfSession bool // nobody had joined this session before
}

// StoredEvent is an event with its place in the outbox.
type StoredEvent struct {
	Seq   int64
	Event meet.Event
}
