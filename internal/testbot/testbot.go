// Package testbot makes real WebRTC participants for meetd's tests: LiveKit's Go SDK connects
// them to a room, and they publish audio and video samples like a person would.
package testbot

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/logger"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
)

// Bot is one connected participant.
type Bot struct {
	Room *lksdk.Room

	mu     sync.Mutex
	reason lksdk.DisconnectionReason
	gone   chan struct{}
	stop   chan struct{}
	wg     sync.WaitGroup
	data   []Data

	received, lost atomic.Int64
	loud           atomic.Bool // the microphone's frames say they are loud (Speak)
}

// Speak makes the bot's microphone frames carry a loud audio level (RFC 6464, which the media
// server's speaker detection reads), or silence again.
func (b *Bot) Speak(on bool) { b.loud.Store(on) }

// Packets returns how many RTP packets arrived and how many were lost on the subscribed tracks.
func (b *Bot) Packets() (received, lost int64) { return b.received.Load(), b.lost.Load() }

func (b *Bot) count(track *webrtc.TrackRemote) {
	var last uint16
	first := true
	buf := make([]byte, 1500)
	for {
		// the sequence number straight from the header: no packet to allocate per read (a load
		// bench runs thousands of these readers)
		n, _, err := track.Read(buf)
		if err != nil {
			return
		}
		if n < 12 {
			continue
		}
		seq := binary.BigEndian.Uint16(buf[2:4])
		b.received.Add(1)
		if !first {
			if gap := seq - last; gap > 1 && gap < 1000 {
				b.lost.Add(int64(gap - 1))
			}
		}
		first, last = false, seq
	}
}

// Data is a data message the bot received.
type Data struct {
	Topic   string
	Payload []byte
}

// quiet silences the SDK's process-wide logger, once: bots are many and chatty.
var quiet sync.Once

// Join connects a bot with a LiveKit token; it subscribes to nothing.
func Join(url, token string) (*Bot, error) { return JoinWith(url, token, false) }

// RelayOnly makes a bot's media go through the TURN servers the media server hands out, as for a
// participant whose network lets no direct media path through (ICE transport policy "relay").
func RelayOnly() lksdk.ConnectOption {
	return lksdk.WithICETransportPolicy(webrtc.ICETransportPolicyRelay)
}

// JoinWith connects a bot; with subscribe it receives every audio and video track and counts
// the RTP packets that arrive and that were lost (gaps in sequence numbers). opts are further
// connection options, like RelayOnly.
func JoinWith(url, token string, subscribe bool, opts ...lksdk.ConnectOption) (*Bot, error) {
	quiet.Do(func() {
		// a zap logger checks the level before formatting (the generic one formats every
		// debug message of pion, which races with pion's own writes)
		if zl, err := logger.NewZapLogger(&logger.Config{Level: "error"}); err == nil {
			lksdk.SetLogger(zl)
		}
	})
	b := &Bot{gone: make(chan struct{}), stop: make(chan struct{})}
	cb := lksdk.NewRoomCallback()
	cb.OnDisconnectedWithReason = func(r lksdk.DisconnectionReason) {
		b.mu.Lock()
		defer b.mu.Unlock()
		select {
		case <-b.gone:
		default:
			b.reason = r
			close(b.gone)
		}
	}
	cb.OnDataPacket = func(p lksdk.DataPacket, params lksdk.DataReceiveParams) {
		if u, ok := p.(*lksdk.UserDataPacket); ok {
			b.mu.Lock()
			b.data = append(b.data, Data{Topic: u.Topic, Payload: u.Payload})
			b.mu.Unlock()
		}
	}
	if subscribe {
		cb.OnTrackSubscribed = func(track *webrtc.TrackRemote, _ *lksdk.RemoteTrackPublication, _ *lksdk.RemoteParticipant) {
			go b.count(track)
		}
	}
	room, err := lksdk.ConnectToRoomWithToken(url, token, cb, append([]lksdk.ConnectOption{lksdk.WithAutoSubscribe(subscribe)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("bot connect: %w", err)
	}
	b.Room = room
	return b, nil
}

// Gone is closed when the server disconnected the bot.
func (b *Bot) Gone() <-chan struct{} { return b.gone }

// Reason is why the bot was disconnected.
func (b *Bot) Reason() lksdk.DisconnectionReason {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.reason
}

// Received returns the data messages received so far.
func (b *Bot) Received() []Data {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Data(nil), b.data...)
}

// WaitGone waits until the server disconnected the bot.
func (b *Bot) WaitGone(ctx context.Context) error {
	select {
	case <-b.gone:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// PublishAudio publishes a microphone track of silent Opus frames.
func (b *Bot) PublishAudio() (*lksdk.LocalTrackPublication, error) {
	track, err := lksdk.NewLocalSampleTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2})
	if err != nil {
		return nil, err
	}
	pub, err := b.Room.LocalParticipant.PublishTrack(track, &lksdk.TrackPublicationOptions{Name: "mic", Source: livekit.TrackSource_MICROPHONE})
	if err != nil {
		return nil, fmt.Errorf("publish audio: %w", err)
	}
	silence := []byte{0xf8, 0xff, 0xfe} // one 20 ms Opus frame of silence
	b.write(track, silence, 20*time.Millisecond, true)
	return pub, nil
}

// PublishVideo publishes a camera track of VP8 frames.
func (b *Bot) PublishVideo() (*lksdk.LocalTrackPublication, error) {
	track, err := lksdk.NewLocalSampleTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000})
	if err != nil {
		return nil, err
	}
	pub, err := b.Room.LocalParticipant.PublishTrack(track, &lksdk.TrackPublicationOptions{
		Name: "camera", Source: livekit.TrackSource_CAMERA, VideoWidth: 320, VideoHeight: 240,
	})
	if err != nil {
		return nil, fmt.Errorf("publish video: %w", err)
	}
	// A VP8 key frame header for 320x240; the SFU forwards, it does not decode.
	frame := append([]byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00}, make([]byte, 200)...)
	b.write(track, frame, 100*time.Millisecond, false)
	return pub, nil
}

func (b *Bot) write(track *lksdk.LocalTrack, frame []byte, every time.Duration, audio bool) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-b.stop:
				return
			case <-b.gone:
				return
			case <-t.C:
				var opts *lksdk.SampleWriteOptions
				if audio {
					level := uint8(127) // -127 dBov: silence
					if b.loud.Load() {
						level = 10
					}
					opts = &lksdk.SampleWriteOptions{AudioLevel: &level}
				}
				_ = track.WriteSample(media.Sample{Data: frame, Duration: every}, opts)
			}
		}
	}()
}

// Leave disconnects the bot and stops its media.
func (b *Bot) Leave() {
	b.mu.Lock()
	select {
	case <-b.stop:
	default:
		close(b.stop)
	}
	b.mu.Unlock()
	b.Room.Disconnect()
	b.wg.Wait()
}
