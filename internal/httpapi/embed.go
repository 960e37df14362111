package httpapi

import (
	"net/http"
	"net/url"
	"path"
	"strings"

	"meetd/internal/web"
)

// A CMS page that embeds the meeting (plugNmeet's WordPress, Joomla and Moodle plugins) asks
// getClientFiles which files to load, loads them from /assets/ (internal/web), and the bundle
// calls the page API (/api/...) from the CMS's origin (doc/web.md, "Embedding").

// clientFiles answers getClientFiles with exactly plugNmeet's GetClientFilesRes fields: the PHP
// SDK 1.x reads css and js, the SDK-2 generation css_files, js_files and static_assets_path (and
// refuses any other key), so both pairs carry the same names.
type clientFiles struct {
	Envelope
	CSS              []string `json:"css"`
	JS               []string `json:"js"`
	CSSFiles         []string `json:"css_files"`
	JSFiles          []string `json:"js_files"`
	StaticAssetsPath string   `json:"static_assets_path,omitempty"`
}

// getClientFiles lists the meeting's stylesheet and bundle, served at /assets/css/<name> and
// /assets/js/<name>. The body ({} from SDK 2, [] from PHP SDK 1.x, or none) asks nothing.
func (s *Server) getClientFiles(*http.Request) (any, error) {
	css, js := web.ClientFiles()
	return clientFiles{OK(), css, js, css, js, s.AssetsURL}, nil
}

// origins is the page API's CORS policy (config embed.allowed_origins): any origin, or a list.
type origins struct {
	any  bool
	list map[string]bool
}

func newOrigins(list []string) origins {
	o := origins{list: map[string]bool{}}
	for _, v := range list {
		if strings.TrimSpace(v) == "*" {
			o.any = true
		} else if n := normalOrigin(v); n != "" {
			o.list[n] = true
		}
	}
	if len(list) == 0 {
		o.any = true
	}
	return o
}

// normalOrigin is scheme://host[:port] lower-cased without a default port, or "" for anything
// else (the opaque origin "null" among them).
func normalOrigin(v string) string {
	u, err := url.Parse(strings.TrimSpace(v))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return ""
	}
	host := strings.ToLower(u.Host)
	if p := u.Port(); (u.Scheme == "http" && p == "80") || (u.Scheme == "https" && p == "443") {
		host = strings.TrimSuffix(host, ":"+p)
	}
	return strings.ToLower(u.Scheme) + "://" + host
}

// allowOrigin is the Access-Control-Allow-Origin of an answer to a request from origin, or "".
func (o origins) allowOrigin(origin string) string {
	if o.any {
		return "*"
	}
	if n := normalOrigin(origin); n != "" && o.list[n] {
		return origin
	}
	return ""
}

// pageCORS lets pages on allowed origins call the page API: every answer under /api/ (the
// success, each error, the draining 503, a recovered panic's 500, and routes added later) carries
// the allow-origin header, and preflight answers 204. The calls take a bearer token and no cookie,
// so credentials are never allowed. GET|HEAD / gets the header too: livekit-client probes the
// media URL (meetd's origin) with a HEAD. Nothing else does: not /auth and /dashboard (never
// called from a browser on another origin), downloads, metrics, nor /rtc (LiveKit answers its own
// CORS there; a second header would make browsers refuse it). Paths like //assets/js/<name> (a
// CMS whose server URL ends in "/") are served as /assets/js/<name> without a redirect, which a
// module script would follow only with CORS.
func (s *Server) pageCORS(o origins, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if strings.HasPrefix(p, "//") {
			if clean := path.Clean(p); strings.HasPrefix(clean, "/assets/") {
				r2 := *r
				u := *r.URL
				u.Path, u.RawPath = clean, ""
				r2.URL = &u
				r = &r2
				p = clean
			}
		}
		if strings.HasPrefix(p, "/api/") || (p == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead)) {
			h := w.Header()
			h.Add("Vary", "Origin")
			if allow := o.allowOrigin(r.Header.Get("Origin")); allow != "" {
				h.Set("Access-Control-Allow-Origin", allow)
				h.Set("Access-Control-Expose-Headers", "Retry-After")
			}
		}
		next.ServeHTTP(w, r)
	})
}

// preflight answers a CORS preflight of the page API: 204, with the permission only for an
// allowed origin (pageCORS set Access-Control-Allow-Origin then); another origin's page is left
// without it, and its browser does not send the call.
func preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	if h.Get("Access-Control-Allow-Origin") != "" {
		h.Del("Access-Control-Expose-Headers")
		h.Set("Access-Control-Allow-Methods", "POST")
		h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept")
		h.Set("Access-Control-Max-Age", "7200")
	}
	w.WriteHeader(http.StatusNoContent)
}
