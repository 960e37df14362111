package media

import (
	"testing"

	"github.com/livekit/mediatransportutil/pkg/rtcconfig"
)

// The node's own peer connections ask no STUN server, whether node_ip is set or detected: the
// STUN server named to clients (the node's media port) does not answer, and a node asking it
// gathered for 5 s and held its last ICE candidate back meanwhile, so clients met it as a
// peer-reflexive address and LiveKit's Go SDK connected 1 s late (doc/security.md, "ICE servers").
// A node_ip that is set is the address the node advertises.
func TestNodeAsksNoSTUN(t *testing.T) {
	for _, nodeIP := range []string{"127.0.0.1", "203.0.113.10", ""} {
		conf, err := liveKitConfig(NodeConfig{APIKey: "key", APISecret: "secret-0123456789abcdef0123456789abcdef",
			Port: 7880, RTCUDPPort: 7882, NodeIP: nodeIP})
		if err != nil {
			t.Fatal(err)
		}
		if len(conf.RTC.STUNServers) == 0 {
			t.Errorf("node_ip %q: no STUN server named to clients (LiveKit would name Google's)", nodeIP)
		}
		if nodeIP != "" && conf.RTC.NodeIP.V4 != nodeIP {
			t.Errorf("node_ip %q: LiveKit's node address is %+v", nodeIP, conf.RTC.NodeIP)
		}
		// the node's WebRTC settings, without opening its media port
		rtc := conf.RTC.RTCConfig
		rtc.UDPPort = rtcconfig.PortRange{}
		rtc.ICEPortRangeStart, rtc.ICEPortRangeEnd = 50000, 50010
		wc, err := rtcconfig.NewWebRTCConfig(&rtc, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(wc.Configuration.ICEServers) > 0 {
			t.Errorf("node_ip %q: the node's own peer connections ask %v", nodeIP, wc.Configuration.ICEServers)
		}
	}
}
