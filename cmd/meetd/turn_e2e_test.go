package main

import (
	"crypto/tls"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livekit/protocol/livekit"
	"github.com/pion/turn/v5"

	"meetd/internal/testbot"
)

// TURN: the embedded node's TURN server hands out relays, over UDP and
// over TLS through meetd's HTTPS port, and a bot whose media may only go through a relay still
// publishes and receives.
func TestTURN(t *testing.T) {
	const turnName = "turn.meetd.test"
	cert, key := testCertificate(t, turnName)
	env := testEnv(t, map[string]string{
		"MEETD_TLS_CERT_FILE": cert, "MEETD_TLS_KEY_FILE": key,
		"MEETD_TURN_ENABLED":  "true",
		"MEETD_TURN_UDP_PORT": strconv.Itoa(freePort(t, "udp")),
		"MEETD_TURN_TLS_PORT": strconv.Itoa(freePort(t, "tcp")),
		"MEETD_TURN_DOMAIN":   turnName,
	})
	m := startIsolated(t, env)
	m.create("relay", nil)

	t.Run("ICE servers in the join response", func(t *testing.T) {
		m := m.forTest(t)
		j, _ := m.exchange(m.joinToken("relay", "probe", "Probe", false))
		join := signalJoin(t, j.LiveKitURL, j.LiveKitToken, m.httpClient())
		var urls []string
		for _, s := range join.GetIceServers() {
			if strings.HasPrefix(s.GetUrls()[0], "turn") && (s.GetUsername() == "" || s.GetCredential() == "") {
				t.Errorf("ICE server %v without credentials", s.GetUrls())
			}
			urls = append(urls, s.GetUrls()...)
		}
		ownServersOnly(t, join.GetIceServers(), "127.0.0.1", turnName)
		for _, want := range []string{
			"turn:127.0.0.1:" + env["MEETD_TURN_UDP_PORT"] + "?transport=udp",
			"turns:" + turnName + ":443?transport=tcp",
		} {
			if !slices.Contains(urls, want) {
				t.Errorf("ICE servers %v lack %s", urls, want)
			}
		}
	})

	// The relay reaches the node's own address only: CGNAT, a cloud metadata service, a public
	// address and another loopback address are refused, over UDP and TCP allocations (RFC 6062)
	// alike. (Permissions are per address: other ports of the node's address stay reachable,
	// doc/security.md.)
	t.Run("relay only to the node", func(t *testing.T) {
		m := m.forTest(t)
		j, _ := m.exchange(m.joinToken("relay", "prober", "Prober", false))
		join := signalJoin(t, j.LiveKitURL, j.LiveKitToken, m.httpClient())
		var user, pass string
		for _, s := range join.GetIceServers() {
			if s.GetUsername() != "" {
				user, pass = s.GetUsername(), s.GetCredential()
			}
		}
		server := "127.0.0.1:" + env["MEETD_TURN_UDP_PORT"]
		dial := func() *turn.Client {
			conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() })
			c, err := turn.NewClient(&turn.ClientConfig{STUNServerAddr: server, TURNServerAddr: server,
				Username: user, Password: pass, Conn: conn})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(c.Close)
			if err := c.Listen(); err != nil {
				t.Fatal(err)
			}
			return c
		}
		udp := dial()
		relay, err := udp.Allocate()
		if err != nil {
			t.Fatal(err)
		}
		defer relay.Close()
		peer := func(ip string) net.Addr { return &net.UDPAddr{IP: net.ParseIP(ip), Port: 9} }
		if err := udp.CreatePermission(peer("127.0.0.1")); err != nil {
			t.Errorf("permission to the node's own address refused: %v", err)
		}
		for _, ip := range []string{"100.64.0.1", "100.100.100.200", "8.8.8.8", "127.0.0.2", "10.0.0.1"} {
			if err := udp.CreatePermission(peer(ip)); err == nil {
				t.Errorf("permission to %s granted", ip)
			}
		}
		tcp, err := dial().AllocateTCP()
		if err != nil {
			t.Logf("TCP allocation refused: %v", err)
			return
		}
		defer tcp.Close()
		if _, err := tcp.Connect(&net.TCPAddr{IP: net.ParseIP("100.100.100.200"), Port: 80}); err == nil {
			t.Error("TCP allocation connected to 100.100.100.200:80")
		}
	})

	// A bot that may use relays only (ICE transport policy "relay", as a browser configured so, or
	// one whose network lets nothing else through) publishes to and receives from a bot with a
	// direct path. The bots use the node's own port: the SDK would not trust the test certificate
	// on meetd's. LiveKit tells them turns:turn.meetd.test:443, which a test cannot reach (port 443,
	// no DNS name), so their relay is TURN over UDP; TURN over TLS is checked below.
	t.Run("relay-only bot publishes and receives", func(t *testing.T) {
		m := m.forTest(t)
		node := "ws://127.0.0.1:" + env["MEETD_LIVEKIT_PORT"]
		relayedJ, _ := m.exchange(m.joinToken("relay", "relayed", "Relayed", false))
		directJ, _ := m.exchange(m.joinToken("relay", "direct", "Direct", false))
		relayed, err := testbot.JoinWith(node, relayedJ.LiveKitToken, true, testbot.RelayOnly())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(relayed.Leave)
		direct, err := testbot.JoinWith(node, directJ.LiveKitToken, true)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(direct.Leave)
		for _, b := range []*testbot.Bot{relayed, direct} {
			if _, err := b.PublishVideo(); err != nil {
				t.Fatal(err)
			}
		}
		eventually(t, 30*time.Second, "each bot receives the other's video", func() bool {
			r, _ := relayed.Packets()
			d, _ := direct.Packets()
			return r > 50 && d > 50 // 5 s of video at 10 frames a second
		})
		r, rl := relayed.Packets()
		d, dl := direct.Packets()
		t.Logf("relay-only bot received %d packets (%d lost), the direct one %d (%d lost)", r, rl, d, dl)
	})

	// A client that only has TCP: TURN over TLS on meetd's HTTPS port (the TLS name tells it from
	// HTTPS), with the credentials LiveKit handed out, allocates a relay that carries datagrams
	// both ways.
	t.Run("TURN over TLS through meetd's port", func(t *testing.T) {
		m := m.forTest(t)
		j, _ := m.exchange(m.joinToken("relay", "tcp-only", "TCP Only", false))
		join := signalJoin(t, j.LiveKitURL, j.LiveKitToken, m.httpClient())
		var user, pass string
		for _, s := range join.GetIceServers() {
			if slices.Contains(s.GetUrls(), "turns:"+turnName+":443?transport=tcp") {
				user, pass = s.GetUsername(), s.GetCredential()
			}
		}
		if user == "" {
			t.Fatalf("no TURN/TLS server in %v", join.GetIceServers())
		}
		conn, err := tls.Dial("tcp", env["MEETD_ADDR"], &tls.Config{ServerName: turnName, RootCAs: certPool(t, cert)})
		if err != nil {
			t.Fatal(err)
		}
		client, err := turn.NewClient(&turn.ClientConfig{
			STUNServerAddr: env["MEETD_ADDR"], TURNServerAddr: env["MEETD_ADDR"],
			Username: user, Password: pass, Conn: turn.NewSTUNConn(conn),
		})
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		if err := client.Listen(); err != nil {
			t.Fatal(err)
		}
		relay, err := client.Allocate()
		if err != nil {
			t.Fatalf("allocate a relay over TURN/TLS: %v", err)
		}
		defer relay.Close()
		t.Logf("relay %s allocated over TLS on %s", relay.LocalAddr(), env["MEETD_ADDR"])

		peer, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer peer.Close()
		buf := make([]byte, 64)
		var from net.Addr
		eventually(t, 10*time.Second, "a datagram through the relay to the peer", func() bool {
			if _, err := relay.WriteTo([]byte("out"), peer.LocalAddr()); err != nil {
				t.Fatalf("write through the relay: %v", err)
			}
			_ = peer.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			n, addr, err := peer.ReadFrom(buf)
			from = addr
			return err == nil && string(buf[:n]) == "out"
		})
		if from.String() != relay.LocalAddr().String() {
			t.Errorf("datagram from %s, want the relay %s", from, relay.LocalAddr())
		}
		// (at least 5 bytes: pion's client waits for a 9th byte before it reads a frame off a stream)
		if _, err := peer.WriteTo([]byte("back from the peer"), relay.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		_ = relay.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, _, err := relay.ReadFrom(buf)
		if err != nil || string(buf[:n]) != "back from the peer" {
			t.Errorf("datagram back through the relay: %q, %v", buf[:n], err)
		}
	})

	// The control: without TURN, the same relay-only bot gets no media at all, so above it was the
	// relay that carried it.
	t.Run("without TURN a relay-only bot gets no media", func(t *testing.T) {
		env := testEnv(t, nil)
		m := startIsolated(t, env)
		m.create("no-relay", nil)
		j0, _ := m.exchange(m.joinToken("no-relay", "probe", "Probe", false))
		ownServersOnly(t, signalJoin(t, j0.LiveKitURL, j0.LiveKitToken, m.httpClient()).GetIceServers(), "127.0.0.1")
		node := "ws://127.0.0.1:" + env["MEETD_LIVEKIT_PORT"]
		direct := m.bot("no-relay", "direct")
		if _, err := direct.PublishVideo(); err != nil {
			t.Fatal(err)
		}
		j, _ := m.exchange(m.joinToken("no-relay", "relayed", "Relayed", false))
		relayed, err := testbot.JoinWith(node, j.LiveKitToken, true, testbot.RelayOnly())
		if err != nil {
			t.Logf("the relay-only bot could not connect: %v", err)
			return
		}
		t.Cleanup(relayed.Leave)
		time.Sleep(6 * time.Second)
		if r, _ := relayed.Packets(); r != 0 {
			t.Errorf("a relay-only bot received %d packets without a TURN server", r)
		}
	})
}

// ownServersOnly checks that the ICE servers of a join response are all at hosts (meetd's own
// addresses and names): no public STUN server of somebody else's (doc/security.md).
func ownServersOnly(t *testing.T, servers []*livekit.ICEServer, hosts ...string) {
	t.Helper()
	if len(servers) == 0 {
		t.Error("no ICE servers in the join response")
	}
	for _, s := range servers {
		for _, u := range s.GetUrls() {
			rest := u[strings.Index(u, ":")+1:] // after the scheme
			host, _, err := net.SplitHostPort(strings.SplitN(rest, "?", 2)[0])
			if err != nil || !slices.Contains(hosts, host) {
				t.Errorf("ICE server %s is not one of meetd's own (%v)", u, hosts)
			}
		}
	}
}

// LiveKit's own HTTP port (its signalling and room service API) listens on loopback only, even
// when the node's address is another: clients reach the signalling through meetd's /rtc.
func TestLiveKitPortLoopback(t *testing.T) {
	var nodeIP string
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			nodeIP = n.IP.String()
			break
		}
	}
	if nodeIP == "" {
		t.Skip("no non-loopback IPv4 address on this machine")
	}
	env := testEnv(t, map[string]string{"MEETD_NODE_IP": nodeIP})
	m := startIsolated(t, env)
	port := env["MEETD_LIVEKIT_PORT"]
	if c, err := net.DialTimeout("tcp", net.JoinHostPort(nodeIP, port), 2*time.Second); err == nil {
		c.Close()
		t.Errorf("LiveKit's port answers on %s:%s", nodeIP, port)
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 2*time.Second); err != nil {
		t.Errorf("LiveKit's port on loopback: %v", err)
	} else {
		c.Close()
	}
	m.create("reach", nil)
	j, _ := m.exchange(m.joinToken("reach", "probe", "Probe", false))
	ownServersOnly(t, signalJoin(t, j.LiveKitURL, j.LiveKitToken, m.httpClient()).GetIceServers(), nodeIP)
}
