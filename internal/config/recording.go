package config

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// RTMP configures broadcasts (doc/security.md, "Recording and broadcasting").
type RTMP struct {
	// AllowedHosts are the targets a broadcast may reach besides public hosts on ports 1935 and
	// 443: host names, IP addresses and networks (CIDR), each on any port; "*" allows everything.
	AllowedHosts URLList `yaml:"allowed_hosts"`
}

// Recording configures recordings.
type Recording struct {
	// MinFreeMB: with less free space (MiB) in the recordings directory, recordings and merges do
	// not start, and running recordings stop. 0 switches the check off.
	MinFreeMB int `yaml:"min_free_mb"`
	// MaxConcurrent caps the recordings running at once on this server (each composes live,
	// doc/decisions/0012-live-composition.md); the next start is refused. 0: no cap.
	MaxConcurrent int `yaml:"max_concurrent"`
	// Size is the composed picture of recordings and broadcasts, WIDTHxHEIGHT ("1280x720"); FPS
	// its frames per second (25). Smaller costs less CPU per recording
	// (doc/decisions/0012-live-composition.md, "The canvas").
	Size string `yaml:"size"`
	FPS  int    `yaml:"fps"`
}

// CanvasSize is recording.size as numbers.
func (r Recording) CanvasSize() (w, h int, err error) {
	ws, hs, ok := strings.Cut(strings.ToLower(r.Size), "x")
	w, errW := strconv.Atoi(ws)
	h, errH := strconv.Atoi(hs)
	if !ok || errW != nil || errH != nil || w <= 0 || h <= 0 {
		return 0, 0, fmt.Errorf("recording.size: %q is not WIDTHxHEIGHT, such as 1280x720", r.Size)
	}
	return w, h, nil
}

var hostNamePattern = regexp.MustCompile(`^([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.?$`)

func (c *Config) validateRecording() error {
	for _, h := range c.RTMP.AllowedHosts {
		if h == "*" || hostNamePattern.MatchString(strings.ToLower(h)) {
			continue
		}
		if _, err := netip.ParsePrefix(h); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
			continue
		}
		return fmt.Errorf("rtmp.allowed_hosts: %q is not *, a host name, an IP address or a network", h)
	}
	if c.Recording.MinFreeMB < 0 {
		return fmt.Errorf("recording.min_free_mb: %d must not be negative", c.Recording.MinFreeMB)
	}
	if c.Recording.MaxConcurrent < 0 {
		return fmt.Errorf("recording.max_concurrent: %d must not be negative", c.Recording.MaxConcurrent)
	}
	w, h, err := c.Recording.CanvasSize()
	if err != nil {
		return err
	}
	// the same limits as the recorder's (internal/recorder/canvas.go)
	if w < 160 || w > 3840 || h < 90 || h > 2160 || w%2 != 0 || h%2 != 0 {
		return fmt.Errorf("recording.size: %dx%d must be even numbers from 160x90 to 3840x2160", w, h)
	}
	if c.Recording.FPS < 5 || c.Recording.FPS > 60 {
		return fmt.Errorf("recording.fps: %d is outside 5 to 60", c.Recording.FPS)
	}
	return nil
}
