// Package media is meetd's LiveKit adapter, one Engine (engine.go): it starts the embedded LiveKit
// node or drives an external deployment, talks to it through LiveKit's room service API, makes
// participants' access tokens, and turns LiveKit's webhooks into calls on the room service.
package media

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/livekit/livekit-server/pkg/config"
	"github.com/livekit/livekit-server/pkg/routing"
	"github.com/livekit/livekit-server/pkg/service"
	"github.com/livekit/livekit-server/pkg/telemetry/prometheus"
	"github.com/livekit/mediatransportutil/pkg/rtcconfig"
	"github.com/livekit/protocol/livekit"
	"github.com/livekit/protocol/logger"
	redislk "github.com/livekit/protocol/redis"
	"github.com/livekit/protocol/xtls"
	lksdk "github.com/livekit/server-sdk-go/v2"
)

// NodeConfig configures the embedded LiveKit node.
type NodeConfig struct {
	APIKey, APISecret string
	Port              int    // signalling (HTTP/WebSocket)
	RTCTCPPort        int    // ICE over TCP; 0 switches it off
	RTCUDPPort        int    // one UDP port for all media
	NodeIP            string // address announced to clients; "" = detected. A loopback address keeps everything on loopback.
	WebhookURL        string // where the node posts its events (meetd's own endpoint)
	LogLevel          slog.Level
	TURN              TURN // the node's TURN server, off unless enabled

	// Redis, when its Address is set, makes the node one of a LiveKit cluster: rooms are placed
	// on one node each, and signalling reaches them from any node (LiveKit's own routing).
	Redis Redis
}

// Redis is where a LiveKit cluster keeps its shared state.
type Redis struct {
	Address, Username, Password string
	DB                          int
	TLS                         bool
}

// Clustered reports whether the node shares rooms with other nodes through Redis.
func (c NodeConfig) Clustered() bool { return c.Redis.Address != "" }

// Loopback reports whether the node serves only this machine.
func (c NodeConfig) Loopback() bool {
	ip := net.ParseIP(c.NodeIP)
	return ip != nil && ip.IsLoopback()
}

// URL is the node's HTTP address for its room service API, reachable from this machine.
func (c NodeConfig) URL() string {
	host := "127.0.0.1"
	if c.Loopback() {
		host = c.NodeIP
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(c.Port))
}

// Node is a LiveKit server running in this process.
type Node struct {
	server    *service.LivekitServer
	self      routing.LocalNode
	done      chan error
	url       string
	clustered bool
}

// setGlobalsOnce guards LiveKit's process-wide logger and metrics, which the library keeps in
// package variables: they are set once, from here.
var setGlobalsOnce sync.Once

// startNode starts the embedded LiveKit node and returns once it serves requests.
func startNode(ctx context.Context, c NodeConfig, log *slog.Logger) (*Node, error) {
	conf, err := liveKitConfig(c)
	if err != nil {
		return nil, err
	}

	setGlobalsOnce.Do(func() {
		// LiveKit (server and SDK) logs through its own zap logger, to stderr at the configured
		// level. Through slog it would go through pion's generic adapter, which formats every
		// debug message even with debug off: CPU on the media path, and data races inside pion
		// (doc/decisions/0005-livekit-logger.md).
		lc := &logger.Config{Level: strings.ToLower(c.LogLevel.String())}
		if c.LogLevel > slog.LevelDebug {
			// Clients send STUN binding requests to the media port when no TURN server is theirs
			// (stunServers); its mux warns about each one, which tells nothing.
			lc.ComponentLevels = map[string]string{"pion.udp_mux": "error"}
		}
		zl, err := logger.NewZapLogger(lc)
		if err != nil {
			log.Warn("livekit logger", "err", err)
			return
		}
		logger.SetLogger(zl, "livekit")
		lksdk.SetLogger(zl)
	})
	currentNode, err := routing.NewLocalNode(conf)
	if err != nil {
		return nil, fmt.Errorf("livekit node: %w", err)
	}
	// prometheus.Init registers LiveKit's collectors on the first call only.
	if err := prometheus.Init(string(currentNode.NodeID()), currentNode.NodeType()); err != nil {
		return nil, fmt.Errorf("livekit metrics: %w", err)
	}
	server, err := service.InitializeServer(conf, currentNode)
	if err != nil {
		return nil, fmt.Errorf("livekit server: %w", err)
	}
	n := &Node{server: server, self: currentNode, done: make(chan error, 1), url: c.URL(), clustered: c.Clustered()}
	go func() { n.done <- server.Start() }()
	for !server.IsRunning() {
		select {
		case err := <-n.done:
			if err == nil {
				err = errors.New("stopped at once")
			}
			return nil, fmt.Errorf("livekit node on port %d: %w", c.Port, err)
		case <-ctx.Done():
			server.Stop(true)
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return n, nil
}

// liveKitConfig is the embedded node's LiveKit configuration.
func liveKitConfig(c NodeConfig) (*config.Config, error) {
	conf, err := config.NewConfig("", true, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("livekit config: %w", err)
	}
	conf.Port = uint32(c.Port)
	conf.Keys = map[string]string{c.APIKey: c.APISecret}
	conf.RTC.TCPPort = uint32(c.RTCTCPPort)
	conf.RTC.UDPPort = rtcconfig.PortRange{Start: c.RTCUDPPort}
	if ip := net.ParseIP(c.NodeIP); ip != nil && ip.To4() == nil {
		conf.RTC.NodeIP = rtcconfig.NodeIP{V6: c.NodeIP}
	} else {
		conf.RTC.NodeIP = rtcconfig.NodeIP{V4: c.NodeIP} // LiveKit detects it when empty
	}
	// LiveKit's HTTP port (signalling and its room service API) serves this machine only: clients
	// reach its signalling through meetd's /rtc proxy, meetd calls the API on loopback, and the
	// nodes of a cluster talk through Redis (doc/security.md).
	conf.BindAddresses = []string{"127.0.0.1"}
	if c.Loopback() {
		conf.BindAddresses = []string{c.NodeIP}
		conf.RTC.EnableLoopbackCandidate = true
		conf.RTC.Interfaces.Includes = []string{"lo"}
	}
	// meetd runs the room lifecycle: LiveKit only closes media rooms it is told to, or that sit
	// empty for long after meetd's own timers would have ended the session.
	conf.Room.AutoCreate = true
	conf.Room.EmptyTimeout = 24 * 3600
	conf.Room.DepartureTimeout = 24 * 3600
	if c.Clustered() {
		conf.Redis = redislk.RedisConfig{Address: c.Redis.Address, Username: c.Redis.Username,
			Password: c.Redis.Password, DB: c.Redis.DB}
		if c.Redis.TLS {
			conf.Redis.TLS = &xtls.Config{Enabled: true}
		}
	}
	if c.WebhookURL != "" {
		conf.WebHook.URLs = []string{c.WebhookURL}
		conf.WebHook.APIKey = c.APIKey
		conf.WebHook.URLNotifier.QueueSize = 10000
	}
	if err := conf.RTC.Validate(false); err != nil { // detects the node's address when not set
		return nil, fmt.Errorf("livekit rtc config: %w", err)
	}
	// The node's address is node_ip, or the one just detected: LiveKit advertises it in its host
	// candidates and asks no STUN server. config.NewConfig detected an address before node_ip was
	// set and marked it as detected, which would leave node_ip unadvertised and make every peer
	// connection of the node ask the STUN servers below (its own media port, which does not answer)
	// for a public address: its ICE gathering then lasted 5 s, and LiveKit holds its last candidate
	// back until gathering ends, so clients met the node as a peer-reflexive address, which LiveKit's
	// Go SDK (the recorder, bots) nominates only after 1 s (doc/security.md).
	conf.RTC.NodeIPAutoGenerated = false
	c.TURN.configure(conf, c)
	conf.RTC.STUNServers = stunServers(conf, c)
	return conf, nil
}

// URL is the node's HTTP address.
func (n *Node) URL() string { return n.url }

// Stop disconnects everyone and stops the node.
func (n *Node) Stop() {
	n.server.Stop(true)
	<-n.done
}

// Hosts reports whether the room's media runs on this node (in a cluster, LiveKit places each
// room on one node).
func (n *Node) Hosts(roomID string) bool {
	return n.server.RoomManager().GetRoom(context.Background(), livekit.RoomName(roomID)) != nil
}

// Drain marks the node as shutting down: in a cluster, LiveKit places no new room on it (the
// state reaches the others with the node's next stats update); rooms it hosts go on.
func (n *Node) Drain() { n.self.SetState(livekit.NodeState_SHUTTING_DOWN) }

// stunServers are the STUN servers the node names to clients in their join response (and uses
// itself when it detected its address): only its own. Without any, LiveKit v1.13.5 hands out
// Google's public STUN servers, which would learn every participant's address. The TURN server
// answers STUN on its UDP port; without it, the media port is named: it answers no plain STUN
// request, and needs none, as clients behind NAT reach the node directly and the node learns
// their address from their connectivity checks (doc/security.md).
func stunServers(conf *config.Config, c NodeConfig) []string {
	port := c.RTCUDPPort
	if c.TURN.Enabled && c.TURN.UDPPort != 0 {
		port = c.TURN.UDPPort
	}
	var out []string
	for _, ip := range conf.RTC.NodeIP.ToStringSlice() {
		out = append(out, net.JoinHostPort(ip, strconv.Itoa(port)))
	}
	return out
}
