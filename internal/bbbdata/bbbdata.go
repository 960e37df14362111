// Package bbbdata holds what the BigBlueButton API (internal/bbb) keeps in the store beside
// meetd's own rows: the state of its recordings and its hooks, and the callbacks it derives from
// meetd's events (doc/bbb.md). Both internal/bbb and internal/store use it; it imports neither.
package bbbdata

import "time"

// Recording is the BBB state of one session's recording: its record id is the session's
// internalMeetingID. The files are the session's meetd recordings.
type Recording struct {
	RecordID   string
	SID        string
	RoomID     string
	MeetingID  string // the BBB meetingID
	Name       string // the meeting's name
	IsBreakout bool
	Published  bool
	Protected  bool
	// Metadata is create's meta_* (keys lower-cased) with meetingId, meetingName and
	// isBreakout, then updateRecordings' changes.
	Metadata  map[string]string
	StartTime time.Time // the session's creation
	CreatedAt time.Time
}

// Hook is one hooks/create.
type Hook struct {
	ID          int64
	CallbackURL string
	MeetingID   string   // "" for every meeting
	EventIDs    []string // BBB event ids; empty for all
	Permanent   bool
	Raw         bool
	AfterSeq    int64 // it gets the events after this one
	CreatedAt   time.Time
}

// CallbackEvent is the name of the events that carry one BBB callback (a hook's call, a
// meeting's end callback, recording-ready or analytics callback) to the outbox, which delivers
// each to its URL alone (never to the global webhook URLs) and leaves them out of the event stream.
const CallbackEvent = "bbb_callback"

// FeedEvent is one of meetd's events as the BBB feed reads it.
type FeedEvent struct {
	Seq       int64
	ID        string
	Name      string
	RoomID    string
	SID       string
	Body      []byte // the webhook body (meet.Event as JSON)
	CreatedAt int64  // Unix seconds
}

// Callback is an event of CallbackEvent to write: delivered to URL by the outbox, in order with
// the other deliveries of its room to that URL.
type Callback struct {
	ID        string
	RoomID    string
	SID       string
	URL       string
	Body      []byte // the event's body: JSON with "event" = CallbackEvent (internal/bbb reads it)
	CreatedAt int64  // Unix seconds
}

// Feed is what one batch of events turned into: recordings that start to exist and callbacks
// to deliver. The store writes it in the transaction that moves the feed's cursor.
type Feed struct {
	Recordings []Recording
	Callbacks  []Callback
	// Hold stops the feed after the event Through: those after it are read again next time.
	Hold    bool
	Through int64
}
