package recorder

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/oggwriter"

	"meetd/internal/media"
	"meetd/internal/meet"
)

// broadcast is a running RTMP broadcast: the same composition as a recording, made live by an
// ffmpeg that reads every track from a pipe. ffmpeg cannot take new inputs while it runs, so when
// the set of tracks changes, ffmpeg is restarted with the new set (the RTMP connection is made
// again; services such as YouTube continue the stream).
type broadcast struct {
	roomID, sid, url string
	sub              *media.Subscription
	log              *slog.Logger
	maxLive          int // live tracks of each kind (maxLiveTracks)

	mu      sync.Mutex
	tracks  []*liveTrack
	ignored int           // tracks not broadcast for maxLive
	changed chan struct{} // the set of tracks changed
	stopped chan struct{} // closed by the first stop
	joined  chan struct{}
	done    chan struct{} // the run loop ended
}

// liveTrack forwards one subscribed track into the current ffmpeg's pipe.
type liveTrack struct {
	t    media.SubscribedTrack
	kind string

	mu      sync.Mutex
	w       rtpWriter // nil while no ffmpeg reads this track
	pipe    *os.File
	started bool // a key frame went into the current pipe (video)
	ended   bool
	lastPLI time.Time
	end     uint32 // audio: where the last packet's audio ended
}

func (b *broadcast) stopOnce() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-b.stopped:
		return false
	default:
		close(b.stopped)
		return true
	}
}

func (b *broadcast) signal() {
	select {
	case b.changed <- struct{}{}:
	default:
	}
}

func (b *broadcast) addTrack(t media.SubscribedTrack) {
	kind := trackKind(t.Remote.Codec().MimeType)
	if kind == "" {
		b.log.Warn("rtmp: track skipped", "room_id", b.roomID, "identity", t.Identity, "codec", t.Remote.Codec().MimeType)
		return
	}
	lt := &liveTrack{t: t, kind: kind}
	if ignored := b.admit(lt); ignored > 0 {
		logTrackLimit(b.log, ignored, "rtmp: track not broadcast: too many tracks", "room_id", b.roomID, "identity", t.Identity,
			"source", t.Source, "kind", kind, "max_live", b.maxLive, "ignored", ignored)
		return
	}
	b.signal()
	go func() {
		lt.forward()
		b.signal()
	}()
}

// admit adds lt to the broadcast's tracks unless maxLive tracks of its kind are live; else it
// returns the count of tracks refused so far, this one included.
func (b *broadcast) admit(lt *liveTrack) (ignored int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	live := 0
	for _, o := range b.tracks {
		if o.kind == lt.kind && o.live() {
			live++
		}
	}
	if live >= b.maxLive {
		b.ignored++
		return b.ignored
	}
	b.tracks = append(b.tracks, lt)
	return 0
}

// forward copies packets into the current pipe until the track ends.
func (lt *liveTrack) forward() {
	vp8 := strings.EqualFold(lt.t.Remote.Codec().MimeType, webrtc.MimeTypeVP8)
	for {
		p, _, err := lt.t.Remote.ReadRTP()
		if err != nil {
			break
		}
		if padding(p) {
			continue
		}
		lt.mu.Lock()
		if lt.w != nil {
			if lt.kind == "video" && !lt.started {
				if !vp8 || isVP8KeyFrameStart(p) {
					lt.started = true
				} else if time.Since(lt.lastPLI) > time.Second {
					lt.t.KeyFrame()
					lt.lastPLI = time.Now()
				}
			}
			if lt.kind == "audio" {
				if lt.started {
					fillSilence(lt.w, p, lt.end)
				}
				lt.started, lt.end = true, opusEnd(p)
			}
			if lt.started {
				if err := lt.w.WriteRTP(p); err != nil {
					lt.detachLocked() // ffmpeg is gone
				}
			}
		}
		lt.mu.Unlock()
	}
	lt.mu.Lock()
	lt.ended = true
	lt.detachLocked()
	lt.mu.Unlock()
}

// attach points the track at a new pipe.
func (lt *liveTrack) attach(pipe *os.File) error {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	lt.detachLocked()
	if lt.ended { // ended since the snapshot: ffmpeg gets an empty input, not a stalled one
		return pipe.Close()
	}
	var w rtpWriter
	var err error
	if lt.kind == "video" {
		w, err = newVideoWriter(pipe, lt.t.Remote.Codec().MimeType)
	} else {
		w, err = oggwriter.NewWith(pipe, 48000, 2)
	}
	if err != nil {
		return err
	}
	lt.w, lt.pipe, lt.started = w, pipe, false
	if lt.kind == "video" {
		lt.t.KeyFrame()
		lt.lastPLI = time.Now()
	}
	return nil
}

func (lt *liveTrack) detachLocked() {
	if lt.w != nil {
		_ = lt.w.Close()
		lt.w = nil
	}
	if lt.pipe != nil {
		_ = lt.pipe.Close()
		lt.pipe = nil
	}
}

func (lt *liveTrack) detach() {
	lt.mu.Lock()
	lt.detachLocked()
	lt.mu.Unlock()
}

func (lt *liveTrack) live() bool {
	lt.mu.Lock()
	defer lt.mu.Unlock()
	return !lt.ended
}

// StartRTMP starts broadcasting the room's running session to rtmpURL, which must be a target
// that rtmp.allowed_hosts allows (rtmpTargets).
func (s *Service) StartRTMP(ctx context.Context, roomID, rtmpURL string) error {
	if !meet.ValidID(roomID) {
		return meet.BadID("room_id")
	}
	target, err := parseRTMPURL(rtmpURL)
	if err != nil {
		return err
	}
	sess, err := s.startable(ctx, roomID, "an RTMP broadcast")
	if err != nil {
		return err
	}
	if !meet.Bool(sess.Metadata.RoomFeatures.AllowRTMP) {
		return meet.Errorf(meet.CodePermissionDenied, "RTMP is not allowed in room %s (room_features.allow_rtmp)", roomID)
	}
	if err := s.targets.check(ctx, target, s.lookup); err != nil {
		return err
	}
	b := &broadcast{roomID: roomID, sid: sess.SID, url: target.raw, log: s.log, maxLive: s.maxLive,
		changed: make(chan struct{}, 1), stopped: make(chan struct{}), joined: make(chan struct{}), done: make(chan struct{})}
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		return meet.Errorf(meet.CodeConflict, "meetd is shutting down")
	}
	if _, busy := s.rtmp[roomID]; busy {
		s.mu.Unlock()
		return meet.Errorf(meet.CodeConflict, "room %s is already broadcast", roomID)
	}
	s.rtmp[roomID] = b
	s.mu.Unlock()
	fail := func(err error) error {
		b.stopOnce()
		close(b.joined)
		close(b.done)
		s.mu.Lock()
		delete(s.rtmp, roomID)
		s.mu.Unlock()
		return err
	}
	identity := rtmpPrefix + strconv.FormatInt(s.n.Add(1), 10)
	sub, err := s.joiner.Join(roomID, identity, media.SubscriberEvents{
		Track: b.addTrack,
		Disconnected: func(reason string) {
			go func() {
				<-b.joined
				s.stopRTMP(context.Background(), b, disconnectReason("broadcaster", reason))
			}()
		},
	})
	if err != nil {
		return fail(fmt.Errorf("start rtmp in room %s: %w", roomID, err))
	}
	s.mu.Lock()
	b.sub = sub
	s.mu.Unlock()
	on, err := s.store.SetRTMP(ctx, sess.SID, true, func(sess *meet.Session) meet.Event {
		return meet.NewEvent(meet.EventStartRTMP, sess, s.now())
	})
	if err != nil || !on {
		sub.Leave()
		if err == nil {
			err = meet.Errorf(meet.CodeRoomNotActive, "room %s is not active", roomID)
		}
		return fail(err)
	}
	close(b.joined)
	go s.runRTMP(b, func(reason string) { s.stopRTMP(context.Background(), b, reason) })
	b.signal()
	s.log.Info("rtmp started", "room_id", roomID, "identity", identity)
	return nil
}

// StopRTMP stops the room's broadcast.
func (s *Service) StopRTMP(ctx context.Context, roomID string) error {
	if !meet.ValidID(roomID) {
		return meet.BadID("room_id")
	}
	s.mu.Lock()
	b := s.rtmp[roomID]
	connected := b != nil && b.sub != nil
	s.mu.Unlock()
	if !connected {
		return s.notHere(ctx, roomID, rtmpPrefix, "room %s is not broadcast")
	}
	s.stopRTMP(ctx, b, StopRequested)
	return nil
}

// stopRTMP ends a broadcast once: ffmpeg ends, the broadcaster leaves, the flag drops with end_rtmp.
func (s *Service) stopRTMP(ctx context.Context, b *broadcast, reason string) {
	if !b.stopOnce() {
		return
	}
	<-b.done // ffmpeg has ended
	b.sub.Leave()
	s.mu.Lock()
	if s.rtmp[b.roomID] == b {
		delete(s.rtmp, b.roomID)
	}
	s.mu.Unlock()
	_, err := s.store.SetRTMP(context.WithoutCancel(ctx), b.sid, false, func(sess *meet.Session) meet.Event {
		e := meet.NewEvent(meet.EventEndRTMP, sess, s.now())
		e.RecordingInfo = &meet.EventRecording{Reason: reason}
		return e
	})
	if err != nil {
		s.log.Error("rtmp: clear is_active_rtmp", "room_id", b.roomID, "err", err)
	}
	s.log.Info("rtmp stopped", "room_id", b.roomID, "reason", reason)
}

// runRTMP runs ffmpeg, again whenever the set of tracks changes, until the broadcast stops or
// ffmpeg fails; then stop ends the broadcast with the reason.
func (s *Service) runRTMP(b *broadcast, stop func(reason string)) {
	var cmd *exec.Cmd
	var exited chan error
	var stderr *bytes.Buffer
	var inputs []*liveTrack
	halt := func() {
		if cmd == nil {
			return
		}
		for _, lt := range inputs {
			lt.detach() // ffmpeg sees the end of its inputs and finishes the stream
		}
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		cmd = nil
	}
	var failure string
	graph := filepath.Join(s.dir, "rtmp-"+b.roomID+".filter") // a long filter graph (graphFromFile)
	defer func() {
		halt()
		os.Remove(graph)
		close(b.done)
		if failure != "" {
			go stop(failure)
		}
	}()
	// ended reads why ffmpeg ended; never with the stream key (redactRTMP)
	ended := func(err error) {
		cmd, exited = nil, nil
		failure = fmt.Sprintf("ffmpeg stopped: %v: %s", err, tail(redactRTMP(stderr.String(), b.url), 500))
	}
	var started time.Time
	for {
		select {
		case <-b.stopped:
			return
		case <-s.ctx.Done():
			failure = StopShutdown
			return
		case err := <-exited:
			ended(err)
			return
		case <-b.changed:
		}
		// Let a burst of changes (a participant's camera and microphone) settle, and restart a
		// running ffmpeg (a new RTMP connection) at most once per restartGap, however often
		// tracks come and go.
		select {
		case <-time.After(restartDelay(cmd != nil, time.Since(started), s.restartGap)):
		case <-b.stopped:
			return
		case <-s.ctx.Done():
			failure = StopShutdown
			return
		case err := <-exited:
			ended(err)
			return
		}
		b.mu.Lock()
		var live []*liveTrack
		for _, lt := range b.tracks {
			if lt.live() {
				live = append(live, lt)
			}
		}
		b.tracks = live
		b.mu.Unlock()
		if cmd != nil && sameTracks(live, inputs) {
			continue
		}
		halt()
		var err error
		cmd, exited, stderr, err = s.startFFmpegLive(b, live, graph)
		if err != nil {
			failure = "ffmpeg did not start: " + err.Error()
			return
		}
		inputs, started = live, time.Now()
	}
}

// restartDelay is how long a change of tracks waits before ffmpeg (re)starts: 0.5 s for a burst
// of changes to settle, and, while ffmpeg runs, until gap has passed since it started.
func restartDelay(running bool, sinceStart, gap time.Duration) time.Duration {
	const settle = 500 * time.Millisecond
	if !running {
		return settle
	}
	return max(settle, gap-sinceStart)
}

func sameTracks(a, b []*liveTrack) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// startFFmpegLive starts an ffmpeg that reads the tracks from pipes and pushes the composition.
func (s *Service) startFFmpegLive(b *broadcast, tracks []*liveTrack, graph string) (*exec.Cmd, chan error, *bytes.Buffer, error) {
	videos, audios, files := splitLive(tracks, func(lt *liveTrack) (media.SubscribedTrack, string) { return lt.t, lt.kind })
	cv := s.canvas.orDefault()
	cells := layout(files, cv)

	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error"}
	var readers, writers []*os.File
	closeAll := func() {
		for _, f := range append(readers, writers...) {
			f.Close()
		}
	}
	in := 0
	var f strings.Builder
	fmt.Fprintf(&f, "color=c=%s:s=%dx%d:r=%d,realtime[base0];", background, cv.W, cv.H, cv.FPS)
	addInput := func(format string) error {
		r, w, err := mediaPipe()
		if err != nil {
			return err
		}
		readers, writers = append(readers, r), append(writers, w)
		args = append(args, "-thread_queue_size", "1024", "-protocol_whitelist", fileProtocols, "-f", format, "-i", "/dev/fd/"+strconv.Itoa(3+in))
		in++
		return nil
	}
	for i := range videos {
		if err := addInput("ivf"); err != nil {
			closeAll()
			return nil, nil, nil, err
		}
		c := cells[files[i]]
		fmt.Fprintf(&f, "[%d:v]setpts=PTS-STARTPTS,scale=%d:%d:force_original_aspect_ratio=decrease,pad=%d:%d:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1[v%d];",
			i, c.W, c.H, c.W, c.H, i)
		fmt.Fprintf(&f, "[base%d][v%d]overlay=x=%d:y=%d:eof_action=pass[base%d];", i, i, c.X, c.Y, i+1)
	}
	fmt.Fprintf(&f, "[base%d]format=yuv420p[vout];", len(videos))
	if len(audios) == 0 {
		f.WriteString("anullsrc=r=48000:cl=stereo,arealtime[aout]")
	} else {
		for i := range audios {
			if err := addInput("ogg"); err != nil {
				closeAll()
				return nil, nil, nil, err
			}
			fmt.Fprintf(&f, "[%d:a]aresample=48000,aformat=channel_layouts=stereo,asetpts=PTS-STARTPTS[a%d];", len(videos)+i, i)
		}
		for i := range audios {
			fmt.Fprintf(&f, "[a%d]", i)
		}
		fmt.Fprintf(&f, "amix=inputs=%d:duration=longest:dropout_transition=0:normalize=0[aout]", len(audios))
	}
	rate, bufsize := cv.rate()
	args = append(args, "-filter_complex", f.String(), "-map", "[vout]", "-map", "[aout]",
		"-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-pix_fmt", "yuv420p", "-r", strconv.Itoa(cv.FPS),
		"-g", strconv.Itoa(2*cv.FPS), "-b:v", rate, "-maxrate", rate, "-bufsize", bufsize,
		"-c:a", "aac", "-b:a", "128k", "-ar", "44100", "-protocol_whitelist", rtmpProtocols, "-f", "flv", b.url)
	args, _, err := s.graphFromFile(args, graph)
	if err != nil {
		closeAll()
		return nil, nil, nil, err
	}
	cmd := exec.CommandContext(s.ctx, s.ffmpeg, args...)
	cmd.ExtraFiles = readers
	stderr := &bytes.Buffer{}
	cmd.Stderr = &lockedWriter{w: stderr}
	if err := cmd.Start(); err != nil {
		closeAll()
		return nil, nil, nil, err
	}
	for _, r := range readers {
		r.Close() // ffmpeg has its copies
	}
	all := append(append([]*liveTrack(nil), videos...), audios...)
	for i, lt := range all {
		if err := lt.attach(writers[i]); err != nil {
			s.log.Warn("rtmp: attach track", "room_id", b.roomID, "err", err)
			writers[i].Close()
		}
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	s.log.Info("rtmp: ffmpeg started", "room_id", b.roomID, "videos", len(videos), "audios", len(audios))
	return cmd, exited, stderr, nil
}

// lockedWriter lets ffmpeg's stderr be read while ffmpeg writes it.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.w.Len() > 64<<10 {
		l.w.Reset()
	}
	return l.w.Write(p)
}

// endingRTMP stops the room's broadcast before the room closes.
func (s *Service) endingRTMP(ctx context.Context, sess *meet.Session) {
	s.mu.Lock()
	b := s.rtmp[sess.RoomID]
	connected := b != nil && b.sub != nil
	s.mu.Unlock()
	if connected && b.sid == sess.SID {
		s.stopRTMP(ctx, b, StopRoomEnded)
	}
}
