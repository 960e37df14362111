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
		// Everything on this machine: the relay listens on the node's address, and may relay to
		// the SFU there (LiveKit refuses loopback peers unless allowed).
		conf.TURN.BindAddresses = []string{c.NodeIP}
		conf.TURN.AllowRestrictedPeerCIDRs = []string{c.NodeIP + "/32"}
		if ip := net.ParseIP(c.NodeIP); ip.To4() == nil {
			conf.TURN.AllowRestrictedPeerCIDRs = []string{c.NodeIP + "/128"}
		}
	}
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
