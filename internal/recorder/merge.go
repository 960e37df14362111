package recorder

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"meetd/internal/meet"
)

// MergeScope is what recording/mergeRecordings merges (doc/api.md): every recording of the
// session RoomSID but those in Exclude (by_session), or the recordings RecordIDs of the room
// RoomID, in that order (by_ids). Exactly one of RoomSID and RoomID is set.
type MergeScope struct {
	RoomSID string
	Exclude []string

	RoomID    string
	RecordIDs []string
}

// mergeJob is a merge that has been accepted and not yet finished, saved in the new recording's
// folder as merge.json: a merge that meetd's stop interrupted is run again at the next start
// (Recover).
type mergeJob struct {
	RecordID    string       `json:"record_id"` // the new recording
	RoomID      string       `json:"room_id"`
	SID         string       `json:"sid"`
	RoomCreated time.Time    `json:"room_created"`
	Inputs      []mergeInput `json:"inputs"` // in the order of the result
}

// mergeInput is one recording merged.
type mergeInput struct {
	RecordID string `json:"record_id"`
	File     string `json:"file"` // inside its folder
}

const mergeJobName = "merge.json"

// Merge checks a merge and starts it: the recordings exist, belong to the room (or session), are
// at least two, and their files are on this server. It answers at once with the new recording's
// id; the merged MP4 is made in the background and announced with recording_proceeded when it is
// ready, like a recording's. A merge that fails leaves nothing and is logged. One merge per room
// at a time.
func (s *Service) Merge(ctx context.Context, sc MergeScope) (string, error) {
	if err := s.checkFFmpeg(); err != nil {
		return "", err
	}
	files, sess, err := s.mergeInputs(ctx, sc)
	if err != nil {
		return "", err
	}
	job := &mergeJob{RecordID: recordID(), RoomID: sess.RoomID, SID: sess.SID, RoomCreated: sess.CreatedAt}
	for _, f := range files {
		if !validFileName(f.FileName) {
			return "", meet.Errorf(meet.CodeConflict, "recording %s has no file on this server", f.RecordID)
		}
		if _, err := os.Stat(filepath.Join(s.folder(f.RecordID), f.FileName)); err != nil {
			return "", meet.Errorf(meet.CodeConflict, "recording %s has no file on this server", f.RecordID)
		}
		job.Inputs = append(job.Inputs, mergeInput{RecordID: f.RecordID, File: f.FileName})
	}
	if err := s.checkDisk("merge cannot start"); err != nil {
		return "", err
	}

	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		return "", meet.Errorf(meet.CodeConflict, "meetd is shutting down")
	}
	if id, busy := s.merges[job.RoomID]; busy {
		s.mu.Unlock()
		return "", meet.Errorf(meet.CodeConflict, "recordings of room %s are already being merged (%s)", job.RoomID, id)
	}
	s.merges[job.RoomID] = job.RecordID
	s.mu.Unlock()

	dir := s.folder(job.RecordID)
	if err := os.MkdirAll(dir, 0o700); err == nil {
		err = job.save(dir)
	}
	if err != nil {
		os.RemoveAll(dir)
		s.mu.Lock()
		delete(s.merges, job.RoomID)
		s.mu.Unlock()
		return "", fmt.Errorf("merge recordings: %w", err)
	}
	s.log.Info("merge of recordings accepted", "room_id", job.RoomID, "sid", job.SID, "record_id", job.RecordID, "inputs", len(job.Inputs))
	s.queueMerge(job)
	return job.RecordID, nil
}

// mergeInputs are the recordings a merge scope names, in order, and the session the result
// belongs to: the scope's session, or (by ids) the session of the last recording, as plugNmeet.
func (s *Service) mergeInputs(ctx context.Context, sc MergeScope) ([]File, *meet.Session, error) {
	var files []File
	var sid string
	if sc.RoomSID != "" {
		sess, err := s.store.SessionBySID(ctx, sc.RoomSID)
		if err != nil {
			return nil, nil, fmt.Errorf("merge recordings: %w", err)
		}
		if sess == nil {
			return nil, nil, meet.Errorf(meet.CodeRoomNotFound, "no session %s", sc.RoomSID)
		}
		all, _, err := s.store.Recordings(ctx, Filter{SID: sc.RoomSID, SessionFilter: meet.SessionFilter{Ascending: true, Limit: 10000}})
		if err != nil {
			return nil, nil, fmt.Errorf("merge recordings: %w", err)
		}
		if len(all) == 0 {
			return nil, nil, meet.Errorf(meet.CodeNotFound, "session %s has no recordings", sc.RoomSID)
		}
		for _, f := range all {
			if !slices.Contains(sc.Exclude, f.RecordID) {
				files = append(files, f)
			}
		}
		if len(files) < 2 {
			return nil, nil, meet.Errorf(meet.CodeInvalidParameters, "by_session: session %s has %d recordings to merge (besides exclude_recording_ids), at least 2 are needed", sc.RoomSID, len(files))
		}
		return files, sess, nil
	}
	for i, id := range sc.RecordIDs {
		if slices.Contains(sc.RecordIDs[:i], id) {
			return nil, nil, meet.Errorf(meet.CodeInvalidParameters, "by_ids.recording_ids lists %s twice", id)
		}
		f, err := s.store.Recording(ctx, id)
		if err != nil {
			return nil, nil, fmt.Errorf("merge recordings: %w", err)
		}
		if f == nil || f.RoomID != sc.RoomID {
			return nil, nil, meet.Errorf(meet.CodeNotFound, "no recording %s in room %s", id, sc.RoomID)
		}
		files = append(files, *f)
		sid = f.SID
	}
	sess, err := s.store.SessionBySID(ctx, sid)
	if err != nil {
		return nil, nil, fmt.Errorf("merge recordings: %w", err)
	}
	if sess == nil { // the session was pruned: keep what the recording says
		last := files[len(files)-1]
		sess = &meet.Session{SID: last.SID, RoomID: last.RoomID, CreatedAt: last.RoomCreationTime}
	}
	return files, sess, nil
}

func validFileName(name string) bool {
	return name != "" && name == filepath.Base(name) && !strings.HasPrefix(name, ".")
}

func (j *mergeJob) save(dir string) error {
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, mergeJobName+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, mergeJobName))
}

func loadMergeJob(dir string) (*mergeJob, error) {
	b, err := os.ReadFile(filepath.Join(dir, mergeJobName))
	if err != nil {
		return nil, err
	}
	var j mergeJob
	if err := json.Unmarshal(b, &j); err != nil {
		return nil, err
	}
	for _, in := range j.Inputs {
		if !meet.ValidID(in.RecordID) || !validFileName(in.File) {
			return nil, fmt.Errorf("bad input %q/%q", in.RecordID, in.File)
		}
	}
	return &j, nil
}

// queueMerge runs a merge in the background, one ffmpeg at a time with the compositions.
func (s *Service) queueMerge(job *mergeJob) {
	s.composing.Add(1)
	go func() {
		defer s.composing.Done()
		defer func() {
			s.mu.Lock()
			if s.merges[job.RoomID] == job.RecordID {
				delete(s.merges, job.RoomID)
			}
			s.mu.Unlock()
		}()
		select {
		case s.compose <- struct{}{}:
		case <-s.ctx.Done():
			s.log.Warn("merge not run: shutting down; it will run at the next start", "record_id", job.RecordID)
			return
		}
		defer func() { <-s.compose }()
		dir := s.folder(job.RecordID)
		err := s.runMerge(s.ctx, job)
		switch {
		case err == nil:
		case s.ctx.Err() != nil:
			// killed by shutdown: the job stays, and runs again at the next start
			os.Remove(filepath.Join(dir, job.RecordID+".mp4.part"))
			s.log.Warn("merge interrupted by shutdown; it will run again at the next start", "record_id", job.RecordID, "err", err)
		default:
			os.RemoveAll(dir) // nothing half-done stays
			s.log.Error("merge of recordings failed; nothing was made", "room_id", job.RoomID, "record_id", job.RecordID, "err", err)
		}
	}()
}

// runMerge makes the merged MP4, records it with recording_proceeded, and drops the job.
func (s *Service) runMerge(ctx context.Context, job *mergeJob) error {
	dir := s.folder(job.RecordID)
	var inputs []string
	for _, in := range job.Inputs {
		inputs = append(inputs, filepath.Join(s.folder(in.RecordID), in.File))
	}
	out := filepath.Join(dir, job.RecordID+".mp4")
	began := time.Now()
	copied, err := s.concat(ctx, inputs, out)
	if err != nil {
		return err
	}
	info, err := os.Stat(out)
	if err != nil {
		return err
	}
	probe, err := s.probe(ctx, out)
	if err != nil {
		os.Remove(out)
		return fmt.Errorf("the merged file: %w", err)
	}
	f := File{
		RecordID: job.RecordID, SID: job.SID, RoomID: job.RoomID, FileName: filepath.Base(out), FileSize: info.Size(),
		Duration: probe.duration(), CreatedAt: s.now(), RoomCreationTime: job.RoomCreated,
	}
	if err := s.save(ctx, f); err != nil {
		os.Remove(out)
		return fmt.Errorf("save merged recording: %w", err)
	}
	os.Remove(filepath.Join(dir, mergeJobName))
	os.Remove(filepath.Join(dir, concatListName))
	s.log.Info("merged recording ready", "room_id", job.RoomID, "record_id", job.RecordID, "inputs", len(inputs),
		"stream_copy", copied, "bytes", f.FileSize, "duration_s", f.Duration.Seconds(), "merge_s", time.Since(began).Seconds())
	return nil
}

// recoverMerge runs again a merge that meetd's stop interrupted; one whose recording is already
// stored only drops its job file.
func (s *Service) recoverMerge(ctx context.Context, dir string) bool {
	job, err := loadMergeJob(dir)
	if err != nil || job.RecordID != filepath.Base(dir) {
		return false
	}
	if f, err := s.store.Recording(ctx, job.RecordID); err != nil || f != nil {
		if f != nil {
			os.Remove(filepath.Join(dir, mergeJobName))
		}
		return true
	}
	s.mu.Lock()
	s.merges[job.RoomID] = job.RecordID
	s.mu.Unlock()
	s.log.Info("running again a merge left from the last run", "record_id", job.RecordID)
	s.queueMerge(job)
	return true
}

// mediaInfo is what ffprobe says of a file.
type mediaInfo struct {
	Streams []struct {
		CodecType  string `json:"codec_type"`
		CodecName  string `json:"codec_name"`
		Width      int    `json:"width,omitempty"`
		Height     int    `json:"height,omitempty"`
		PixFmt     string `json:"pix_fmt,omitempty"`
		SampleRate string `json:"sample_rate,omitempty"`
		Channels   int    `json:"channels,omitempty"`
	} `json:"streams"`
	Format struct {
		Duration string `json:"duration"`
	} `json:"format"`
}

func (m *mediaInfo) duration() time.Duration {
	s, _ := strconv.ParseFloat(m.Format.Duration, 64)
	return time.Duration(s * float64(time.Second))
}

// has reports whether the file has a stream of kind (video, audio).
func (m *mediaInfo) has(kind string) bool {
	for _, st := range m.Streams {
		if st.CodecType == kind {
			return true
		}
	}
	return false
}

// signature is what must be equal in every input for their streams to be joined as they are.
func (m *mediaInfo) signature() string {
	var b strings.Builder
	for _, st := range m.Streams {
		if st.CodecType != "video" && st.CodecType != "audio" {
			continue
		}
		fmt.Fprintf(&b, "%s:%s:%dx%d:%s:%s:%d;", st.CodecType, st.CodecName, st.Width, st.Height, st.PixFmt, st.SampleRate, st.Channels)
	}
	return b.String()
}

func (s *Service) probe(ctx context.Context, path string) (*mediaInfo, error) {
	cmd := exec.CommandContext(ctx, s.ffprobe, "-v", "error", "-protocol_whitelist", fileProtocols, "-show_entries",
		"stream=codec_type,codec_name,width,height,pix_fmt,sample_rate,channels:format=duration", "-of", "json", path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("ffprobe %s: %w: %s", filepath.Base(path), err, strings.TrimSpace(stderr.String()))
	}
	var m mediaInfo
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("ffprobe %s: %w", filepath.Base(path), err)
	}
	if !m.has("video") && !m.has("audio") {
		return nil, fmt.Errorf("%s has no audio or video", filepath.Base(path))
	}
	return &m, nil
}

const concatListName = "concat.txt"

// concat joins the MP4 files inputs, in order, into out: with the concat demuxer and stream copy
// when every input has the same streams (codec, size, pixel format, audio rate and channels), as
// meetd's own recordings do; else re-encoded as the recordings are composed (H.264 1280x720,
// AAC 48 kHz stereo), a missing audio or video filled with silence or black. copied says which.
// out appears only when complete.
func (s *Service) concat(ctx context.Context, inputs []string, out string) (copied bool, err error) {
	if len(inputs) < 2 {
		return false, errors.New("at least two inputs are needed")
	}
	infos := make([]*mediaInfo, len(inputs))
	same := true
	for i, in := range inputs {
		if infos[i], err = s.probe(ctx, in); err != nil {
			return false, err
		}
		same = same && infos[i].signature() == infos[0].signature()
	}
	tmp := out + ".part"
	var args []string
	if same {
		list := filepath.Join(filepath.Dir(out), concatListName)
		var b strings.Builder
		for _, in := range inputs {
			fmt.Fprintf(&b, "file '%s'\n", strings.ReplaceAll(in, "'", `'\''`))
		}
		if err := os.WriteFile(list, []byte(b.String()), 0o600); err != nil {
			return false, err
		}
		defer os.Remove(list)
		args = []string{"-hide_banner", "-nostdin", "-loglevel", "error", "-y",
			"-protocol_whitelist", fileProtocols, "-f", "concat", "-safe", "0", "-i", list,
			"-map", "0", "-c", "copy", "-movflags", "+faststart", "-protocol_whitelist", fileProtocols, "-f", "mp4", tmp}
	} else {
		graph := filepath.Join(filepath.Dir(out), graphFileName)
		var scripted bool
		if args, scripted, err = s.graphFromFile(reencodeArgs(inputs, infos, tmp, s.canvas.orDefault()), graph); err != nil {
			return false, err
		}
		if scripted {
			defer os.Remove(graph)
		}
	}
	cmd := exec.CommandContext(ctx, s.ffmpeg, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		os.Remove(tmp)
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = msg[len(msg)-2000:]
		}
		return same, fmt.Errorf("ffmpeg: %w: %s", err, msg)
	}
	if err := os.Rename(tmp, out); err != nil {
		os.Remove(tmp)
		return same, err
	}
	return same, nil
}

// reencodeArgs is ffmpeg's command line to join inputs of different formats with the concat
// filter.
func reencodeArgs(inputs []string, infos []*mediaInfo, out string, cv Canvas) []string {
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error", "-y"}
	for _, in := range inputs {
		args = append(args, "-protocol_whitelist", fileProtocols, "-i", in)
	}
	var f strings.Builder
	for i, m := range infos {
		dur := secs(max(m.duration().Seconds(), 0.04))
		if m.has("video") {
			fmt.Fprintf(&f, "[%d:v:0]scale=%d:%d:force_original_aspect_ratio=decrease,pad=%d:%d:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,fps=%d,format=yuv420p[v%d];",
				i, cv.W, cv.H, cv.W, cv.H, cv.FPS, i)
		} else {
			fmt.Fprintf(&f, "color=c=black:s=%dx%d:r=%d:d=%s,format=yuv420p[v%d];", cv.W, cv.H, cv.FPS, dur, i)
		}
		if m.has("audio") {
			fmt.Fprintf(&f, "[%d:a:0]aresample=48000,aformat=sample_fmts=fltp:channel_layouts=stereo[a%d];", i, i)
		} else {
			fmt.Fprintf(&f, "anullsrc=r=48000:cl=stereo,atrim=0:%s,aformat=sample_fmts=fltp[a%d];", dur, i)
		}
	}
	for i := range infos {
		fmt.Fprintf(&f, "[v%d][a%d]", i, i)
	}
	fmt.Fprintf(&f, "concat=n=%d:v=1:a=1[vout][aout]", len(infos))
	return append(args, "-filter_complex", f.String(), "-map", "[vout]", "-map", "[aout]",
		"-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-movflags", "+faststart", "-protocol_whitelist", fileProtocols, "-f", "mp4", out)
}
