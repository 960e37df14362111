package config

import (
	"fmt"
	"net"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// HTTP bounds the HTTP server's connections (doc/security.md, "Limits, timeouts and proxies").
type HTTP struct {
	IdleTimeout    Duration `yaml:"idle_timeout"`    // an idle keep-alive connection is closed after this
	ReadTimeout    Duration `yaml:"read_timeout"`    // reading a request's body, on every route but /rtc, event streams, downloads
	WriteTimeout   Duration `yaml:"write_timeout"`   // writing the answer, on the same routes
	MaxConnections int      `yaml:"max_connections"` // open connections on the main listener; 0 = no limit
}

// DefaultHTTP is the HTTP limits with nothing set.
func DefaultHTTP() HTTP {
	return HTTP{IdleTimeout: Duration(120 * time.Second), ReadTimeout: Duration(30 * time.Second),
		WriteTimeout: Duration(60 * time.Second), MaxConnections: 10000}
}

func (h HTTP) validate() error {
	for key, d := range map[string]Duration{"http.idle_timeout": h.IdleTimeout,
		"http.read_timeout": h.ReadTimeout, "http.write_timeout": h.WriteTimeout} {
		if d <= 0 {
			return fmt.Errorf("%s: must be positive", key)
		}
	}
	if h.MaxConnections < 0 {
		return fmt.Errorf("http.max_connections: %d must not be negative", h.MaxConnections)
	}
	return nil
}

// CIDRList is a list of networks (CIDR, or a bare address for one host): a YAML sequence, or
// one comma-separated string.
type CIDRList []string

// UnmarshalYAML reads a sequence or a comma-separated string.
func (l *CIDRList) UnmarshalYAML(n *yaml.Node) error {
	var u URLList
	if err := u.UnmarshalYAML(n); err != nil {
		return err
	}
	*l = CIDRList(u)
	return nil
}

// Nets parses the list; the error names the entry.
func (l CIDRList) Nets() ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, s := range l {
		if !strings.Contains(s, "/") {
			ip := net.ParseIP(s)
			if ip == nil {
				return nil, fmt.Errorf("%q is not a CIDR or an IP address", s)
			}
			bits := 128
			if ip4 := ip.To4(); ip4 != nil {
				ip, bits = ip4, 32
			}
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR or an IP address", s)
		}
		out = append(out, n)
	}
	return out, nil
}
