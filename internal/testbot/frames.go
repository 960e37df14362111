package testbot

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"

	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
)

// Frames is a server-side subscriber that keeps the VP8 frames of the video it receives, as the
// media server forwards them: what a recorder or any server-side participant would get. Tests of
// end-to-end encryption check that these frames are ciphertext.
type Frames struct {
	*Bot
	mu     sync.Mutex
	frames [][]byte
	max    int
}

// JoinFrames connects a subscriber that keeps up to max whole VP8 frames of the first video
// track it is sent.
func JoinFrames(url, token string, max int) (*Frames, error) {
	f := &Frames{max: max}
	cb := lksdk.NewRoomCallback()
	var once sync.Once
	cb.OnTrackSubscribed = func(track *webrtc.TrackRemote, _ *lksdk.RemoteTrackPublication, _ *lksdk.RemoteParticipant) {
		if track.Kind() != webrtc.RTPCodecTypeVideo {
			return
		}
		once.Do(func() { go f.read(track) })
	}
	room, err := lksdk.ConnectToRoomWithToken(url, token, cb, lksdk.WithAutoSubscribe(true))
	if err != nil {
		return nil, fmt.Errorf("frames bot connect: %w", err)
	}
	f.Bot = &Bot{Room: room, gone: make(chan struct{}), stop: make(chan struct{})}
	return f, nil
}

// read reassembles VP8 frames from RTP packets: payloads of one timestamp, up to the marker.
func (f *Frames) read(track *webrtc.TrackRemote) {
	var cur []byte
	var ts uint32
	var lastSeq uint16
	broken := true // until the start of a frame
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		var vp8 codecs.VP8Packet
		payload, err := vp8.Unmarshal(pkt.Payload)
		if err != nil || len(payload) == 0 {
			continue
		}
		if vp8.S == 1 && vp8.PID == 0 { // the first packet of a frame
			cur, ts, broken = append([]byte(nil), payload...), pkt.Timestamp, false
		} else if broken || pkt.Timestamp != ts || pkt.SequenceNumber != lastSeq+1 {
			broken = true // a lost packet: drop this frame
		} else {
			cur = append(cur, payload...)
		}
		lastSeq = pkt.SequenceNumber
		if pkt.Marker && !broken {
			if f.keep(cur) {
				return
			}
			broken = true
		}
	}
}

func (f *Frames) keep(frame []byte) (full bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.frames = append(f.frames, frame)
	return len(f.frames) >= f.max
}

// Got returns the frames kept so far.
func (f *Frames) Got() [][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]byte(nil), f.frames...)
}

// Leave disconnects the subscriber.
func (f *Frames) Leave() { f.Room.Disconnect() }

// IsVP8KeyFrame reads the VP8 frame tag (RFC 6386 §9.1): bit 0 of the first byte is 0 for a key frame.
func IsVP8KeyFrame(frame []byte) bool { return len(frame) > 0 && frame[0]&1 == 0 }

// LiveKit's frame encryption (livekit-client, e2ee): the first bytes of a VP8 frame stay in clear
// (10 of a key frame, 3 of a delta frame) and are the AES-GCM additional data; the rest is the
// ciphertext and its tag, then a trailer of the 12-byte IV, the IV's length and the key index. The
// key is PBKDF2-SHA-256 of the shared secret with the salt "LKFrameEncryptionKey", 100000 rounds,
// 128 bits.
const (
	lkSalt       = "LKFrameEncryptionKey"
	lkIterations = 100000
	lkIVLength   = 12
)

// LiveKitFrameKey derives the AES key livekit-client's ExternalE2EEKeyProvider makes of secret.
func LiveKitFrameKey(secret string) ([]byte, error) {
	return pbkdf2.Key(sha256.New, secret, []byte(lkSalt), lkIterations, 16)
}

// ErrNoTrailer: the frame does not end with LiveKit's encryption trailer.
var ErrNoTrailer = errors.New("no LiveKit e2ee trailer")

// DecryptLiveKitFrame decrypts one VP8 frame encrypted by livekit-client with key, and returns
// the plain VP8 frame; an error when the frame is not encrypted that way or key does not open it.
func DecryptLiveKitFrame(key, frame []byte) ([]byte, error) {
	clear := 3
	if IsVP8KeyFrame(frame) {
		clear = 10
	}
	if len(frame) < clear+lkIVLength+2+16 || int(frame[len(frame)-2]) != lkIVLength {
		return nil, ErrNoTrailer
	}
	ivAt := len(frame) - 2 - lkIVLength
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	plain, err := gcm.Open(nil, frame[ivAt:len(frame)-2], frame[clear:ivAt], frame[:clear])
	if err != nil {
		return nil, err
	}
	return append(append([]byte(nil), frame[:clear]...), plain...), nil
}
