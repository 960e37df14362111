package testbot

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
)

// PublishFile publishes real media from a file, at the pace of its timestamps: an IVF file (VP8)
// as the camera, an OGG file (Opus) as the microphone. The track ends with the file.
func (b *Bot) PublishFile(path string) (*lksdk.LocalTrackPublication, error) {
	return b.publishFile(path, livekit.TrackSource_CAMERA)
}

// PublishScreenFile publishes an IVF file (VP8) as a screen share.
func (b *Bot) PublishScreenFile(path string) (*lksdk.LocalTrackPublication, error) {
	if filepath.Ext(path) != ".ivf" {
		return nil, fmt.Errorf("%s: a screen share is an IVF file", filepath.Base(path))
	}
	return b.publishFile(path, livekit.TrackSource_SCREEN_SHARE)
}

func (b *Bot) publishFile(path string, videoSource livekit.TrackSource) (*lksdk.LocalTrackPublication, error) {
	opts := &lksdk.TrackPublicationOptions{Name: "mic", Source: livekit.TrackSource_MICROPHONE}
	var readerOpts []lksdk.ReaderSampleProviderOption
	if filepath.Ext(path) == ".ivf" {
		head, err := os.ReadFile(path)
		if err != nil || len(head) < 32 {
			return nil, fmt.Errorf("read %s: not an IVF file", filepath.Base(path))
		}
		name := "camera"
		if videoSource == livekit.TrackSource_SCREEN_SHARE {
			name = "screen"
		}
		opts = &lksdk.TrackPublicationOptions{Name: name, Source: videoSource,
			VideoWidth: int(binary.LittleEndian.Uint16(head[12:])), VideoHeight: int(binary.LittleEndian.Uint16(head[14:]))}
		// The SDK's reader misreads the IVF time base with this pion version (a 25 fps file plays at
		// 1 fps), so the frame duration is given: the header's rate is frames per second for a
		// constant-rate file such as ffmpeg writes.
		rate, scale := binary.LittleEndian.Uint32(head[16:]), binary.LittleEndian.Uint32(head[20:])
		if rate == 0 || scale == 0 {
			return nil, fmt.Errorf("read %s: no frame rate", filepath.Base(path))
		}
		readerOpts = append(readerOpts, lksdk.ReaderTrackWithFrameDuration(time.Duration(float64(time.Second)*float64(scale)/float64(rate))))
	}
	track, err := lksdk.NewLocalFileTrack(path, readerOpts...)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", filepath.Base(path), err)
	}
	pub, err := b.Room.LocalParticipant.PublishTrack(track, opts)
	if err != nil {
		return nil, fmt.Errorf("publish %s: %w", filepath.Base(path), err)
	}
	return pub, nil
}
