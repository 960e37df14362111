package media

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livekit/livekit-server/pkg/rtc"
	"github.com/livekit/livekit-server/pkg/service"
	lkauth "github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/utils"
	"github.com/livekit/protocol/webhook"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/twitchtv/twirp"

	"meetd/internal/meet"
	"meetd/internal/rooms"
)

// Adapter talks to a LiveKit deployment (the embedded node, or an external one) through its room
// service API.
type Adapter struct {
	client            *lksdk.RoomServiceClient
	apiKey, apiSecret string

	// local is the embedded node's room manager, once it runs: reading participants from it
	// in-process saves an HTTP round trip on every room info.
	local atomic.Pointer[service.RoomManager]
	// clustered: rooms may live on other nodes of the cluster; those are read through the API.
	clustered atomic.Bool

	seenMu sync.Mutex
	seen   map[string]map[livekit.ParticipantID]seenParticipant // room → its participants at the last read
}

// seenParticipant is a participant of the embedded node as last read, at the version LiveKit gave
// it then. LiveKit moves a participant's version with every change it tells the clients about
// (state, name, metadata, permission, tracks published, muted or resized): the same version is
// the same participant, and reading it again (ToProto, the costly part of a room's list) is skipped.
type seenParticipant struct {
	version utils.TimedVersion
	info    meet.ParticipantInfo
}

// maxSeenRooms bounds the rooms kept in Adapter.seen; when full it starts again empty.
const maxSeenRooms = 4096

// useNode makes the adapter read participants straight from the embedded node (for the rooms it
// hosts, when it is one of a cluster).
func (a *Adapter) useNode(n *Node) {
	a.clustered.Store(n.clustered)
	a.local.Store(n.server.RoomManager())
}

var _ rooms.Media = (*Adapter)(nil)

// newAdapter makes an adapter for the LiveKit server at url (http://host:port).
func newAdapter(url, apiKey, apiSecret string) *Adapter {
	return &Adapter{client: lksdk.NewRoomServiceClient(url, apiKey, apiSecret), apiKey: apiKey, apiSecret: apiSecret}
}

func notFound(err error) bool {
	var te twirp.Error
	return errors.As(err, &te) && te.Code() == twirp.NotFound
}

// Participants lists the room's participants; none if LiveKit has no such room.
func (a *Adapter) Participants(ctx context.Context, roomID string) ([]meet.ParticipantInfo, error) {
	req := &livekit.ListParticipantsRequest{Room: roomID}
	var res *livekit.ListParticipantsResponse
	var err error
	if rm := a.local.Load(); rm != nil {
		if room := rm.GetRoom(ctx, livekit.RoomName(roomID)); room != nil {
			return a.localParticipants(room), nil
		}
		if !a.clustered.Load() {
			return nil, nil
		}
	}
	res, err = a.client.ListParticipants(ctx, req)
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]meet.ParticipantInfo, 0, len(res.Participants))
	for _, p := range res.Participants {
		out = append(out, participantInfo(p))
	}
	return out, nil
}

// localParticipants lists the participants of a room of the embedded node, each read again only
// if its version moved since the last list.
func (a *Adapter) localParticipants(room *rtc.Room) []meet.ParticipantInfo {
	name := string(room.Name())
	a.seenMu.Lock()
	before := a.seen[name] // never changed once stored: read without the lock
	a.seenMu.Unlock()
	list := room.GetParticipants()
	out := make([]meet.ParticipantInfo, 0, len(list))
	// the kept map is replaced only when someone came, left or changed: most calls change nothing
	// and then build no map (doc/performance-notes.md)
	var now map[livekit.ParticipantID]seenParticipant
	for i, p := range list {
		id := p.ID()
		s, ok := before[id]
		if !ok || s.version != p.Version() {
			pi, v := p.ToProtoWithVersion()
			s = seenParticipant{version: v, info: participantInfo(pi)}
			ok = false
		}
		if !ok && now == nil {
			now = make(map[livekit.ParticipantID]seenParticipant, len(list))
			for _, q := range list[:i] {
				now[q.ID()] = before[q.ID()]
			}
		}
		if now != nil {
			now[id] = s
		}
		info := s.info
		info.Tracks = slices.Clone(info.Tracks) // the caller's own
		out = append(out, info)
	}
	if now == nil && len(before) == len(list) {
		return out // the same participants at the same versions
	}
	if now == nil { // someone left
		now = make(map[livekit.ParticipantID]seenParticipant, len(list))
		for _, q := range list {
			now[q.ID()] = before[q.ID()]
		}
	}
	a.seenMu.Lock()
	if a.seen == nil || len(a.seen) >= maxSeenRooms {
		a.seen = map[string]map[livekit.ParticipantID]seenParticipant{}
	}
	a.seen[name] = now
	a.seenMu.Unlock()
	return out
}

// CloseRoom deletes the LiveKit room, which disconnects everyone, and waits until nobody is left.
func (a *Adapter) CloseRoom(ctx context.Context, roomID string) error {
	_, err := a.client.DeleteRoom(ctx, &livekit.DeleteRoomRequest{Room: roomID})
	if err != nil && !notFound(err) {
		return err
	}
	defer func() {
		a.seenMu.Lock()
		delete(a.seen, roomID)
		a.seenMu.Unlock()
	}()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		left, err := a.Participants(ctx, roomID)
		if err != nil {
			return fmt.Errorf("wait for participants to leave: %w", err)
		}
		if len(left) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d participants still connected: %w", len(left), ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// RemoveParticipant disconnects one participant.
func (a *Adapter) RemoveParticipant(ctx context.Context, roomID, identity string) error {
	_, err := a.client.RemoveParticipant(ctx, &livekit.RoomParticipantIdentity{Room: roomID, Identity: identity})
	if notFound(err) {
		return nil
	}
	return err
}

// UpdateParticipant applies a changed grant to a connected participant: LiveKit unpublishes what
// they may no longer publish, and refuses it from then on.
func (a *Adapter) UpdateParticipant(ctx context.Context, g rooms.Grant) error {
	perm := &livekit.ParticipantPermission{
		CanSubscribe:   true,
		CanPublish:     len(g.PublishSources) > 0,
		CanPublishData: g.PublishData,
		Hidden:         g.Hidden,
	}
	for _, src := range g.PublishSources {
		perm.CanPublishSources = append(perm.CanPublishSources, livekit.TrackSource(livekit.TrackSource_value[src]))
	}
	_, err := a.client.UpdateParticipant(ctx, &livekit.UpdateParticipantRequest{
		Room: g.RoomID, Identity: g.Identity, Metadata: g.Metadata, Permission: perm,
	})
	if notFound(err) {
		return nil
	}
	return err
}

// SetAttributes sets attributes of a connected participant (an empty value removes one).
func (a *Adapter) SetAttributes(ctx context.Context, roomID, identity string, attrs map[string]string) error {
	_, err := a.client.UpdateParticipant(ctx, &livekit.UpdateParticipantRequest{Room: roomID, Identity: identity, Attributes: attrs})
	if notFound(err) {
		return meet.Errorf(meet.CodeUserNotFound, "%s is not connected to the meeting", identity)
	}
	return err
}

// MuteTrack mutes or unmutes a published track.
func (a *Adapter) MuteTrack(ctx context.Context, roomID, identity, trackSID string, muted bool) error {
	_, err := a.client.MutePublishedTrack(ctx, &livekit.MuteRoomTrackRequest{Room: roomID, Identity: identity, TrackSid: trackSID, Muted: muted})
	return err
}

// SendData sends a reliable data message.
func (a *Adapter) SendData(ctx context.Context, roomID, topic string, payload []byte, identities []string) error {
	_, err := a.client.SendData(ctx, &livekit.SendDataRequest{
		Room: roomID, Data: payload, Kind: livekit.DataPacket_RELIABLE, Topic: &topic, DestinationIdentities: identities,
	})
	if notFound(err) {
		return nil
	}
	return err
}

// Grant makes a LiveKit access token.
func (a *Adapter) Grant(g rooms.Grant) (string, error) {
	sources := make([]string, 0, len(g.PublishSources))
	for _, s := range g.PublishSources {
		sources = append(sources, strings.ToLower(s))
	}
	yes, publish := true, len(sources) > 0
	// No RoomAdmin, even for a meeting's admins: they moderate through meetd (/api/moderate),
	// and with it their token would call LiveKit's room service API itself (doc/security.md).
	grant := &lkauth.VideoGrant{
		RoomJoin:          true,
		Room:              g.RoomID,
		CanPublish:        &publish,
		CanPublishSources: sources,
		CanSubscribe:      &yes,
		CanPublishData:    &g.PublishData,
		Hidden:            g.Hidden,
	}
	token := lkauth.NewAccessToken(a.apiKey, a.apiSecret).
		SetVideoGrant(grant).
		SetIdentity(g.Identity).
		SetName(g.Name).
		SetMetadata(g.Metadata).
		SetValidFor(g.TTL)
	if g.MaxParticipants > 0 {
		// The media room this join creates refuses connections beyond the limit (LiveKit counts
		// no recorder), so tokens handed out at once cannot all get in.
		token.SetRoomConfig(&livekit.RoomConfiguration{MaxParticipants: uint32(g.MaxParticipants)})
	}
	return token.ToJWT()
}

func participantInfo(p *livekit.ParticipantInfo) meet.ParticipantInfo {
	out := meet.ParticipantInfo{
		SID:         p.Sid,
		Identity:    p.Identity,
		Name:        p.Name,
		State:       p.State.String(),
		Metadata:    p.Metadata,
		JoinedAt:    p.JoinedAt,
		JoinedAtMs:  p.JoinedAtMs,
		Version:     p.Version,
		IsPublisher: p.IsPublisher,
		Tracks:      make([]meet.Track, 0, len(p.Tracks)),
	}
	if perm := p.Permission; perm != nil {
		out.Permission = meet.Permission{
			CanPublish: perm.CanPublish, CanSubscribe: perm.CanSubscribe, CanPublishData: perm.CanPublishData, Hidden: perm.Hidden,
		}
		out.IsHidden = perm.Hidden
	}
	for _, t := range p.Tracks {
		out.Tracks = append(out.Tracks, trackInfo(t))
	}
	return out
}

func trackInfo(t *livekit.TrackInfo) meet.Track {
	return meet.Track{
		SID: t.Sid, Type: t.Type.String(), Source: t.Source.String(), Muted: t.Muted,
		MimeType: t.MimeType, Width: t.Width, Height: t.Height,
	}
}

// Events is what the media server reports to the room service.
type Events interface {
	ParticipantJoined(ctx context.Context, roomID string, p meet.ParticipantInfo) error
	ParticipantLeft(ctx context.Context, roomID string, p meet.ParticipantInfo) error
	TrackChanged(ctx context.Context, roomID string, published bool, p meet.ParticipantInfo, t meet.Track) error
}

// webhookHandler receives LiveKit's webhooks, verified with the API key and secret, and passes
// them to the room service. A failure answers 500, and LiveKit tries again.
func webhookHandler(apiKey, apiSecret string, events Events, log *slog.Logger) http.Handler {
	keys := lkauth.NewSimpleKeyProvider(apiKey, apiSecret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		ev, err := webhook.ReceiveWebhookEvent(r, keys)
		if err != nil {
			log.Warn("livekit webhook refused", "err", err)
			http.Error(w, "invalid webhook", http.StatusUnauthorized)
			return
		}
		if err := dispatch(r.Context(), ev, events); err != nil {
			log.Error("livekit webhook", "event", ev.Event, "err", err)
			http.Error(w, "could not process event", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

func dispatch(ctx context.Context, ev *livekit.WebhookEvent, events Events) error {
	if ev.Room == nil || ev.Participant == nil {
		return nil
	}
	room, p := ev.Room.Name, participantInfo(ev.Participant)
	switch ev.Event {
	case webhook.EventParticipantJoined:
		return events.ParticipantJoined(ctx, room, p)
	case webhook.EventParticipantLeft, webhook.EventParticipantConnectionAborted:
		return events.ParticipantLeft(ctx, room, p)
	case webhook.EventTrackPublished, webhook.EventTrackUnpublished:
		if ev.Track == nil {
			return nil
		}
		return events.TrackChanged(ctx, room, ev.Event == webhook.EventTrackPublished, p, trackInfo(ev.Track))
	}
	return nil
}
