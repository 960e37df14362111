package media

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/livekit/livekit-server/pkg/rtc/types"
	lkauth "github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Leaving (doc/architecture.md, "Leaving"): a client that leaves sends a leave request on its
// signalling WebSocket and closes it at once. LiveKit sometimes handles the close first and
// keeps the participant for its resume window (10–30 s), so meetd, which proxies the WebSocket,
// makes the leave effective itself as soon as it sees the request: the node removes the
// participant as it would on the request, and LiveKit's participant_left follows (once: a second
// removal of the same connection does nothing).

// ClientMessages watches a signalling WebSocket of the embedded node (edge.ClientMessages): the
// request's token says whose it is, and a leave request in the client's messages removes that
// participant at once. Nil with an external deployment (its clients do not come through meetd).
func (e *Engine) ClientMessages(log *slog.Logger) func(r *http.Request) func(text bool, msg []byte) {
	if e.External() {
		return nil
	}
	return func(r *http.Request) func(bool, []byte) {
		room, identity, ok := e.tokenOf(r)
		if !ok {
			return nil // LiveKit refuses it
		}
		return func(text bool, msg []byte) {
			if !isLeave(text, msg) {
				return
			}
			at := time.Now()
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if err := e.removeLeaving(ctx, room, identity, at); err != nil {
					log.Warn("leave request: remove the participant", "room", room, "identity", identity, "err", err)
				}
			}()
		}
	}
}

// tokenOf reads the room and identity of a signalling request's join token, checked with the
// node's key as LiveKit checks it.
func (e *Engine) tokenOf(r *http.Request) (room, identity string, ok bool) {
	raw := r.URL.Query().Get("access_token")
	if raw == "" {
		raw = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	if raw == "" {
		return "", "", false
	}
	v, err := lkauth.ParseAPIToken(raw)
	if err != nil || v.APIKey() != e.key {
		return "", "", false
	}
	_, grants, err := v.Verify(e.secret)
	if err != nil || grants.Video == nil || grants.Video.Room == "" || grants.Identity == "" {
		return "", "", false
	}
	return grants.Video.Room, grants.Identity, true
}

// isLeave reports whether a client message is a SignalRequest with a leave request.
func isLeave(text bool, msg []byte) bool {
	var req livekit.SignalRequest
	var err error
	if text {
		err = protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(msg, &req)
	} else {
		err = proto.Unmarshal(msg, &req)
	}
	return err == nil && req.GetLeave() != nil
}

// removeLeaving removes the participant identity of room that asked to leave at the given time,
// as the node does on a leave request. A participant of that identity who connected after it is
// someone who joined again, and stays.
func (e *Engine) removeLeaving(ctx context.Context, room, identity string, at time.Time) error {
	if rm := e.local.Load(); rm != nil {
		if r := rm.GetRoom(ctx, livekit.RoomName(room)); r != nil {
			p := r.GetParticipant(livekit.ParticipantIdentity(identity))
			if p == nil || p.ConnectedAt().After(at) {
				return nil // gone already, or joined again
			}
			p.HandleLeaveRequest(types.ParticipantCloseReasonClientRequestLeave)
			return nil
		}
		if !e.clustered.Load() {
			return nil
		}
	}
	// a room of another node of the cluster: through the room API
	p, err := e.client.GetParticipant(ctx, &livekit.RoomParticipantIdentity{Room: room, Identity: identity})
	if notFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if time.UnixMilli(p.JoinedAtMs).After(at) || p.JoinedAtMs == 0 && time.Unix(p.JoinedAt, 0).After(at) {
		return nil
	}
	_, err = e.client.RemoveParticipant(ctx, &livekit.RoomParticipantIdentity{Room: room, Identity: identity})
	if notFound(err) {
		return nil
	}
	return err
}
