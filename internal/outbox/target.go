package outbox

import (
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"

	"meetd/internal/meet"
)

// Webhook targets (doc/security.md, "Outbound requests, logs and files"): unless
// webhooks.allow_private is on, a webhook is never sent to a loopback, private, link-local, CGNAT,
// metadata or otherwise reserved address. The check runs on the address actually dialled, after
// DNS resolution, so a name that resolves (or is rebound) to such an address is refused too.

// ErrRefusedTarget is the error of an attempt whose address is not allowed.
var ErrRefusedTarget = errors.New("refused: the receiver's address is loopback, private, link-local or reserved (webhooks.allow_private allows it)")

var refusedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),      // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),  // CGNAT, with cloud metadata such as 100.100.100.200
	netip.MustParsePrefix("192.0.0.0/24"),   // IETF protocol assignments (192.0.0.192: a metadata service)
	netip.MustParsePrefix("198.18.0.0/15"),  // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),    // reserved, and the broadcast address
	netip.MustParsePrefix("fec0::/10"),      // deprecated site-local
	netip.MustParsePrefix("2001:db8::/32"),  // documentation
	netip.MustParsePrefix("100::/64"),       // discard
	netip.MustParsePrefix("64:ff9b:1::/48"), // local-use NAT64
}

var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// Refused reports whether a webhook may not be sent to addr unless private targets are allowed.
func Refused(addr netip.Addr) bool {
	addr = addr.Unmap()
	if !addr.IsValid() || addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() || addr.IsMulticast() ||
		addr.IsUnspecified() {
		return true
	}
	if nat64.Contains(addr) { // the IPv4 address it translates to decides
		b := addr.As16()
		return Refused(netip.AddrFrom4([4]byte(b[12:])))
	}
	for _, p := range refusedPrefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// refuseControl is the dialer's Control: it runs on the resolved address of every connection.
func refuseControl(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil || Refused(ap.Addr()) {
		return ErrRefusedTarget
	}
	return nil
}

// CheckURL refuses a webhook URL whose host is a literal address (or localhost) that would be
// refused at delivery, with INVALID_PARAMETERS naming field; a host name is checked when the
// webhook is sent. An unparsable URL is left to the caller's own validation.
func (d *Dispatcher) CheckURL(field, raw string) error {
	if d == nil || d.cfg.AllowPrivate || raw == "" {
		return nil
	}
	if literalRefused(raw) {
		return meet.Errorf(meet.CodeInvalidParameters,
			"%s must not point to a loopback, private, link-local or reserved address (server option webhooks.allow_private)", field)
	}
	return nil
}

// literalRefused reports whether raw's host is localhost or a refused literal address.
func literalRefused(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	if i := strings.IndexByte(host, '%'); i >= 0 { // an IPv6 zone
		host = host[:i]
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && Refused(addr)
}

// RedactURL is a webhook URL as it may be logged: scheme, host and path; user info and the query
// (where receivers put their tokens) are dropped. Every log line of a webhook URL goes through it.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "[invalid URL]"
	}
	s := u.Scheme + "://" + u.Host + u.EscapedPath()
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		s += " [credentials redacted]"
	}
	return s
}

// dialer is the webhooks' dialer: with Control refusing private targets unless they are allowed.
func dialer(allowPrivate bool) *net.Dialer {
	d := &net.Dialer{Timeout: 30e9, KeepAlive: 30e9}
	if !allowPrivate {
		d.Control = refuseControl
	}
	return d
}
