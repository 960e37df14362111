package rooms

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"meetd/internal/meet"
)

// Deadline is when the session must end by its timers, and why; zero if it has no deadline now.
func (s *Service) Deadline(sess *meet.Session) (time.Time, string) {
	var at time.Time
	reason := ""
	if sess.Metadata.IsBreakoutRoom {
		return at, reason // breakout rooms: the end of its round ends it (sweepBreakouts)
	}
	consider := func(t time.Time, why string) {
		if at.IsZero() || t.Before(at) {
			at, reason = t, why
		}
	}
	switch {
	case sess.FirstJoinAt.IsZero():
		consider(sess.CreatedAt.Add(units(sess.EmptyTimeout, time.Second)), meet.EndEmpty)
	case sess.Connected == 0:
		consider(sess.LastLeftAt.Add(s.cfg.DepartureTimeout), meet.EndDeparture)
	}
	// room_duration counts from the first join (room_started), not from the creation, as in
	// plugNmeet: a room created early still gives its participants the whole time. Before anybody
	// joins, the empty timeout is what ends it (doc/api.md).
	if d := sess.Metadata.RoomFeatures.RoomDuration; d != nil && *d > 0 && !sess.FirstJoinAt.IsZero() {
		consider(sess.FirstJoinAt.Add(units(*d, time.Minute)), meet.EndDuration)
	}
	return at, reason
}

// units is n × unit, saturating at the longest duration instead of wrapping negative (the
// bounds of room/create keep stored numbers far below; this holds for rows written before).
func units(n int, unit time.Duration) time.Duration {
	if n > 0 && int64(n) > int64(math.MaxInt64/unit) {
		return math.MaxInt64
	}
	return time.Duration(n) * unit
}

// Sweep ends every running session whose deadline has passed. It reads the deadlines from the
// store, so timers survive restarts, and ending is conditional, so two processes sweeping end a
// room once.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.now()
	var errs []error
	if err := s.checkNodes(ctx, now); err != nil {
		errs = append(errs, err)
	}
	// the deadlines from the metadata as kept parsed (most rooms did not change since the last
	// sweep); a room to end is read again, whole and its own (doc/performance-notes.md)
	list, _, err := s.runningKept(ctx)
	if err != nil {
		return fmt.Errorf("sweep: %w", errors.Join(append(errs, err)...))
	}
	for _, kept := range list {
		at, reason := s.Deadline(kept)
		if at.IsZero() || now.Before(at) {
			continue
		}
		sess, err := s.store.SessionBySID(ctx, kept.SID)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if sess == nil || !sess.Running() {
			continue
		}
		if at, reason = s.Deadline(sess); at.IsZero() || now.Before(at) {
			continue
		}
		if (reason == meet.EndEmpty || reason == meet.EndDeparture) && s.hasOpenBreakouts(ctx, sess) {
			continue // breakout rooms: its participants are in them
		}
		if err := s.end(ctx, sess, reason); err != nil {
			errs = append(errs, err)
		}
	}
	if err := s.sweepBreakouts(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// checkNodes beats this process's node, and closes the connections of nodes that stopped beating
// (a meetd that crashed or lost its network): their rooms then follow the departure path.
func (s *Service) checkNodes(ctx context.Context, now time.Time) error {
	if err := s.store.Heartbeat(ctx, s.cfg.Node, now); err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	timeout := s.cfg.NodeTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	stale, err := s.store.StaleNodes(ctx, now.Add(-timeout))
	if err != nil {
		return fmt.Errorf("stale nodes: %w", err)
	}
	for _, node := range stale {
		if node == s.cfg.Node {
			continue
		}
		s.log.Warn("media node stopped beating: its connections are closed", "node", node, "timeout", timeout)
		if err := s.store.CloseNodePresence(ctx, node, now); err != nil {
			return fmt.Errorf("close the connections of node %s: %w", node, err)
		}
	}
	return nil
}

// RunTimers sweeps every interval until ctx ends.
func (s *Service) RunTimers(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("room timers", "err", err)
			}
		}
	}
}

// MediaRestarted is called when this process's media node starts afresh: nobody is connected to
// it any more, and its sessions wait for their participants to come back for the departure timeout.
func (s *Service) MediaRestarted(ctx context.Context) error {
	return s.store.CloseNodePresence(ctx, s.cfg.Node, s.now())
}
