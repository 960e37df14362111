package recorder

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/oggwriter"

	"meetd/internal/media"
	"meetd/internal/meet"
)

// recording is a running recording.
type recording struct {
	id, roomID, sid string
	dir             string
	roomCreated     time.Time
	start           time.Time
	sub             *media.Subscription // set once connected (under Service.mu)
	log             *slog.Logger

	joined  chan struct{} // closed when Start is done with the connection
	stopped chan struct{} // closed by the first stop

	mu            sync.Mutex
	tracks        []*trackFile
	n             int            // track files made
	live          map[string]int // tracks being written, by kind
	maxLive       int            // of each kind at once (maxLiveTracks)
	maxTotal      int            // track files (maxTotalTracks)
	ignored       int            // tracks not recorded for these limits
	wg            sync.WaitGroup
	canvas        Canvas   // recording.size and recording.fps when it started
	composer      *liveRun // nil: composed at stop only
	onlyAdminCams bool     // recording_features.only_record_admin_webcams
}

// trackFile is one track written to one file, with when it was there, relative to the start of
// the recording.
type trackFile struct {
	File     string `json:"file"` // inside the recording's folder
	Kind     string `json:"kind"` // audio, video
	Identity string `json:"identity"`
	Name     string `json:"name"`
	Source   string `json:"source"`
	StartMS  int64  `json:"start_ms"` // first media written
	EndMS    int64  `json:"end_ms"`   // last packet
	Packets  int64  `json:"packets"`
}

func (r *recording) stopOnce() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.stopped:
		return false
	default:
		close(r.stopped)
		return true
	}
}

// wait waits until every track's file is closed; false on timeout.
func (r *recording) wait(d time.Duration) bool {
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// rtpWriter is pion's ivfwriter or oggwriter.
type rtpWriter interface {
	WriteRTP(*rtp.Packet) error
	Close() error
}

// addTrack starts writing a subscribed track to its file (called from LiveKit's goroutines).
func (r *recording) addTrack(t media.SubscribedTrack) {
	mime := strings.ToLower(t.Remote.Codec().MimeType)
	kind := trackKind(mime)
	if kind == "" {
		r.log.Warn("recording: track skipped", "record_id", r.id, "identity", t.Identity, "source", t.Source, "err",
			fmt.Errorf("codec %s is not recorded", mime))
		return
	}
	if kind == "video" && t.Source == "CAMERA" && !r.recordsCamera(t.Metadata) {
		r.log.Info("recording: camera not recorded (record_webcam, only_record_admin_webcams)", "record_id", r.id, "identity", t.Identity)
		return
	}
	n, ignored := r.admit(kind)
	if ignored > 0 {
		logTrackLimit(r.log, ignored, "recording: track not recorded: too many tracks", "record_id", r.id, "identity", t.Identity,
			"source", t.Source, "kind", kind, "max_live", r.maxLive, "max_total", r.maxTotal, "ignored", ignored)
	}
	if n == 0 {
		return
	}
	tf := &trackFile{Identity: t.Identity, Name: t.Name, Source: t.Source, Kind: kind}
	var w rtpWriter
	var err error
	if kind == "video" {
		// RTP timestamps kept as they are (90 kHz), so ffmpeg sees when each frame came.
		tf.File = fmt.Sprintf("track%02d.ivf", n)
		var f *os.File
		if f, err = os.OpenFile(filepath.Join(r.dir, tf.File), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600); err == nil {
			if w, err = newVideoWriter(f, t.Remote.Codec().MimeType); err != nil {
				f.Close()
			}
		}
	} else {
		tf.File = fmt.Sprintf("track%02d.ogg", n)
		w, err = oggwriter.New(filepath.Join(r.dir, tf.File), 48000, 2)
	}
	if err != nil {
		r.log.Warn("recording: track skipped", "record_id", r.id, "identity", t.Identity, "source", t.Source, "err", err)
		r.ended(kind)
		return
	}
	r.log.Debug("recording track", "record_id", r.id, "identity", t.Identity, "source", t.Source, "codec", mime, "file", tf.File)
	var rt *recTrack
	if r.composer != nil {
		rt = &recTrack{t: t, kind: kind}
		r.composer.add(rt)
	}
	go r.write(t, tf, w, rt)
}

// recordsCamera says whether a participant's camera is recorded, from their participant
// metadata: not if their user_metadata.record_webcam is false, nor, with the room's
// recording_features.only_record_admin_webcams, if they are not an admin.
func (r *recording) recordsCamera(metadata string) bool {
	var md meet.ParticipantMetadata
	if err := json.Unmarshal([]byte(metadata), &md); err != nil {
		return !r.onlyAdminCams // no metadata of meetd's: not a user of the room
	}
	return md.RecordWebcam && (md.IsAdmin || !r.onlyAdminCams)
}

// admit numbers a new track of kind, to be written until ended(kind); 0 when the recording has
// stopped or a track limit is reached, with ignored the count of tracks refused for the limits
// (this one included).
func (r *recording) admit(kind string) (n, ignored int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	select {
	case <-r.stopped:
		return 0, 0
	default:
	}
	if r.n >= r.maxTotal || r.live[kind] >= r.maxLive {
		r.ignored++
		return 0, r.ignored
	}
	r.n++
	r.live[kind]++
	r.wg.Add(1)
	return r.n, 0
}

// ended counts a track of kind as no longer written.
func (r *recording) ended(kind string) {
	r.mu.Lock()
	r.live[kind]--
	r.mu.Unlock()
	r.wg.Done()
}

// trackKind is "video" or "audio" for the codecs recorded and broadcast; "" for others.
func trackKind(mime string) string {
	switch strings.ToLower(mime) {
	case strings.ToLower(webrtc.MimeTypeVP8), strings.ToLower(webrtc.MimeTypeVP9), strings.ToLower(webrtc.MimeTypeAV1),
		strings.ToLower(webrtc.MimeTypeH264):
		return "video"
	case strings.ToLower(webrtc.MimeTypeOpus):
		return "audio"
	}
	return ""
}

// logTrackLimit logs a track ignored for the track limits: the first one of a recording or
// broadcast as a warning, the others (a loop of publications) at debug level only.
func logTrackLimit(log interface {
	Warn(string, ...any)
	Debug(string, ...any)
}, n int, msg string, args ...any) {
	if n == 1 {
		log.Warn(msg, args...)
	} else {
		log.Debug(msg, args...)
	}
}

// write copies the track's packets into its file until the track ends.
func (r *recording) write(t media.SubscribedTrack, tf *trackFile, w rtpWriter, rt *recTrack) {
	defer r.ended(tf.Kind)
	if rt != nil {
		defer func() {
			rt.end()
			r.composer.signal()
		}()
	}
	video := tf.Kind == "video"
	vp8 := strings.EqualFold(t.Remote.Codec().MimeType, webrtc.MimeTypeVP8)
	started := !video || !vp8 // VP8 starts at a key frame; ivfwriter drops what comes before
	if video {
		t.KeyFrame()
	}
	var last time.Time
	var packets, seen int64
	var audioEnd uint32
	lastPLI := time.Now()
	for {
		p, _, err := t.Remote.ReadRTP()
		if err != nil {
			r.log.Debug("recording: track ended", "record_id", r.id, "file", tf.File, "packets_seen", seen, "written", packets, "err", err)
			break
		}
		seen++
		if padding(p) {
			continue // the SFU's bandwidth probes
		}
		now := time.Now()
		if !started && isVP8KeyFrameStart(p) {
			started = true
		}
		if !started {
			if now.Sub(lastPLI) > time.Second {
				t.KeyFrame()
				lastPLI = now
			}
			continue
		}
		if rt != nil {
			rt.push(p, now)
		}
		if packets == 0 {
			tf.StartMS = now.Sub(r.start).Milliseconds()
			if rt != nil {
				r.composer.trackStarted(tf)
			}
		} else if !video {
			fillSilence(w, p, audioEnd)
		}
		if !video {
			audioEnd = opusEnd(p)
		}
		if err := w.WriteRTP(p); err != nil {
			r.log.Warn("recording: write track", "record_id", r.id, "file", tf.File, "err", err)
			continue
		}
		packets++
		last = now
	}
	if err := w.Close(); err != nil {
		r.log.Warn("recording: close track", "record_id", r.id, "file", tf.File, "err", err)
	}
	if packets == 0 {
		os.Remove(filepath.Join(r.dir, tf.File))
		return
	}
	tf.EndMS, tf.Packets = last.Sub(r.start).Milliseconds(), packets
	r.mu.Lock()
	r.tracks = append(r.tracks, tf)
	r.mu.Unlock()
}

// opusSilence is one 20 ms Opus frame of silence.
var opusSilence = []byte{0xf8, 0xff, 0xfe}

// fillSilence writes silence for a gap in an audio track's RTP timestamps: a muted or quiet
// microphone (DTX) sends nothing, and an OGG file has no timestamps of its own, so without this
// the voice after a pause would come too early. end is where the previous packet's audio ended.
func fillSilence(w rtpWriter, p *rtp.Packet, end uint32) {
	const frame = 960 // 20 ms at 48 kHz
	gap := p.Timestamp - end
	if gap < frame || gap > 48000*3600 {
		return // no gap, or a reordered or reset stream
	}
	for n := gap / frame; n > 0; n-- {
		_ = w.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: p.PayloadType, SSRC: p.SSRC, Timestamp: end}, Payload: opusSilence})
		end += frame
	}
}

// opusEnd is the RTP timestamp where an Opus packet's audio ends (RFC 6716 §3.1: the TOC byte
// gives the frame size and the frame count).
func opusEnd(p *rtp.Packet) uint32 {
	samples := uint32(960)
	if len(p.Payload) > 0 {
		toc := p.Payload[0]
		config := toc >> 3
		var frame uint32 // in 1/48 ms
		switch {
		case config < 12:
			frame = []uint32{480, 960, 1920, 2880}[config%4]
		case config < 16:
			frame = []uint32{480, 960}[config%2]
		default:
			frame = []uint32{120, 240, 480, 960}[config%4]
		}
		count := uint32(1)
		switch toc & 3 {
		case 1, 2:
			count = 2
		case 3:
			if len(p.Payload) > 1 {
				count = uint32(p.Payload[1] & 0x3f)
			}
		}
		if n := frame * count; n > 0 && n <= 5760 {
			samples = n
		}
	}
	return p.Timestamp + samples
}

// padding reports whether p carries no media: LiveKit probes bandwidth with padding-only packets.
func padding(p *rtp.Packet) bool {
	if len(p.Payload) == 0 {
		return true
	}
	if !p.Padding {
		return false
	}
	for _, b := range p.Payload {
		if b != 0 {
			return false
		}
	}
	return true
}

func isVP8KeyFrameStart(p *rtp.Packet) bool {
	var vp8 codecs.VP8Packet
	payload, err := vp8.Unmarshal(p.Payload)
	return err == nil && vp8.S == 1 && vp8.PID == 0 && len(payload) > 0 && payload[0]&0x01 == 0
}

// manifest describes a stopped recording: what the composition needs, saved next to the tracks
// so that a recording stopped just before a crash is still composed.
type manifest struct {
	RecordID    string       `json:"record_id"`
	RoomID      string       `json:"room_id"`
	SID         string       `json:"sid"`
	RoomCreated time.Time    `json:"room_created"`
	Start       time.Time    `json:"start"`
	DurationMS  int64        `json:"duration_ms"`
	Canvas      Canvas       `json:"canvas"` // zero in a manifest of before: DefaultCanvas
	Tracks      []*trackFile `json:"tracks"`
	// Live is what the live composition made (doc/decisions/0012-live-composition.md); nil:
	// the recording is composed from its tracks.
	Live *liveState `json:"live,omitempty"`
}

func (m *manifest) Duration() time.Duration { return time.Duration(m.DurationMS) * time.Millisecond }

func (r *recording) manifest(end time.Time) *manifest {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := &manifest{RecordID: r.id, RoomID: r.roomID, SID: r.sid, RoomCreated: r.roomCreated, Start: r.start,
		DurationMS: end.Sub(r.start).Milliseconds(), Canvas: r.canvas, Tracks: append([]*trackFile(nil), r.tracks...)}
	for _, t := range m.Tracks {
		t.EndMS = min(t.EndMS, m.DurationMS)
	}
	return m
}

const manifestName = "manifest.json"

func (m *manifest) save(dir string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, manifestName+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, manifestName))
}

func loadManifest(dir string) (*manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, manifestName))
	if err != nil {
		return nil, err
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for _, t := range m.Tracks {
		if t.File != filepath.Base(t.File) || strings.HasPrefix(t.File, ".") {
			return nil, fmt.Errorf("bad track file name %q", t.File)
		}
	}
	return &m, nil
}
