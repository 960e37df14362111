package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"meetd/internal/meet"
)

// Polls (doc/api.md, "Polls"; migration 010): a session's polls and one vote per user and poll.

const pollColumns = `poll_id, sid, room_id, question, options, anonymous, created_at, created_by, closed_at, closed_by`

func scanPoll(rows *sql.Rows) (*meet.Poll, error) {
	var (
		p       meet.Poll
		options string
		created int64
		closed  sql.NullInt64
	)
	if err := rows.Scan(&p.PollID, &p.SID, &p.RoomID, &p.Question, &options, &p.Anonymous, &created, &p.CreatedBy, &closed, &p.ClosedBy); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(options), &p.Options); err != nil {
		return nil, fmt.Errorf("poll %s options: %w", p.PollID, err)
	}
	p.CreatedAt, p.ClosedAt = time.UnixMilli(created), fromMS(closed)
	return &p, nil
}

func scanVote(rows *sql.Rows) (meet.PollVote, error) {
	var v meet.PollVote
	var at int64
	err := rows.Scan(&v.PollID, &v.UserID, &v.Name, &v.Option, &at)
	v.VotedAt = time.UnixMilli(at)
	return v, err
}

type querier interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}

// CreatePoll inserts a poll of a running session and writes its events; false (nothing written)
// if the session has ended.
func (s *Store) CreatePoll(ctx context.Context, p *meet.Poll, events func(*meet.Session) []meet.Event) (bool, error) {
	created := false
	err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		if err := s.lockSession(ctx, tx, p.SID); err != nil {
			return nil, err
		}
		sess, err := first(querySessions(ctx, tx, `WHERE s.sid = ? AND s.ended_at IS NULL`, p.SID))
		if err != nil || sess == nil {
			return nil, err
		}
		options, err := json.Marshal(p.Options)
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO polls (`+pollColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.PollID, p.SID, p.RoomID, p.Question, string(options), p.Anonymous, ms(p.CreatedAt), p.CreatedBy, nullMS(p.ClosedAt), p.ClosedBy); err != nil {
			return nil, err
		}
		created = true
		return events(sess), nil
	})
	if err != nil {
		return false, fmt.Errorf("create poll %s: %w", p.PollID, err)
	}
	return created, nil
}

// Poll returns one poll; nil if unknown.
func (s *Store) Poll(ctx context.Context, pollID string) (*meet.Poll, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+pollColumns+` FROM polls WHERE poll_id = ?`, pollID)
	list, err := scanRows(rows, err, scanPoll)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return list[0], nil
}

// Polls returns a session's polls, oldest first.
func (s *Store) Polls(ctx context.Context, sid string) ([]*meet.Poll, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+pollColumns+` FROM polls WHERE sid = ? ORDER BY created_at, poll_id`, sid)
	return scanRows(rows, err, scanPoll)
}

// PollVotes returns the votes of a session's polls by poll id, each poll's by user_id (a stable
// order: votes of one millisecond tie).
func (s *Store) PollVotes(ctx context.Context, sid string) (map[string][]meet.PollVote, error) {
	return pollVotes(ctx, s.r, `WHERE v.poll_id IN (SELECT poll_id FROM polls WHERE sid = ?)`, sid)
}

func pollVotes(ctx context.Context, q querier, where string, args ...any) (map[string][]meet.PollVote, error) {
	rows, err := q.QueryContext(ctx, `SELECT v.poll_id, v.user_id, v.name, v.option_id, v.voted_at FROM poll_votes v `+where+
		` ORDER BY v.user_id`, args...)
	list, err := scanRows(rows, err, scanVote)
	if err != nil {
		return nil, err
	}
	out := map[string][]meet.PollVote{}
	for _, v := range list {
		out[v.PollID] = append(out[v.PollID], v)
	}
	return out, nil
}

// Vote records a user's vote, replacing the one they cast before; false (nothing written) if the
// poll is closed or unknown, or its session has ended.
func (s *Store) Vote(ctx context.Context, v meet.PollVote) (bool, error) {
	voted := false
	err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		// the poll's row is locked (PostgreSQL) until the vote commits: a close waits for it, and
		// a vote after the close sees it closed
		var sid string
		var closed sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT sid, closed_at FROM polls WHERE poll_id = ?`+s.d.forUpdate, v.PollID).Scan(&sid, &closed)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && closed.Valid) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		var running int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE sid = ? AND ended_at IS NULL`, sid).Scan(&running); err != nil || running == 0 {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO poll_votes (poll_id, user_id, name, option_id, voted_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (poll_id, user_id) DO UPDATE SET name = excluded.name, option_id = excluded.option_id, voted_at = excluded.voted_at`,
			v.PollID, v.UserID, v.Name, v.Option, ms(v.VotedAt)); err != nil {
			return nil, err
		}
		voted = true
		return nil, nil
	})
	if err != nil {
		return false, fmt.Errorf("vote in poll %s: %w", v.PollID, err)
	}
	return voted, nil
}

// ClosePoll closes an open poll and writes its events, made from the closed poll and its votes;
// false (nothing written) if it was closed already or is unknown.
func (s *Store) ClosePoll(ctx context.Context, pollID, by string, at time.Time, events func(*meet.Session, *meet.Poll, []meet.PollVote) []meet.Event) (bool, error) {
	closed := false
	err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		res, err := tx.ExecContext(ctx, `UPDATE polls SET closed_at = ?, closed_by = ? WHERE poll_id = ? AND closed_at IS NULL`, ms(at), by, pollID)
		if err != nil {
			return nil, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil, nil
		}
		closed = true
		rows, err := tx.QueryContext(ctx, `SELECT `+pollColumns+` FROM polls WHERE poll_id = ?`, pollID)
		list, err := scanRows(rows, err, scanPoll)
		if err != nil || len(list) == 0 {
			return nil, err
		}
		p := list[0]
		votes, err := pollVotes(ctx, tx, `WHERE v.poll_id = ?`, pollID)
		if err != nil {
			return nil, err
		}
		sess, err := first(querySessions(ctx, tx, `WHERE s.sid = ?`, p.SID))
		if err != nil || sess == nil {
			return nil, err
		}
		return events(sess, p, votes[pollID]), nil
	})
	if err != nil {
		return false, fmt.Errorf("close poll %s: %w", pollID, err)
	}
	return closed, nil
}
