package server

import (
	"context"
	"log/slog"
	"time"

	"meetd/internal/media"
	"meetd/internal/rooms"
)

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
// Without an embedded node (an external LiveKit, or a media from Options) there are none.
func meetingsOn(svc *rooms.Service, engine *media.Engine) func(context.Context) (int, int, error) {
	return func(ctx context.Context) (meetings, participants int, err error) {
		if engine == nil || engine.External() {
			return 0, 0, nil // an external LiveKit carries its meetings on without meetd
		}
		list, err := svc.ActiveRooms(ctx)
		if err != nil {
			return 0, 0, err
		}
		for _, r := range list {
			if n := len(r.ParticipantsInfo); n > 0 && engine.Hosts(r.RoomInfo.RoomID) { // in a cluster, others host theirs
				meetings++
				participants += n
			}
		}
		return meetings, participants, nil
	}
}
