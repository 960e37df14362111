package meet

import (
	"strconv"
	"time"
)

// Breakout rooms (doc/api.md, "Breakout rooms"): a moderator splits a running room's participants
// into rooms of their own for a while. Each breakout room is a room with its own session; its
// metadata says is_breakout_room and names the parent room.

// Breakout is one breakout room of a parent session.
type Breakout struct {
	SID          string // the breakout room's session
	RoomID       string
	ParentSID    string
	ParentRoomID string
	Title        string
	Users        []string // user ids sent to this room
	CreatedAt    time.Time
	EndsAt       time.Time
	Running      bool // its session has not ended
}

// Why a breakout room's session ended (besides the reasons of every session).
const (
	EndBreakoutTimeUp = "breakout_time_up" // its duration ran out
	EndBreakoutEnded  = "breakout_ended"   // a moderator or the API ended it
	EndParentEnded    = "parent_ended"     // its parent room ended
)

// DefaultBreakoutRooms is plugNmeet's default of breakout_room_features.allowed_number_rooms.
const DefaultBreakoutRooms = 6

// MaxBreakoutRooms bounds allowed_number_rooms.
const MaxBreakoutRooms = 50

// BreakoutAllowed reports whether the room's breakout_room_features allow breakout rooms:
// is_allow, plugNmeet's default true when the group is sent without it; a room created without the
// group has none. A breakout room has no breakout rooms of its own.
func (m *RoomMetadata) BreakoutAllowed() bool {
	return !m.IsBreakoutRoom && GroupOn(m.RoomFeatures.BreakoutRoomFeatures, "")
}

// AllowedBreakoutRooms is breakout_room_features.allowed_number_rooms (default 6).
func (m *RoomMetadata) AllowedBreakoutRooms() int {
	n, ok := groupUint(m.RoomFeatures.BreakoutRoomFeatures, "allowed_number_rooms")
	if !ok || n == 0 {
		return DefaultBreakoutRooms
	}
	return n
}

// groupUint reads a non-negative integer of a stored feature group: a JSON number, or a string of
// digits (protobuf-JSON may send a uint32 either way).
func groupUint(g map[string]any, key string) (int, bool) {
	switch v := g[key].(type) {
	case float64:
		if v >= 0 && v == float64(int(v)) {
			return int(v), true
		}
	case string:
		if n, err := strconv.ParseUint(v, 10, 31); err == nil {
			return int(n), true
		}
	}
	return 0, false
}

// checkBreakoutFeatures checks breakout_room_features.allowed_number_rooms, when given.
func checkBreakoutFeatures(g map[string]any) error {
	if g == nil {
		return nil
	}
	v, present := g["allowed_number_rooms"]
	if !present || v == nil {
		return nil
	}
	if n, ok := groupUint(g, "allowed_number_rooms"); !ok || n > MaxBreakoutRooms {
		return Errorf(CodeInvalidParameters, "metadata.room_features.breakout_room_features.allowed_number_rooms must be a whole number from 0 to %d", MaxBreakoutRooms)
	}
	return nil
}
