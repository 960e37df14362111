package recorder

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"meetd/internal/meet"
)

// Options are the recorder's settings from the configuration (doc/security.md, "Recording and
// broadcasting").
type Options struct {
	// RTMPAllowedHosts is rtmp.allowed_hosts: "*", IP addresses, networks and host names that
	// broadcasts may reach besides public hosts on ports 1935 and 443.
	RTMPAllowedHosts []string
	// MinFreeBytes is recording.min_free_mb in bytes: below this much free space in the
	// recordings directory, recordings and merges do not start and running recordings stop. 0: no
	// check.
	MinFreeBytes int64
	// MaxConcurrent is recording.max_concurrent: recordings running at once on this server; the
	// next start is refused with CONFLICT. 0: no cap.
	MaxConcurrent int
	// Canvas is recording.size and recording.fps: the composed picture of recordings, broadcasts
	// and merges. Zero: DefaultCanvas.
	Canvas Canvas
}

// DefaultMinFreeBytes is recording.min_free_mb's default, 1 GiB.
const DefaultMinFreeBytes = 1 << 30

// SetOptions applies the configuration; call it before the service is used.
func (s *Service) SetOptions(o Options) error {
	t, err := parseRTMPTargets(o.RTMPAllowedHosts)
	if err != nil {
		return err
	}
	if o.MinFreeBytes < 0 {
		return errors.New("recording.min_free_mb: must not be negative")
	}
	if o.MaxConcurrent < 0 {
		return errors.New("recording.max_concurrent: must not be negative")
	}
	cv := o.Canvas.orDefault()
	if err := cv.Validate(); err != nil {
		return err
	}
	s.targets, s.minFree, s.maxRecs, s.canvas = t, o.MinFreeBytes, o.MaxConcurrent, cv
	return nil
}

// Track limits: a participant who publishes and unpublishes in a loop must not make a recording
// or broadcast unbounded. 64 pictures at once are an 8×8 grid of 160×90 cells at 1280×720.
const (
	maxLiveTracks  = 64  // of each kind (video, audio) at once; more are ignored (logged)
	maxTotalTracks = 512 // track files of one recording; more are ignored (logged)
)

const (
	// diskCheckEvery is how often a running recording looks at the free space.
	diskCheckEvery = 10 * time.Second
	// rtmpRestartGap is the least time between two starts of a broadcast's ffmpeg: each start is
	// a new RTMP connection, and tracks can come and go much faster.
	rtmpRestartGap = 5 * time.Second
)

// StopDiskLow is why a recording stopped for lack of space (end_recording's reason).
const StopDiskLow = "disk space low"

// checkDisk refuses to start writing (what says what) when the recordings directory has less free
// space than recording.min_free_mb.
func (s *Service) checkDisk(what string) error {
	if s.minFree <= 0 {
		return nil
	}
	free, err := s.freeSpace(s.dir)
	if err != nil {
		s.log.Warn("recorder: free disk space unknown", "dir", s.dir, "err", err)
		return nil
	}
	if free < uint64(s.minFree) {
		return meet.Errorf(meet.CodeConflict, "%s: only %d MB free in the recordings directory, below recording.min_free_mb (%d)",
			what, free>>20, s.minFree>>20)
	}
	return nil
}

// watchDisk calls stop once when the free space falls below recording.min_free_mb while rec runs.
func (s *Service) watchDisk(rec *recording, stop func()) {
	if s.minFree <= 0 {
		return
	}
	t := time.NewTicker(s.diskEvery)
	defer t.Stop()
	for {
		select {
		case <-rec.stopped:
			return
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		free, err := s.freeSpace(s.dir)
		if err != nil || free >= uint64(s.minFree) {
			continue
		}
		s.log.Error("recording stopped: disk space low", "record_id", rec.id, "free_mb", free>>20, "min_free_mb", s.minFree>>20)
		stop()
		return
	}
}

// A filter graph longer than this goes to ffmpeg in a file: one argument may not exceed 128 KiB
// on Linux (MAX_ARG_STRLEN), and exec fails.
const inlineGraphMax = 32 << 10

// graphFromFile moves a long -filter_complex graph in args into file, and args read it from there
// (-/filter_complex since ffmpeg 7, -filter_complex_script before, which ffmpeg 9 removed).
// used says whether file was written; the caller removes it after ffmpeg ends.
func (s *Service) graphFromFile(args []string, file string) (_ []string, used bool, err error) {
	i := slices.Index(args, "-filter_complex")
	if i < 0 || i+1 >= len(args) || len(args[i+1]) <= inlineGraphMax {
		return args, false, nil
	}
	if err := os.WriteFile(file, []byte(args[i+1]), 0o600); err != nil {
		return args, false, fmt.Errorf("filter graph file: %w", err)
	}
	opt := "-/filter_complex"
	if s.ffmpegMajor() < 7 {
		opt = "-filter_complex_script"
	}
	out := append(append(slices.Clone(args[:i]), opt, file), args[i+2:]...)
	return out, true, nil
}

// ffmpegMajor is ffmpeg's major version, asked once; a build that does not say (a git build) is
// taken as new.
func (s *Service) ffmpegMajor() int {
	s.versionOnce.Do(func() {
		s.version = 99
		out, err := exec.Command(s.ffmpeg, "-hide_banner", "-version").Output()
		if err == nil {
			s.version = parseFFmpegMajor(string(out))
		}
	})
	return s.version
}

// parseFFmpegMajor reads "ffmpeg version 5.1.6-0+deb12u1 …" or "ffmpeg version n7.1 …"; 99 when
// the version is not a number ("N-118000-g…", "git-…").
func parseFFmpegMajor(out string) int {
	f := strings.Fields(out)
	if len(f) < 3 || f[1] != "version" {
		return 99
	}
	v := strings.TrimPrefix(f[2], "n")
	end := strings.IndexFunc(v, func(r rune) bool { return r < '0' || r > '9' })
	if end >= 0 {
		v = v[:end]
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 99
	}
	return n
}

// Protocols ffmpeg may use (-protocol_whitelist): files (track files, pipes as /dev/fd/N) for
// inputs and compositions, RTMP(S) over TCP or TLS for broadcasts.
const (
	fileProtocols = "file"
	rtmpProtocols = "rtmp,rtmps,tcp,tls"
)

// redactRTMP hides rtmp_url's stream key in ffmpeg's messages: the URL becomes
// scheme://host/<redacted>, and its path segments, query values and user info become <redacted>
// wherever they appear alone. Everything but the scheme and the host counts as secret.
func redactRTMP(text, raw string) string {
	const mark = "\x00" // no part of a checked URL holds it
	u, err := url.Parse(raw)
	if err != nil {
		return strings.ReplaceAll(text, raw, "<redacted>")
	}
	whole := []string{raw, u.String()}
	var parts []string
	rest := raw[min(len(u.Scheme)+3, len(raw)):] // after "://"
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		parts = append(parts, rest[i:])
		for _, p := range strings.FieldsFunc(rest[i:], func(r rune) bool { return strings.ContainsRune("/?&#;", r) }) {
			parts = append(parts, p)
			if _, v, ok := strings.Cut(p, "="); ok {
				parts = append(parts, v)
			}
		}
	}
	if u.User != nil {
		parts = append(parts, u.User.String(), u.User.Username())
		if p, ok := u.User.Password(); ok {
			parts = append(parts, p)
		}
	}
	longestFirst := func(a, b string) int { return len(b) - len(a) }
	slices.SortStableFunc(whole, longestFirst)
	slices.SortStableFunc(parts, longestFirst)
	for _, w := range whole {
		if w != "" && w != "/" {
			text = strings.ReplaceAll(text, w, mark)
		}
	}
	for _, p := range parts {
		if len(p) >= 3 { // shorter ones are no secret, and would spoil the text
			text = strings.ReplaceAll(text, p, "<redacted>")
		}
	}
	return strings.ReplaceAll(text, mark, strings.ToLower(u.Scheme)+"://"+u.Host+"/<redacted>")
}
