// Package sqlite is meetd's default store: one SQLite file in the data directory (pure Go driver,
// no C toolchain). Every state change and the events it causes are written in one transaction.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"meetd/internal/meet"
	"meetd/internal/rooms"
)

// Store is the SQLite store. Writes go through one connection, so transactions never contend
// for SQLite's lock; reads use a pool (WAL lets them run beside the writer).
type Store struct {
	w *sql.DB
	r *sql.DB

	// The reads of every API call, prepared once: SQLite's parser costs more than the query.
	runningByRoom, sessionByRoom, usersBySID, usersByID, userByID *sql.Stmt
	putUser                                                       *sql.Stmt // on the writer, used in its transactions

	onEvents func()      // called after a commit that wrote events (outbox.go)
	ob       outboxStmts // the webhook dispatcher's statements (outbox.go)
}

var _ rooms.Store = (*Store)(nil)

const schema = `
CREATE TABLE IF NOT EXISTS sessions (
	sid                 TEXT PRIMARY KEY,
	room_id             TEXT NOT NULL,
	metadata            TEXT NOT NULL,
	max_participants    INTEGER NOT NULL,
	empty_timeout       INTEGER NOT NULL,
	created_at          INTEGER NOT NULL, -- Unix ms
	ended_at            INTEGER,          -- NULL while running
	end_reason          TEXT NOT NULL DEFAULT '',
	joined_participants INTEGER NOT NULL DEFAULT 0,
	first_join_at       INTEGER,
	last_left_at        INTEGER,
	is_recording        INTEGER NOT NULL DEFAULT 0,
	is_active_rtmp      INTEGER NOT NULL DEFAULT 0,
	analytics_file_id   TEXT NOT NULL DEFAULT ''
);
-- at most one running session per room, whoever races to create it
CREATE UNIQUE INDEX IF NOT EXISTS sessions_one_running ON sessions(room_id) WHERE ended_at IS NULL;
CREATE INDEX IF NOT EXISTS sessions_created ON sessions(created_at);
-- a room's sessions, newest first: every API call about a room starts here
CREATE INDEX IF NOT EXISTS sessions_room ON sessions(room_id, created_at);

CREATE TABLE IF NOT EXISTS session_users (
	sid       TEXT NOT NULL,
	user_id   TEXT NOT NULL,
	name      TEXT NOT NULL,
	is_admin  INTEGER NOT NULL,
	is_hidden INTEGER NOT NULL,
	metadata  TEXT NOT NULL,
	blocked   INTEGER NOT NULL DEFAULT 0,
	joined    INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (sid, user_id)
);

-- one row per participant connection
CREATE TABLE IF NOT EXISTS presence (
	participant_sid TEXT PRIMARY KEY,
	sid             TEXT NOT NULL,
	user_id         TEXT NOT NULL,
	joined_at       INTEGER NOT NULL,
	left_at         INTEGER,
	node            TEXT NOT NULL DEFAULT '' -- the media node holding the connection
);
CREATE INDEX IF NOT EXISTS presence_open ON presence(sid) WHERE left_at IS NULL;

-- media nodes' heartbeats: a node that stops beating loses its connections
CREATE TABLE IF NOT EXISTS nodes (
	node    TEXT PRIMARY KEY,
	seen_at INTEGER NOT NULL
);

-- the outbox: every event, in order, written with the change that caused it
CREATE TABLE IF NOT EXISTS events (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	id         TEXT NOT NULL UNIQUE,
	room_id    TEXT NOT NULL,
	sid        TEXT NOT NULL,
	name       TEXT NOT NULL,
	body       TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
`

// Open opens (and creates) the database file at path.
func Open(ctx context.Context, path string) (*Store, error) {
	dsn := func(pragmas ...string) string {
		q := url.Values{}
		for _, p := range append(pragmas, "busy_timeout(10000)", "synchronous(NORMAL)") {
			q.Add("_pragma", p)
		}
		q.Set("_txlock", "immediate")
		return "file:" + path + "?" + q.Encode()
	}
	// Only the writer sets the journal mode: WAL is a property of the file, and switching it
	// takes a lock that would make concurrent readers wait.
	w, err := sql.Open("sqlite", dsn("journal_mode(WAL)"))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("upgrade the schema in %s: %w", path, err)
	}
	if _, err := w.ExecContext(ctx, schema+outboxSchema+analyticsSchema+recordingsSchema); err != nil {
		w.Close()
		return nil, fmt.Errorf("create schema in %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn("query_only(1)"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(max(4, runtime.NumCPU()))
	s := &Store{w: w, r: r}
	// the room's running session, through the partial unique index (what nearly every call asks)
	if s.runningByRoom, err = r.PrepareContext(ctx, "SELECT "+sessionColumns+" FROM sessions s "+
		"WHERE s.room_id = ? AND s.ended_at IS NULL"); err != nil {
		s.Close()
		return nil, err
	}
	if s.sessionByRoom, err = r.PrepareContext(ctx, "SELECT "+sessionColumns+" FROM sessions s "+
		"WHERE s.room_id = ? ORDER BY s.ended_at IS NULL DESC, s.created_at DESC LIMIT 1"); err != nil {
		s.Close()
		return nil, err
	}
	if s.usersBySID, err = r.PrepareContext(ctx, `SELECT `+userColumns+` FROM session_users WHERE sid = ?`); err != nil {
		s.Close()
		return nil, err
	}
	if s.usersByID, err = r.PrepareContext(ctx, `SELECT `+userColumns+` FROM session_users
		WHERE sid = ? AND user_id IN (SELECT value FROM json_each(?))`); err != nil {
		s.Close()
		return nil, err
	}
	if s.userByID, err = r.PrepareContext(ctx, `SELECT `+userColumns+` FROM session_users WHERE sid = ? AND user_id = ?`); err != nil {
		s.Close()
		return nil, err
	}
	if s.putUser, err = w.PrepareContext(ctx, `INSERT INTO session_users (sid, user_id, name, is_admin, is_hidden, metadata)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (sid, user_id) DO UPDATE SET name = excluded.name, is_admin = excluded.is_admin,
			is_hidden = excluded.is_hidden, metadata = excluded.metadata`); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// migrate brings a database made by an earlier meetd up to the current schema; the schema's
// CREATE statements then add what is new.
func migrate(ctx context.Context, w *sql.DB) error {
	var presence, node int
	if err := w.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'presence'`).Scan(&presence); err != nil {
		return err
	}
	if err := w.QueryRowContext(ctx, `SELECT count(*) FROM pragma_table_info('presence') WHERE name = 'node'`).Scan(&node); err != nil {
		return err
	}
	if presence == 1 && node == 0 {
		if _, err := w.ExecContext(ctx, `ALTER TABLE presence ADD COLUMN node TEXT NOT NULL DEFAULT ''`); err != nil {
			return err
		}
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error {
	for _, st := range []*sql.Stmt{s.runningByRoom, s.sessionByRoom, s.usersBySID, s.usersByID, s.userByID, s.putUser} {
		if st != nil {
			st.Close()
		}
	}
	return errors.Join(s.r.Close(), s.w.Close())
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func nullMS(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

func fromMS(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.UnixMilli(n.Int64)
}

const sessionColumns = `s.sid, s.room_id, s.metadata, s.max_participants, s.empty_timeout, s.created_at,
	s.ended_at, s.end_reason, s.joined_participants, s.first_join_at, s.last_left_at, s.is_recording,
	s.is_active_rtmp, s.analytics_file_id,
	(SELECT count(*) FROM presence p WHERE p.sid = s.sid AND p.left_at IS NULL)`

type scanner interface{ Scan(...any) error }

func scanSession(row scanner) (*meet.Session, error) {
	var (
		s                          meet.Session
		metadata                   string
		created                    int64
		ended, firstJoin, lastLeft sql.NullInt64
		recording, rtmp            bool
	)
	err := row.Scan(&s.SID, &s.RoomID, &metadata, &s.MaxParticipants, &s.EmptyTimeout, &created,
		&ended, &s.EndReason, &s.JoinedParticipants, &firstJoin, &lastLeft, &recording, &rtmp,
		&s.AnalyticsFileID, &s.Connected)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(metadata), &s.Metadata); err != nil {
		return nil, fmt.Errorf("session %s metadata: %w", s.SID, err)
	}
	s.CreatedAt = time.UnixMilli(created)
	s.EndedAt = fromMS(ended)
	s.FirstJoinAt = fromMS(firstJoin)
	s.LastLeftAt = fromMS(lastLeft)
	s.IsRecording, s.IsActiveRTMP = recording, rtmp
	return &s, nil
}

func querySessions(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, where string, args ...any) ([]*meet.Session, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+sessionColumns+" FROM sessions s "+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*meet.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func first(list []*meet.Session, err error) (*meet.Session, error) {
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return list[0], nil
}

// Session returns the room's running session, or else its latest one; nil if the room never existed.
func (s *Store) Session(ctx context.Context, roomID string) (*meet.Session, error) {
	sess, err := scanSession(s.runningByRoom.QueryRowContext(ctx, roomID))
	if errors.Is(err, sql.ErrNoRows) {
		sess, err = scanSession(s.sessionByRoom.QueryRowContext(ctx, roomID))
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return sess, err
}

// SessionBySID returns one session, or nil.
func (s *Store) SessionBySID(ctx context.Context, sid string) (*meet.Session, error) {
	return first(querySessions(ctx, s.r, `WHERE s.sid = ?`, sid))
}

// RunningSessions returns every running session, oldest first.
func (s *Store) RunningSessions(ctx context.Context) ([]*meet.Session, error) {
	return querySessions(ctx, s.r, `WHERE s.ended_at IS NULL ORDER BY s.created_at, s.sid`)
}

// Sessions lists sessions, running or ended, for fetchPastRooms.
func (s *Store) Sessions(ctx context.Context, f rooms.SessionFilter) ([]*meet.Session, int, error) {
	where, args := roomFilter("WHERE 1=1", "s.room_id", f.RoomIDs)
	var total int
	if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM sessions s "+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	list, err := querySessions(ctx, s.r, where+orderPage(f, "s.created_at", "s.sid"), append(args, f.Limit, f.From)...)
	return list, total, err
}

// roomFilter adds a fetch call's room_ids filter to a WHERE clause.
func roomFilter(where, column string, roomIDs []string) (string, []any) {
	args := []any{}
	if len(roomIDs) > 0 {
		where += " AND " + column + " IN (?" + strings.Repeat(",?", len(roomIDs)-1) + ")"
		for _, id := range roomIDs {
			args = append(args, id)
		}
	}
	return where, args
}

// orderPage is the ORDER BY and paging of a fetch call (LIMIT and OFFSET as the last two arguments).
func orderPage(f rooms.SessionFilter, created, id string) string {
	order := "DESC"
	if f.Ascending {
		order = "ASC"
	}
	return " ORDER BY " + created + " " + order + ", " + id + " " + order + " LIMIT ? OFFSET ?"
}

// tx runs fn in a write transaction and inserts the events fn returns in it.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) ([]meet.Event, error)) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	events, err := fn(tx)
	if err != nil {
		return err
	}
	for _, e := range events {
		if late, err := lateTrackEvent(ctx, tx, e); err != nil || late {
			if err != nil {
				return err
			}
			continue
		}
		if err := insertEvent(ctx, tx, e); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	if len(events) > 0 && s.onEvents != nil {
		s.onEvents()
	}
	return nil
}

func insertEvent(ctx context.Context, tx *sql.Tx, e meet.Event) error {
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	var roomID, sid string
	if e.Room != nil {
		roomID, sid = e.Room.RoomID, e.Room.SID
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO events (id, room_id, sid, name, body, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		e.ID, roomID, sid, e.Event, string(body), e.CreatedAt)
	return err
}

// CreateSession inserts sess unless the room already has a running session, which it returns
// instead. created reports which happened.
func (s *Store) CreateSession(ctx context.Context, sess *meet.Session, events func(*meet.Session) []meet.Event) (*meet.Session, bool, error) {
	var got *meet.Session
	err := s.tx(ctx, func(tx *sql.Tx) ([]meet.Event, error) {
		running, err := first(querySessions(ctx, tx, `WHERE s.room_id = ? AND s.ended_at IS NULL`, sess.RoomID))
		if err != nil || running != nil {
			got = running
			return nil, err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO sessions (sid, room_id, metadata, max_participants, empty_timeout, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, sess.SID, sess.RoomID, meet.JSON(sess.Metadata), sess.MaxParticipants, sess.EmptyTimeout, ms(sess.CreatedAt))
		return events(sess), err
	})
	if err != nil {
		return nil, false, fmt.Errorf("create session of %s: %w", sess.RoomID, err)
	}
	if got != nil {
		return got, false, nil
	}
	return sess, true, nil
}

// EndSession ends a running session and closes its open connections. It reports false, and
// writes nothing, if the session had already ended: whoever ends it first emits the events.
func (s *Store) EndSession(ctx context.Context, sid string, at time.Time, reason string, events func(*meet.Session, []rooms.Presence) []meet.Event) (bool, error) {
	ended := false
	err := s.tx(ctx, func(tx *sql.Tx) ([]meet.Event, error) {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET ended_at = ?, end_reason = ?, is_recording = 0, is_active_rtmp = 0
			WHERE sid = ? AND ended_at IS NULL`, ms(at), reason, sid)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, nil
		}
		open, err := openPresence(ctx, tx, sid)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE presence SET left_at = ? WHERE sid = ? AND left_at IS NULL`, ms(at), sid); err != nil {
			return nil, err
		}
		sess, err := first(querySessions(ctx, tx, `WHERE s.sid = ?`, sid))
		if err != nil {
			return nil, err
		}
		ended = true
		return events(sess, open), nil
	})
	if err != nil {
		return false, fmt.Errorf("end session %s: %w", sid, err)
	}
	return ended, nil
}

func openPresence(ctx context.Context, tx *sql.Tx, sid string) ([]rooms.Presence, error) {
	rows, err := tx.QueryContext(ctx, `SELECT p.participant_sid, p.user_id, coalesce(u.name, ''), p.joined_at
		FROM presence p LEFT JOIN session_users u ON u.sid = p.sid AND u.user_id = p.user_id
		WHERE p.sid = ? AND p.left_at IS NULL ORDER BY p.joined_at, p.participant_sid`, sid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []rooms.Presence
	for rows.Next() {
		var p rooms.Presence
		var at int64
		if err := rows.Scan(&p.ParticipantSID, &p.UserID, &p.Name, &at); err != nil {
			return nil, err
		}
		p.At = time.UnixMilli(at)
		out = append(out, p)
	}
	return out, rows.Err()
}

// SetMetadata replaces a session's effective metadata.
func (s *Store) SetMetadata(ctx context.Context, sid string, md meet.RoomMetadata) error {
	return s.tx(ctx, func(tx *sql.Tx) ([]meet.Event, error) {
		_, err := tx.ExecContext(ctx, `UPDATE sessions SET metadata = ? WHERE sid = ?`, meet.JSON(md), sid)
		return nil, err
	})
}

// PutUser records (or replaces) what the backend said about a user for a session. A blocked
// user stays blocked and a user who joined stays counted.
func (s *Store) PutUser(ctx context.Context, sid string, u *meet.User) error {
	return s.tx(ctx, func(tx *sql.Tx) ([]meet.Event, error) {
		_, err := tx.StmtContext(ctx, s.putUser).ExecContext(ctx, sid, u.UserID, u.Name, u.IsAdmin, u.IsHidden, meet.JSON(u.Metadata))
		return nil, err
	})
}

const userColumns = `user_id, name, is_admin, is_hidden, metadata, blocked, joined`

func scanUser(row scanner) (*meet.User, error) {
	var u meet.User
	var metadata string
	if err := row.Scan(&u.UserID, &u.Name, &u.IsAdmin, &u.IsHidden, &metadata, &u.Blocked, &u.Joined); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(metadata), &u.Metadata); err != nil {
		return nil, fmt.Errorf("user %s metadata: %w", u.UserID, err)
	}
	return &u, nil
}

// User returns a session's user, or nil.
func (s *Store) User(ctx context.Context, sid, userID string) (*meet.User, error) {
	u, err := scanUser(s.userByID.QueryRowContext(ctx, sid, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return u, err
}

// Users returns a session's users by user_id.
func (s *Store) Users(ctx context.Context, sid string) (map[string]*meet.User, error) {
	return collectUsers(s.usersBySID.QueryContext(ctx, sid))
}

// UsersIn returns the session's users among ids (those it knows), by user_id.
func (s *Store) UsersIn(ctx context.Context, sid string, ids []string) (map[string]*meet.User, error) {
	if len(ids) == 0 {
		return map[string]*meet.User{}, nil
	}
	return collectUsers(s.usersByID.QueryContext(ctx, sid, meet.JSON(ids)))
}

func collectUsers(rows *sql.Rows, err error) (map[string]*meet.User, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]*meet.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out[u.UserID] = u
	}
	return out, rows.Err()
}

// ParticipantJoined records a participant connection. The first connection of a user counts
// them in joined_participants; the first of the session sets first_join_at. A connection seen
// twice is recorded once, and gets no events the second time.
func (s *Store) ParticipantJoined(ctx context.Context, sid string, p rooms.Presence, events func(*meet.Session, rooms.JoinFacts) []meet.Event) error {
	return s.tx(ctx, func(tx *sql.Tx) ([]meet.Event, error) {
		res, err := tx.ExecContext(ctx, `INSERT INTO presence (participant_sid, sid, user_id, joined_at, node) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (participant_sid) DO NOTHING`, p.ParticipantSID, sid, p.UserID, ms(p.At), p.Node)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, nil
		}
		var facts rooms.JoinFacts
		res, err = tx.ExecContext(ctx, `INSERT INTO session_users (sid, user_id, name, is_admin, is_hidden, metadata, joined)
			VALUES (?, ?, ?, 0, 0, '{}', 1)
			ON CONFLICT (sid, user_id) DO UPDATE SET joined = 1 WHERE joined = 0`, sid, p.UserID, p.Name)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			facts.FirstOfUser = true
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET joined_participants = joined_participants + 1 WHERE sid = ?`, sid); err != nil {
				return nil, err
			}
		}
		res, err = tx.ExecContext(ctx, `UPDATE sessions SET first_join_at = ? WHERE sid = ? AND first_join_at IS NULL`, ms(p.At), sid)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			facts.FirstOfSession = true
		}
		sess, err := first(querySessions(ctx, tx, `WHERE s.sid = ?`, sid))
		if err != nil || sess == nil {
			return nil, err
		}
		return events(sess, facts), nil
	})
}

// ParticipantLeft closes a participant connection. When it was the last one open, the session's
// last_left_at is set, which starts the departure timeout.
func (s *Store) ParticipantLeft(ctx context.Context, sid string, p rooms.Presence, events func(*meet.Session) []meet.Event) error {
	return s.tx(ctx, func(tx *sql.Tx) ([]meet.Event, error) {
		res, err := tx.ExecContext(ctx, `UPDATE presence SET left_at = ? WHERE participant_sid = ? AND sid = ? AND left_at IS NULL`,
			ms(p.At), p.ParticipantSID, sid)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET last_left_at = ? WHERE sid = ?
			AND NOT EXISTS (SELECT 1 FROM presence WHERE sid = ? AND left_at IS NULL)`, ms(p.At), sid, sid); err != nil {
			return nil, err
		}
		sess, err := first(querySessions(ctx, tx, `WHERE s.sid = ?`, sid))
		if err != nil || sess == nil {
			return nil, err
		}
		return events(sess), nil
	})
}

// AddEvents records events that change no state (tracks published, for instance).
func (s *Store) AddEvents(ctx context.Context, events ...meet.Event) error {
	return s.tx(ctx, func(*sql.Tx) ([]meet.Event, error) { return events, nil })
}

// CloseNodePresence closes every open connection held by the media node at time at: the node is
// gone (it restarted, or stopped beating). Each running session this leaves empty gives its
// participants the whole departure timeout from at to come back, since it was the node that
// disconnected them.
func (s *Store) CloseNodePresence(ctx context.Context, node string, at time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) ([]meet.Event, error) {
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT sid FROM presence WHERE left_at IS NULL AND node = ?`, node)
		if err != nil {
			return nil, err
		}
		var sids []string
		for rows.Next() {
			var sid string
			if err := rows.Scan(&sid); err != nil {
				rows.Close()
				return nil, err
			}
			sids = append(sids, sid)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE presence SET left_at = ? WHERE left_at IS NULL AND node = ?`, ms(at), node); err != nil {
			return nil, err
		}
		for _, sid := range sids {
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET last_left_at = ? WHERE sid = ? AND ended_at IS NULL
				AND NOT EXISTS (SELECT 1 FROM presence WHERE sid = ? AND left_at IS NULL)`, ms(at), sid, sid); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
}

// Heartbeat records that the media node is alive at at.
func (s *Store) Heartbeat(ctx context.Context, node string, at time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) ([]meet.Event, error) {
		_, err := tx.ExecContext(ctx, `INSERT INTO nodes (node, seen_at) VALUES (?, ?)
			ON CONFLICT (node) DO UPDATE SET seen_at = max(seen_at, excluded.seen_at)`, node, ms(at))
		return nil, err
	})
}

// StaleNodes lists the nodes holding open connections that last beat before before, or never.
func (s *Store) StaleNodes(ctx context.Context, before time.Time) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT p.node FROM presence p LEFT JOIN nodes n ON n.node = p.node
		WHERE p.left_at IS NULL AND (n.seen_at IS NULL OR n.seen_at < ?) ORDER BY p.node`, ms(before))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Events returns the stored events after seq, in order, at most limit.
func (s *Store) Events(ctx context.Context, afterSeq int64, limit int) ([]rooms.StoredEvent, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, afterSeq, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []rooms.StoredEvent
	for rows.Next() {
		var e rooms.StoredEvent
		var body string
		if err := rows.Scan(&e.Seq, &body); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(body), &e.Event); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// LastEventSeq is the sequence number of the newest event, 0 if none.
func (s *Store) LastEventSeq(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM events`).Scan(&n)
	return n, err
}

// BlockUser marks a user blocked for the session.
func (s *Store) BlockUser(ctx context.Context, sid, userID string) error {
	return s.tx(ctx, func(tx *sql.Tx) ([]meet.Event, error) {
		_, err := tx.ExecContext(ctx, `INSERT INTO session_users (sid, user_id, name, is_admin, is_hidden, metadata, blocked)
			VALUES (?, ?, '', 0, 0, '{}', 1) ON CONFLICT (sid, user_id) DO UPDATE SET blocked = 1`, sid, userID)
		return nil, err
	})
}
