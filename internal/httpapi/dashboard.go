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

func (s *Server) dashboardLogin(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r) // answers when it cannot
	if !ok {
		return
	}
	var req struct {
		APIKey    string `json:"api_key"`
		APISecret string `json:"api_secret"`
		Password  string `json:"password"`
	}
	if err := decode(body, &req); err != nil {
		s.answer(w, r, nil, err)
		return
	}
	keysOK := req.APIKey != "" && auth.Equal(req.APIKey, s.Keys.APIKey) && auth.Equal(req.APISecret, s.Keys.APISecret)
	passwordOK := s.DashboardPassword != "" && req.Password != "" && auth.Equal(req.Password, s.DashboardPassword)
	if !keysOK && !passwordOK {
		s.Log.Warn("dashboard sign-in refused", "remote", r.RemoteAddr)
		writeJSON(w, http.StatusUnauthorized, Envelope{Msg: "wrong credentials", StatusCode: meet.CodeInvalidAPIKey})
		return
	}
	token, err := s.Keys.PurposeToken(auth.PurposeDashboard, time.Now(), dashboardTTL)
	if err != nil {
		writeError(w, r, s.Log, http.StatusInternalServerError, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: dashboardCookie, Value: token, Path: "/dashboard", MaxAge: int(dashboardTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	writeJSON(w, http.StatusOK, OK())
}

func (s *Server) dashboardLogout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: dashboardCookie, Value: "", Path: "/dashboard", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	writeJSON(w, http.StatusOK, OK())
}

func (s *Server) dashboardSession(w http.ResponseWriter, r *http.Request) {
	if err := s.dashboardCookie(r); err != nil {
		writeJSON(w, http.StatusUnauthorized, Envelope{Msg: "not signed in", StatusCode: meet.CodeInvalidTokenOrSignature})
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Envelope
		APIKey string `json:"api_key"`
	}{OK(), s.Keys.APIKey})
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

// verifyDashboard authorizes a dashboard API call: the cookie and the dashboard header.
func (s *Server) verifyDashboard(r *http.Request, _ []byte) error {
	if r.Header.Get(dashboardHeader) != "1" {
		return meet.Errorf(meet.CodeMissingRequiredParameter, "the "+dashboardHeader+" header is required")
	}
	return s.dashboardCookie(r)
}
