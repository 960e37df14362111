// Package recorder records meetings inside meetd: a hidden participant subscribes to every track
// of a room and writes each one to a file as it arrives; on stop, ffmpeg composes the files into
// one MP4 (H.264 + AAC) with the cameras and screen shares in a grid and the voices mixed, each
// placed at the time it was really there.
package recorder

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"meetd/internal/auth"
	"meetd/internal/media"
	"meetd/internal/meet"
)

// Store is what the recorder needs of the store.
type Store interface {
	Session(ctx context.Context, roomID string) (*meet.Session, error)
	RunningSessions(ctx context.Context) ([]*meet.Session, error)
	// SetRecording sets a session's is_recording flag and writes event with it, in one
	// transaction; false (and no event) if the flag already had that value or, for on, if the
	// session has ended.
	SetRecording(ctx context.Context, sid string, on bool, event func(*meet.Session) meet.Event) (bool, error)
	SaveRecording(ctx context.Context, f File, event func(*meet.Session) meet.Event) error
	// SetRTMP sets a session's is_active_rtmp flag with its event, like SetRecording.
	SetRTMP(ctx context.Context, sid string, on bool, event func(*meet.Session) meet.Event) (bool, error)
	Recording(ctx context.Context, recordID string) (*File, error)
	Recordings(ctx context.Context, f Filter) ([]File, int, error)
	DeleteRecording(ctx context.Context, recordID string) (bool, error)
	// SetRecordingMetadata replaces a recording's metadata (Metadata.String); false if there is
	// no such recording.
	SetRecordingMetadata(ctx context.Context, recordID, metadata string) (bool, error)
	// SessionBySID returns a session, running or ended; nil if there is none.
	SessionBySID(ctx context.Context, sid string) (*meet.Session, error)
}

// Joiner connects the recorder's hidden participant to a room.
type Joiner interface {
	Join(roomID, identity string, ev media.SubscriberEvents) (*media.Subscription, error)
}

// Room is what the service needs of the media server to see and stop the recordings and
// broadcasts that other meetd processes sharing the store run: each is an internal participant in
// its room, held by the process that started it.
type Room interface {
	Participants(ctx context.Context, roomID string) ([]meet.ParticipantInfo, error)
	RemoveParticipant(ctx context.Context, roomID, identity string) error
}

// elsewhere is the identity of an internal participant whose identity starts with prefix in the
// room: a recorder or broadcaster that another process runs; "" if none.
func (s *Service) elsewhere(ctx context.Context, roomID, prefix string) (string, error) {
	if s.room == nil {
		return "", nil
	}
	list, err := s.room.Participants(ctx, roomID)
	for _, p := range list {
		if strings.HasPrefix(p.Identity, prefix) && p.State != "DISCONNECTED" {
			return p.Identity, nil
		}
	}
	return "", err
}

// notHere answers a stop for a room whose pipeline this process does not run: one that another
// process runs is stopped through the media server; otherwise NOT_FOUND, notFound saying what.
func (s *Service) notHere(ctx context.Context, roomID, prefix, notFound string) error {
	if stopped, err := s.stopElsewhere(ctx, roomID, prefix); stopped || err != nil {
		return err
	}
	return meet.Errorf(meet.CodeNotFound, notFound, roomID)
}

// stopElsewhere stops a recording or broadcast that another process runs, by removing its
// participant from the room: that process sees it disconnected "by the server", stops the
// pipeline with StopRequested, and (for a recording) composes the file in its data directory.
func (s *Service) stopElsewhere(ctx context.Context, roomID, prefix string) (bool, error) {
	identity, err := s.elsewhere(ctx, roomID, prefix)
	if identity == "" {
		return false, err
	}
	if err := s.room.RemoveParticipant(ctx, roomID, identity); err != nil {
		return false, fmt.Errorf("stop %s in room %s: %w", identity, roomID, err)
	}
	s.log.Info("stopped through the media server: another meetd runs it", "room_id", roomID, "identity", identity)
	return true, nil
}

// disconnectReason is why a pipeline stops when its participant was disconnected: removed by the
// server means another meetd was asked to stop it (stopElsewhere).
func disconnectReason(what, reason string) string {
	if reason == media.RemovedByServer {
		return StopRequested
	}
	return what + " disconnected from the media server: " + reason
}

// File is a finished recording.
type File struct {
	RecordID         string
	SID              string
	RoomID           string
	FileName         string // inside the recording's folder
	FileSize         int64  // bytes
	Duration         time.Duration
	CreatedAt        time.Time
	RoomCreationTime time.Time
	Metadata         Metadata
}

// Service starts and stops recordings, and lists, serves and deletes their files.
type Service struct {
	store   Store
	joiner  Joiner
	room    Room // recordings and broadcasts other meetd processes run; nil: none
	dir     string
	keys    auth.Keys
	log     *slog.Logger
	now     func() time.Time
	ffmpeg  string // command name; tests may point it elsewhere
	ffprobe string

	targets     rtmpTargets                      // rtmp.allowed_hosts
	lookup      lookupHost                       // resolves RTMP hosts
	minFree     int64                            // recording.min_free_mb, in bytes; 0: no check
	freeSpace   func(dir string) (uint64, error) // free bytes in dir's file system
	diskEvery   time.Duration                    // how often a running recording checks the free space
	restartGap  time.Duration                    // least time between two starts of a broadcast's ffmpeg
	maxLive     int                              // live tracks of each kind per recording or broadcast
	maxTotal    int                              // track files per recording
	maxRecs     int                              // recording.max_concurrent; 0: no cap
	canvas      Canvas                           // recording.size, recording.fps (zero: DefaultCanvas)
	liveOff     bool                             // compose at stop only (tests of the fallback)
	versionOnce sync.Once
	version     int // ffmpeg's major version (ffmpegMajor)

	mu     sync.Mutex
	active map[string]*recording // room_id → running recording
	rtmp   map[string]*broadcast // room_id → running broadcast
	merges map[string]string     // room_id → record_id of the merge running for it
	n      atomic.Int64          // numbers the recorder identities

	composing sync.WaitGroup
	compose   chan struct{} // one composition at a time: it takes every core
	ctx       context.Context
	cancel    context.CancelFunc
}

// New makes the service; recordings live under dir. joiner connects its hidden participants;
// room, if not nil, shows and stops the recordings and broadcasts other meetd processes run.
func New(store Store, joiner Joiner, room Room, dir string, keys auth.Keys, log *slog.Logger) (*Service, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("recordings directory: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Service{
		store: store, joiner: joiner, room: room, dir: dir, keys: keys, log: log, now: time.Now, ffmpeg: "ffmpeg", ffprobe: "ffprobe",
		lookup: defaultLookup, minFree: DefaultMinFreeBytes, freeSpace: freeSpace, diskEvery: diskCheckEvery,
		restartGap: rtmpRestartGap, maxLive: maxLiveTracks, maxTotal: maxTotalTracks, canvas: DefaultCanvas,
		active: map[string]*recording{}, rtmp: map[string]*broadcast{}, merges: map[string]string{}, compose: make(chan struct{}, 1), ctx: ctx, cancel: cancel,
	}, nil
}

// Why a recording ended, as end_recording says.
const (
	StopRequested = "stopped by request"
	StopRoomEnded = "room ended"
	StopShutdown  = "meetd shutting down"
	StopRestarted = "meetd restarted during the recording"
)

// recordID makes a new record id; ids are made here, never taken from a request.
func recordID() string { return "REC_" + rand.Text()[:16] }

// folder is a recording's folder. The id has been checked (validRecordID) or made here.
func (s *Service) folder(id string) string { return filepath.Join(s.dir, id) }

func (s *Service) checkFFmpeg() error {
	if _, err := exec.LookPath(s.ffmpeg); err != nil {
		return meet.Errorf(meet.CodeConflict, "recording and RTMP need ffmpeg, which is not installed on this server (Debian package ffmpeg)")
	}
	return nil
}

// Start starts recording the room's running session.
func (s *Service) Start(ctx context.Context, roomID string) error {
	if !meet.ValidID(roomID) {
		return meet.BadID("room_id")
	}
	sess, err := s.startable(ctx, roomID, "recording")
	if err != nil {
		return err
	}
	rf := sess.Metadata.RoomFeatures.RecordingFeatures
	if !meet.Bool(rf.IsAllow) || !meet.Bool(rf.IsAllowCloud) {
		return meet.Errorf(meet.CodePermissionDenied, "recording is not allowed in room %s (recording_features)", roomID)
	}
	if err := s.checkDisk("recording cannot start"); err != nil {
		return err
	}
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		return meet.Errorf(meet.CodeConflict, "meetd is shutting down")
	}
	if _, busy := s.active[roomID]; busy {
		s.mu.Unlock()
		return meet.Errorf(meet.CodeConflict, "room %s is already being recorded", roomID)
	}
	if s.maxRecs > 0 && len(s.active) >= s.maxRecs {
		s.mu.Unlock()
		return meet.Errorf(meet.CodeConflict, "recording cannot start: %d recordings run on this server, as many as recording.max_concurrent allows", len(s.active))
	}
	rec := &recording{
		id: recordID(), roomID: roomID, sid: sess.SID, roomCreated: sess.CreatedAt, log: s.log,
		stopped: make(chan struct{}), joined: make(chan struct{}),
		maxLive: s.maxLive, maxTotal: s.maxTotal, live: map[string]int{},
		onlyAdminCams: meet.Bool(rf.OnlyRecordAdminWebcams), canvas: s.canvas.orDefault(),
	}
	rec.dir = s.folder(rec.id)
	s.active[roomID] = rec // holds the room while connecting
	s.mu.Unlock()

	fail := func(err error) error {
		s.mu.Lock()
		rec.stopOnce() // a late Disconnected does nothing
		close(rec.joined)
		delete(s.active, roomID)
		s.mu.Unlock()
		os.RemoveAll(rec.dir)
		return err
	}
	if err := os.MkdirAll(rec.dir, 0o700); err != nil {
		return fail(fmt.Errorf("recording folder: %w", err))
	}
	rec.start = s.now()
	if !s.liveOff {
		rec.composer = &liveRun{s: s, rec: rec, changed: make(chan struct{}, 1), done: make(chan struct{}),
			state: liveState{RecordID: rec.id, RoomID: roomID, SID: sess.SID, RoomCreated: sess.CreatedAt, Start: rec.start, Canvas: rec.canvas}}
		if err := rec.composer.state.save(rec.dir); err != nil {
			return fail(fmt.Errorf("recording folder: %w", err))
		}
	}
	identity := recorderPrefix + strconv.FormatInt(s.n.Add(1), 10)
	sub, err := s.joiner.Join(roomID, identity, media.SubscriberEvents{
		Track: rec.addTrack,
		Disconnected: func(reason string) {
			go func() {
				<-rec.joined
				_ = s.stop(context.Background(), rec, disconnectReason("recorder", reason))
			}()
		},
	})
	if err != nil {
		return fail(fmt.Errorf("start recording room %s: %w", roomID, err))
	}
	s.mu.Lock()
	rec.sub = sub
	s.mu.Unlock()
	on, err := s.store.SetRecording(ctx, sess.SID, true, func(sess *meet.Session) meet.Event {
		e := meet.NewEvent(meet.EventStartRecording, sess, s.now())
		e.RecordingInfo = &meet.EventRecording{RecordID: rec.id}
		return e
	})
	if err != nil || !on {
		sub.Leave()
		rec.wait(5 * time.Second)
		if err == nil {
			err = meet.Errorf(meet.CodeRoomNotActive, "room %s is not active", roomID)
		}
		return fail(err)
	}
	close(rec.joined)
	if rec.composer != nil {
		go rec.composer.run()
	}
	go s.watchDisk(rec, func() { _ = s.stop(context.Background(), rec, StopDiskLow) })
	s.log.Info("recording started", "room_id", roomID, "sid", sess.SID, "record_id", rec.id, "identity", identity)
	return nil
}

// startable is the room's running session, for a recording or broadcast (what) to start in: ffmpeg
// is there, the room is active and its media is not end-to-end encrypted.
func (s *Service) startable(ctx context.Context, roomID, what string) (*meet.Session, error) {
	sess, err := s.store.Session(ctx, roomID)
	if err != nil {
		return nil, fmt.Errorf("load room %s: %w", roomID, err)
	}
	if sess != nil && sess.Running() && meet.E2EEOf(&sess.Metadata.RoomFeatures).Enabled {
		return nil, meet.ErrE2EE(what, roomID) // before ffmpeg: installing it would not help
	}
	if err := s.checkFFmpeg(); err != nil {
		return nil, err
	}
	if sess == nil || !sess.Running() {
		return nil, meet.Errorf(meet.CodeRoomNotActive, "room %s is not active", roomID)
	}
	return sess, nil
}

// Stop stops the room's recording; the file is composed in the background and announced with
// recording_proceeded when ready.
func (s *Service) Stop(ctx context.Context, roomID string) error {
	if !meet.ValidID(roomID) {
		return meet.BadID("room_id")
	}
	s.mu.Lock()
	rec := s.active[roomID]
	connected := rec != nil && rec.sub != nil
	s.mu.Unlock()
	if !connected {
		return s.notHere(ctx, roomID, recorderPrefix, "room %s is not being recorded")
	}
	return s.stop(ctx, rec, StopRequested)
}

// stop ends a recording once: the recorder leaves, the tracks are closed, the flag drops with
// end_recording (saying why), and the composition is queued.
func (s *Service) stop(ctx context.Context, rec *recording, reason string) error {
	if !rec.stopOnce() {
		return nil
	}
	end := s.now()
	if rec.composer != nil {
		<-rec.composer.done // the last epoch's ffmpeg has finished its last chunk
	}
	rec.sub.Leave()
	if !rec.wait(10 * time.Second) {
		s.log.Warn("recording: tracks did not close in time", "record_id", rec.id)
	}
	s.mu.Lock()
	if s.active[rec.roomID] == rec {
		delete(s.active, rec.roomID)
	}
	s.mu.Unlock()
	_, err := s.store.SetRecording(context.WithoutCancel(ctx), rec.sid, false, func(sess *meet.Session) meet.Event {
		e := meet.NewEvent(meet.EventEndRecording, sess, end)
		e.RecordingInfo = &meet.EventRecording{RecordID: rec.id, Reason: reason}
		return e
	})
	if err != nil {
		s.log.Error("recording: clear is_recording", "room_id", rec.roomID, "record_id", rec.id, "err", err)
	}
	m := rec.manifest(end)
	if rec.composer != nil {
		st := rec.composer.snapshot()
		st.Tracks = nil
		m.Live = &st
	}
	if err := m.save(rec.dir); err != nil {
		s.log.Error("recording: save manifest", "record_id", rec.id, "err", err)
		return fmt.Errorf("stop recording %s: %w", rec.id, err)
	}
	s.log.Info("recording stopped", "room_id", rec.roomID, "record_id", rec.id, "reason", reason,
		"duration", m.Duration().Round(time.Millisecond), "tracks", len(m.Tracks))
	s.queue(m)
	return nil
}

// queue composes a stopped recording in the background.
func (s *Service) queue(m *manifest) {
	s.composing.Add(1)
	go func() {
		defer s.composing.Done()
		if m.Live != nil && m.Live.Failed == "" {
			err := s.finish(s.ctx, m, true)
			if err == nil {
				return
			}
			s.log.Warn("recording: the live composition cannot be used; composing from the tracks", "record_id", m.RecordID, "err", err)
		}
		select {
		case s.compose <- struct{}{}:
		case <-s.ctx.Done():
			s.log.Warn("recording not composed: shutting down; it will be composed at the next start", "record_id", m.RecordID)
			return
		}
		defer func() { <-s.compose }()
		if err := s.finish(s.ctx, m, false); err != nil {
			s.log.Error("recording composition failed; the tracks are kept", "record_id", m.RecordID, "err", err)
		}
	}()
}

// finish makes the MP4 (from the live composition's chunks if live, else composed from the
// tracks), records it, announces it with recording_proceeded and removes the track files and
// chunks.
func (s *Service) finish(ctx context.Context, m *manifest, live bool) error {
	dir := s.folder(m.RecordID)
	out := filepath.Join(dir, m.RecordID+".mp4")
	began := time.Now()
	var st composeStats
	var err error
	if live {
		var made time.Duration
		made, err = s.finishLive(ctx, dir, m, out)
		st = composeStats{Wall: time.Since(began), CPU: time.Duration(m.Live.CPUMS) * time.Millisecond}
		if err == nil {
			s.log.Info("recording: joined the live composition", "record_id", m.RecordID, "join_s", st.Wall.Seconds(),
				"duration_s", m.Duration().Seconds(), "chunks_end_s", made.Seconds(), "live_cpu_s", st.CPU.Seconds(),
				"cpu_per_recorded_s", st.CPU.Seconds()/max(m.Duration().Seconds(), 0.001))
		}
	} else {
		st, err = s.composeFile(ctx, dir, m, out)
	}
	if err != nil {
		return err
	}
	info, err := os.Stat(out)
	if err != nil {
		return err
	}
	f := File{
		RecordID: m.RecordID, SID: m.SID, RoomID: m.RoomID, FileName: filepath.Base(out), FileSize: info.Size(),
		Duration: m.Duration(), CreatedAt: s.now(), RoomCreationTime: m.RoomCreated,
	}
	if err := s.save(ctx, f); err != nil {
		return fmt.Errorf("save recording: %w", err)
	}
	for _, t := range m.Tracks {
		os.Remove(filepath.Join(dir, t.File))
	}
	removeLive(dir)
	s.log.Info("recording ready", "live", live, "room_id", m.RoomID, "record_id", m.RecordID, "bytes", f.FileSize,
		"duration_s", m.Duration().Seconds(), "compose_s", st.Wall.Seconds(), "real_time_factor", st.Wall.Seconds()/max(m.Duration().Seconds(), 0.001),
		"ffmpeg_cpu_s", st.CPU.Seconds())
	return nil
}

// save stores a finished recording and, with it, its recording_proceeded event; a cancelled ctx
// does not stop it.
func (s *Service) save(ctx context.Context, f File) error {
	return s.store.SaveRecording(context.WithoutCancel(ctx), f, func(sess *meet.Session) meet.Event {
		e := meet.NewEvent(meet.EventRecordingProceeded, sess, f.CreatedAt)
		e.RecordingInfo = &meet.EventRecording{RecordID: f.RecordID, FilePath: f.RecordID + "/" + f.FileName, FileSize: sizeMB(f.FileSize)}
		return e
	})
}

// sizeMB is a size in MB with two decimals, as the API gives it.
func sizeMB(n int64) float64 {
	return float64(int64(float64(n)/(1<<20)*100+0.5)) / 100
}

// Ending stops the room's recording and broadcast before the room closes (a rooms end hook).
func (s *Service) Ending(ctx context.Context, sess *meet.Session) {
	s.endingRTMP(ctx, sess)
	s.mu.Lock()
	rec := s.active[sess.RoomID]
	connected := rec != nil && rec.sub != nil
	s.mu.Unlock()
	if connected && rec.sid == sess.SID {
		if err := s.stop(ctx, rec, StopRoomEnded); err != nil {
			s.log.Error("stop recording at room end", "room_id", sess.RoomID, "err", err)
		}
	}
}

// Started starts the recording of a session with enable_auto_cloud_recording when its first
// participant joined (a rooms hook). It does not wait.
func (s *Service) Started(_ context.Context, sess *meet.Session) {
	if !meet.Bool(sess.Metadata.RoomFeatures.RecordingFeatures.EnableAutoCloudRecording) {
		return
	}
	go func() {
		ctx, cancel := context.WithTimeout(s.ctx, 30*time.Second)
		defer cancel()
		if err := s.Start(ctx, sess.RoomID); err != nil && meet.CodeOf(err) != meet.CodeConflict {
			s.log.Error("automatic recording did not start", "room_id", sess.RoomID, "err", err)
		}
	}()
}

// The identities of the recorder's and the broadcaster's participants start with these.
const (
	recorderPrefix = meet.InternalPrefix + "recorder_"
	rtmpPrefix     = meet.InternalPrefix + "rtmp_"
)

// Recover runs at start, once the media server answers: a recording that was running when meetd
// stopped has no recorder any more, so its flag drops with end_recording; stopped recordings that
// were not composed are composed now, and merges that were not finished run again. With several
// meetd (see New's room), a recording or broadcast that another process runs still has its
// internal participant in the room, and keeps its flag.
func (s *Service) Recover(ctx context.Context) error {
	running, err := s.store.RunningSessions(ctx)
	if err != nil {
		return fmt.Errorf("recover recordings: %w", err)
	}
	elsewhere := func(sess *meet.Session, prefix string) bool {
		identity, err := s.elsewhere(ctx, sess.RoomID, prefix)
		if err != nil {
			s.log.Warn("recover recordings: is another meetd running it?", "room_id", sess.RoomID, "err", err)
		}
		return identity != ""
	}
	for _, sess := range running {
		if sess.IsActiveRTMP && !elsewhere(sess, rtmpPrefix) {
			_, err := s.store.SetRTMP(ctx, sess.SID, false, func(sess *meet.Session) meet.Event {
				e := meet.NewEvent(meet.EventEndRTMP, sess, s.now())
				e.RecordingInfo = &meet.EventRecording{Reason: StopRestarted}
				return e
			})
			if err != nil {
				return fmt.Errorf("recover broadcasts: %w", err)
			}
		}
		if !sess.IsRecording || elsewhere(sess, recorderPrefix) {
			continue
		}
		_, err := s.store.SetRecording(ctx, sess.SID, false, func(sess *meet.Session) meet.Event {
			e := meet.NewEvent(meet.EventEndRecording, sess, s.now())
			e.RecordingInfo = &meet.EventRecording{Reason: StopRestarted}
			return e
		})
		if err != nil {
			return fmt.Errorf("recover recordings: %w", err)
		}
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("recover recordings: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() || !meet.ValidID(e.Name()) {
			continue
		}
		if s.recoverMerge(ctx, s.folder(e.Name())) {
			continue
		}
		m, err := loadManifest(s.folder(e.Name()))
		if errors.Is(err, os.ErrNotExist) {
			m, err = s.recoverLive(ctx, s.folder(e.Name()))
		}
		if err != nil || m == nil || m.RecordID != e.Name() {
			continue // nothing to compose from: the files stay for a person to see
		}
		if f, err := s.store.Recording(ctx, m.RecordID); err != nil || f != nil {
			continue
		}
		s.log.Info("composing a recording left from the last run", "record_id", m.RecordID)
		s.queue(m)
	}
	return nil
}

// Close stops every recording and waits for the compositions until ctx ends; then the
// compositions still running are killed (their tracks stay and are composed at the next start).
func (s *Service) Close(ctx context.Context) {
	s.mu.Lock()
	var recs []*recording
	for _, r := range s.active {
		if r.sub != nil {
			recs = append(recs, r)
		}
	}
	var casts []*broadcast
	for _, b := range s.rtmp {
		if b.sub != nil {
			casts = append(casts, b)
		}
	}
	s.mu.Unlock()
	for _, b := range casts {
		s.stopRTMP(ctx, b, StopShutdown)
	}
	for _, r := range recs {
		_ = s.stop(ctx, r, StopShutdown)
	}
	done := make(chan struct{})
	go func() { s.composing.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	s.mu.Lock()
	s.cancel()
	s.mu.Unlock()
	s.composing.Wait()
}

// ErrNoRecording: no such recording.
var ErrNoRecording = errors.New("no such recording")
