package meet

// The waiting room (doc/api.md, "Waiting room").

// States of a person in a session's waiting room.
const (
	WaitingStateWaiting  = "waiting"
	WaitingStateAdmitted = "admitted"
	WaitingStateRejected = "rejected"
)

// Waiter is a person who came to a session whose waiting room was on: waiting, admitted or
// rejected (Reason: the moderator's, optional). Times are Unix ms.
type Waiter struct {
	UserID string `json:"user_id"`
	Name   string `json:"name"`
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
	Since  int64  `json:"waiting_since"`
	SeenAt int64  `json:"last_seen_at"`
}

// MaxWaitingReasonBytes caps a rejection's reason.
const MaxWaitingReasonBytes = 500
