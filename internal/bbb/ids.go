package bbb

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"meetd/internal/meet"
)

// RoomID is the meetd room_id of a BBB meetingID (doc/bbb.md, "Mapping"): the meetingID itself
// when it is a valid room_id, else "bbb_" and the first 40 hex digits of its SHA-256 (Moodle's
// ids have brackets). The store keeps the original with the session.
func RoomID(meetingID string) string {
	if meet.ValidID(meetingID) {
		return meetingID
	}
	sum := sha256.Sum256([]byte(meetingID))
	return "bbb_" + hex.EncodeToString(sum[:])[:40]
}

// UserID is the meetd user_id of a BBB userID, by the same rule as RoomID (prefix "bbbu_");
// the original is the user's ex_user_id.
func UserID(userID string) string {
	if meet.ValidID(userID) && !strings.HasPrefix(userID, meet.InternalPrefix) {
		return userID
	}
	sum := sha256.Sum256([]byte(userID))
	return "bbbu_" + hex.EncodeToString(sum[:])[:40]
}

// InternalMeetingID is BBB's internalMeetingID: sha1 hex of the meetingID, "-", the create time
// in Unix milliseconds. A recording's recordID is the same.
func InternalMeetingID(meetingID string, createTimeMs int64) string {
	sum := sha1.Sum([]byte(meetingID))
	return hex.EncodeToString(sum[:]) + "-" + strconv.FormatInt(createTimeMs, 10)
}

// validMeetingID checks BBB's meetingID constraint: 2 to 256 characters, no comma.
func validMeetingID(id string) bool {
	n := len([]rune(id))
	return n >= 2 && n <= 256 && !strings.Contains(id, ",")
}
