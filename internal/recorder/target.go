package recorder

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"meetd/internal/meet"
)

// rtmpTargets are where broadcasts may go (rtmp.allowed_hosts, doc/security.md): by default a
// host whose every address is public, on port 1935 or 443; a host allowed by name, or whose every
// address is in an allowed network, on any port; with "*", anywhere.
type rtmpTargets struct {
	any   bool
	names map[string]bool // lower case, no trailing dot
	nets  []netip.Prefix
}

// rtmpPorts are the ports of a host that is not allowed by rtmp.allowed_hosts: RTMP's and HTTPS's
// (RTMPS services listen on 443).
var rtmpPorts = map[int]bool{1935: true, 443: true}

// parseRTMPTargets reads rtmp.allowed_hosts: "*", IP addresses, networks (CIDR) and host names.
func parseRTMPTargets(list []string) (rtmpTargets, error) {
	t := rtmpTargets{names: map[string]bool{}}
	for _, e := range list {
		e = strings.TrimSpace(e)
		switch {
		case e == "":
		case e == "*":
			t.any = true
		case strings.Contains(e, "/"):
			p, err := netip.ParsePrefix(e)
			if err != nil {
				return t, fmt.Errorf("rtmp.allowed_hosts: %q is not a network", e)
			}
			t.nets = append(t.nets, p.Masked())
		default:
			if a, err := netip.ParseAddr(strings.Trim(e, "[]")); err == nil {
				a = a.Unmap().WithZone("")
				t.nets = append(t.nets, netip.PrefixFrom(a, a.BitLen()))
				continue
			}
			name := strings.TrimSuffix(strings.ToLower(e), ".")
			if !hostName(name) {
				return t, fmt.Errorf("rtmp.allowed_hosts: %q is not *, an IP address, a network or a host name", e)
			}
			t.names[name] = true
		}
	}
	return t, nil
}

var label = regexp.MustCompile(`^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$`)

// hostName reports whether s (lower case) is a DNS name that no resolver reads as an IPv4 address:
// getaddrinfo, which ffmpeg uses, takes "127.1", "2130706433" and "0x7f.1" for 127.0.0.1.
func hostName(s string) bool {
	labels := strings.Split(s, ".")
	for _, l := range labels {
		if !label.MatchString(l) {
			return false
		}
	}
	last := labels[len(labels)-1]
	_, err := strconv.ParseUint(last, 0, 64)
	return err != nil && !strings.HasPrefix(last, "0x")
}

// rtmpURL is a checked rtmp_url.
type rtmpURL struct {
	raw  string // as ffmpeg gets it: the scheme in lower case, the rest as given
	host string // lower case, without brackets
	port int
}

// parseRTMPURL checks rtmp_url's form: rtmp:// or rtmps:// (any case), a host named by a DNS
// name or an IP address, no blanks. It goes to ffmpeg as one argument, never through a shell.
func parseRTMPURL(raw string) (rtmpURL, error) {
	bad := meet.Errorf(meet.CodeInvalidParameters, "rtmp_url must be an rtmp:// or rtmps:// URL")
	if strings.IndexFunc(raw, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' }) >= 0 {
		return rtmpURL{}, bad
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "rtmp" && u.Scheme != "rtmps") || u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return rtmpURL{}, bad
	}
	// url.Parse lower-cases the scheme; ffmpeg does not ("RTMP://" is "Protocol not found").
	r := rtmpURL{raw: u.Scheme + raw[len(u.Scheme):], host: strings.ToLower(u.Hostname()), port: 1935}
	if u.Scheme == "rtmps" {
		r.port = 443
	}
	if p := u.Port(); p != "" {
		if r.port, err = strconv.Atoi(p); err != nil || r.port < 1 || r.port > 65535 {
			return rtmpURL{}, meet.Errorf(meet.CodeInvalidParameters, "rtmp_url must have a port from 1 to 65535")
		}
	}
	if _, err := netip.ParseAddr(r.host); err != nil && !hostName(strings.TrimSuffix(r.host, ".")) {
		return rtmpURL{}, meet.Errorf(meet.CodeInvalidParameters, "rtmp_url must name its host by a DNS name or an IP address")
	}
	return r, nil
}

// lookupHost resolves a host name to its addresses.
type lookupHost func(ctx context.Context, host string) ([]netip.Addr, error)

func defaultLookup(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// check refuses a target that rtmp.allowed_hosts does not allow. The host is resolved here and
// again by ffmpeg when it connects: a name that changes its addresses in between (DNS rebinding)
// is not caught (doc/security.md).
func (t rtmpTargets) check(ctx context.Context, u rtmpURL, lookup lookupHost) error {
	if t.any {
		return nil
	}
	name := strings.TrimSuffix(u.host, ".")
	if t.names[name] {
		return nil
	}
	var addrs []netip.Addr
	what := name + " resolves to"
	if a, err := netip.ParseAddr(u.host); err == nil {
		addrs, what = []netip.Addr{a}, name+" is"
	} else {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		addrs, err = lookup(ctx, name)
		if err != nil || len(addrs) == 0 {
			return meet.Errorf(meet.CodeInvalidParameters, "rtmp_url's host %s cannot be resolved", name)
		}
	}
	allowed := true
	for _, a := range addrs {
		allowed = allowed && t.in(a)
	}
	if allowed {
		return nil
	}
	for _, a := range addrs {
		if !t.in(a) && !publicAddr(a) {
			return meet.Errorf(meet.CodeInvalidParameters,
				"rtmp_url must name a public host: %s a loopback, private, link-local or reserved address (rtmp.allowed_hosts can allow it)", what)
		}
	}
	if !rtmpPorts[u.port] {
		return meet.Errorf(meet.CodeInvalidParameters, "rtmp_url must use port 1935 or 443 (rtmp.allowed_hosts can allow its host on any port)")
	}
	return nil
}

func (t rtmpTargets) in(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, p := range t.nets {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// nonPublic are the networks a broadcast may not reach unless allowed: this host, private and
// carrier-grade NAT networks (where cloud metadata services live: 169.254.169.254,
// 100.100.100.200, fd00:ec2::254), link-local, multicast, documentation and reserved ranges.
var nonPublic = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
		"192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
		"::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32",
		"fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

var (
	nat64  = netip.MustParsePrefix("64:ff9b::/96")
	sixTo4 = netip.MustParsePrefix("2002::/16")
)

// publicAddr reports whether a is a public unicast address; an IPv6 address that carries an IPv4
// one (NAT64, 6to4) is judged by that.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	if !a.IsValid() {
		return false
	}
	b := a.As16()
	switch {
	case nat64.Contains(a):
		return publicAddr(netip.AddrFrom4([4]byte(b[12:16])))
	case sixTo4.Contains(a):
		return publicAddr(netip.AddrFrom4([4]byte(b[2:6])))
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return a.IsGlobalUnicast()
}
