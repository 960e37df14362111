package recorder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"

	"meetd/internal/auth"
	"meetd/internal/meet"
)

// The time line takes each epoch's one-second chunks from the second it shows everything until
// the next epoch takes over (cut there), the last one's until the stop; epochs that never showed
// are skipped; a hole between epochs sends the recording to the composition from its tracks.
func TestTimeline(t *testing.T) {
	chunks := func(n map[string]int, short map[string]float64) (func(string) bool, func(string) (float64, error)) {
		exists := func(name string) bool {
			prefix, num, _ := strings.Cut(strings.TrimSuffix(name, ".ts"), "_")
			k, _ := strconv.Atoi(num)
			return k < n[prefix]
		}
		durOf := func(name string) (float64, error) {
			if d, ok := short[name]; ok {
				return d, nil
			}
			return 1, nil
		}
		return exists, durOf
	}
	epochs := []epoch{
		{Prefix: "e000", StartMS: 700, FromMS: 2700},
		{Prefix: "e001", StartMS: 2000, FromMS: -1}, // replaced before it showed
		{Prefix: "e002", StartMS: 5600, FromMS: 6600},
	}
	exists, durOf := chunks(map[string]int{"e000": 7, "e001": 1, "e002": 5}, map[string]float64{"e002_00004.ts": 0.55})
	head, pieces, end, err := timeline(epochs, 10200, exists, durOf)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pieces {
		got = append(got, fmt.Sprintf("%s@%g", p.File, p.Outpoint))
	}
	// e000: chunks 2..5 cover 2700..6700, cut at 6600 (0.9 s into chunk 5); e002: chunks 1..4, the
	// last one short.
	want := "e000_00002.ts@0 e000_00003.ts@0 e000_00004.ts@0 e000_00005.ts@0.9 e002_00001.ts@0 e002_00002.ts@0 e002_00003.ts@0 e002_00004.ts@0"
	if head != 2700 || strings.Join(got, " ") != want || end != 10150 {
		t.Errorf("head %d end %d pieces\n%s\nwant head 2700 end 10150\n%s", head, end, strings.Join(got, " "), want)
	}

	// The last epoch's chunk is cut at the stop.
	exists, durOf = chunks(map[string]int{"e000": 7, "e002": 6}, nil)
	if _, pieces, end, err = timeline(epochs, 9300, exists, durOf); err != nil || end != 9300 || pieces[len(pieces)-1].Outpoint != 0.7 {
		t.Errorf("cut at the stop: end %d, pieces %v, %v", end, pieces, err)
	}

	// e000 ended at 4700 ms; e002 shows from 6600: a hole.
	exists, durOf = chunks(map[string]int{"e000": 4, "e002": 5}, nil)
	if _, _, _, err := timeline(epochs, 10200, exists, durOf); !errors.Is(err, errGap) {
		t.Errorf("a hole: %v, want errGap", err)
	}
	// No epoch ever showed.
	if _, _, _, err := timeline([]epoch{{Prefix: "e000", StartMS: 500, FromMS: -1}}, 10200, exists, durOf); !errors.Is(err, errGap) {
		t.Errorf("no epoch: %v, want errGap", err)
	}
}

// makeChunks writes an epoch's one-second chunks as the live composition does (liveEncode,
// segment muxer): secs seconds of one colour and a tone.
func makeChunks(t *testing.T, dir, prefix, color string, secs int) {
	t.Helper()
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", fmt.Sprintf("color=c=%s:s=%dx%d:r=%d:d=%d", color, DefaultCanvas.W, DefaultCanvas.H, DefaultCanvas.FPS, secs),
		"-f", "lavfi", "-i", fmt.Sprintf("sine=frequency=440:sample_rate=48000:duration=%d", secs)}
	args = append(args, liveEncode(DefaultCanvas)...)
	args = append(args, "-f", "segment", "-segment_time", "1", "-segment_format", "mpegts", filepath.Join(dir, prefix+"_%05d.ts"))
	if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("chunks: %v\n%s", err, out)
	}
}

// makeTrack writes a VP8 track file of one colour, as the recorder writes them.
func makeTrack(t *testing.T, path, color string, secs int) {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", fmt.Sprintf("color=c=%s:s=320x240:r=25:d=%d", color, secs),
		"-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-g", "25", path).CombinedOutput()
	if err != nil {
		t.Fatalf("track: %v\n%s", err, out)
	}
}

// colourAt is the mean colour (r, g, b) of the frame at second at.
func colourAt(t *testing.T, path string, at float64) [3]int {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-ss", secs(at), "-i", path,
		"-frames:v", "1", "-vf", "scale=1:1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-").Output()
	if err != nil || len(out) != 3 {
		t.Fatalf("frame at %.1f s: %v (%d bytes)", at, err, len(out))
	}
	return [3]int{int(out[0]), int(out[1]), int(out[2])}
}

func mediaDuration(t *testing.T, s *Service, path string) float64 {
	t.Helper()
	v, err := s.probeTimes(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return v[1]
}

// liveFolder lays out a recording made live: a red camera from 0.2 s (its track file), a first
// epoch (red) from 0.5 s shown from 1.5 s, a second (blue) from 4 s shown from 5 s, stopped at
// 8.4 s. The chunks of the first epoch go on past the second's start, as they do while the
// second one starts.
func liveFolder(t *testing.T, dir string) *liveState {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	makeTrack(t, filepath.Join(dir, "track01.ivf"), "green", 9)
	makeChunks(t, dir, "e000", "red", 6)
	makeChunks(t, dir, "e001", "blue", 5)
	return &liveState{RecordID: filepath.Base(dir), RoomID: "r1", SID: "RM_s",
		Epochs: []epoch{{Prefix: "e000", StartMS: 500, FromMS: 1500, Videos: 1}, {Prefix: "e001", StartMS: 4000, FromMS: 5000, Videos: 1}},
		Tracks: []*trackFile{{File: "track01.ivf", Kind: "video", Identity: "u1", Source: "CAMERA", StartMS: 200, EndMS: -1}}}
}

// At stop, the chunks are joined after a start composed from the track files: the MP4 lasts as
// long as the recording, and each part shows at its time.
func TestFinishLive(t *testing.T) {
	needFFmpeg(t)
	s := quietService(t)
	dir := filepath.Join(s.dir, "REC_live")
	st := liveFolder(t, dir)
	m := &manifest{RecordID: "REC_live", DurationMS: 8400, Live: st, Tracks: st.Tracks}
	st.Tracks[0].EndMS = 8400
	out := filepath.Join(dir, "out.mp4")
	if _, err := s.finishLive(context.Background(), dir, m, out); err != nil {
		t.Fatal(err)
	}
	if d := mediaDuration(t, s, out); math.Abs(d-8.4) > 0.2 {
		t.Errorf("duration %.2f s, want 8.4", d)
	}
	for _, c := range []struct {
		at   float64
		want string
	}{{0.1, "grey"}, {1, "green"}, {2, "red"}, {4.5, "red"}, {5.5, "blue"}, {8.2, "blue"}} {
		if got := colourName(colourAt(t, out, c.at)); got != c.want {
			t.Errorf("at %.1f s: %s, want %s", c.at, got, c.want)
		}
	}
}

func colourName(c [3]int) string {
	switch {
	case c[0] > 150 && c[1] < 80 && c[2] < 80:
		return "red"
	case c[2] > 150 && c[0] < 80 && c[1] < 80:
		return "blue"
	case c[1] > 60 && c[0] < 60 && c[2] < 60:
		return "green" // a green cell on the dark canvas
	case c[0] < 60 && c[1] < 60 && c[2] < 60 && c[0] > 15:
		return "grey"
	}
	return fmt.Sprint(c)
}

// After a crash during a recording (no manifest.json, only live.json and the chunks), the next
// start finishes a playable MP4 of everything up to the crash and registers it.
func TestRecoverLive(t *testing.T) {
	needFFmpeg(t)
	root := t.TempDir()
	st := &fakeStore{files: map[string]File{}}
	s, err := New(st, nil, nil, root, auth.Keys{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "REC_crash")
	ls := liveFolder(t, dir)
	if err := ls.save(dir); err != nil {
		t.Fatal(err)
	}
	// A folder whose live composition had failed is composed from its tracks.
	dir2 := filepath.Join(root, "REC_failed")
	ls2 := liveFolder(t, dir2)
	ls2.Failed = "ffmpeg stopped"
	if err := ls2.save(dir2); err != nil {
		t.Fatal(err)
	}
	if err := s.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	s.Close(ctx)
	var ids []string
	for _, e := range st.events() {
		if e.Event != meet.EventRecordingProceeded {
			t.Errorf("event %s", e.Event)
		}
		ids = append(ids, e.RecordingInfo.RecordID)
	}
	if len(ids) != 2 {
		t.Fatalf("recording_proceeded for %v, want REC_crash and REC_failed", ids)
	}
	// REC_crash: the chunks end at 9 s (e001 from 4 s, five chunks).
	f := st.files["REC_crash"]
	path := filepath.Join(dir, f.FileName)
	if d := mediaDuration(t, s, path); math.Abs(d-9) > 0.2 || math.Abs(f.Duration.Seconds()-9) > 0.2 {
		t.Errorf("REC_crash: media %.2f s, listed %v; want 9 s", d, f.Duration)
	}
	if got := colourName(colourAt(t, path, 8.5)); got != "blue" {
		t.Errorf("REC_crash at 8.5 s: %s, want blue", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 { // the MP4 and the manifest
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("REC_crash's folder holds %v", names)
	}
	// REC_failed: composed from the green track, 0.2 s + 9 s.
	f = st.files["REC_failed"]
	path = filepath.Join(dir2, f.FileName)
	if d := mediaDuration(t, s, path); math.Abs(d-9.2) > 0.3 {
		t.Errorf("REC_failed: media %.2f s, want 9.2", d)
	}
	if got := colourName(colourAt(t, path, 6)); got != "green" {
		t.Errorf("REC_failed at 6 s: %s, want green (composed from the track)", got)
	}
}

// An H.264 track (RTP packets as a publisher sends them) is written into IVF that ffmpeg decodes,
// from its first key frame, with its timing.
func TestH264Track(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	raw := filepath.Join(dir, "in.h264")
	out, err := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=c=red:s=320x240:r=25:d=4",
		"-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-bsf:v", "h264_metadata=aud=insert", "-f", "h264", raw).CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	stream, _ := os.ReadFile(raw)
	aud := []byte{0, 0, 0, 1, 9}
	var frames [][]byte
	for _, p := range strings.Split(string(stream), string(aud))[1:] {
		frames = append(frames, append(append([]byte(nil), aud...), p...))
	}
	path := filepath.Join(dir, "track.ivf")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := newVideoWriter(f, "video/H264")
	if err != nil {
		t.Fatal(err)
	}
	pay := &codecs.H264Payloader{}
	seq := uint16(0)
	for i, fr := range frames[10:] { // from the middle of a GOP: written from the next key frame
		payloads := pay.Payload(1200, fr)
		for j, pl := range payloads {
			seq++
			p := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(1000 + i*3600), Marker: j == len(payloads)-1}, Payload: pl}
			if err := w.WriteRTP(p); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	res, err := exec.Command("ffprobe", "-v", "error", "-count_frames", "-select_streams", "v", "-show_entries", "stream=codec_name,width,nb_read_frames",
		"-of", "csv=p=0", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	// 100 frames, 90 written from the 11th; the first key frame after it is frame 25: 75 frames.
	if got := strings.TrimSpace(string(res)); got != "h264,320,75" {
		t.Errorf("ffprobe: %q, want h264,320,75", got)
	}
	if c := colourAt(t, path, 1); c[0] < 150 {
		t.Errorf("frame at 1 s: %v, want red", c)
	}
}
