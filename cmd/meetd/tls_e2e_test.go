package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/gorilla/websocket"
	"github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/proto"
)

// HTTPS served by meetd itself: a self-signed certificate made here, the
// meeting page over https://127.0.0.1:<port> in headless Chromium joining with camera and
// microphone, LiveKit's signalling through the same port (the /rtc proxy, WebSocket included), and
// plain HTTP redirected to HTTPS.
func TestTLS(t *testing.T) {
	cert, key := testCertificate(t)
	redirectAddr := "127.0.0.1:" + strconv.Itoa(freePort(t, "tcp"))
	env := testEnv(t, map[string]string{"MEETD_TLS_CERT_FILE": cert, "MEETD_TLS_KEY_FILE": key, "MEETD_TLS_HTTP_ADDR": redirectAddr})
	m := startIsolated(t, env)
	origin := "https://" + env["MEETD_ADDR"]
	if m.base != origin {
		t.Fatalf("base %s, want %s", m.base, origin)
	}

	t.Run("redirect", func(t *testing.T) {
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		for _, c := range []struct{ method, host, path, want string }{
			{"GET", redirectAddr, "/", origin + "/"},
			{"GET", redirectAddr, "/dashboard?tab=past&x=1", origin + "/dashboard?tab=past&x=1"},
			{"POST", redirectAddr, "/auth/room/create", origin + "/auth/room/create"},
			{"GET", "meet.example.org", "/?access_token=abc", "https://meet.example.org:" + portOfAddr(env["MEETD_ADDR"]) + "/?access_token=abc"},
		} {
			req, _ := http.NewRequest(c.method, "http://"+redirectAddr+c.path, nil)
			req.Host = c.host
			res, err := noFollow.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != c.want {
				t.Errorf("%s http://%s%s: %d Location %q, want 301 %q", c.method, c.host, c.path, res.StatusCode, res.Header.Get("Location"), c.want)
			}
		}
		// and the API answers only over HTTPS: plain HTTP on the main port is refused
		res, err := http.Get("http://" + env["MEETD_ADDR"] + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				t.Error("the HTTPS port answers plain HTTP")
			}
		}
	})

	t.Run("signalling through meetd's port", func(t *testing.T) {
		m := m.forTest(t)
		m.create("tls-signal", nil)
		j, _ := m.exchange(m.joinToken("tls-signal", "sig", "Sig Nal", false))
		if want := "wss://" + env["MEETD_ADDR"]; j.LiveKitURL != want {
			t.Fatalf("/api/join hands out %q, want %q (meetd's own origin)", j.LiveKitURL, want)
		}
		res, err := m.httpClient().Get(m.base + "/rtc/validate?access_token=" + j.LiveKitToken)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET /rtc/validate through the proxy: %d %s", res.StatusCode, body)
		}
		conn, join := signalConnect(t, j.LiveKitURL, j.LiveKitToken, m.httpClient())
		defer conn.Close()
		if join.GetRoom().GetName() != "tls-signal" || join.GetParticipant().GetIdentity() != "sig" {
			t.Errorf("join response over wss://…/rtc: room %q participant %q", join.GetRoom().GetName(), join.GetParticipant().GetIdentity())
		}
		// The WebSocket outlives every timeout of meetd's server (10 s for a request's headers):
		// quiet for 11 s, it still carries a ping and its answer (LiveKit itself waits 15 s).
		time.Sleep(11 * time.Second)
		ping, _ := proto.Marshal(&livekit.SignalRequest{Message: &livekit.SignalRequest_PingReq{PingReq: &livekit.Ping{Timestamp: time.Now().UnixMilli()}}})
		if err := conn.WriteMessage(websocket.BinaryMessage, ping); err != nil {
			t.Fatalf("ping after 11 s: %v", err)
		}
		readSignal(t, conn, func(sr *livekit.SignalResponse) bool { return sr.GetPongResp() != nil })
	})

	t.Run("meeting page", func(t *testing.T) {
		path := chromiumPath()
		if path == "" {
			t.Skip("the browser part needs Chromium: apt-get install chromium (CI's .ci/run installs it)")
		}
		m := m.forTest(t)
		b := startBrowser(t, path, chromedp.Flag("ignore-certificate-errors", true))
		m.create("tls-meet", nil)
		a := b.open(t, "alice", m.pageURL(m.joinToken("tls-meet", "alice", "Alice Able", false)))
		c := b.open(t, "bob", m.pageURL(m.joinToken("tls-meet", "bob", "Bob Baker", false)))
		var sockets []*webSockets
		for _, p := range []*page{a, c} {
			sockets = append(sockets, watchWebSockets(p))
			if got := evalJS[string](p, `location.protocol + ' ' + window.isSecureContext`); got != "https: true" {
				t.Errorf("page %s: protocol and secure context %q", p.name, got)
			}
		}
		a.join()
		c.join()
		a.waitVideoPlaying(`video.remote-video[data-identity="bob"]`)
		c.waitVideoPlaying(`video.remote-video[data-identity="alice"]`)
		eventually(t, 20*time.Second, "getActiveRoomInfo lists alice and bob, each with a camera and a microphone", func() bool {
			ps := participantsByID(m.activeRoom("tls-meet"))
			return len(ps) == 2 && hasTrack(ps["alice"], "VIDEO", "CAMERA", false) && hasTrack(ps["alice"], "AUDIO", "MICROPHONE", false) &&
				hasTrack(ps["bob"], "VIDEO", "CAMERA", false) && hasTrack(ps["bob"], "AUDIO", "MICROPHONE", false)
		})
		// Signalling went through meetd's HTTPS port: every WebSocket the pages opened is its /rtc.
		for i, p := range []*page{a, c} {
			urls := sockets[i].list()
			if len(urls) == 0 {
				t.Errorf("page %s opened no WebSocket", p.name)
			}
			for _, u := range urls {
				if !strings.HasPrefix(u, "wss://"+env["MEETD_ADDR"]+"/rtc") {
					t.Errorf("page %s opened a WebSocket to %s, not to meetd's own port", p.name, u)
				}
			}
			t.Logf("page %s: WebSockets %v", p.name, trimQueries(urls))
		}
		a.screenshot("https-meeting.png")
	})

	// The meeting inside a CMS page served over HTTPS from another origin: the page is a secure
	// context, the bundle comes from meetd over HTTPS, media over wss (doc/web.md, "Embedding").
	t.Run("embedded", func(t *testing.T) {
		path := chromiumPath()
		if path == "" {
			t.Skip("the browser part needs Chromium: apt-get install chromium (CI's .ci/run installs it)")
		}
		m := m.forTest(t)
		b := startBrowser(t, path, chromedp.Flag("ignore-certificate-errors", true))
		cms := newCMSSite(t, m, true)
		if !strings.HasPrefix(cms.origin, "https://localhost:") {
			t.Fatalf("CMS origin %s", cms.origin)
		}
		embedFlavour(t, m, b, cms, "joomla3")
	})
}

// testCertificate writes a self-signed certificate for 127.0.0.1, localhost and names, and its
// key, into a temporary directory.
func testCertificate(t testing.TB, names ...string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "meetd test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              append([]string{"localhost"}, names...),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// useTestCertificate makes m's calls go over HTTPS, trusting the certificate of m's environment,
// when it has one.
func (m *meetd) useTestCertificate() {
	file := m.env["MEETD_TLS_CERT_FILE"]
	if file == "" {
		return
	}
	m.base = "https://" + m.env["MEETD_ADDR"]
	m.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: certPool(m.t, file)}}}
}

func certPool(t testing.TB, certFile string) *x509.CertPool {
	t.Helper()
	b, err := os.ReadFile(certFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatalf("%s holds no certificate", certFile)
	}
	return pool
}

// signalJoin opens LiveKit's signalling WebSocket at url (ws:// or wss://, trusting what client
// trusts) like a client does, and returns the join response; it disconnects at once.
func signalJoin(t testing.TB, url, token string, client *http.Client) *livekit.JoinResponse {
	t.Helper()
	conn, join := signalConnect(t, url, token, client)
	conn.Close()
	return join
}

// signalConnect is signalJoin that leaves the WebSocket open.
func signalConnect(t testing.TB, url, token string, client *http.Client) (*websocket.Conn, *livekit.JoinResponse) {
	t.Helper()
	dialer := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	if tr, ok := client.Transport.(*http.Transport); ok {
		dialer.TLSClientConfig = tr.TLSClientConfig
	}
	conn, res, err := dialer.Dial(url+"/rtc?access_token="+token+"&protocol=16&sdk=go&auto_subscribe=1", nil)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		t.Fatalf("signalling WebSocket %s/rtc: %v (HTTP %d)", url, err, status)
	}
	var join *livekit.JoinResponse
	readSignal(t, conn, func(sr *livekit.SignalResponse) bool { join = sr.GetJoin(); return join != nil })
	return conn, join
}

// readSignal reads signalling messages until done says one was the one expected (10 s at most).
func readSignal(t testing.TB, conn *websocket.Conn, done func(*livekit.SignalResponse) bool) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("signalling WebSocket: %v", err)
		}
		var sr livekit.SignalResponse
		if err := proto.Unmarshal(msg, &sr); err != nil {
			t.Fatalf("signalling message: %v", err)
		}
		if done(&sr) {
			return
		}
	}
}

// webSockets are the WebSocket URLs a page opened.
type webSockets struct {
	mu   sync.Mutex
	urls []string
}

func watchWebSockets(p *page) *webSockets {
	p.t.Helper()
	w := &webSockets{}
	err := chromedp.Listen(p.ctx, func(ev any) {
		if e, ok := ev.(*network.EventWebSocketCreated); ok {
			w.mu.Lock()
			w.urls = append(w.urls, e.URL)
			w.mu.Unlock()
		}
	})
	if err != nil {
		p.t.Fatalf("page %s: listen: %v", p.name, err)
	}
	return w
}

func (w *webSockets) list() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.urls...)
}

func trimQueries(urls []string) []string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i], _, _ = strings.Cut(u, "?")
	}
	return out
}

func portOfAddr(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}
