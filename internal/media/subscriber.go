package media

import (
	"fmt"
	"sync"
	"time"

	lkauth "github.com/livekit/protocol/auth"
	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/webrtc/v4"
)

// Subscriber joins rooms as the server's own hidden, subscribe-only participant (the recorder)
// and hands every audio and video track it receives to the caller as a pion track: the recorder
// needs the media, not LiveKit's types. Engine.Subscriber is the engine's.
type Subscriber struct {
	url, apiKey, apiSecret string
}

// SubscribedTrack is one track the subscriber receives; read Remote until it fails.
type SubscribedTrack struct {
	Identity string // publisher
	Name     string
	TrackSID string
	Source   string // CAMERA, MICROPHONE, SCREEN_SHARE, SCREEN_SHARE_AUDIO
	Remote   *webrtc.TrackRemote
	// Metadata is the publisher's participant metadata when the track was subscribed (set by
	// the server only: participants may not change their own).
	Metadata string
	// KeyFrame asks the publisher for a key frame (video).
	KeyFrame func()
}

// RemovedByServer is the Disconnected reason of a subscriber removed from its room through the
// room service API.
const RemovedByServer = string(lksdk.ParticipantRemoved)

// SubscriberEvents are called from LiveKit's goroutines.
type SubscriberEvents struct {
	Track        func(SubscribedTrack)
	Disconnected func(reason string) // the server closed the connection (not after Leave)
}

// Subscription is a connected subscriber.
type Subscription struct {
	room *lksdk.Room
	mu   sync.Mutex
	left bool
}

// Leave disconnects; the tracks' reads then fail.
func (s *Subscription) Leave() {
	s.mu.Lock()
	s.left = true
	s.mu.Unlock()
	s.room.Disconnect()
}

// Join connects identity to roomID, hidden from the other participants, subscribed to every
// audio and video track.
func (s *Subscriber) Join(roomID, identity string, ev SubscriberEvents) (*Subscription, error) {
	no, yes := false, true
	token, err := lkauth.NewAccessToken(s.apiKey, s.apiSecret).
		SetVideoGrant(&lkauth.VideoGrant{
			RoomJoin: true, Room: roomID, CanSubscribe: &yes, CanPublish: &no, CanPublishData: &no,
			Hidden: true, Recorder: true,
		}).
		SetIdentity(identity).
		SetName("recorder").
		SetValidFor(24 * time.Hour).
		ToJWT()
	if err != nil {
		return nil, fmt.Errorf("recorder token: %w", err)
	}
	sub := &Subscription{}
	cb := lksdk.NewRoomCallback()
	cb.OnTrackSubscribed = func(track *webrtc.TrackRemote, pub *lksdk.RemoteTrackPublication, rp *lksdk.RemoteParticipant) {
		if pub.Kind() == lksdk.TrackKindVideo {
			_ = pub.SetVideoQuality(livekit.VideoQuality_HIGH) // simulcast publishers: the best layer
		}
		ev.Track(SubscribedTrack{
			Identity: rp.Identity(), Name: rp.Name(), TrackSID: pub.SID(), Source: pub.Source().String(), Remote: track,
			Metadata: rp.Metadata(),
			KeyFrame: func() { rp.WritePLI(track.SSRC()) },
		})
	}
	cb.OnDisconnectedWithReason = func(r lksdk.DisconnectionReason) {
		sub.mu.Lock()
		left := sub.left
		sub.mu.Unlock()
		if !left && ev.Disconnected != nil {
			ev.Disconnected(string(r))
		}
	}
	room, err := lksdk.ConnectToRoomWithToken(s.url, token, cb, lksdk.WithAutoSubscribe(true))
	if err != nil {
		return nil, fmt.Errorf("recorder connect to room %s: %w", roomID, err)
	}
	sub.room = room
	return sub, nil
}
