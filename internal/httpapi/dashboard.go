package httpapi

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meet"
)

// The dashboard signs in once with the API key and secret (or the dashboard password) and then
// holds a session cookie: HttpOnly (scripts cannot read it), SameSite=Strict (other sites cannot
// send it), Secure on HTTPS, and every call must also carry the X-Meetd-Dashboard header, which a
// cross-site form cannot set. The sign-in backs off after repeated wrong credentials, and a
// session ends at sign-out, at a changed dashboard password or API secret, or after 12 hours
// (doc/security.md).

const (
	dashboardCookie = "meetd_dashboard"
	dashboardTTL    = 12 * time.Hour
	dashboardHeader = "X-Meetd-Dashboard"
)

// now is the server's clock: time.Now, or a test's.
func (s *Server) now() time.Time {
	if s.clock != nil {
		return s.clock()
	}
	return time.Now()
}

// sessionClaims are the dashboard cookie's token: a purpose token with the session's id, which
// sign-out revokes, and a fingerprint of the dashboard password it was made under, so that a
// changed password ends it (a changed API secret breaks its signature).
type sessionClaims struct {
	auth.PurposeClaims
	ID          string `json:"jti"`
	Fingerprint string `json:"pwd"`
}

// passwordFingerprint is a keyed hash of the dashboard password: it tells a changed password
// without saying anything about the password to whoever reads the cookie.
func (s *Server) passwordFingerprint() string {
	m := hmac.New(sha256.New, []byte(s.Keys.APISecret))
	m.Write([]byte("meetd dashboard password\x00" + s.DashboardPassword))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:12])
}

// dashboardLogin signs in: {api_key, api_secret} or {password} → the session cookie. While the
// client (or every client together) backs off, nothing is read or checked.
func (s *Server) dashboardLogin(r *http.Request) (any, error) {
	client, now := clientOf(r), s.now()
	if wait := s.signins.wait(client, now); wait > 0 {
		return nil, meet.Errorf(meet.CodeTooManyAttempts, "too many failed sign-ins: try again in %d s", int(wait.Seconds()+0.999))
	}
	var req struct {
		APIKey    string `json:"api_key"`
		APISecret string `json:"api_secret"`
		Password  string `json:"password"`
	}
	if err := decodeSmall(r, &req); err != nil {
		return nil, err
	}
	keysOK := req.APIKey != "" && auth.Equal(req.APIKey, s.Keys.APIKey) && auth.Equal(req.APISecret, s.Keys.APISecret)
	passwordOK := s.DashboardPassword != "" && req.Password != "" && auth.Equal(req.Password, s.DashboardPassword)
	if !keysOK && !passwordOK {
		s.signins.failed(s.Log, client, now)
		return nil, meet.Errorf(meet.CodeInvalidAPIKey, "wrong credentials")
	}
	s.signins.succeeded(client)
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	token, err := auth.Sign(s.Keys.APISecret, sessionClaims{
		PurposeClaims: auth.PurposeClaims{Times: auth.NewTimes(s.Keys.APIKey, now, dashboardTTL), Purpose: auth.PurposeDashboard},
		ID:            base64.RawURLEncoding.EncodeToString(id),
		Fingerprint:   s.passwordFingerprint(),
	})
	if err != nil {
		return nil, err
	}
	return withCookie{&http.Cookie{
		Name: dashboardCookie, Value: token, Path: "/dashboard", MaxAge: int(dashboardTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: isHTTPS(r),
	}, OK()}, nil
}

// dashboardLogout ends the session: its id is revoked until the token would expire, and the
// browser forgets the cookie.
func (s *Server) dashboardLogout(r *http.Request) (any, error) {
	if c, err := s.session(r); err == nil {
		s.revoked.revoke(c.ID, time.Unix(c.ExpiresAt, 0), s.now())
		if s.SignOuts != nil {
			if err := s.SignOuts.RevokeDashboardSession(r.Context(), c.ID, time.Unix(c.ExpiresAt, 0)); err != nil {
				return nil, err // the browser keeps the cookie: signing out again tries again
			}
		}
	}
	return withCookie{&http.Cookie{
		Name: dashboardCookie, Value: "", Path: "/dashboard", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: isHTTPS(r),
	}, OK()}, nil
}

// isHTTPS tells whether r reached meetd over TLS, which decides the cookie's Secure flag: the rule
// is the connection meetd itself sees.
func isHTTPS(r *http.Request) bool { return r.TLS != nil }

// dashboardSession tells the dashboard whether it is signed in, and with which API key.
func (s *Server) dashboardSession(r *http.Request) (any, error) {
	if err := s.dashboardCookie(r); err != nil {
		return nil, &meet.Error{Code: meet.CodeInvalidTokenOrSignature, Msg: "not signed in", Err: err}
	}
	return struct {
		Envelope
		APIKey string `json:"api_key"`
	}{OK(), s.Keys.APIKey}, nil
}

// dashboardCookie checks the session cookie.
func (s *Server) dashboardCookie(r *http.Request) error {
	_, err := s.session(r)
	return err
}

// session checks the session cookie and returns its claims: signed with the API secret, not
// expired, made under the current dashboard password, and not signed out.
func (s *Server) session(r *http.Request) (*sessionClaims, error) {
	c, err := r.Cookie(dashboardCookie)
	if err != nil {
		return nil, meet.Errorf(meet.CodeInvalidTokenOrSignature, "not signed in to the dashboard")
	}
	var claims sessionClaims
	err = auth.Parse(s.Keys.APISecret, c.Value, &claims, s.now())
	switch {
	case err != nil:
	case claims.Purpose != auth.PurposeDashboard || claims.ID == "":
		err = auth.ErrBadToken
	case !auth.Equal(claims.Fingerprint, s.passwordFingerprint()):
		err = errPasswordChanged
	case s.revoked.has(claims.ID):
		err = errSignedOut
	case s.SignOuts != nil:
		var out bool
		if out, err = s.SignOuts.DashboardSessionRevoked(r.Context(), claims.ID); err == nil && out {
			err = errSignedOut
		}
	}
	if err != nil {
		return nil, &meet.Error{Code: meet.CodeInvalidTokenOrSignature, Msg: "dashboard session expired or invalid", Err: err}
	}
	return &claims, nil
}

var (
	errPasswordChanged = errors.New("the dashboard password changed")
	errSignedOut       = errors.New("signed out")
)

// SignOutStore keeps signed-out dashboard sessions (the store, shared by a cluster's processes).
type SignOutStore interface {
	RevokeDashboardSession(ctx context.Context, id string, until time.Time) error
	DashboardSessionRevoked(ctx context.Context, id string) (bool, error)
}

// revokedSessions are the dashboard sessions signed out here, each until its token expires.
type revokedSessions struct {
	mu    sync.Mutex
	until map[string]time.Time
}

func (v *revokedSessions) revoke(id string, until, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.until == nil {
		v.until = map[string]time.Time{}
	}
	for k, t := range v.until { // at most one entry per sign-in of the last 12 hours
		if now.After(t) {
			delete(v.until, k)
		}
	}
	v.until[id] = until
}

func (v *revokedSessions) has(id string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	_, ok := v.until[id]
	return ok
}

// The sign-in's back-off (doc/security.md): each client, and all clients together, may fail a few
// times; then each further failure doubles a back-off during which every sign-in is refused
// unchecked, the right credentials included. A quiet period forgets the failures.
const (
	signinFreeFailures  = 5  // per client before the first back-off
	signinGlobalFree    = 50 // of all clients together
	signinFirstBackoff  = time.Minute
	signinMaxBackoff    = time.Hour
	signinForgetAfter   = 15 * time.Minute // after the back-off, without failures
	signinMaxClients    = 10000
	signinGlobalClient  = "all clients"
	signinClientV6Width = 64 // an IPv6 client is its /64
)

// strikes are the failures of a client (or of all).
type strikes struct {
	fails   int
	last    time.Time // the last failure
	until   time.Time // the end of the back-off
	refused int       // sign-ins refused during back-offs, not yet logged
}

// forgotten tells whether the failures are old enough to start over.
func (k *strikes) forgotten(now time.Time) bool {
	return now.After(k.until) && now.Sub(k.last) > signinForgetAfter
}

// fail counts a failure; it returns the back-off it starts, or 0.
func (k *strikes) fail(free int, now time.Time) time.Duration {
	if k.forgotten(now) {
		*k = strikes{refused: k.refused}
	}
	k.fails++
	k.last = now
	if k.fails < free {
		return 0
	}
	d := signinMaxBackoff
	if n := k.fails - free; n < 6 {
		d = min(signinFirstBackoff<<n, signinMaxBackoff)
	}
	k.until = now.Add(d)
	return d
}

type signinThrottle struct {
	mu      sync.Mutex
	clients map[string]*strikes
	global  strikes
}

// wait is how long client must still wait, 0 if it may try now.
func (t *signinThrottle) wait(client string, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := t.clients[client]
	var wait time.Duration
	if k != nil && now.Before(k.until) {
		wait = k.until.Sub(now)
		k.refused++
	}
	if now.Before(t.global.until) {
		wait = max(wait, t.global.until.Sub(now))
		t.global.refused++
	}
	return wait
}

// failed counts a failed sign-in of client; the log has a line for the first failure of a
// series and one for each back-off that starts, not one per failure.
func (t *signinThrottle) failed(log interface{ Warn(string, ...any) }, client string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.clients == nil {
		t.clients = map[string]*strikes{}
	}
	k := t.clients[client]
	if k == nil {
		if len(t.clients) >= signinMaxClients {
			for c, old := range t.clients {
				if old.forgotten(now) {
					delete(t.clients, c)
				}
			}
		}
		k = &strikes{}
		if len(t.clients) < signinMaxClients { // else only the global count holds this client
			t.clients[client] = k
		}
	}
	for _, s := range []struct {
		who  string
		k    *strikes
		free int
	}{{client, k, signinFreeFailures}, {signinGlobalClient, &t.global, signinGlobalFree}} {
		d := s.k.fail(s.free, now)
		switch {
		case d > 0:
			log.Warn("dashboard sign-in backing off", "remote", s.who, "failures", s.k.fails, "for", d, "refused_meanwhile", s.k.refused)
			s.k.refused = 0
		case s.k.fails == 1 && s.who == client:
			log.Warn("dashboard sign-in refused", "remote", client)
		}
	}
}

// succeeded forgets the client's failures (not those of all clients).
func (t *signinThrottle) succeeded(client string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.clients, client)
}

// clientOf is who signs in: the peer's IP address (an IPv6 address's /64).
func clientOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(signinClientV6Width, 128)).String() + "/64"
	}
	return ip.String()
}
