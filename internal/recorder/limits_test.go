package recorder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meet"
)

func quietService(t *testing.T) *Service {
	s, err := New(nil, nil, nil, t.TempDir(), auth.Keys{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// fakeDNS answers from a table, and fails for names it does not know.
func fakeDNS(table map[string][]string) lookupHost {
	return func(_ context.Context, host string) ([]netip.Addr, error) {
		list, ok := table[host]
		if !ok {
			return nil, fmt.Errorf("lookup %s: no such host", host)
		}
		var out []netip.Addr
		for _, a := range list {
			out = append(out, netip.MustParseAddr(a))
		}
		return out, nil
	}
}

// RTMP targets: by default only public hosts on 1935 or 443, every address a name resolves to
// checked; rtmp.allowed_hosts opens hosts (any port) by name, address or network.
func TestRTMPTargets(t *testing.T) {
	dns := fakeDNS(map[string][]string{
		"a.rtmp.youtube.com": {"142.250.1.1", "2a00:1450:4001::1"},
		"live.example.com":   {"93.184.216.34"},
		"mixed.example.com":  {"93.184.216.34", "10.0.0.7"},
		"meta.example.com":   {"169.254.169.254"},
		"rebind.example.com": {"127.0.0.1"},
		"lab.example.com":    {"10.1.2.3"},
		"half.example.com":   {"10.1.2.3", "10.2.0.1"},
		"localhost":          {"127.0.0.1", "::1"},
	})
	for _, c := range []struct {
		allowed []string
		url     string
		want    string // "" = accepted; else a part of the error
	}{
		{nil, "rtmp://a.rtmp.youtube.com/live2/KEY", ""},
		{nil, "RTMP://a.rtmp.youtube.com/live2/KEY", ""},
		{nil, "rtmps://live.example.com/app/KEY", ""},
		{nil, "rtmp://live.example.com:443/app/KEY", ""},
		{nil, "rtmp://93.184.216.34/app/KEY", ""},
		{nil, "rtmp://[2606:4700::1111]/app/KEY", ""},
		{nil, "rtmp://127.0.0.1:19351/live/STREAMKEY-abc123", "public host"},
		{nil, "rtmp://127.0.0.1/live/KEY", "public host"},
		{nil, "rtmp://localhost/live/KEY", "public host"},
		{nil, "rtmp://[::1]/live/KEY", "public host"},
		{nil, "rtmp://[::ffff:127.0.0.1]/live/KEY", "public host"},
		{nil, "rtmp://10.0.0.1/live/KEY", "public host"},
		{nil, "rtmp://172.16.5.4/live/KEY", "public host"},
		{nil, "rtmp://192.168.1.1/live/KEY", "public host"},
		{nil, "rtmp://169.254.169.254/live/KEY", "public host"},
		{nil, "rtmp://100.100.100.200/live/KEY", "public host"},
		{nil, "rtmp://100.64.0.1/live/KEY", "public host"},
		{nil, "rtmp://0.0.0.0/live/KEY", "public host"},
		{nil, "rtmp://[fd00:ec2::254]/live/KEY", "public host"},
		{nil, "rtmp://[fe80::1%25eth0]/live/KEY", "public host"},
		{nil, "rtmp://[64:ff9b::a00:1]/live/KEY", "public host"},  // NAT64 of 10.0.0.1
		{nil, "rtmp://[2002:7f00:1::1]/live/KEY", "public host"},  // 6to4 of 127.0.0.1
		{nil, "rtmp://[64:ff9b::5db8:d822]/live/KEY", ""},         // NAT64 of 93.184.216.34
		{nil, "rtmp://mixed.example.com/live/KEY", "public host"}, // every address counts
		{nil, "rtmp://meta.example.com/live/KEY", "public host"},
		{nil, "rtmp://rebind.example.com/live/KEY", "public host"},
		{nil, "rtmp://nowhere.example.com/live/KEY", "cannot be resolved"},
		{nil, "rtmp://live.example.com:22/app/KEY", "port 1935 or 443"},
		{nil, "rtmp://93.184.216.34:8080/app/KEY", "port 1935 or 443"},
		// forms getaddrinfo reads as 127.0.0.1
		{nil, "rtmp://127.1/live/KEY", "DNS name or an IP address"},
		{nil, "rtmp://2130706433/live/KEY", "DNS name or an IP address"},
		{nil, "rtmp://0x7f.1/live/KEY", "DNS name or an IP address"},
		{nil, "rtmp://0x7f000001/live/KEY", "DNS name or an IP address"},
		{nil, "rtmp://live.example.com:99999/app/KEY", "port from 1 to 65535"},
		{nil, "RTMPT://live.example.com/app/KEY", "rtmp:// or rtmps://"},
		{nil, `rtmp://live.example.com\@127.0.0.1/app/KEY`, "rtmp:// or rtmps://"},
		{nil, "rtmp://live.example.com/app/KEY\x00", "rtmp:// or rtmps://"},
		// allowed by the configuration: any port
		{[]string{"127.0.0.1"}, "rtmp://127.0.0.1:19351/live/KEY", ""},
		{[]string{"127.0.0.1"}, "rtmp://[::1]:19351/live/KEY", "public host"},
		{[]string{"LocalHost"}, "rtmp://localhost:19351/live/KEY", ""},
		{[]string{"10.1.0.0/16"}, "rtmp://lab.example.com:1234/live/KEY", ""},
		{[]string{"10.1.0.0/16"}, "rtmp://half.example.com:1234/live/KEY", "public host"},
		{[]string{"10.1.0.0/16"}, "rtmp://live.example.com:1234/app/KEY", "port 1935 or 443"},
		{[]string{"10.0.0.7"}, "rtmp://mixed.example.com/live/KEY", ""}, // the public one on 1935
		{[]string{"*"}, "rtmp://127.0.0.1:22/live/KEY", ""},
		{[]string{"*"}, "rtmp://nowhere.example.com/live/KEY", ""},
	} {
		targets, err := parseRTMPTargets(c.allowed)
		if err != nil {
			t.Fatalf("%v: %v", c.allowed, err)
		}
		u, err := parseRTMPURL(c.url)
		if err == nil {
			err = targets.check(context.Background(), u, dns)
		}
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v %q refused: %v", c.allowed, c.url, err)
		case c.want != "" && err == nil:
			t.Errorf("%v %q accepted, want %q", c.allowed, c.url, c.want)
		case c.want != "" && (meet.CodeOf(err) != meet.CodeInvalidParameters || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v %q: %v, want INVALID_PARAMETERS with %q", c.allowed, c.url, err, c.want)
		case err != nil && strings.Contains(err.Error(), "KEY"):
			t.Errorf("%v %q: the error shows the stream key: %v", c.allowed, c.url, err)
		}
	}
	if _, err := parseRTMPTargets([]string{"10.0.0.0/33"}); err == nil {
		t.Error("a bad network is accepted")
	}
	if _, err := parseRTMPTargets([]string{"exa mple"}); err == nil {
		t.Error("a bad host name is accepted")
	}
}

// ffmpeg gets the URL with the scheme in lower case: "RTMP://" would be "Protocol not found".
func TestRTMPURLSchemeLowerCased(t *testing.T) {
	u, err := parseRTMPURL("RTMPS://Live.Example.com/App/KEY")
	if err != nil || u.raw != "rtmps://Live.Example.com/App/KEY" || u.host != "live.example.com" || u.port != 443 {
		t.Errorf("%+v %v", u, err)
	}
}

// The stream key never reaches end_rtmp's reason: ffmpeg's messages show scheme://host/<redacted>.
func TestRedactRTMP(t *testing.T) {
	for _, c := range []struct{ url, stderr, want string }{
		{"rtmp://127.0.0.1:19351/live/STREAMKEY-abc123",
			"[rtmp @ 0x55d] Cannot read RTMP handshake response\nrtmp://127.0.0.1:19351/live/STREAMKEY-abc123: End of file",
			"[rtmp @ 0x55d] Cannot read RTMP handshake response\nrtmp://127.0.0.1:19351/<redacted>: End of file"},
		{"rtmp://a.rtmp.youtube.com/live2/STREAMKEY-abc123",
			"[rtmp @ 0x1] Server error: stream STREAMKEY-abc123 refused, path /live2/STREAMKEY-abc123",
			"[rtmp @ 0x1] Server error: stream <redacted> refused, path <redacted>"},
		{"rtmps://live.example.com/app?token=STREAMKEY-abc123&x=1",
			"rtmps://live.example.com/app?token=STREAMKEY-abc123&x=1: Input/output error (token STREAMKEY-abc123)",
			"rtmps://live.example.com/<redacted>: Input/output error (token <redacted>)"},
		{"rtmp://user:STREAMKEY-abc123@live.example.com/app/x",
			"rtmp://user:STREAMKEY-abc123@live.example.com/app/x: Connection refused; auth STREAMKEY-abc123",
			"rtmp://live.example.com/<redacted>: Connection refused; auth <redacted>"},
	} {
		got := redactRTMP(c.stderr, c.url)
		if got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.url, got, c.want)
		}
		if strings.Contains(got, "STREAMKEY") {
			t.Errorf("the key shows: %q", got)
		}
	}
}

// The end_rtmp reason of a broadcast whose ffmpeg fails: ffmpeg (a script here) prints the URL,
// the reason has none of its path.
func TestRTMPFailureReasonRedacted(t *testing.T) {
	dir := t.TempDir()
	ffmpeg := filepath.Join(dir, "ffmpeg")
	script := "#!/bin/sh\nfor a; do last=$a; done\necho \"[rtmp @ 0x1] Cannot read RTMP handshake response\" >&2\necho \"$last: End of file\" >&2\nexit 1\n"
	if err := os.WriteFile(ffmpeg, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	s := quietService(t)
	s.ffmpeg = ffmpeg
	b := &broadcast{roomID: "r1", url: "rtmp://127.0.0.1:19351/live/STREAMKEY-abc123", log: s.log, maxLive: 2,
		changed: make(chan struct{}, 1), stopped: make(chan struct{}), joined: make(chan struct{}), done: make(chan struct{})}
	reason := s.runRTMPUntilFailure(t, b)
	if strings.Contains(reason, "STREAMKEY") || !strings.Contains(reason, "rtmp://127.0.0.1:19351/<redacted>: End of file") {
		t.Errorf("reason %q", reason)
	}
}

// runRTMPUntilFailure runs b's loop until ffmpeg fails and returns the reason it gives.
func (s *Service) runRTMPUntilFailure(t *testing.T, b *broadcast) string {
	t.Helper()
	reasons := make(chan string, 1)
	go s.runRTMP(b, func(reason string) { reasons <- reason })
	b.signal()
	select {
	case r := <-reasons:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("the broadcast did not fail")
		return ""
	}
}

// Tracks beyond the limits are ignored: maxLive of each kind at once, maxTotal files in all.
func TestRecordingTrackLimits(t *testing.T) {
	r := &recording{stopped: make(chan struct{}), live: map[string]int{}, maxLive: 2, maxTotal: 4}
	var got []int
	for _, kind := range []string{"video", "video", "video", "audio", "audio"} {
		n, _ := r.admit(kind)
		got = append(got, n)
	}
	if !slices.Equal(got, []int{1, 2, 0, 3, 4}) {
		t.Errorf("numbers %v, want [1 2 0 3 4] (the third video over the live limit)", got)
	}
	r.ended("video")
	if n, ignored := r.admit("video"); n != 0 || ignored != 2 {
		t.Errorf("a fifth track: %d (ignored %d), want 0: over the total", n, ignored)
	}
	r = &recording{stopped: make(chan struct{}), live: map[string]int{}, maxLive: 2, maxTotal: 10}
	r.admit("video")
	r.admit("video")
	r.ended("video")
	if n, _ := r.admit("video"); n != 3 {
		t.Errorf("a video after one ended: %d, want 3", n)
	}

	b := &broadcast{maxLive: 2}
	v1, v2, v3, a1 := &liveTrack{kind: "video"}, &liveTrack{kind: "video"}, &liveTrack{kind: "video"}, &liveTrack{kind: "audio"}
	if b.admit(v1) != 0 || b.admit(v2) != 0 || b.admit(a1) != 0 {
		t.Fatal("tracks under the limit refused")
	}
	if b.admit(v3) != 1 {
		t.Error("a third live video is broadcast")
	}
	v1.ended = true
	if b.admit(v3) != 0 {
		t.Error("a video after one ended is refused")
	}
}

// A change of tracks restarts a running broadcast at most once per gap.
func TestRestartDelay(t *testing.T) {
	gap := 5 * time.Second
	for _, c := range []struct {
		running bool
		since   time.Duration
		want    time.Duration
	}{
		{false, 0, 500 * time.Millisecond},
		{true, time.Second, 4 * time.Second},
		{true, 4900 * time.Millisecond, 500 * time.Millisecond},
		{true, time.Minute, 500 * time.Millisecond},
	} {
		if got := restartDelay(c.running, c.since, gap); got != c.want {
			t.Errorf("running %t, %s since the start: %s, want %s", c.running, c.since, got, c.want)
		}
	}
}

// manyTracks is a recording with n video tracks and n audio tracks.
func manyTracks(n int) *manifest {
	m := &manifest{RecordID: "REC_x", DurationMS: 60000}
	for i := 0; i < n; i++ {
		m.Tracks = append(m.Tracks,
			&trackFile{File: fmt.Sprintf("track%02d.ivf", 2*i+1), Kind: "video", Identity: fmt.Sprint("p", i), Source: "CAMERA", StartMS: int64(i), EndMS: 60000},
			&trackFile{File: fmt.Sprintf("track%02d.ogg", 2*i+2), Kind: "audio", Identity: fmt.Sprint("p", i), Source: "MICROPHONE", StartMS: int64(i), EndMS: 60000})
	}
	return m
}

// A long filter graph goes to ffmpeg in a file, with the option the installed version reads; no
// argument comes near MAX_ARG_STRLEN (128 KiB). A short one stays on the command line.
func TestLongFilterGraphFromFile(t *testing.T) {
	for _, c := range []struct {
		version int
		opt     string
	}{{5, "-filter_complex_script"}, {6, "-filter_complex_script"}, {7, "-/filter_complex"}, {99, "-/filter_complex"}} {
		s := quietService(t)
		s.versionOnce.Do(func() { s.version = c.version })
		dir := t.TempDir()
		file := filepath.Join(dir, graphFileName)
		args := composeArgs(dir, manyTracks(maxTotalTracks/2), filepath.Join(dir, "out.mp4"))
		graph := args[slices.Index(args, "-filter_complex")+1]
		if len(graph) <= inlineGraphMax {
			t.Fatalf("the graph of %d tracks is only %d bytes: not a test", maxTotalTracks, len(graph))
		}
		got, used, err := s.graphFromFile(args, file)
		if err != nil || !used {
			t.Fatalf("ffmpeg %d: used %t, %v", c.version, used, err)
		}
		i := slices.Index(got, c.opt)
		if i < 0 || got[i+1] != file || slices.Contains(got, "-filter_complex") {
			t.Errorf("ffmpeg %d: want %s %s in %q…", c.version, c.opt, file, got[:8])
		}
		for _, a := range got {
			if len(a) > inlineGraphMax {
				t.Errorf("ffmpeg %d: an argument of %d bytes", c.version, len(a))
			}
		}
		if b, err := os.ReadFile(file); err != nil || string(b) != graph {
			t.Errorf("ffmpeg %d: the file does not hold the graph: %v", c.version, err)
		}
		if len(got) != len(args) {
			t.Errorf("ffmpeg %d: %d arguments, want %d", c.version, len(got), len(args))
		}
	}
	s := quietService(t)
	dir := t.TempDir()
	args := composeArgs(dir, manyTracks(2), filepath.Join(dir, "out.mp4"))
	if got, used, _ := s.graphFromFile(args, filepath.Join(dir, graphFileName)); used || !slices.Equal(got, args) {
		t.Error("a short graph is not left on the command line")
	}
}

// The installed ffmpeg reads a long graph from the file as graphFromFile passes it.
func TestLongFilterGraphRuns(t *testing.T) {
	needFFmpeg(t)
	s := quietService(t)
	// filters between blank lines: ffmpeg reads the whole file, and the graph costs no time
	graph := "color=c=red:s=16x16:r=5:d=0.2" + strings.Repeat(",\n\n"+strings.Repeat(" ", 1000)+"null", 40) + "[v]"
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error", "-filter_complex", graph, "-map", "[v]",
		"-protocol_whitelist", fileProtocols, "-f", "null", "-"}
	args, used, err := s.graphFromFile(args, filepath.Join(t.TempDir(), graphFileName))
	if err != nil || !used {
		t.Fatalf("used %t, %v", used, err)
	}
	if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg %d: %v\n%s", s.ffmpegMajor(), err, out)
	}
}

func TestParseFFmpegMajor(t *testing.T) {
	for out, want := range map[string]int{
		"ffmpeg version 5.1.6-0+deb12u1 Copyright (c) 2000-2024": 5,
		"ffmpeg version 4.4.2-0ubuntu0.22.04.1 Copyright":        4,
		"ffmpeg version n7.1 Copyright":                          7,
		"ffmpeg version 9.0 Copyright":                           9,
		"ffmpeg version N-118000-g1234567 Copyright":             99,
		"ffmpeg version git-2024-01-01 Copyright":                99,
		"": 99,
	} {
		if got := parseFFmpegMajor(out); got != want {
			t.Errorf("%q: %d, want %d", out, got, want)
		}
	}
}

// Recordings and merges do not start below recording.min_free_mb, and a running recording stops
// when the space falls below it.
func TestFreeDiskSpace(t *testing.T) {
	s := quietService(t)
	var free atomic.Uint64
	s.freeSpace = func(string) (uint64, error) { return free.Load(), nil }
	if err := s.SetOptions(Options{MinFreeBytes: 100 << 20}); err != nil {
		t.Fatal(err)
	}
	free.Store(200 << 20)
	if err := s.checkDisk("recording cannot start"); err != nil {
		t.Errorf("200 MB free, 100 needed: %v", err)
	}
	free.Store(50 << 20)
	err := s.checkDisk("recording cannot start")
	if meet.CodeOf(err) != meet.CodeConflict || !strings.Contains(err.Error(), "only 50 MB free") || !strings.Contains(err.Error(), "recording.min_free_mb (100)") {
		t.Errorf("50 MB free, 100 needed: %v", err)
	}
	s.freeSpace = func(string) (uint64, error) { return 0, errors.New("no statfs") }
	if err := s.checkDisk("x"); err != nil {
		t.Errorf("unknown free space: %v", err)
	}
	s.freeSpace = func(string) (uint64, error) { return free.Load(), nil }
	_ = s.SetOptions(Options{})
	if err := s.checkDisk("x"); err != nil {
		t.Errorf("check off: %v", err)
	}

	_ = s.SetOptions(Options{MinFreeBytes: 100 << 20})
	s.diskEvery = time.Millisecond
	free.Store(200 << 20)
	rec := &recording{id: "REC_x", stopped: make(chan struct{})}
	stopped := make(chan struct{})
	done := make(chan struct{})
	go func() { s.watchDisk(rec, func() { close(stopped) }); close(done) }()
	select {
	case <-stopped:
		t.Fatal("stopped with enough space")
	case <-time.After(50 * time.Millisecond):
	}
	free.Store(50 << 20)
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("not stopped when the space fell below the minimum")
	}
	<-done
}
