package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestServingConfig(t *testing.T) {
	c, err := load(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.TLS.Enabled() || c.TLS.RedirectAddr() != "" || c.TURN.Enabled || c.TURN.UDPPort != 3478 || c.TURN.TLSPort != 5349 ||
		time.Duration(c.DrainTimeout) != 10*time.Minute {
		t.Fatalf("defaults: tls %+v turn %+v drain %s", c.TLS, c.TURN, time.Duration(c.DrainTimeout))
	}

	dir := t.TempDir()
	cert, key := writeCertificate(t, dir, "meet.example.org", "turn.example.org")
	file := configFile(t, "tls:\n  cert_file: "+cert+"\n  key_file: "+key+"\n  http_addr: :8081\nturn:\n  enabled: true\n  domain: turn.example.org\ndrain_timeout: 90s\n")
	env := map[string]string{"MEETD_TURN_UDP_PORT": "3479", "MEETD_DRAIN_TIMEOUT": "2m"}
	c, err = load([]string{"-config", file, "-turn.tls_port", "5350"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if !c.TLS.Enabled() || c.TLS.RedirectAddr() != ":8081" || !c.TURN.TLSOn() || c.TURN.UDPPort != 3479 || c.TURN.TLSPort != 5350 ||
		time.Duration(c.DrainTimeout) != 2*time.Minute {
		t.Fatalf("layers: tls %+v turn %+v drain %s", c.TLS, c.TURN, time.Duration(c.DrainTimeout))
	}

	c, err = load(nil, map[string]string{"MEETD_TLS_DOMAIN": "meet.example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if !c.TLS.Enabled() || c.TLS.RedirectAddr() != ":80" {
		t.Errorf("tls.domain: enabled %v, redirect on %q, want :80", c.TLS.Enabled(), c.TLS.RedirectAddr())
	}
}

func TestServingConfigRefusesBadValues(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeCertificate(t, dir, "meet.example.org")
	garbage := filepath.Join(dir, "garbage.pem")
	_ = os.WriteFile(garbage, []byte("not a certificate"), 0o600)
	unreadable := filepath.Join(dir, "unreadable.pem")
	_ = os.WriteFile(unreadable, []byte("x"), 0o000)
	files := map[string]string{"MEETD_TLS_CERT_FILE": cert, "MEETD_TLS_KEY_FILE": key}
	with := func(extra map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range files {
			out[k] = v
		}
		for k, v := range extra {
			out[k] = v
		}
		return out
	}
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"MEETD_TLS_CERT_FILE": cert}, "tls.cert_file and tls.key_file: set both"},
		{map[string]string{"MEETD_TLS_KEY_FILE": key}, "tls.cert_file and tls.key_file: set both"},
		{map[string]string{"MEETD_TLS_CERT_FILE": filepath.Join(dir, "missing.pem"), "MEETD_TLS_KEY_FILE": key}, "tls.cert_file: open"},
		{map[string]string{"MEETD_TLS_CERT_FILE": cert, "MEETD_TLS_KEY_FILE": filepath.Join(dir, "missing.pem")}, "tls.key_file: open"},
		{map[string]string{"MEETD_TLS_CERT_FILE": garbage, "MEETD_TLS_KEY_FILE": key}, "tls.cert_file, tls.key_file: " + garbage},
		{map[string]string{"MEETD_TLS_CERT_FILE": cert, "MEETD_TLS_KEY_FILE": cert}, "tls.cert_file, tls.key_file"},
		{with(map[string]string{"MEETD_TLS_DOMAIN": "meet.example.org"}), "tls.domain: set either"},
		{map[string]string{"MEETD_TLS_DOMAIN": "https://meet.example.org"}, "tls.domain"},
		{map[string]string{"MEETD_TLS_DOMAIN": "localhost"}, "tls.domain"},
		{map[string]string{"MEETD_TLS_HTTP_ADDR": ":80"}, "tls.http_addr: only with"},
		{with(map[string]string{"MEETD_TLS_HTTP_ADDR": "80"}), "tls.http_addr"},
		{map[string]string{"MEETD_TURN_ENABLED": "yes please"}, "MEETD_TURN_ENABLED (turn.enabled)"},
		{map[string]string{"MEETD_TURN_UDP_PORT": "70000"}, "turn.udp_port"},
		{map[string]string{"MEETD_TURN_ENABLED": "true", "MEETD_TURN_UDP_PORT": "0"}, "turn.enabled: needs"},
		{map[string]string{"MEETD_TURN_DOMAIN": "turn.example.org"}, "turn.domain: only with turn.enabled"},
		{map[string]string{"MEETD_TURN_ENABLED": "true", "MEETD_TURN_DOMAIN": "turn.example.org"}, "turn.domain: TURN over TLS uses meetd's certificate"},
		{with(map[string]string{"MEETD_TURN_ENABLED": "true", "MEETD_TURN_DOMAIN": "turn.example.org"}), "turn.domain: the certificate in tls.cert_file is not valid for turn.example.org"},
		{with(map[string]string{"MEETD_TURN_ENABLED": "true", "MEETD_TURN_DOMAIN": "meet.example.org", "MEETD_TURN_TLS_PORT": "0"}), "turn.tls_port: needed"},
		{map[string]string{"MEETD_TLS_DOMAIN": "meet.example.org", "MEETD_TURN_ENABLED": "true", "MEETD_TURN_DOMAIN": "MEET.example.org"}, "turn.domain: must differ from tls.domain"},
		{map[string]string{"MEETD_TURN_ENABLED": "true", "MEETD_LIVEKIT_URL": "https://lk.example.org", "MEETD_LIVEKIT_API_KEY": "k", "MEETD_LIVEKIT_API_SECRET": "s"}, "turn.enabled: the TURN server is the embedded node's"},
		{map[string]string{"MEETD_DRAIN_TIMEOUT": "-1s"}, "drain_timeout"},
		{map[string]string{"MEETD_DRAIN_TIMEOUT": "forever"}, "MEETD_DRAIN_TIMEOUT (drain_timeout)"},
	} {
		_, err := load(nil, c.env)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("env %v: error %v, want one with %q", c.env, err, c.want)
		}
	}
	if os.Geteuid() != 0 { // root reads any file
		_, err := load(nil, map[string]string{"MEETD_TLS_CERT_FILE": unreadable, "MEETD_TLS_KEY_FILE": key})
		if err == nil || !strings.Contains(err.Error(), "tls.cert_file: open "+unreadable+": permission denied") {
			t.Errorf("unreadable certificate: %v", err)
		}
	}
}

// writeCertificate writes a self-signed certificate for names, and its key, into dir.
func writeCertificate(t *testing.T, dir string, names ...string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), DNSNames: names, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	return certFile, keyFile
}
