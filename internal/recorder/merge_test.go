package recorder

import (
	"context"
	"io"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meet"
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

// fakeStore keeps recordings in memory, for the merge's bookkeeping.
type fakeStore struct {
	Store // the rest is not called
	mu    sync.Mutex
	files map[string]File
	saved []meet.Event
}

func (f *fakeStore) RunningSessions(context.Context) ([]*meet.Session, error) { return nil, nil }

func (f *fakeStore) Recording(_ context.Context, id string) (*File, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.files[id]; ok {
		return &r, nil
	}
	return nil, nil
}

func (f *fakeStore) SaveRecording(_ context.Context, r File, event func(*meet.Session) meet.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.files[r.RecordID] = r
	f.saved = append(f.saved, event(&meet.Session{SID: r.SID, RoomID: r.RoomID}))
	return nil
}

func (f *fakeStore) events() []meet.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.saved)
}

// A merge that meetd's stop interrupted is stored in its folder (merge.json) and runs again at
// the next start; one that fails leaves no folder and announces nothing.
func TestMergeRecoveredAndFailed(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	st := &fakeStore{files: map[string]File{}}
	s, err := New(st, nil, nil, dir, auth.Keys{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"REC_a", "REC_b"} {
		if err := os.MkdirAll(filepath.Join(dir, id), 0o700); err != nil {
			t.Fatal(err)
		}
		makeMP4(t, filepath.Join(dir, id, id+".mp4"), 1, "160x120")
	}
	job := func(id string, inputs ...string) {
		j := &mergeJob{RecordID: id, RoomID: "r1", SID: "RM_s"}
		for _, in := range inputs {
			j.Inputs = append(j.Inputs, mergeInput{RecordID: in, File: in + ".mp4"})
		}
		if err := os.MkdirAll(filepath.Join(dir, id), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := j.save(filepath.Join(dir, id)); err != nil {
			t.Fatal(err)
		}
	}
	job("REC_merged", "REC_a", "REC_b")
	job("REC_failed", "REC_a", "REC_gone")
	if err := s.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.Close(ctx) // waits for the merges

	ev := st.events()
	if len(ev) != 1 || ev[0].Event != meet.EventRecordingProceeded || ev[0].RecordingInfo.RecordID != "REC_merged" {
		t.Fatalf("events %+v, want one recording_proceeded of REC_merged", ev)
	}
	if f := st.files["REC_merged"]; math.Abs(f.Duration.Seconds()-2) > 0.25 || f.FileName != "REC_merged.mp4" {
		t.Errorf("merged recording %+v", f)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "REC_merged"))
	if len(entries) != 1 || entries[0].Name() != "REC_merged.mp4" {
		t.Errorf("the merged recording's folder holds %v", entries)
	}
	if _, err := os.Stat(filepath.Join(dir, "REC_failed")); !os.IsNotExist(err) {
		t.Errorf("the failed merge left its folder: %v", err)
	}
}
