package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// TLS makes meetd serve HTTPS itself: with a certificate and key from files, or with certificates
// it gets automatically (ACME, e.g. Let's Encrypt) for a domain.
type TLS struct {
	CertFile string `yaml:"cert_file"` // PEM certificate (chain) …
	KeyFile  string `yaml:"key_file"`  // … and its private key
	Domain   string `yaml:"domain"`    // automatic certificates for this name, kept in <data_dir>/autocert
	// HTTPAddr is a plain HTTP listener that redirects to HTTPS and answers ACME challenges.
	// Empty: ":80" with domain, none otherwise.
	HTTPAddr string `yaml:"http_addr"`
}

// Enabled reports whether meetd serves HTTPS.
func (t TLS) Enabled() bool { return t.CertFile != "" || t.Domain != "" }

// RedirectAddr is where the plain HTTP listener listens; "" for none.
func (t TLS) RedirectAddr() string {
	if t.HTTPAddr == "" && t.Domain != "" {
		return ":80"
	}
	return t.HTTPAddr
}

// TURN configures the embedded LiveKit node's TURN server, for participants whose network blocks
// or filters UDP.
type TURN struct {
	Enabled bool `yaml:"enabled"`
	UDPPort int  `yaml:"udp_port"` // TURN over UDP; 0 switches it off
	// Domain switches TURN over TLS on: LiveKit tells clients turns:<domain>:443, and meetd's
	// HTTPS listener hands TLS connections for this name to the TURN server.
	Domain string `yaml:"domain"`
	// TLSPort is the TURN server's TCP port behind meetd's TLS (LiveKit's tls_port with
	// external_tls): meetd passes the decrypted connections there. Not for clients.
	TLSPort int `yaml:"tls_port"`
}

// TLSOn reports whether TURN over TLS is served.
func (t TURN) TLSOn() bool { return t.Enabled && t.Domain != "" }

func boolSetter(field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%q is not true or false", v)
		}
		*field(c) = b
		return nil
	}
}

// dnsName is a domain name as ACME and TURN take it: labels of letters, digits and hyphens, at
// least two of them.
var dnsName = regexp.MustCompile(`^(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$`)

// validateServing checks tls.*, turn.* and drain_timeout.
func (c *Config) validateServing() error {
	t := c.TLS
	if (t.CertFile == "") != (t.KeyFile == "") {
		return errors.New("tls.cert_file and tls.key_file: set both, or neither")
	}
	if t.CertFile != "" && t.Domain != "" {
		return errors.New("tls.domain: set either tls.domain (automatic certificates) or tls.cert_file and tls.key_file, not both")
	}
	if t.Domain != "" && !dnsName.MatchString(t.Domain) {
		return fmt.Errorf("tls.domain: %q is not a domain name (like meet.example.org)", t.Domain)
	}
	if t.HTTPAddr != "" {
		if !t.Enabled() {
			return errors.New("tls.http_addr: only with tls.cert_file and tls.key_file, or tls.domain")
		}
		if _, _, err := net.SplitHostPort(t.HTTPAddr); err != nil {
			return fmt.Errorf("tls.http_addr: %q is not host:port: %v", t.HTTPAddr, err)
		}
	}
	var leaf *x509.Certificate
	if t.CertFile != "" {
		var err error
		if leaf, err = loadCertificate(t.CertFile, t.KeyFile); err != nil {
			return err
		}
	}

	u := c.TURN
	if err := errors.Join(
		validPort("turn.udp_port", u.UDPPort, true),
		validPort("turn.tls_port", u.TLSPort, true),
	); err != nil {
		return err
	}
	if u.Domain != "" {
		switch {
		case !u.Enabled:
			return errors.New("turn.domain: only with turn.enabled: true")
		case !dnsName.MatchString(u.Domain):
			return fmt.Errorf("turn.domain: %q is not a domain name (like turn.meet.example.org)", u.Domain)
		case !t.Enabled():
			return errors.New("turn.domain: TURN over TLS uses meetd's certificate: set tls.cert_file and tls.key_file, or tls.domain")
		case strings.EqualFold(u.Domain, t.Domain):
			return errors.New("turn.domain: must differ from tls.domain: meetd tells TURN from HTTPS connections by the name")
		case u.TLSPort == 0:
			return errors.New("turn.tls_port: needed with turn.domain (the TURN server's port behind meetd's TLS)")
		case leaf != nil && leaf.VerifyHostname(u.Domain) != nil:
			return fmt.Errorf("turn.domain: the certificate in tls.cert_file is not valid for %s", u.Domain)
		}
	}
	if u.Enabled && c.LiveKit.External() {
		return errors.New("turn.enabled: the TURN server is the embedded node's; with livekit.url, TURN is the external LiveKit's to configure")
	}
	if u.Enabled && u.UDPPort == 0 && u.Domain == "" {
		return errors.New("turn.enabled: needs turn.udp_port (TURN over UDP) or turn.domain (TURN over TLS)")
	}
	if c.DrainTimeout < 0 {
		return fmt.Errorf("drain_timeout: %s must not be negative", time.Duration(c.DrainTimeout))
	}
	return nil
}

// loadCertificate checks that the files hold a certificate and its key, and returns the certificate.
func loadCertificate(certFile, keyFile string) (*x509.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("tls.cert_file: %w", err)
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("tls.key_file: %w", err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("tls.cert_file, tls.key_file: %s and %s are not a PEM certificate and its key: %w", certFile, keyFile, err)
	}
	return pair.Leaf, nil
}
