package media

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/livekit/livekit-server/pkg/rtc/types"
	"github.com/livekit/protocol/livekit"

	"meetd/internal/meet"
	"meetd/internal/rooms"
)

// Observer looks at the embedded node's rooms, four times a second, for what LiveKit tells its clients
// but not its webhooks: which published tracks are muted (a browser switches its camera and
// microphone off by muting them) and who is speaking (LiveKit's own speaker detection). Each change
// is reported; attendance reports are made of them.
type Observer struct {
	engine *Engine // its node is running when the observer runs
	rooms  func(ctx context.Context) ([]string, error)
	report func(ctx context.Context, roomID string, a rooms.Activity) error
	log    *slog.Logger
	now    func() time.Time

	on map[string]map[string]rooms.Activity // room → kind/item → what is on, as last reported
}

// newObserver makes an observer of the engine's node's rooms: roomsOf lists the rooms to look at,
// report takes each change.
func newObserver(e *Engine, roomsOf func(ctx context.Context) ([]string, error),
	report func(ctx context.Context, roomID string, a rooms.Activity) error, log *slog.Logger) *Observer {
	return &Observer{engine: e, rooms: roomsOf, report: report, log: log, now: time.Now, on: map[string]map[string]rooms.Activity{}}
}

// Run looks every interval until ctx ends.
func (o *Observer) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			o.look(ctx)
		}
	}
}

// look reports what turned on or off since the last look. A change that could not be reported is
// tried again at the next look.
func (o *Observer) look(ctx context.Context) {
	names, err := o.rooms(ctx)
	if err != nil {
		o.log.Warn("observer: list rooms", "err", err)
		return
	}
	now := o.now()
	seen := make(map[string]map[string]rooms.Activity, len(names))
	rm := o.engine.node.server.RoomManager()
	for _, name := range names {
		if room := rm.GetRoom(ctx, livekit.RoomName(name)); room != nil {
			seen[name] = activeIn(room.GetParticipants())
		}
	}
	for name := range o.on {
		if _, ok := seen[name]; !ok {
			seen[name] = map[string]rooms.Activity{} // gone: whatever was on is off
		}
	}
	for name, on := range seen {
		before := o.on[name]
		for key, a := range on {
			if _, was := before[key]; !was {
				a.On, a.At = true, now
				if err := o.report(ctx, name, a); err != nil {
					o.log.Warn("observer: report", "room_id", name, "kind", a.Kind, "err", err)
					delete(on, key) // not on as far as the store knows: again next time
				}
			}
		}
		for key, a := range before {
			if _, is := on[key]; !is {
				a.On, a.At = false, now
				if err := o.report(ctx, name, a); err != nil {
					o.log.Warn("observer: report", "room_id", name, "kind", a.Kind, "err", err)
					on[key] = a // still on as far as the store knows: again next time
				}
			}
		}
		if len(on) == 0 {
			delete(seen, name)
		}
	}
	o.on = seen
}

// activeIn is what is on in a room now: muted tracks, and participants speaking.
func activeIn(list []types.LocalParticipant) map[string]rooms.Activity {
	on := map[string]rooms.Activity{}
	for _, p := range list {
		user := string(p.Identity())
		if strings.HasPrefix(user, meet.InternalPrefix) {
			continue
		}
		for _, t := range p.GetPublishedTracks() {
			if t.IsMuted() {
				on[rooms.ActivityMuted+"/"+string(t.ID())] = rooms.Activity{Kind: rooms.ActivityMuted, Item: string(t.ID()), UserID: user}
			}
		}
		if _, speaking := p.GetAudioLevel(); speaking {
			on[rooms.ActivityTalking+"/"+string(p.ID())] = rooms.Activity{Kind: rooms.ActivityTalking, Item: string(p.ID()), UserID: user}
		}
	}
	return on
}
