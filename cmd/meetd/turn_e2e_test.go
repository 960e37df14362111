package main

import (
	"crypto/tls"
	"net"
	"slices"
	"strconv"
	"testing"
	"time"

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
			if s.GetUsername() == "" || s.GetCredential() == "" {
				t.Errorf("ICE server %v without credentials", s.GetUrls())
			}
			urls = append(urls, s.GetUrls()...)
		}
		for _, want := range []string{
			"turn:127.0.0.1:" + env["MEETD_TURN_UDP_PORT"] + "?transport=udp",
			"turns:" + turnName + ":443?transport=tcp",
		} {
			if !slices.Contains(urls, want) {
				t.Errorf("ICE servers %v lack %s", urls, want)
			}
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
