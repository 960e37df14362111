package recorder

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"meetd/internal/media"
)

// background is the colour of the canvas where no picture is.
const background = "0x1e1e1e"

// composeStats say what a composition cost.
type composeStats struct {
	Wall time.Duration // from start to end of ffmpeg
	CPU  time.Duration // user + system time of ffmpeg
}

// rect is a place on the canvas.
type rect struct{ X, Y, W, H int }

// layout places the video tracks: one cell per participant camera (a participant who comes back
// keeps their cell), one per screen share. Without screen shares the cells form a grid; with one
// or more, the screens take the large left part and the cameras a column on the right. The
// layout is fixed for the whole recording; a cell is empty while its participant is away.
func layout(tracks []*trackFile, cv Canvas) map[*trackFile]rect {
	var cams, screens []string
	seen := map[string]bool{}
	key := func(t *trackFile) string {
		if strings.HasPrefix(t.Source, "SCREEN_SHARE") {
			return "screen\x00" + t.Identity
		}
		return "camera\x00" + t.Identity
	}
	for _, t := range tracks {
		k := key(t)
		if seen[k] {
			continue
		}
		seen[k] = true
		if strings.HasPrefix(k, "screen") {
			screens = append(screens, k)
		} else {
			cams = append(cams, k)
		}
	}
	cells := map[string]rect{}
	grid := func(keys []string, area rect, maxCols int) {
		n := len(keys)
		if n == 0 {
			return
		}
		cols := int(math.Ceil(math.Sqrt(float64(n))))
		if maxCols > 0 {
			cols = min(cols, maxCols)
		}
		rows := (n + cols - 1) / cols
		w, h := even(area.W/cols), even(area.H/rows)
		for i, k := range keys {
			c, r := i%cols, i/cols
			cells[k] = rect{area.X + c*area.W/cols, area.Y + r*area.H/rows, w, h}
		}
	}
	switch {
	case len(screens) == 0:
		grid(cams, rect{0, 0, cv.W, cv.H}, 0)
	case len(cams) == 0:
		grid(screens, rect{0, 0, cv.W, cv.H}, 1)
	default:
		side := cv.W / 4
		grid(screens, rect{0, 0, cv.W - side, cv.H}, 1)
		grid(cams, rect{cv.W - side, 0, side, cv.H}, 1+(len(cams)-1)/6)
	}
	out := map[*trackFile]rect{}
	for _, t := range tracks {
		out[t] = cells[key(t)]
	}
	return out
}

func even(n int) int { return n &^ 1 }

// splitLive divides the tracks of a live ffmpeg (a broadcast's or a recording epoch's) into its
// videos, in the order of their participants, and its audios; files are the videos as layout
// places them.
func splitLive[T any](tracks []T, of func(T) (media.SubscribedTrack, string)) (videos, audios []T, files []*trackFile) {
	for _, tr := range tracks {
		if _, kind := of(tr); kind == "video" {
			videos = append(videos, tr)
		} else {
			audios = append(audios, tr)
		}
	}
	sort.SliceStable(videos, func(i, j int) bool {
		a, _ := of(videos[i])
		b, _ := of(videos[j])
		return a.Identity < b.Identity
	})
	files = make([]*trackFile, len(videos))
	for i, v := range videos {
		t, _ := of(v)
		files[i] = &trackFile{Identity: t.Identity, Source: t.Source, Kind: "video"}
	}
	return videos, audios, files
}

// composeArgs builds ffmpeg's command line: every track an input, each video scaled into its
// cell and shown from its start to its end over a plain background, every audio delayed to its
// start and mixed.
func composeArgs(dir string, m *manifest, out string) []string {
	return composeArgsWith(dir, m, out, []string{"-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", "-r", strconv.Itoa(m.Canvas.orDefault().FPS),
		"-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-movflags", "+faststart"}, "mp4")
}

// composeArgsWith is composeArgs with the given encoding and output format.
func composeArgsWith(dir string, m *manifest, out string, encode []string, format string) []string {
	dur := float64(m.DurationMS) / 1000
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error", "-y"}
	var videos, audios []*trackFile
	for _, t := range m.Tracks {
		if t.Kind == "video" {
			videos = append(videos, t)
		} else if t.Kind == "audio" {
			audios = append(audios, t)
		}
	}
	sort.SliceStable(videos, func(i, j int) bool { return videos[i].StartMS < videos[j].StartMS })
	in := 0
	var f strings.Builder
	cv := m.Canvas.orDefault()
	fmt.Fprintf(&f, "color=c=%s:s=%dx%d:r=%d:d=%s[base0];", background, cv.W, cv.H, cv.FPS, secs(dur))
	cells := layout(videos, cv)
	for i, t := range videos {
		args = append(args, "-protocol_whitelist", fileProtocols, "-i", filepath.Join(dir, t.File))
		c := cells[t]
		start := secs(float64(t.StartMS) / 1000)
		// Timestamps as written (RTP), moved to the track's start in the recording.
		fmt.Fprintf(&f, "[%d:v]setpts=PTS-STARTPTS+%s/TB,scale=%d:%d:force_original_aspect_ratio=decrease,"+
			"pad=%d:%d:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1[v%d];", in, start, c.W, c.H, c.W, c.H, i)
		fmt.Fprintf(&f, "[base%d][v%d]overlay=x=%d:y=%d:eof_action=pass:enable='between(t,%s,%s)'[base%d];",
			i, i, c.X, c.Y, start, secs(float64(t.EndMS)/1000+0.1), i+1)
		in++
	}
	fmt.Fprintf(&f, "[base%d]format=yuv420p[vout];", len(videos))
	if len(audios) == 0 {
		fmt.Fprintf(&f, "anullsrc=r=48000:cl=stereo,atrim=0:%s[aout]", secs(dur))
	} else {
		for i, t := range audios {
			args = append(args, "-protocol_whitelist", fileProtocols, "-i", filepath.Join(dir, t.File))
			ms := t.StartMS
			fmt.Fprintf(&f, "[%d:a]aresample=48000,aformat=channel_layouts=stereo,asetpts=PTS-STARTPTS,adelay=%d|%d[a%d];", in, ms, ms, i)
			in++
		}
		for i := range audios {
			fmt.Fprintf(&f, "[a%d]", i)
		}
		fmt.Fprintf(&f, "amix=inputs=%d:duration=longest:dropout_transition=0:normalize=0,apad,atrim=0:%s[aout]", len(audios), secs(dur))
	}
	args = append(args, "-filter_complex", f.String(), "-map", "[vout]", "-map", "[aout]")
	args = append(args, encode...)
	return append(args, "-t", secs(dur), "-protocol_whitelist", fileProtocols, "-f", format, out)
}

// graphFileName is a long filter graph's file in the recording's folder (graphFromFile).
const graphFileName = "filter.txt"

func secs(s float64) string { return strconv.FormatFloat(s, 'f', 3, 64) }

// composeFile runs ffmpeg; the output appears at out only when complete. ffmpeg is killed if ctx
// ends first.
func (s *Service) composeFile(ctx context.Context, dir string, m *manifest, out string) (composeStats, error) {
	if err := s.checkFFmpeg(); err != nil {
		return composeStats{}, err
	}
	tmp := out + ".part"
	args, scripted, err := s.graphFromFile(composeArgs(dir, m, tmp), filepath.Join(dir, graphFileName))
	if err != nil {
		return composeStats{}, err
	}
	if scripted {
		defer os.Remove(filepath.Join(dir, graphFileName))
	}
	cmd := exec.CommandContext(ctx, s.ffmpeg, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	began := time.Now()
	s.log.Info("composing recording", "record_id", m.RecordID, "tracks", len(m.Tracks), "duration_s", float64(m.DurationMS)/1000)
	err = cmd.Run()
	st := composeStats{Wall: time.Since(began)}
	if cmd.ProcessState != nil {
		st.CPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		os.Remove(tmp)
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 2000 {
			msg = msg[len(msg)-2000:]
		}
		return st, fmt.Errorf("ffmpeg: %w: %s", err, msg)
	}
	if err := os.Rename(tmp, out); err != nil {
		return st, err
	}
	return st, nil
}
