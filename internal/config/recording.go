package config

import (
	"fmt"
	"net/netip"
	"regexp"
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
	return nil
}
