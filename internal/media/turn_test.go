package media

import (
	"net"
	"testing"
)

// allBut covers every address but the node's: LiveKit's TURN relay then reaches only the node.
func TestAllBut(t *testing.T) {
	denied := func(cidrs []string, ip string) bool {
		for _, c := range cidrs {
			_, n, err := net.ParseCIDR(c)
			if err != nil {
				t.Fatalf("%q: %v", c, err)
			}
			if n.Contains(net.ParseIP(ip)) {
				return true
			}
		}
		return false
	}
	for _, node := range []string{"203.0.113.10", "127.0.0.1", "2001:db8::7"} {
		cidrs := allBut([]string{node})
		if denied(cidrs, node) {
			t.Errorf("node %s: its own address is denied", node)
		}
		for _, peer := range []string{"203.0.113.11", "127.0.0.2", "100.64.0.1", "100.100.100.200", "8.8.8.8", "0.0.0.1",
			"240.0.0.1", "10.0.0.1", "::1", "2001:db8::8", "fe80::1"} {
			if peer != node && !denied(cidrs, peer) {
				t.Errorf("node %s: peer %s is not denied", node, peer)
			}
		}
	}
}
