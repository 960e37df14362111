package recorder

import (
	"strings"
	"testing"

	"github.com/pion/rtp"
)

func TestOpusEnd(t *testing.T) {
	for _, c := range []struct {
		payload []byte
		want    uint32
	}{
		{[]byte{0xf8, 0xff, 0xfe}, 960},  // CELT 20 ms, one frame
		{[]byte{0x78, 0x00}, 960},        // hybrid 20 ms
		{[]byte{0x18, 0x00}, 2880},       // SILK 60 ms
		{[]byte{0xf9, 0x00}, 1920},       // CELT 20 ms, two frames
		{[]byte{0xfb, 0x03, 0x00}, 2880}, // CELT 20 ms, three frames (code 3)
		{nil, 960},
	} {
		if got := opusEnd(&rtp.Packet{Header: rtp.Header{Timestamp: 1000}, Payload: c.payload}) - 1000; got != c.want {
			t.Errorf("% x: %d samples, want %d", c.payload, got, c.want)
		}
	}
}

type countWriter struct{ ts []uint32 }

func (w *countWriter) WriteRTP(p *rtp.Packet) error { w.ts = append(w.ts, p.Timestamp); return nil }
func (w *countWriter) Close() error                 { return nil }

func TestFillSilence(t *testing.T) {
	for _, c := range []struct {
		name     string
		end, ts  uint32
		want     int
		firstGap uint32
	}{
		{"contiguous", 1000, 1000, 0, 0},
		{"less than a frame", 1000, 1500, 0, 0},
		{"100 ms pause", 1000, 1000 + 5*960, 5, 1000},
		{"across the wrap", 0xffffff00, 3*960 - 0x100, 3, 0xffffff00},
		{"reordered", 5000, 4000, 0, 0},
	} {
		w := &countWriter{}
		fillSilence(w, &rtp.Packet{Header: rtp.Header{Timestamp: c.ts}}, c.end)
		if len(w.ts) != c.want || (c.want > 0 && w.ts[0] != c.firstGap) {
			t.Errorf("%s: wrote %v, want %d frames from %d", c.name, w.ts, c.want, c.firstGap)
		}
	}
}

func TestLayout(t *testing.T) {
	cam := func(id string) *trackFile { return &trackFile{Identity: id, Source: "CAMERA", Kind: "video"} }
	a, b, a2 := cam("a"), cam("b"), cam("a")
	got := layout([]*trackFile{a, b, a2}, DefaultCanvas)
	if got[a] != (rect{0, 0, 640, 720}) || got[b] != (rect{640, 0, 640, 720}) || got[a2] != got[a] {
		t.Errorf("two cameras (a twice): %v", got)
	}
	screen := &trackFile{Identity: "b", Source: "SCREEN_SHARE", Kind: "video"}
	got = layout([]*trackFile{a, b, screen}, DefaultCanvas)
	if s := got[screen]; s.W < 900 || s.X != 0 {
		t.Errorf("the screen share is not large on the left: %v", s)
	}
	if got[a].X < 900 || got[b].X < 900 || got[a].Y == got[b].Y {
		t.Errorf("the cameras are not in a column on the right: %v %v", got[a], got[b])
	}
}

func TestComposeArgsPlacesTracksInTime(t *testing.T) {
	m := &manifest{RecordID: "REC_x", DurationMS: 10000, Tracks: []*trackFile{
		{File: "track01.ivf", Kind: "video", Identity: "a", Source: "CAMERA", StartMS: 0, EndMS: 10000},
		{File: "track02.ivf", Kind: "video", Identity: "b", Source: "CAMERA", StartMS: 5000, EndMS: 8000},
		{File: "track03.ogg", Kind: "audio", Identity: "b", Source: "MICROPHONE", StartMS: 5000, EndMS: 8000},
	}}
	args := strings.Join(composeArgs("/data/recordings/REC_x", m, "/data/recordings/REC_x/out.mp4"), " ")
	for _, want := range []string{
		"setpts=PTS-STARTPTS+5.000/TB", "between(t,5.000,8.100)", "adelay=5000|5000",
		"-t 10.000", "-c:v libx264", "-c:a aac", "-i /data/recordings/REC_x/track02.ivf",
	} {
		if !strings.Contains(args, want) {
			t.Errorf("ffmpeg arguments lack %q:\n%s", want, args)
		}
	}
}

// The canvas sets the composition's size, frame rate, key frame interval and bit rate.
func TestCanvas(t *testing.T) {
	for _, c := range []Canvas{{159, 90, 25}, {1280, 721, 25}, {1280, 720, 4}, {1280, 720, 61}, {3842, 2160, 25}} {
		if c.Validate() == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	small := Canvas{W: 640, H: 360, FPS: 15}
	if err := small.Validate(); err != nil {
		t.Fatal(err)
	}
	if (Canvas{}).orDefault() != DefaultCanvas || small.orDefault() != small {
		t.Error("orDefault")
	}
	if k := DefaultCanvas.videoKbps(); k != 2500 {
		t.Errorf("720p25: %d kb/s", k)
	}
	if k := small.videoKbps(); k != 375 {
		t.Errorf("360p15: %d kb/s", k)
	}
	enc := strings.Join(liveEncode(small), " ")
	for _, want := range []string{"-g 15 ", "-keyint_min 15 ", "-r 15 ", "-maxrate 375k ", "-bufsize 750k "} {
		if !strings.Contains(enc, want) {
			t.Errorf("liveEncode(360p15) lacks %q: %s", want, enc)
		}
	}
	m := &manifest{DurationMS: 5000, Canvas: small, Tracks: []*trackFile{{File: "a.ivf", Kind: "video", Identity: "a", Source: "CAMERA", EndMS: 5000}}}
	if args := strings.Join(composeArgs("/d", m, "/d/out.mp4"), " "); !strings.Contains(args, "s=640x360:r=15") || !strings.Contains(args, "scale=640:360") {
		t.Errorf("composeArgs at 360p15: %s", args)
	}
}
