package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"meetd/internal/meet"
)

// BBBMeeting is what the BigBlueButton API keeps of a session it created (migration 012;
// doc/bbb.md): the client's meetingID, BBB's internalMeetingID and createTime (Unix ms), the
// passwords, and the rest of create's parameters.
type BBBMeeting struct {
	SID               string
	RoomID            string
	MeetingID         string
	InternalMeetingID string
	CreateTime        int64
	AttendeePW        string
	ModeratorPW       string
	Data              BBBMeetingData
}

// BBBMeetingData is create's other parameters, kept as JSON.
type BBBMeetingData struct {
	Name             string            `json:"name,omitempty"`
	Meta             map[string]string `json:"meta,omitempty"`   // lower-cased names, without meta_
	Params           map[string]string `json:"params,omitempty"` // the other create parameters as given
	Duration         int               `json:"duration,omitempty"`
	Record           bool              `json:"record,omitempty"`
	MaxParticipants  int               `json:"max_participants,omitempty"`
	GuestPolicy      string            `json:"guest_policy,omitempty"`
	VoiceBridge      string            `json:"voice_bridge,omitempty"`
	DialNumber       string            `json:"dial_number,omitempty"`
	DisabledFeatures []string          `json:"disabled_features,omitempty"`
	Modules          string            `json:"modules,omitempty"`   // create's XML body, as given
	Documents        []string          `json:"documents,omitempty"` // insertDocument's XML bodies, as given
	EndedByAPI       bool              `json:"ended_by_api,omitempty"`
}

const bbbMeetingColumns = `sid, room_id, meeting_id, internal_meeting_id, create_time, attendee_pw, moderator_pw, data`

func scanBBBMeeting(row interface{ Scan(...any) error }) (*BBBMeeting, error) {
	var m BBBMeeting
	var data string
	if err := row.Scan(&m.SID, &m.RoomID, &m.MeetingID, &m.InternalMeetingID, &m.CreateTime, &m.AttendeePW, &m.ModeratorPW, &data); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(data), &m.Data); err != nil {
		return nil, err
	}
	return &m, nil
}

// PutBBBMeeting stores a session's BBB data unless it has some, and returns what the store holds
// with whether this call wrote it: of two creates racing, the first wins.
func (s *Store) PutBBBMeeting(ctx context.Context, m *BBBMeeting) (*BBBMeeting, bool, error) {
	var added bool
	err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		res, err := tx.ExecContext(ctx, `INSERT INTO bbb_meetings (`+bbbMeetingColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (sid) DO NOTHING`, m.SID, m.RoomID, m.MeetingID, m.InternalMeetingID, m.CreateTime, m.AttendeePW, m.ModeratorPW, meet.JSON(m.Data))
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		added = n == 1
		return nil, err
	})
	if err != nil {
		return nil, false, err
	}
	got, err := s.BBBMeeting(ctx, m.SID)
	return got, added, err
}

// UpdateBBBMeetingData replaces a session's BBB data (insertDocument's documents, end's mark).
func (s *Store) UpdateBBBMeetingData(ctx context.Context, sid string, d BBBMeetingData) error {
	return s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		_, err := tx.ExecContext(ctx, `UPDATE bbb_meetings SET data = ? WHERE sid = ?`, meet.JSON(d), sid)
		return nil, err
	})
}

// BBBMeeting returns a session's BBB data, or nil if it has none (a room of the plugNmeet API).
func (s *Store) BBBMeeting(ctx context.Context, sid string) (*BBBMeeting, error) {
	m, err := scanBBBMeeting(s.r.QueryRowContext(ctx, `SELECT `+bbbMeetingColumns+` FROM bbb_meetings WHERE sid = ?`, sid))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return m, err
}

// BBBMeetingByInternalID returns the BBB data of the session with this internalMeetingID, or nil.
func (s *Store) BBBMeetingByInternalID(ctx context.Context, internalID string) (*BBBMeeting, error) {
	m, err := scanBBBMeeting(s.r.QueryRowContext(ctx, `SELECT `+bbbMeetingColumns+` FROM bbb_meetings WHERE internal_meeting_id = ?`, internalID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return m, err
}

// BBBAdmit lets a user of a session past its waiting room before they arrive: the BBB API's
// guest policy decided that they need not wait (doc/bbb.md, "Guest policy").
func (s *Store) BBBAdmit(ctx context.Context, sid, userID, name string, at time.Time) error {
	return s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		_, err := tx.ExecContext(ctx, `INSERT INTO waiting_users (sid, user_id, name, state, reason, since, seen_at) VALUES (?1, ?2, ?3, ?4, '', ?5, ?5)
			ON CONFLICT (sid, user_id) DO UPDATE SET state = ?4`, sid, userID, name, meet.WaitingStateAdmitted, ms(at))
		return nil, err
	})
}
