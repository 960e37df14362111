package httpapi

import (
	"net/http"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meet"
)

// The dashboard signs in once with the API key and secret (or the dashboard password) and then
// holds a session cookie: HttpOnly (scripts cannot read it), SameSite=Strict (other sites cannot
// send it), and every call must also carry the X-Meetd-Dashboard header, which a cross-site form
// cannot set.

const (
	dashboardCookie = "meetd_dashboard"
	dashboardTTL    = 12 * time.Hour
	dashboardHeader = "X-Meetd-Dashboard"
)

// dashboardLogin signs in: {api_key, api_secret} or {password} → the session cookie.
func (s *Server) dashboardLogin(r *http.Request) (any, error) {
	var req struct {
		APIKey    string `json:"api_key"`
		APISecret string `json:"api_secret"`
		Password  string `json:"password"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	keysOK := req.APIKey != "" && auth.Equal(req.APIKey, s.Keys.APIKey) && auth.Equal(req.APISecret, s.Keys.APISecret)
	passwordOK := s.DashboardPassword != "" && req.Password != "" && auth.Equal(req.Password, s.DashboardPassword)
	if !keysOK && !passwordOK {
		s.Log.Warn("dashboard sign-in refused", "remote", r.RemoteAddr)
		return nil, meet.Errorf(meet.CodeInvalidAPIKey, "wrong credentials")
	}
	token, err := s.Keys.PurposeToken(auth.PurposeDashboard, time.Now(), dashboardTTL)
	if err != nil {
		return nil, err
	}
	return withCookie{&http.Cookie{
		Name: dashboardCookie, Value: token, Path: "/dashboard", MaxAge: int(dashboardTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	}, OK()}, nil
}

func (s *Server) dashboardLogout(r *http.Request) (any, error) {
	return withCookie{&http.Cookie{
		Name: dashboardCookie, Value: "", Path: "/dashboard", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	}, OK()}, nil
}

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
	c, err := r.Cookie(dashboardCookie)
	if err != nil {
		return meet.Errorf(meet.CodeInvalidTokenOrSignature, "not signed in to the dashboard")
	}
	if err := s.Keys.CheckPurpose(c.Value, auth.PurposeDashboard, time.Now()); err != nil {
		return &meet.Error{Code: meet.CodeInvalidTokenOrSignature, Msg: "dashboard session expired or invalid", Err: err}
	}
	return nil
}
