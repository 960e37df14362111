// Package store is meetd's store, written once for its two databases: SQLite (the default, one
// file in the data directory, pure Go driver, for one meetd process; sqlite.go) and PostgreSQL
// (shared by several meetd processes, pgx through database/sql; postgres.go). Every state change
// and the events it causes are written in one transaction. The statements are written once with ?
// placeholders (rebound to $n for PostgreSQL); what really differs is in the dialect (dialect.go).
// The schema, too, is written once: numbered SQL files in migrations/, applied in order by migrate.go
// (see migrations/README.md).
//
// What SQLite gets from having one writer, PostgreSQL gets from locks, each named where it is taken:
//
//   - the session row is locked first by every change to a session's connections, so changes to
//     one session take turns (a last leave sees every other leave before it);
//   - one running session per room: a partial unique index, and INSERT … ON CONFLICT DO NOTHING;
//   - a session ends once: UPDATE … WHERE ended_at IS NULL;
//   - events get their seq in commit order: a transaction-level advisory lock (eventsLock) is
//     taken right before events are inserted and held until the commit (see tx);
//   - webhook deliveries: see outbox.go.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"meetd/internal/bbbdata"
	"meetd/internal/meet"
	"meetd/internal/rooms"
)

// Store is the store on either database. On SQLite writes go through one connection, so
// transactions never contend for SQLite's lock, and reads use a pool (WAL lets them run beside
// the writer). On PostgreSQL reads and writes share one pool (w and r are the same): PostgreSQL
// runs them side by side.
type Store struct {
	d dialect
	w db
	r db

	// The reads of every API call, prepared once: SQLite's parser costs more than the query.
	// (pgx also prepares each statement once per connection and keeps it, its statement cache.)
	runningByRoom, sessionByRoom, usersBySID, userByID *sql.Stmt
	putUser, addUser, bumpUsersRev                     *sql.Stmt // on the writer, used in its transactions

	onEvents func()      // called after a commit that wrote events (outbox.go)
	ob       outboxStmts // the webhook dispatcher's statements (outbox.go)

	noncesPruned atomic.Int64 // when UseNonce last pruned, Unix ms (nonces.go)
}

var _ rooms.Store = (*Store)(nil)

// open makes the store on the writer w and the reader pool r (one pool twice on PostgreSQL),
// whose schema exists, and prepares its hot reads.
func open(ctx context.Context, d dialect, w, r *sql.DB) (*Store, error) {
	s := &Store{d: d, w: db{w, d.rebind}, r: db{r, d.rebind}}
	var err error
	// the room's running session, through the partial unique index (what nearly every call asks)
	if s.runningByRoom, err = s.r.PrepareContext(ctx, "SELECT "+sessionColumns+" FROM sessions s "+
		"WHERE s.room_id = ? AND s.ended_at IS NULL"); err != nil {
		s.Close()
		return nil, err
	}
	if s.sessionByRoom, err = s.r.PrepareContext(ctx, "SELECT "+sessionColumns+" FROM sessions s "+
		"WHERE s.room_id = ? ORDER BY s.ended_at IS NULL DESC, s.created_at DESC LIMIT 1"); err != nil {
		s.Close()
		return nil, err
	}
	if s.usersBySID, err = s.r.PrepareContext(ctx, `SELECT `+userColumns+` FROM session_users WHERE sid = ?`); err != nil {
		s.Close()
		return nil, err
	}
	if s.userByID, err = s.r.PrepareContext(ctx, `SELECT `+userColumns+` FROM session_users WHERE sid = ? AND user_id = ?`); err != nil {
		s.Close()
		return nil, err
	}
	if s.putUser, err = s.w.PrepareContext(ctx, `INSERT INTO session_users (sid, user_id, name, is_admin, is_hidden, metadata)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (sid, user_id) DO UPDATE SET name = excluded.name, is_admin = excluded.is_admin,
			is_hidden = excluded.is_hidden, metadata = excluded.metadata`); err != nil {
		s.Close()
		return nil, err
	}
	if s.addUser, err = s.w.PrepareContext(ctx, `INSERT INTO session_users (sid, user_id, name, is_admin, is_hidden, metadata)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sid, user_id) DO NOTHING`); err != nil {
		s.Close()
		return nil, err
	}
	if s.bumpUsersRev, err = s.w.PrepareContext(ctx, `UPDATE sessions SET users_rev = users_rev + 1 WHERE sid = ?`); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	for _, st := range []*sql.Stmt{s.runningByRoom, s.sessionByRoom, s.usersBySID, s.userByID, s.putUser, s.addUser, s.bumpUsersRev} {
		if st != nil {
			st.Close()
		}
	}
	s.ob.close()
	if s.r.DB == s.w.DB {
		return s.w.Close()
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
	s.is_active_rtmp, s.analytics_file_id, s.users_rev,
	(SELECT count(*) FROM presence p WHERE p.sid = s.sid AND p.left_at IS NULL)`

type scanner interface{ Scan(...any) error }

func scanSession(row scanner) (*meet.Session, error) {
	s, metadata, err := scanSessionText(row)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(metadata), &s.Metadata); err != nil {
		return nil, fmt.Errorf("session %s metadata: %w", s.SID, err)
	}
	return s, nil
}

// scanSessionText reads a session row, its metadata left as the stored JSON text.
func scanSessionText(row scanner) (*meet.Session, string, error) {
	var (
		s                          meet.Session
		metadata                   string
		created                    int64
		ended, firstJoin, lastLeft sql.NullInt64
		recording, rtmp            bool
	)
	err := row.Scan(&s.SID, &s.RoomID, &metadata, &s.MaxParticipants, &s.EmptyTimeout, &created,
		&ended, &s.EndReason, &s.JoinedParticipants, &firstJoin, &lastLeft, &recording, &rtmp,
		&s.AnalyticsFileID, &s.UsersRev, &s.Connected)
	if err != nil {
		return nil, "", err
	}
	s.CreatedAt = time.UnixMilli(created)
	s.EndedAt = fromMS(ended)
	s.FirstJoinAt = fromMS(firstJoin)
	s.LastLeftAt = fromMS(lastLeft)
	s.IsRecording, s.IsActiveRTMP = recording, rtmp
	return &s, metadata, nil
}

func querySessions(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, where string, args ...any) ([]*meet.Session, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+sessionColumns+" FROM sessions s "+where, args...)
	return scanRows(rows, err, func(rows *sql.Rows) (*meet.Session, error) { return scanSession(rows) })
}

// scanRows reads every row of a query (err is the query's) with scan, and closes the rows.
func scanRows[T any](rows *sql.Rows, err error, scan func(*sql.Rows) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, errors.Join(rows.Err(), rows.Close())
}

// scanString reads a row of one text column.
func scanString(rows *sql.Rows) (string, error) {
	var s string
	err := rows.Scan(&s)
	return s, err
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

// SessionText is Session with the session's metadata left unparsed (sess.Metadata empty): its
// stored JSON text, for a caller that keeps the parsed metadata by that text (room info,
// doc/decisions/0008).
func (s *Store) SessionText(ctx context.Context, roomID string) (*meet.Session, string, error) {
	sess, text, err := scanSessionText(s.runningByRoom.QueryRowContext(ctx, roomID))
	if errors.Is(err, sql.ErrNoRows) {
		sess, text, err = scanSessionText(s.sessionByRoom.QueryRowContext(ctx, roomID))
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", nil
	}
	return sess, text, err
}

// SessionBySID returns one session, or nil.
func (s *Store) SessionBySID(ctx context.Context, sid string) (*meet.Session, error) {
	return first(querySessions(ctx, s.r, `WHERE s.sid = ?`, sid))
}

// RunningSessions returns every running session, oldest first (rooms made in the same millisecond
// by room_id, so that answers listing them are stable).
func (s *Store) RunningSessions(ctx context.Context) ([]*meet.Session, error) {
	return querySessions(ctx, s.r, `WHERE s.ended_at IS NULL ORDER BY s.created_at, s.room_id`)
}

// RunningSessionsText is RunningSessions with each session's metadata left unparsed
// (sess.Metadata empty) and returned as its stored JSON text, texts[i] for list[i].
func (s *Store) RunningSessionsText(ctx context.Context) (list []*meet.Session, texts []string, err error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+sessionColumns+" FROM sessions s WHERE s.ended_at IS NULL ORDER BY s.created_at, s.room_id")
	type row struct {
		sess *meet.Session
		text string
	}
	all, err := scanRows(rows, err, func(rows *sql.Rows) (row, error) {
		sess, text, err := scanSessionText(rows)
		return row{sess, text}, err
	})
	for _, r := range all {
		list, texts = append(list, r.sess), append(texts, r.text)
	}
	return list, texts, err
}

// Sessions lists sessions, running or ended, for fetchPastRooms.
func (s *Store) Sessions(ctx context.Context, f meet.SessionFilter) ([]*meet.Session, int, error) {
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
func orderPage(f meet.SessionFilter, created, id string) string {
	order := "DESC"
	if f.Ascending {
		order = "ASC"
	}
	return " ORDER BY " + created + " " + order + ", " + id + " " + order + " LIMIT ? OFFSET ?"
}

// tx runs fn in a write transaction and inserts the events fn returns in it.
//
// Events get their seq in commit order. On SQLite the one writer commits transactions one at a
// time. On PostgreSQL a sequence hands out numbers when rows are inserted, not when they commit:
// without care, a transaction could take seq 7, another seq 8 and commit first, and a reader of
// Events(6) (the SSE stream, the webhook fan-out) would see 8, move past it, and never see 7. So
// every transaction takes the advisory lock eventsLock (dialect.lockEvents) right before it
// inserts events, and holds it until its commit: seqs are handed out and committed one
// transaction at a time, and whoever sees a seq sees every lower one. The lock is taken last,
// after the transaction's row locks, and its holder waits for nothing else, so it cannot deadlock.
// changes runs one statement that writes no event and says whether it changed a row.
func (s *Store) changes(ctx context.Context, query string, args ...any) (bool, error) {
	changed := false
	err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return nil, err
		}
		n, _ := res.RowsAffected()
		changed = n > 0
		return nil, nil
	})
	return changed, err
}

func (s *Store) tx(ctx context.Context, fn func(*txn) ([]meet.Event, error)) error {
	sqlTx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer sqlTx.Rollback()
	tx := &txn{sqlTx, s.d.rebind}
	events, err := fn(tx)
	if err != nil {
		return err
	}
	if len(events) > 0 && s.d.lockEvents != nil {
		if err := s.d.lockEvents(ctx, tx); err != nil {
			return err
		}
	}
	for _, e := range events {
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

// lockSession locks a session's row until the transaction ends (PostgreSQL; on SQLite the one
// writer already serializes). Every change to a session's connections takes it first, so such
// changes take turns: two participants leaving at once cannot both see the other still connected
// and leave the room empty without a departure time. Rows are locked in one order (the session,
// then its other rows), so changes do not deadlock.
func (s *Store) lockSession(ctx context.Context, tx *txn, sid string) error {
	if s.d.forUpdate == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT 1 FROM sessions WHERE sid = ?`+s.d.forUpdate, sid)
	return err
}

// insertEvent writes an event: its body as the webhooks carry it, and beside it the room's webhook
// URL, where the fan-out (outbox.go) finds it.
func insertEvent(ctx context.Context, tx *txn, e meet.Event) error {
	body, err := json.Marshal(e)
	if err != nil {
		return err
	}
	var roomID, sid string
	if e.Room != nil {
		roomID, sid = e.Room.RoomID, e.Room.SID
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO events (id, room_id, sid, name, body, created_at, webhook_url) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.ID, roomID, sid, e.Event, string(body), e.CreatedAt, e.WebhookURL)
	return err
}

// CreateSession inserts sess unless the room already has a running session, which it returns
// instead. created reports which happened.
func (s *Store) CreateSession(ctx context.Context, sess *meet.Session, events func(*meet.Session) []meet.Event) (*meet.Session, bool, error) {
	var got *meet.Session
	err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		// Another process may insert the room's session between our read and our insert
		// (PostgreSQL): the partial unique index makes the insert wait for that transaction, then
		// do nothing, and the next read (a statement sees what committed before it) finds the
		// session. Should that session end meanwhile, we try again. (On SQLite the one writer
		// makes the first read final.)
		for range 3 {
			running, err := first(querySessions(ctx, tx, `WHERE s.room_id = ? AND s.ended_at IS NULL`, sess.RoomID))
			if err != nil || running != nil {
				got = running
				return nil, err
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO sessions (sid, room_id, metadata, max_participants, empty_timeout, created_at)
				VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (room_id) WHERE ended_at IS NULL DO NOTHING`,
				sess.SID, sess.RoomID, meet.JSON(sess.Metadata), sess.MaxParticipants, sess.EmptyTimeout, ms(sess.CreatedAt))
			if err != nil {
				return nil, err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				return events(sess), nil
			}
		}
		return nil, errors.New("the room's running session kept changing")
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
	err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		// The UPDATE locks the session's row (PostgreSQL): a second ender waits, then finds it ended.
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET ended_at = ?, end_reason = ?, is_recording = FALSE, is_active_rtmp = FALSE
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
		if _, err := tx.ExecContext(ctx, `DELETE FROM session_keys WHERE sid = ?`, sid); err != nil { // e2ee.go: no key outlives its meeting
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

func openPresence(ctx context.Context, tx *txn, sid string) ([]rooms.Presence, error) {
	rows, err := tx.QueryContext(ctx, `SELECT p.participant_sid, p.user_id, coalesce(u.name, ''), p.joined_at
		FROM presence p LEFT JOIN session_users u ON u.sid = p.sid AND u.user_id = p.user_id
		WHERE p.sid = ? AND p.left_at IS NULL ORDER BY p.joined_at, p.participant_sid`, sid)
	return scanRows(rows, err, func(rows *sql.Rows) (rooms.Presence, error) {
		var p rooms.Presence
		var at int64
		err := rows.Scan(&p.ParticipantSID, &p.UserID, &p.Name, &at)
		p.At = time.UnixMilli(at)
		return p, err
	})
}

// SetMetadata replaces a session's effective metadata.
func (s *Store) SetMetadata(ctx context.Context, sid string, md meet.RoomMetadata) error {
	return s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		_, err := tx.ExecContext(ctx, `UPDATE sessions SET metadata = ?, users_rev = users_rev + 1 WHERE sid = ?`, meet.JSON(md), sid)
		return nil, err
	})
}

// PutUser records (or replaces) what the backend said about a user for a session. A blocked
// user stays blocked and a user who joined stays counted.
func (s *Store) PutUser(ctx context.Context, sid string, u *meet.User) error {
	return s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		if _, err := tx.StmtContext(ctx, s.putUser).ExecContext(ctx, sid, u.UserID, u.Name, u.IsAdmin, u.IsHidden, meet.JSON(u.Metadata)); err != nil {
			return nil, err
		}
		return nil, s.bumpUsers(ctx, tx, sid)
	})
}

// AddUser records a user the session does not know yet; false if it knows them.
func (s *Store) AddUser(ctx context.Context, sid string, u *meet.User) (bool, error) {
	var added bool
	err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		res, err := tx.StmtContext(ctx, s.addUser).ExecContext(ctx, sid, u.UserID, u.Name, u.IsAdmin, u.IsHidden, meet.JSON(u.Metadata))
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		added = n > 0
		return nil, err
	})
	return added, err
}

// bumpUsers moves the session's users_rev: its users changed.
func (s *Store) bumpUsers(ctx context.Context, tx *txn, sid string) error {
	_, err := tx.StmtContext(ctx, s.bumpUsersRev).ExecContext(ctx, sid)
	return err
}

const userColumns = `user_id, name, is_admin, is_hidden, metadata, blocked, joined, generation`

func scanUser(row scanner) (*meet.User, error) {
	var u meet.User
	var metadata string
	if err := row.Scan(&u.UserID, &u.Name, &u.IsAdmin, &u.IsHidden, &metadata, &u.Blocked, &u.Joined, &u.Generation); err != nil {
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
	return s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		if err := s.lockSession(ctx, tx, sid); err != nil {
			return nil, err
		}
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
			VALUES (?, ?, ?, FALSE, FALSE, '{}', TRUE)
			ON CONFLICT (sid, user_id) DO UPDATE SET joined = TRUE WHERE NOT session_users.joined`, sid, p.UserID, p.Name)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			facts.FirstOfUser = true
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET joined_participants = joined_participants + 1,
				users_rev = users_rev + 1 WHERE sid = ?`, sid); err != nil {
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
	return s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		if err := s.lockSession(ctx, tx, sid); err != nil {
			return nil, err
		}
		res, err := tx.ExecContext(ctx, `UPDATE presence SET left_at = ? WHERE participant_sid = ? AND sid = ? AND left_at IS NULL`,
			ms(p.At), p.ParticipantSID, sid)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET last_left_at = ? WHERE sid = ?
			AND NOT EXISTS (SELECT 1 FROM presence WHERE sid = ?2 AND left_at IS NULL)`, ms(p.At), sid); err != nil {
			return nil, err
		}
		sess, err := first(querySessions(ctx, tx, `WHERE s.sid = ?`, sid))
		if err != nil || sess == nil {
			return nil, err
		}
		return events(sess), nil
	})
}

// AddEvents records events that change no state.
func (s *Store) AddEvents(ctx context.Context, events ...meet.Event) error {
	return s.tx(ctx, func(*txn) ([]meet.Event, error) { return events, nil })
}

// CloseNodePresence closes every open connection held by the media node at time at: the node is
// gone (it restarted, or stopped beating). Each running session this leaves empty gives its
// participants the whole departure timeout from at to come back, since it was the node that
// disconnected them.
func (s *Store) CloseNodePresence(ctx context.Context, node string, at time.Time) error {
	return s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		// The sessions first, in sid order (see lockSession); then only their connections: one
		// that joins a session not locked here meanwhile is left for the next sweep.
		rows, err := tx.QueryContext(ctx, `SELECT sid FROM sessions
			WHERE sid IN (SELECT sid FROM presence WHERE left_at IS NULL AND node = ?) ORDER BY sid`+s.d.forUpdate, node)
		sids, err := scanRows(rows, err, scanString)
		if err != nil {
			return nil, err
		}
		if len(sids) == 0 {
			return nil, nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE presence SET left_at = ? WHERE left_at IS NULL AND node = ? AND `+s.d.in("sid"),
			ms(at), node, s.d.list(sids)); err != nil {
			return nil, err
		}
		_, err = tx.ExecContext(ctx, `UPDATE sessions SET last_left_at = ? WHERE `+s.d.in("sid")+` AND ended_at IS NULL
			AND NOT EXISTS (SELECT 1 FROM presence p WHERE p.sid = sessions.sid AND p.left_at IS NULL)`, ms(at), s.d.list(sids))
		return nil, err
	})
}

// Heartbeat records that the media node is alive at at. A beat older than the one stored (two
// processes' clocks, or a late beat) leaves it.
func (s *Store) Heartbeat(ctx context.Context, node string, at time.Time) error {
	return s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		_, err := tx.ExecContext(ctx, `INSERT INTO nodes (node, seen_at) VALUES (?, ?)
			ON CONFLICT (node) DO UPDATE SET seen_at = excluded.seen_at WHERE nodes.seen_at < excluded.seen_at`, node, ms(at))
		return nil, err
	})
}

// NodeRooms lists the rooms of running sessions with connections open on node.
func (s *Store) NodeRooms(ctx context.Context, node string) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT s.room_id FROM presence p JOIN sessions s ON s.sid = p.sid
		WHERE p.node = ? AND p.left_at IS NULL AND s.ended_at IS NULL ORDER BY s.room_id`, node)
	return scanRows(rows, err, scanString)
}

// StaleNodes lists the nodes holding open connections that last beat before before, or never.
func (s *Store) StaleNodes(ctx context.Context, before time.Time) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT p.node FROM presence p LEFT JOIN nodes n ON n.node = p.node
		WHERE p.left_at IS NULL AND (n.seen_at IS NULL OR n.seen_at < ?) ORDER BY p.node`, ms(before))
	return scanRows(rows, err, scanString)
}

// Events returns the stored events after seq, in order, at most limit.
func (s *Store) Events(ctx context.Context, afterSeq int64, limit int) ([]rooms.StoredEvent, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT seq, body FROM events WHERE seq > ? AND name <> ? ORDER BY seq LIMIT ?`, afterSeq, bbbdata.CallbackEvent, limit)
	return scanRows(rows, err, func(rows *sql.Rows) (rooms.StoredEvent, error) {
		var e rooms.StoredEvent
		var body string
		if err := rows.Scan(&e.Seq, &body); err != nil {
			return e, err
		}
		return e, json.Unmarshal([]byte(body), &e.Event)
	})
}

// OldestEventSeq is the sequence number of the oldest event kept, 0 if none.
func (s *Store) OldestEventSeq(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT coalesce(min(seq), 0) FROM events`).Scan(&n)
	return n, err
}

// pruneBatch is how many rows one pruning transaction deletes at most: a large backlog is
// deleted in steps, so that it never holds SQLite's one writer for long.
const pruneBatch = 5000

// Prune deletes what is older than before and no longer needed: finished webhook deliveries
// (delivered or failed), then events that were fanned out to their deliveries and have none left.
// Pending deliveries and their events stay, whatever their age.
func (s *Store) Prune(ctx context.Context, before time.Time) (events, deliveries int64, err error) {
	steps := []struct {
		n     *int64
		query string
		arg   int64
	}{
		{&deliveries, `DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries
			WHERE status <> 'pending' AND queued_at < ? ORDER BY id LIMIT ?)`, ms(before)},
		{&events, `DELETE FROM events WHERE seq IN (SELECT e.seq FROM events e
			WHERE e.created_at < ? AND e.seq <= (SELECT seq FROM webhook_cursor WHERE name = 'deliveries')
			AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_seq = e.seq) ORDER BY e.seq LIMIT ?)`, before.Unix()},
	}
	for _, step := range steps {
		for {
			var n int64
			err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
				res, err := tx.ExecContext(ctx, step.query, step.arg, pruneBatch)
				if err != nil {
					return nil, err
				}
				n, err = res.RowsAffected()
				return nil, err
			})
			if err != nil {
				return events, deliveries, err
			}
			*step.n += n
			if n < pruneBatch {
				break
			}
		}
	}
	return events, deliveries, nil
}

// LastEventSeq is the sequence number of the newest event, 0 if none.
func (s *Store) LastEventSeq(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM events`).Scan(&n)
	return n, err
}

// RevokeUser raises a user's token generation in the session: the meeting page tokens made
// before stop working (rooms.Service.RemoveParticipant).
func (s *Store) RevokeUser(ctx context.Context, sid, userID string) error {
	return s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		_, err := tx.ExecContext(ctx, `UPDATE session_users SET generation = generation + 1 WHERE sid = ? AND user_id = ?`, sid, userID)
		return nil, err
	})
}

// BlockUser marks a user blocked for the session.
func (s *Store) BlockUser(ctx context.Context, sid, userID string) error {
	return s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		_, err := tx.ExecContext(ctx, `INSERT INTO session_users (sid, user_id, name, is_admin, is_hidden, metadata, blocked)
			VALUES (?, ?, '', FALSE, FALSE, '{}', TRUE) ON CONFLICT (sid, user_id) DO UPDATE SET blocked = TRUE`, sid, userID)
		if err != nil {
			return nil, err
		}
		return nil, s.bumpUsers(ctx, tx, sid)
	})
}
