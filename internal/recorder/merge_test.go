package recorder

import (
	"context"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// makeMP4 writes a test MP4 of secs seconds: H.264 testsrc at size and a sine, AAC 48 kHz stereo,
// as meetd's compositions are.
func makeMP4(t *testing.T, path string, secs float64, size string) {
	t.Helper()
	d := strconv.FormatFloat(secs, 'f', 3, 64)
	cmd := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc=size="+size+":rate=25:duration="+d,
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration="+d,
		"-ac", "2", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-ar", "48000", "-shortest", "-f", "mp4", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make %s: %v\n%s", path, err, out)
	}
}

// needFFmpeg skips the test without ffmpeg, except in CI, which installs it.
func needFFmpeg(t *testing.T) {
	for _, c := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(c); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is needed", c)
			}
			t.Skipf("%s is not installed", c)
		}
	}
}

// The merge joins MP4s in order into one whose media lasts as long as the inputs together: with
// stream copy when the inputs match, re-encoded when they do not. The durations are media
// durations (ffprobe), not time measured.
func TestConcat(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a.mp4"), filepath.Join(dir, "b.mp4"), filepath.Join(dir, "c.mp4")
	makeMP4(t, a, 1, "320x240")
	makeMP4(t, b, 2, "320x240")
	makeMP4(t, c, 1, "160x120")
	s := &Service{ffmpeg: "ffmpeg", ffprobe: "ffprobe", log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		inputs []string
		want   float64
		copied bool
	}{
		{"same formats", []string{a, b}, 3, true},
		{"different sizes", []string{b, c, a}, 4, false},
	} {
		out := filepath.Join(dir, tc.name+".mp4")
		copied, err := s.concat(ctx, tc.inputs, out)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if copied != tc.copied {
			t.Errorf("%s: stream copy %v, want %v", tc.name, copied, tc.copied)
		}
		m, err := s.probe(ctx, out)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := m.duration().Seconds(); math.Abs(got-tc.want) > 0.25 {
			t.Errorf("%s: merged file lasts %.3f s, want %.0f s", tc.name, got, tc.want)
		}
		if !m.has("video") || !m.has("audio") {
			t.Errorf("%s: merged file streams %+v", tc.name, m.Streams)
		}
		if _, err := os.Stat(out + ".part"); !os.IsNotExist(err) {
			t.Errorf("%s: the partial file is left: %v", tc.name, err)
		}
	}

	// an input that is not media: no output, no partial file
	bad := filepath.Join(dir, "bad.mp4")
	if err := os.WriteFile(bad, []byte("not a video"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "failed.mp4")
	if _, err := s.concat(ctx, []string{a, bad}, out); err == nil {
		t.Fatal("a merge with a broken input succeeded")
	}
	for _, p := range []string{out, out + ".part"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("failed merge left %s", filepath.Base(p))
		}
	}
}
