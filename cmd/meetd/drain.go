package main

import (
	"context"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"meetd/internal/media"
	"meetd/internal/rooms"
)

// onSignals turns SIGTERM and SIGINT into meetd's shutdown: the first closes drain (meetd stops
// taking new rooms and joins and lets running meetings finish), the second cancels ctx (meetd
// stops at once). stop releases the signals.
func onSignals() (ctx context.Context, drain <-chan struct{}, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	first := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			close(first)
		case <-ctx.Done():
			return
		}
		select {
		case <-sigs:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, first, func() {
		signal.Stop(sigs)
		cancel()
	}
}

// drainMeetings waits until no meeting runs on this server any more, timeout has passed, or ctx
// ends (a second signal). meetings counts the rooms with participants connected, and the
// participants. The log tells how many are left and for how long at most.
func drainMeetings(ctx context.Context, meetings func(context.Context) (rooms, participants int, err error),
	timeout time.Duration, log *slog.Logger) {
	deadline := time.Now().Add(timeout)
	log.Info("draining: new rooms and joins are refused, running meetings go on", "drain_timeout", timeout)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var logged time.Time
	lastRooms := -1
	for {
		rooms, participants, err := meetings(ctx)
		if err != nil {
			log.Warn("draining: count running meetings", "err", err)
		} else if rooms == 0 {
			log.Info("draining: no meeting left, stopping")
			return
		}
		left := time.Until(deadline)
		if left <= 0 {
			log.Warn("drain timeout: stopping with meetings running", "rooms", rooms, "participants", participants)
			return
		}
		if rooms != lastRooms || time.Since(logged) >= 30*time.Second {
			log.Info("draining", "rooms", rooms, "participants", participants, "time_left", left.Round(time.Second))
			logged, lastRooms = time.Now(), rooms
		}
		select {
		case <-ctx.Done():
			log.Warn("second signal: stopping at once", "rooms", rooms, "participants", participants)
			return
		case <-tick.C:
		}
	}
}

// meetingsOn counts the meetings on this server's media node: rooms with someone connected.
func meetingsOn(svc *rooms.Service, node *media.Node) func(context.Context) (int, int, error) {
	return func(ctx context.Context) (meetings, participants int, err error) {
		if node == nil {
			return 0, 0, nil // an external LiveKit carries its meetings on without meetd
		}
		list, err := svc.ActiveRooms(ctx)
		if err != nil {
			return 0, 0, err
		}
		for _, r := range list {
			if n := len(r.ParticipantsInfo); n > 0 && node.Hosts(r.RoomInfo.RoomID) { // in a cluster, others host theirs
				meetings++
				participants += n
			}
		}
		return meetings, participants, nil
	}
}
