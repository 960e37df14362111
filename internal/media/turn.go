package media

import (
	"net"
	"strconv"

	"github.com/livekit/livekit-server/pkg/config"
)

// TURN is the embedded node's TURN server, for participants whose network blocks or filters UDP:
// their media goes through a relay on this machine. LiveKit hands each participant its TURN
// servers and short-lived credentials in the join response.
type TURN struct {
	Enabled bool
	UDPPort int // TURN over UDP; 0 = none
	// TLSPort is TURN over TCP, behind meetd's TLS (LiveKit's external_tls): meetd's HTTPS
	// listener passes the connections for Domain here, decrypted. 0 = none.
	TLSPort int
	// Domain is the name of TURN over TLS. LiveKit v1.13.5 tells clients turns:<Domain>:443
	// whatever TLSPort is, so the name must reach meetd's HTTPS port on 443.
	Domain string
}

// configure sets LiveKit's TURN configuration for the node c.
func (t TURN) configure(conf *config.Config, c NodeConfig) {
	conf.TURN.Enabled = t.Enabled
	if !t.Enabled {
		return
	}
	conf.TURN.UDPPort = t.UDPPort
	if t.Domain != "" {
		conf.TURN.TLSPort = t.TLSPort
		conf.TURN.Domain = t.Domain
		conf.TURN.ExternalTLS = true // meetd terminates TLS with its own certificate
	}
	if c.Loopback() {
		// Everything on this machine: the relay listens on the node's address.
		conf.TURN.BindAddresses = []string{c.NodeIP}
	}
	// The relay reaches the node's own media address only (doc/security.md): LiveKit refuses
	// loopback and private peers unless allowed, then refuses the denied ones, so the node's
	// address is allowed and everything else denied. This holds for TCP allocations too, whose
	// Connect asks the same permission.
	conf.TURN.AllowRestrictedPeerCIDRs, conf.TURN.DenyPeerCIDRs = nil, nil
	for _, ip := range conf.RTC.NodeIP.ToStringSlice() { // as LiveKit detected it when not set
		conf.TURN.AllowRestrictedPeerCIDRs = append(conf.TURN.AllowRestrictedPeerCIDRs, hostCIDR(ip))
	}
	conf.TURN.DenyPeerCIDRs = allBut(conf.RTC.NodeIP.ToStringSlice())
}

// hostCIDR is the CIDR of one address.
func hostCIDR(ip string) string {
	if net.ParseIP(ip).To4() != nil {
		return ip + "/32"
	}
	return ip + "/128"
}

// allBut is a list of CIDRs that covers every IPv4 and IPv6 address except those of ips: for
// each address, the sibling of every prefix on the way down to it; an address family without
// any of ips is covered whole (0.0.0.0/0, ::/0).
func allBut(ips []string) []string {
	var v4, v6 []net.IP
	for _, s := range ips {
		ip := net.ParseIP(s)
		if ip4 := ip.To4(); ip4 != nil {
			v4 = append(v4, ip4)
		} else if ip != nil {
			v6 = append(v6, ip.To16())
		}
	}
	return append(complement(v4, net.IPv4len, "0.0.0.0/0"), complement(v6, net.IPv6len, "::/0")...)
}

// complement covers every address of size bytes but keep (at most one address per family in
// practice: the node's).
func complement(keep []net.IP, size int, all string) []string {
	if len(keep) == 0 {
		return []string{all}
	}
	ip := keep[0]
	var out []string
	for bits := 1; bits <= size*8; bits++ {
		sibling := make(net.IP, size)
		copy(sibling, ip.Mask(net.CIDRMask(bits, size*8)))
		sibling[(bits-1)/8] ^= 0x80 >> ((bits - 1) % 8) // flip the last bit of the prefix
		out = append(out, (&net.IPNet{IP: sibling, Mask: net.CIDRMask(bits, size*8)}).String())
	}
	return out
}

// TURNAddr is the address of the TURN server's TCP listener (behind meetd's TLS), reachable from
// this machine; "" when there is none.
func (c NodeConfig) TURNAddr() string {
	if !c.TURN.Enabled || c.TURN.Domain == "" || c.TURN.TLSPort == 0 {
		return ""
	}
	host := "127.0.0.1"
	if c.Loopback() {
		host = c.NodeIP
	}
	return net.JoinHostPort(host, strconv.Itoa(c.TURN.TLSPort))
}
