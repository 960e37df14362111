package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"meetd/internal/meet"
)

// The waiting room's rows (migration 008; doc/api.md, "Waiting room").

const waiterColumns = `user_id, name, state, reason, since, seen_at`

func scanWaiter(row interface{ Scan(...any) error }) (*meet.Waiter, error) {
	var w meet.Waiter
	if err := row.Scan(&w.UserID, &w.Name, &w.State, &w.Reason, &w.Since, &w.SeenAt); err != nil {
		return nil, err
	}
	return &w, nil
}

// Waiter returns one person of a session's waiting room; nil if they never waited.
func (s *Store) Waiter(ctx context.Context, sid, userID string) (*meet.Waiter, error) {
	w, err := scanWaiter(s.r.QueryRowContext(ctx, `SELECT `+waiterColumns+` FROM waiting_users WHERE sid = ? AND user_id = ?`, sid, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return w, err
}

// Waiters lists everyone who came to the session's waiting room, in arrival order.
func (s *Store) Waiters(ctx context.Context, sid string) ([]meet.Waiter, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+waiterColumns+` FROM waiting_users WHERE sid = ? ORDER BY since, user_id`, sid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []meet.Waiter
	for rows.Next() {
		w, err := scanWaiter(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *w)
	}
	return out, rows.Err()
}

// WaitingSeen records that a person is at the waiting page now: a newcomer is added as waiting
// (with the events of arrive), one known already has seen_at moved. A waiting person who had gone
// away (seen before stale) arrives again (waiting since at, with the events). It returns the row.
func (s *Store) WaitingSeen(ctx context.Context, sid, userID, name string, at, stale time.Time, arrive func(meet.Waiter) []meet.Event) (*meet.Waiter, error) {
	var got *meet.Waiter
	err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		w, err := scanWaiter(tx.QueryRowContext(ctx, `SELECT `+waiterColumns+` FROM waiting_users WHERE sid = ? AND user_id = ?`, sid, userID))
		switch {
		case errors.Is(err, sql.ErrNoRows):
			w = &meet.Waiter{UserID: userID, Name: name, State: meet.WaitingStateWaiting, Since: ms(at), SeenAt: ms(at)}
			if _, err := tx.ExecContext(ctx, `INSERT INTO waiting_users (sid, user_id, name, state, reason, since, seen_at) VALUES (?, ?, ?, ?, '', ?, ?)`,
				sid, userID, name, w.State, w.Since, w.SeenAt); err != nil {
				return nil, err
			}
			got = w
			return arrive(*w), nil
		case err != nil:
			return nil, err
		}
		back := w.State == meet.WaitingStateWaiting && w.SeenAt < ms(stale)
		if back {
			w.Since = ms(at)
		}
		w.SeenAt, w.Name = ms(at), name
		if _, err := tx.ExecContext(ctx, `UPDATE waiting_users SET seen_at = ?, since = ?, name = ? WHERE sid = ? AND user_id = ?`,
			w.SeenAt, w.Since, w.Name, sid, userID); err != nil {
			return nil, err
		}
		got = w
		if back {
			return arrive(*w), nil
		}
		return nil, nil
	})
	return got, err
}

// DecideWaiting admits or rejects (state, with reason) the named people who are waiting, or all
// who are when userIDs is nil; with also, people in that state too (admitting someone rejected
// before). It returns the rows it changed, with the events of decided, in one transaction.
func (s *Store) DecideWaiting(ctx context.Context, sid string, userIDs []string, state, reason string, also string, decided func([]meet.Waiter) []meet.Event) ([]meet.Waiter, error) {
	var changed []meet.Waiter
	err := s.tx(ctx, func(tx *txn) ([]meet.Event, error) {
		changed = nil
		rows, err := tx.QueryContext(ctx, `SELECT `+waiterColumns+` FROM waiting_users WHERE sid = ? AND (state = ? OR state = ?) ORDER BY since, user_id`,
			sid, meet.WaitingStateWaiting, also)
		if err != nil {
			return nil, err
		}
		var cands []meet.Waiter
		for rows.Next() {
			w, err := scanWaiter(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			cands = append(cands, *w)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		want := map[string]bool{}
		for _, id := range userIDs {
			want[id] = true
		}
		for _, w := range cands {
			if userIDs != nil && !want[w.UserID] {
				continue
			}
			if userIDs == nil && w.State != meet.WaitingStateWaiting {
				continue // "all" means everyone waiting
			}
			if _, err := tx.ExecContext(ctx, `UPDATE waiting_users SET state = ?, reason = ? WHERE sid = ? AND user_id = ?`,
				state, reason, sid, w.UserID); err != nil {
				return nil, err
			}
			w.State, w.Reason = state, reason
			changed = append(changed, w)
		}
		if len(changed) == 0 {
			return nil, nil
		}
		return decided(changed), nil
	})
	return changed, err
}
