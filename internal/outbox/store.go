package outbox

import (
	"context"
	"time"
)

// Store is what the dispatcher needs of the database. The events themselves are written by the
// room service, in the transaction of the change that causes them; the store turns them into
// deliveries (one per event and URL) and keeps each delivery's state.
//
// Order: the deliveries of one (room, URL) are attempted one at a time, oldest first. A store
// keeps that by making only the oldest pending delivery of each (room, URL) due; the others wait
// (no next attempt time) until it is delivered or failed.
type Store interface {
	// FanOut turns up to limit events that were not fanned out yet, oldest first, into pending
	// deliveries: one for each of urls (the global URLs) and one for the room's own webhook URL,
	// which the store keeps with each event from when it was written; each URL once. They are all
	// due at now (or wait behind an earlier delivery of their room and URL). It reports how many
	// events it consumed. Events and their deliveries are consumed in one transaction: none is
	// skipped or fanned out twice.
	FanOut(ctx context.Context, now time.Time, limit int, urls []string) (int, error)

	// Claim leases up to limit due deliveries until the given time, oldest due first. No more than
	// perURL deliveries to one URL are claimed, less what busy says is in flight to it already.
	// One UPDATE … RETURNING: two dispatchers never claim the same delivery.
	Claim(ctx context.Context, now, until time.Time, limit, perURL int, busy map[string]int) ([]Delivery, error)

	// Record stores the outcome of an attempt of a claimed delivery and ends its lease. A delivered
	// or failed delivery lets the next one of its room and URL become due. It reports false,
	// and changes nothing, if the lease had been lost (another dispatcher took the delivery over).
	Record(ctx context.Context, d Delivery, o Outcome) (bool, error)

	// Abandon ends the lease of a claimed delivery without counting an attempt (shutdown).
	Abandon(ctx context.Context, d Delivery) error

	// ReleaseLeases ends every lease: the dispatcher that held them is gone. Only a store that
	// one process uses alone (SQLite) may do this at start-up.
	ReleaseLeases(ctx context.Context) error

	// NextDue is the earliest time after the given one at which a delivery not in flight is due;
	// ok is false if there is none. (Those due by then were claimed, or wait for a free worker.)
	NextDue(ctx context.Context, after time.Time) (at time.Time, ok bool, err error)

	// Deliveries lists deliveries, newest first, and counts all that match the filter.
	Deliveries(ctx context.Context, f Filter) ([]Info, int, error)

	// Requeue queues the failed deliveries of an event again (only the one to url, if url is not
	// empty), behind the pending deliveries of their room and URL, with a fresh attempt count
	// and age. found is false if no such event exists.
	Requeue(ctx context.Context, eventID, url string, now time.Time) (n int, found bool, err error)
}

// Status of a delivery.
type Status string

// The statuses of a delivery.
const (
	Pending   Status = "pending"
	Delivered Status = "delivered"
	Failed    Status = "failed"
)

// Delivery is one event on its way to one URL, as claimed for an attempt.
type Delivery struct {
	ID       int64 // the delivery's own id; orders the deliveries of a room and URL
	EventID  string
	Event    string
	RoomID   string
	URL      string
	Body     []byte
	Attempts int       // attempts made before this one
	QueuedAt time.Time // when it was queued (or queued again): its age counts from here
	Lease    int64     // the claim, as the store knows it (a fencing token)
}

// Outcome is the result of one attempt.
type Outcome struct {
	Status     Status    // Delivered, Failed, or Pending (try again at Next)
	At         time.Time // when the attempt was made
	StatusCode int       // HTTP status, 0 if none came
	Error      string    // why it did not succeed, "" if it did
	Next       time.Time // the next attempt, when Status is Pending
}

// Filter selects deliveries to list.
type Filter struct {
	RoomID string
	Status Status // "" for all
	From   int
	Limit  int
}

// Info is a delivery as the API lists it.
type Info struct {
	EventID        string
	Event          string
	RoomID         string
	URL            string
	Status         Status
	Attempts       int
	LastStatusCode int
	LastError      string
	NextAttemptAt  time.Time // zero unless pending and due (not waiting behind an earlier delivery)
	LastAttemptAt  time.Time
	CreatedAt      time.Time // queued
	DeliveredAt    time.Time
}
