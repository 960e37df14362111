package recorder

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/oggwriter"

	"meetd/internal/media"
)

// Live composition (doc/decisions/0012-live-composition.md): while a recording runs, an ffmpeg
// composes the tracks it is writing, as the RTMP broadcast does, into one-second MPEG-TS chunks.
// Each "epoch" (a set of tracks, one layout) is one ffmpeg run; when the set changes, the next
// epoch's ffmpeg starts while the previous one still runs, and the recording switches from one to
// the other at a whole second of the new epoch once its pictures are there. At stop, the chunks
// are joined with stream copy; the start (before the first epoch has pictures) is composed from
// the track files. The track files stay the source of truth: if the live composition fails, the
// recording is composed from them at stop, as before.

// liveEncode is the encoding of every chunk, the same for the live epochs and the start composed
// from the files so that they join with stream copy: a key frame every second exactly (chunks
// start at whole seconds), no B-frames.
func liveEncode(cv Canvas) []string {
	rate, bufsize := cv.rate()
	return []string{"-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-crf", "26",
		"-maxrate", rate, "-bufsize", bufsize, "-g", strconv.Itoa(cv.FPS), "-keyint_min", strconv.Itoa(cv.FPS),
		"-sc_threshold", "0", "-pix_fmt", "yuv420p", "-r", strconv.Itoa(cv.FPS),
		"-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2"}
}

// epoch is one run of the live composition, as saved in live.json: its chunks are
// <Prefix>_00000.ts, <Prefix>_00001.ts, … each one second from StartMS (relative to the
// recording's start); the recording uses them from FromMS (a whole second after StartMS), until
// the next epoch's FromMS.
type epoch struct {
	Prefix  string `json:"prefix"`
	StartMS int64  `json:"start_ms"`
	FromMS  int64  `json:"from_ms"`
	Videos  int    `json:"videos"`
	Audios  int    `json:"audios"`
}

// liveState is live.json: what the live composition made so far, written at each change, so
// that a crash leaves what is needed to finish the recording (Recover).
type liveState struct {
	RecordID    string       `json:"record_id"`
	RoomID      string       `json:"room_id"`
	SID         string       `json:"sid"`
	RoomCreated time.Time    `json:"room_created"`
	Start       time.Time    `json:"start"`
	Canvas      Canvas       `json:"canvas"` // the recording's (none in a live.json of before: DefaultCanvas)
	Epochs      []epoch      `json:"epochs"`
	Failed      string       `json:"failed,omitempty"` // why the live composition stopped; the files are composed at stop
	CPUMS       int64        `json:"cpu_ms"`           // ffmpeg's CPU time so far (ended epochs)
	Tracks      []*trackFile `json:"tracks"`           // started so far (end_ms not known before the stop)
}

const liveStateName = "live.json"

func (l *liveState) save(dir string) error {
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, liveStateName+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, liveStateName))
}

func loadLiveState(dir string) (*liveState, error) {
	b, err := os.ReadFile(filepath.Join(dir, liveStateName))
	if err != nil {
		return nil, err
	}
	var l liveState
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, err
	}
	for _, e := range l.Epochs {
		if !validPrefix(e.Prefix) {
			return nil, fmt.Errorf("bad epoch prefix %q", e.Prefix)
		}
	}
	for _, t := range l.Tracks {
		if t.File != filepath.Base(t.File) || strings.HasPrefix(t.File, ".") {
			return nil, fmt.Errorf("bad track file name %q", t.File)
		}
	}
	return &l, nil
}

func validPrefix(p string) bool {
	if len(p) == 0 || len(p) > 16 {
		return false
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func chunkName(prefix string, i int) string { return fmt.Sprintf("%s_%05d.ts", prefix, i) }

// recTrack is a recorded track as the live composition sees it: the packets written to its file
// also go into the pipes of the epochs reading it.
type recTrack struct {
	t    media.SubscribedTrack
	kind string

	failed func(why string) // the live composition cannot keep up

	mu    sync.Mutex
	sinks []*sink
	ended bool
}

// pipeWriteLimit is how long a write into an epoch's pipe may wait for ffmpeg to read: the
// track's file is written by the same goroutine and must not wait for the live composition.
const pipeWriteLimit = 300 * time.Millisecond

// sink is one epoch's pipe of a track.
type sink struct {
	w        rtpWriter
	pipe     *os.File
	zero     time.Time // the epoch's time 0
	started  bool      // video: a key frame went in; audio: the first packet
	end      uint32    // audio: where the last packet's audio ended
	keyFrame time.Time // video: when the first key frame went in
	lastPLI  time.Time
}

// push writes p into every pipe of the track; a pipe whose ffmpeg is gone is dropped.
func (rt *recTrack) push(p *rtp.Packet, now time.Time) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	vp8 := strings.EqualFold(rt.t.Remote.Codec().MimeType, webrtc.MimeTypeVP8)
	kept := rt.sinks[:0]
	for _, s := range rt.sinks {
		if rt.kind == "video" && !s.started {
			if !vp8 || isVP8KeyFrameStart(p) {
				s.started, s.keyFrame = true, now
			} else if now.Sub(s.lastPLI) > time.Second {
				rt.t.KeyFrame()
				s.lastPLI = now
			}
		}
		if rt.kind == "audio" {
			if !s.started {
				// Silence from the epoch's time 0 to this packet: ffmpeg starts the audio at 0.
				gap := uint32(max(now.Sub(s.zero), 0).Seconds()*48000) / 960 * 960
				fillSilence(s.w, p, p.Timestamp-gap)
			} else {
				fillSilence(s.w, p, s.end)
			}
			s.started, s.end = true, opusEnd(p)
		}
		if s.started {
			_ = s.pipe.SetWriteDeadline(now.Add(pipeWriteLimit))
			if err := s.w.WriteRTP(p); err != nil {
				s.close()
				if errors.Is(err, os.ErrDeadlineExceeded) && rt.failed != nil {
					go rt.failed("ffmpeg does not read the tracks in time: the live composition falls behind")
				}
				continue
			}
		}
		kept = append(kept, s)
	}
	rt.sinks = kept
}

func (s *sink) close() {
	_ = s.w.Close()
	_ = s.pipe.Close()
}

// attach adds a pipe of an epoch starting at zero.
func (rt *recTrack) attach(pipe *os.File, zero time.Time) (*sink, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.ended {
		return nil, pipe.Close()
	}
	var w rtpWriter
	var err error
	if rt.kind == "video" {
		w, err = newVideoWriter(pipe, rt.t.Remote.Codec().MimeType)
	} else {
		w, err = oggwriter.NewWith(pipe, 48000, 2)
	}
	if err != nil {
		pipe.Close()
		return nil, err
	}
	s := &sink{w: w, pipe: pipe, zero: zero, lastPLI: time.Now()}
	rt.sinks = append(rt.sinks, s)
	if rt.kind == "video" {
		rt.t.KeyFrame()
	}
	return s, nil
}

// detach closes the pipes in drop.
func (rt *recTrack) detach(drop []*sink) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	kept := rt.sinks[:0]
	for _, s := range rt.sinks {
		if containsSink(drop, s) {
			s.close()
		} else {
			kept = append(kept, s)
		}
	}
	rt.sinks = kept
}

func containsSink(list []*sink, s *sink) bool {
	for _, o := range list {
		if o == s {
			return true
		}
	}
	return false
}

// end closes every pipe: the track has ended.
func (rt *recTrack) end() {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.ended = true
	for _, s := range rt.sinks {
		s.close()
	}
	rt.sinks = nil
}

func (rt *recTrack) live() bool {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return !rt.ended
}

// keyFrameAt is when the sink got its first key frame; zero if not yet.
func (rt *recTrack) keyFrameAt(s *sink) time.Time {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return s.keyFrame
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

// liveRun is the live composition of a running recording.
type liveRun struct {
	s   *Service
	rec *recording

	mu      sync.Mutex
	tracks  []*recTrack
	state   liveState
	changed chan struct{}
	done    chan struct{} // the run loop ended and every ffmpeg exited
}

// running is one epoch's ffmpeg.
type running struct {
	cmd    *exec.Cmd
	exited chan error
	stderr *lockedWriter
	inputs []*recTrack
	sinks  []*sink
	zero   time.Time
	index  int // in state.Epochs
	passed int // seconds of the epoch composed (behind)
}

func (l *liveRun) signal() {
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

// add makes a track part of the composition from the next epoch.
func (l *liveRun) add(rt *recTrack) {
	rt.failed = l.fail
	l.mu.Lock()
	l.tracks = append(l.tracks, rt)
	l.mu.Unlock()
	l.signal()
}

// trackStarted saves a track's file in live.json once its first packet is written.
func (l *liveRun) trackStarted(tf *trackFile) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cp := *tf
	cp.EndMS = -1
	l.state.Tracks = append(l.state.Tracks, &cp)
	l.saveLocked()
}

func (l *liveRun) saveLocked() {
	if err := l.state.save(l.rec.dir); err != nil {
		l.s.log.Warn("recording: save live.json", "record_id", l.rec.id, "err", err)
	}
}

func (l *liveRun) fail(why string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state.Failed != "" {
		return
	}
	l.state.Failed = why
	l.saveLocked()
	l.signal()
	l.s.log.Warn("recording: live composition stopped; the recording will be composed from its tracks at stop", "record_id", l.rec.id, "why", why)
}

// snapshot is live.json as it is now.
func (l *liveRun) snapshot() liveState {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := l.state
	st.Epochs = append([]epoch(nil), st.Epochs...)
	return st
}

// settleDelay lets a burst of changes (a participant's camera and microphone) settle before an
// epoch starts; the first epoch waits longer, as every track arrives then (the start of the
// recording is composed from the track files until the first epoch shows).
const (
	settleDelay      = 500 * time.Millisecond
	firstSettleDelay = 2 * time.Second
)

// run starts an epoch whenever the set of live tracks changes, until the recording stops.
func (l *liveRun) run() {
	defer close(l.done)
	var cur *running
	defer func() {
		if cur != nil {
			l.halt(cur, time.Now())
		}
	}()
	stopped := func() bool {
		select {
		case <-l.rec.stopped:
			return true
		case <-l.s.ctx.Done():
			return true
		default:
			return false
		}
	}
	var exited chan error
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		if cur != nil {
			exited = cur.exited
		}
		select {
		case <-l.rec.stopped:
			return
		case <-l.s.ctx.Done():
			return
		case err := <-exited:
			cur.exited <- err // halt reads it again
			l.fail(fmt.Sprintf("ffmpeg stopped: %v: %s", err, tail(cur.stderr.String(), 500)))
			return
		case <-tick.C:
			if cur != nil && l.behind(cur) {
				l.fail("the live composition falls behind the meeting")
			}
			continue
		case <-l.changed:
		}
		if l.failed() {
			return // the tracks are still written, and composed at stop
		}
		settle := settleDelay
		if cur == nil {
			settle = firstSettleDelay
		}
		select {
		case <-time.After(settle):
		case <-l.rec.stopped:
			return
		case <-l.s.ctx.Done():
			return
		}
		l.mu.Lock()
		var live []*recTrack
		for _, rt := range l.tracks {
			if rt.live() {
				live = append(live, rt)
			}
		}
		l.tracks = live
		l.mu.Unlock()
		if cur != nil && sameRecTracks(live, cur.inputs) {
			continue
		}
		next, err := l.start(live)
		if err != nil {
			l.fail("ffmpeg did not start: " + err.Error())
			return
		}
		if cur != nil {
			l.handover(cur, next, stopped)
		} else {
			l.setFrom(next, l.readyAt(next, stopped))
		}
		cur = next
	}
}

func (l *liveRun) failed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state.Failed != ""
}

// maxLag is how far an epoch's chunks may be behind the meeting before the live composition is
// given up for this recording (composed from its tracks at stop instead).
const maxLag = 5 * time.Second

// behind says whether r's chunks lag the meeting by more than maxLag: chunk k+1 exists once the
// composition passed k+1 seconds.
func (l *liveRun) behind(r *running) bool {
	l.mu.Lock()
	prefix := l.state.Epochs[r.index].Prefix
	l.mu.Unlock()
	for {
		if _, err := os.Stat(filepath.Join(l.rec.dir, chunkName(prefix, r.passed+1))); err != nil {
			break
		}
		r.passed++
	}
	return time.Since(r.zero)-time.Duration(r.passed)*time.Second > maxLag
}

// readyAt waits until every picture of the epoch has had its first key frame (5 s at most) and
// is the whole second of the epoch from which it shows them.
func (l *liveRun) readyAt(r *running, stopped func() bool) time.Duration {
	deadline := time.Now().Add(5 * time.Second)
	var last time.Time
	for {
		last = r.zero
		all := true
		for i, rt := range r.inputs {
			if rt.kind != "video" {
				continue
			}
			k := rt.keyFrameAt(r.sinks[i])
			if k.IsZero() {
				all = false
				break
			}
			if k.After(last) {
				last = k
			}
		}
		if all || time.Now().After(deadline) || stopped() {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if last.Equal(r.zero) && !time.Now().Before(deadline) {
		last = time.Now()
	}
	// a margin for ffmpeg to read and decode the frame
	return time.Duration(math.Ceil((last.Sub(r.zero) + 200*time.Millisecond).Seconds())) * time.Second
}

// setFrom records from which second of its epoch the recording uses r.
func (l *liveRun) setFrom(r *running, from time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := &l.state.Epochs[r.index]
	e.FromMS = e.StartMS + from.Milliseconds()
	l.saveLocked()
}

// handover switches from old to next: the recording uses next from its first whole second
// with every picture; old runs until then (and a margin) and is stopped.
func (l *liveRun) handover(old, next *running, stopped func() bool) {
	from := l.readyAt(next, stopped)
	l.setFrom(next, from)
	l.halt(old, next.zero.Add(from))
}

// drainLimit is how long an epoch's ffmpeg may take to write its chunks up to where it is
// stopped: it runs a moment behind the meeting, more on a busy machine.
const drainLimit = 8 * time.Second

// halt stops an epoch's ffmpeg once its chunks reach until (drainLimit at most; SIGINT lets it
// finish its last chunk), and its pipes.
func (l *liveRun) halt(r *running, until time.Time) {
	l.mu.Lock()
	prefix := l.state.Epochs[r.index].Prefix
	l.mu.Unlock()
	// chunk k+1 begins once the composition has passed k+1 seconds
	next := chunkName(prefix, int(until.Sub(r.zero)/time.Second)+1)
	deadline := time.Now().Add(drainLimit)
	if l.failed() {
		deadline = time.Now() // the chunks will not be used
	}
	for time.Now().Before(deadline) {
		if _, err := os.Stat(filepath.Join(l.rec.dir, next)); err == nil {
			break
		}
		select {
		case err := <-r.exited:
			r.exited <- err
			deadline = time.Now()
		case <-l.s.ctx.Done():
			deadline = time.Now()
		case <-time.After(100 * time.Millisecond):
		}
	}
	_ = r.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-r.exited:
	case <-time.After(5 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.exited
	}
	for i, rt := range r.inputs {
		rt.detach([]*sink{r.sinks[i]})
	}
	if r.cmd.ProcessState != nil {
		cpu := r.cmd.ProcessState.UserTime() + r.cmd.ProcessState.SystemTime()
		l.mu.Lock()
		l.state.CPUMS += cpu.Milliseconds()
		l.saveLocked()
		l.mu.Unlock()
	}
}

// sameRecTracks: a and b hold the same tracks, in any order.
func sameRecTracks(a, b []*recTrack) bool {
	if len(a) != len(b) {
		return false
	}
	for _, t := range a {
		found := false
		for _, o := range b {
			found = found || o == t
		}
		if !found {
			return false
		}
	}
	return true
}

// liveGraph is an epoch's filter graph: inputs 0..videos-1 are the videos (IVF, with the time of
// arrival as timestamps, from zeroUS, the epoch's start in µs since 1970), then the audios (OGG,
// starting at the epoch's start: the silence before the first packet is written into the pipe).
func liveGraph(videos []*trackFile, audios int, zeroUS int64, cv Canvas) string {
	var f strings.Builder
	fmt.Fprintf(&f, "color=c=%s:s=%dx%d:r=%d,realtime[base0];", background, cv.W, cv.H, cv.FPS)
	cells := layout(videos, cv)
	zero := strconv.FormatFloat(float64(zeroUS)/1e6, 'f', 6, 64)
	for i, t := range videos {
		c := cells[t]
		fmt.Fprintf(&f, "[%d:v]setpts=PTS-%s/TB,scale=%d:%d:force_original_aspect_ratio=decrease,pad=%d:%d:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1[v%d];",
			i, zero, c.W, c.H, c.W, c.H, i)
		fmt.Fprintf(&f, "[base%d][v%d]overlay=x=%d:y=%d:eof_action=pass[base%d];", i, i, c.X, c.Y, i+1)
	}
	fmt.Fprintf(&f, "[base%d]format=yuv420p[vout];", len(videos))
	if audios == 0 {
		f.WriteString("anullsrc=r=48000:cl=stereo,arealtime[aout]")
		return f.String()
	}
	for i := range audios {
		fmt.Fprintf(&f, "[%d:a]aresample=48000,aformat=channel_layouts=stereo,asetpts=PTS-STARTPTS[a%d];", len(videos)+i, i)
	}
	for i := range audios {
		fmt.Fprintf(&f, "[a%d]", i)
	}
	fmt.Fprintf(&f, "amix=inputs=%d:duration=longest:dropout_transition=0:normalize=0[aout]", audios)
	return f.String()
}

// start starts an epoch's ffmpeg reading tracks.
func (l *liveRun) start(tracks []*recTrack) (*running, error) {
	videos, audios, files := splitLive(tracks, func(rt *recTrack) (media.SubscribedTrack, string) { return rt.t, rt.kind })
	l.mu.Lock()
	index := len(l.state.Epochs)
	l.mu.Unlock()
	prefix := fmt.Sprintf("e%03d", index)
	zero := time.Now()

	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error", "-copyts"}
	var readers, writers []*os.File
	closeAll := func() {
		for _, f := range append(readers, writers...) {
			f.Close()
		}
	}
	for i := range videos {
		r, w, err := mediaPipe()
		if err != nil {
			closeAll()
			return nil, err
		}
		readers, writers = append(readers, r), append(writers, w)
		args = append(args, "-thread_queue_size", "1024", "-use_wallclock_as_timestamps", "1", "-protocol_whitelist", fileProtocols,
			"-f", "ivf", "-i", "/dev/fd/"+strconv.Itoa(3+i))
	}
	for i := range audios {
		r, w, err := mediaPipe()
		if err != nil {
			closeAll()
			return nil, err
		}
		readers, writers = append(readers, r), append(writers, w)
		args = append(args, "-thread_queue_size", "1024", "-protocol_whitelist", fileProtocols,
			"-f", "ogg", "-i", "/dev/fd/"+strconv.Itoa(3+len(videos)+i))
	}
	cv := l.state.Canvas.orDefault()
	args = append(args, "-filter_complex", liveGraph(files, len(audios), zero.UnixMicro(), cv), "-map", "[vout]", "-map", "[aout]")
	args = append(args, liveEncode(cv)...)
	args = append(args, "-f", "segment", "-segment_time", "1", "-segment_format", "mpegts", "-break_non_keyframes", "0",
		"-protocol_whitelist", fileProtocols, filepath.Join(l.rec.dir, prefix+"_%05d.ts"))
	args, _, err := l.s.graphFromFile(args, filepath.Join(l.rec.dir, prefix+".filter"))
	if err != nil {
		closeAll()
		return nil, err
	}
	cmd := exec.CommandContext(l.s.ctx, l.s.ffmpeg, args...)
	cmd.ExtraFiles = readers
	dieWithMeetd(cmd)
	stderr := &lockedWriter{w: &bytes.Buffer{}}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		closeAll()
		return nil, err
	}
	for _, r := range readers {
		r.Close()
	}
	r := &running{cmd: cmd, exited: make(chan error, 1), stderr: stderr, zero: zero, index: index}
	r.inputs = append(append([]*recTrack(nil), videos...), audios...)
	r.sinks = make([]*sink, len(r.inputs))
	for i, rt := range r.inputs {
		s, err := rt.attach(writers[i], zero)
		if err != nil {
			l.s.log.Warn("recording: attach track", "record_id", l.rec.id, "err", err)
		}
		if s == nil { // ended meanwhile: ffmpeg gets an empty input; a placeholder that has a key frame
			s = &sink{keyFrame: zero}
		}
		r.sinks[i] = s
	}
	go func() { r.exited <- cmd.Wait() }()
	startMS := zero.Sub(l.rec.start).Milliseconds()
	l.mu.Lock()
	l.state.Epochs = append(l.state.Epochs, epoch{Prefix: prefix, StartMS: startMS, FromMS: -1, Videos: len(videos), Audios: len(audios)})
	l.saveLocked()
	l.mu.Unlock()
	l.s.log.Info("recording: live composition epoch", "record_id", l.rec.id, "epoch", index, "start_ms", startMS, "videos", len(videos), "audios", len(audios))
	return r, nil
}

// piece is a chunk of the finished recording, cut at Outpoint seconds after its start (0: whole).
type piece struct {
	File     string
	Outpoint float64
}

// errGap says the chunks do not cover the recording: it is composed from its tracks instead.
var errGap = errors.New("the live composition does not cover the recording")

// timeline lists the chunks that make the recording after its head (0 to the first epoch's
// FromMS, composed from the track files): each epoch's chunks from its FromMS to the next
// epoch's FromMS (the last one cut there), the last epoch's until totalMS or its last chunk.
// Chunks are one second; exists says whether a chunk is there, durOf measures one (only where
// the epoch ends or is cut). Epochs that never showed (FromMS < 0, or replaced before their
// FromMS) are skipped. endMS is where the last chunk ends. It fails with errGap when the chunks
// leave a hole of more than half a second.
func timeline(epochs []epoch, totalMS int64, exists func(string) bool, durOf func(string) (float64, error)) (headMS int64, pieces []piece, endMS int64, err error) {
	var used []epoch
	for _, e := range epochs {
		if e.FromMS < 0 || e.FromMS >= totalMS {
			continue
		}
		for len(used) > 0 && used[len(used)-1].FromMS >= e.FromMS {
			used = used[:len(used)-1]
		}
		used = append(used, e)
	}
	if len(used) == 0 {
		return 0, nil, 0, errGap
	}
	headMS = used[0].FromMS
	at := headMS
	for i, e := range used {
		last := i+1 == len(used)
		until := totalMS
		if !last {
			until = used[i+1].FromMS
		}
		if gap := e.FromMS - at; gap > 500 {
			return 0, nil, 0, fmt.Errorf("%w: nothing from %d ms to %d ms", errGap, at, e.FromMS)
		}
		for k := int((e.FromMS - e.StartMS) / 1000); ; k++ {
			start := e.StartMS + int64(k)*1000
			if start >= until {
				break
			}
			name := chunkName(e.Prefix, k)
			if !exists(name) {
				break
			}
			end := start + 1000
			p := piece{File: name}
			if end > until || !exists(chunkName(e.Prefix, k+1)) {
				d, err := durOf(name)
				if err != nil {
					return 0, nil, 0, err
				}
				end = start + int64(d*1000)
				if end > until {
					p.Outpoint = float64(until-start) / 1000
					end = until
				}
			}
			if end > start {
				pieces = append(pieces, p)
				at = end
			}
		}
		if !last && until-at > 500 {
			return 0, nil, 0, fmt.Errorf("%w: epoch %s ends at %d ms, the next is used from %d ms", errGap, e.Prefix, at, until)
		}
	}
	return headMS, pieces, at, nil
}

// finishLive makes the MP4 from the live chunks: the head composed from the tracks, the chunks
// joined with stream copy. It returns the MP4's duration.
func (s *Service) finishLive(ctx context.Context, dir string, m *manifest, out string) (time.Duration, error) {
	st := m.Live
	starts := map[string]float64{}
	durOf := func(name string) (float64, error) {
		info, err := s.probeTimes(ctx, filepath.Join(dir, name))
		if err != nil {
			return 0, err
		}
		starts[name] = info[0]
		return info[1], nil
	}
	exists := func(name string) bool {
		fi, err := os.Stat(filepath.Join(dir, name))
		return err == nil && fi.Size() > 0
	}
	headMS, pieces, endMS, err := timeline(st.Epochs, m.DurationMS, exists, durOf)
	if err != nil {
		return 0, err
	}
	if m.DurationMS-endMS > 3000 {
		return 0, fmt.Errorf("%w: the chunks end at %d ms, the recording at %d ms", errGap, endMS, m.DurationMS)
	}
	var list strings.Builder
	if headMS > 0 {
		hm := *m
		hm.DurationMS = headMS
		hm.Tracks = nil
		for _, t := range m.Tracks {
			if t.StartMS < headMS {
				hm.Tracks = append(hm.Tracks, t)
			}
		}
		head := "head.ts"
		if _, err := s.runFFmpeg(ctx, composeArgsWith(dir, &hm, filepath.Join(dir, head), liveEncode(m.Canvas.orDefault()), "mpegts"), dir); err != nil {
			return 0, fmt.Errorf("compose the start: %w", err)
		}
		fmt.Fprintf(&list, "file '%s'\n", head)
	}
	for _, p := range pieces {
		fmt.Fprintf(&list, "file '%s'\n", p.File)
		if p.Outpoint > 0 {
			fmt.Fprintf(&list, "outpoint %s\n", secs(starts[p.File]+p.Outpoint))
		}
	}
	listFile := filepath.Join(dir, concatListName)
	if err := os.WriteFile(listFile, []byte(list.String()), 0o600); err != nil {
		return 0, err
	}
	defer os.Remove(listFile)
	tmp := out + ".part"
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error", "-y",
		"-protocol_whitelist", fileProtocols, "-f", "concat", "-safe", "0", "-i", listFile,
		"-map", "0:v", "-map", "0:a", "-c", "copy", "-movflags", "+faststart", "-protocol_whitelist", fileProtocols, "-f", "mp4", tmp}
	if _, err := s.runFFmpeg(ctx, args, dir); err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("join the chunks: %w", err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return 0, err
	}
	return time.Duration(endMS) * time.Millisecond, nil
}

// runFFmpeg runs ffmpeg with args (a long graph through a file in dir) and returns its CPU time.
func (s *Service) runFFmpeg(ctx context.Context, args []string, dir string) (time.Duration, error) {
	args, scripted, err := s.graphFromFile(args, filepath.Join(dir, graphFileName))
	if err != nil {
		return 0, err
	}
	if scripted {
		defer os.Remove(filepath.Join(dir, graphFileName))
	}
	cmd := exec.CommandContext(ctx, s.ffmpeg, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var cpu time.Duration
	if cmd.ProcessState != nil {
		cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		return cpu, fmt.Errorf("ffmpeg: %w: %s", err, tail(stderr.String(), 2000))
	}
	return cpu, nil
}

// probeTimes is a media file's start time and duration in seconds.
func (s *Service) probeTimes(ctx context.Context, path string) ([2]float64, error) {
	out, err := exec.CommandContext(ctx, s.ffprobe, "-v", "error", "-protocol_whitelist", fileProtocols,
		"-show_entries", "format=start_time,duration", "-of", "default=noprint_wrappers=1", path).Output()
	if err != nil {
		return [2]float64{}, fmt.Errorf("ffprobe %s: %w", filepath.Base(path), err)
	}
	var res [2]float64
	for _, line := range strings.Split(string(out), "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), "=")
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			continue
		}
		switch k {
		case "start_time":
			res[0] = f
		case "duration":
			res[1] = f
		}
	}
	return res, nil
}

// removeLive removes the chunks and live.json once the MP4 is made.
func removeLive(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		n := e.Name()
		if strings.HasSuffix(n, ".ts") || strings.HasSuffix(n, ".filter") || n == liveStateName {
			os.Remove(filepath.Join(dir, n))
		}
	}
}

// recoverLive makes the manifest of a recording that a crash interrupted, from its live.json:
// its duration is where its chunks end (or, without usable chunks, where its track files end),
// and it is finished from the chunks, or composed from the track files. nil if the folder has no
// live.json.
func (s *Service) recoverLive(ctx context.Context, dir string) (*manifest, error) {
	st, err := loadLiveState(dir)
	if err != nil {
		return nil, err
	}
	m := &manifest{RecordID: st.RecordID, RoomID: st.RoomID, SID: st.SID, RoomCreated: st.RoomCreated, Start: st.Start, Canvas: st.Canvas}
	exists := func(name string) bool {
		fi, err := os.Stat(filepath.Join(dir, name))
		return err == nil && fi.Size() > 0
	}
	durOf := func(name string) (float64, error) {
		t, err := s.probeTimes(ctx, filepath.Join(dir, name))
		return t[1], err
	}
	if _, _, end, err := timeline(st.Epochs, math.MaxInt64/4, exists, durOf); err == nil && st.Failed == "" {
		m.DurationMS = end
		m.Live = st
	}
	for _, t := range st.Tracks {
		if !exists(t.File) {
			continue
		}
		if m.Live == nil {
			d, err := s.lastPacket(ctx, filepath.Join(dir, t.File))
			if err != nil {
				continue
			}
			m.DurationMS = max(m.DurationMS, t.StartMS+int64(d*1000))
		}
		m.Tracks = append(m.Tracks, t)
	}
	for _, t := range m.Tracks {
		t.EndMS = m.DurationMS
	}
	if m.DurationMS <= 0 {
		return nil, errors.New("nothing recorded")
	}
	if m.Live != nil {
		m.Live.Tracks = nil
	}
	if err := m.save(dir); err != nil {
		return nil, err
	}
	s.log.Info("recording interrupted by a stop of meetd: finishing what was recorded", "record_id", m.RecordID,
		"duration_s", m.Duration().Seconds(), "from_chunks", m.Live != nil)
	return m, nil
}

// lastPacket is when a track file's last packet is, in seconds after its first: an IVF header's
// frame count and time base do not give the duration, and a file left by a crash has none.
func (s *Service) lastPacket(ctx context.Context, path string) (float64, error) {
	out, err := exec.CommandContext(ctx, s.ffprobe, "-v", "error", "-protocol_whitelist", fileProtocols, "-select_streams", "0",
		"-show_entries", "packet=pts_time", "-of", "csv=p=0", path).Output()
	if err != nil {
		return 0, fmt.Errorf("ffprobe %s: %w", filepath.Base(path), err)
	}
	lines := strings.Fields(string(out))
	if len(lines) == 0 {
		return 0, fmt.Errorf("%s has no packets", filepath.Base(path))
	}
	first, err1 := strconv.ParseFloat(lines[0], 64)
	last, err2 := strconv.ParseFloat(lines[len(lines)-1], 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("%s: packet times unknown", filepath.Base(path))
	}
	return last - first, nil
}
