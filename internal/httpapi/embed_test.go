package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"meetd/internal/auth"
	"meetd/internal/meettest"
	"meetd/internal/sdk2client"
)

// The meeting embedded in a CMS page (doc/web.md, "Embedding"): getClientFiles, the hashed
// files under /assets/, and CORS on the page API, checked without a browser.

var (
	bundleName     = regexp.MustCompile(`^main-module\.[0-9a-f]{16}\.js$`)
	stylesheetName = regexp.MustCompile(`^main\.[0-9a-f]{16}\.css$`)
)

// clientFilesRes is plugNmeet's GetClientFilesRes with exactly its fields, for the SDK-2 parsers.
type clientFilesRes struct {
	sdk2client.Envelope
	CSS              []string `json:"css"`
	JS               []string `json:"js"`
	CSSFiles         []string `json:"css_files"`
	JSFiles          []string `json:"js_files"`
	StaticAssetsPath *string  `json:"static_assets_path"`
}

// getClientFiles with the bodies of every SDK ({} from PHP SDK 2 and both JS SDKs, [] from PHP
// SDK 1.x, and none): exactly plugNmeet's keys, read by the strict SDK-2 parser and by PHP SDK 1's
// keys (css, js); a wrong signature is refused. The golden file has the names normalised.
func TestGetClientFiles(t *testing.T) {
	s := newScript(t, meettest.Options{})
	for _, body := range []any{map[string]any{}, "[]", ""} {
		answer := s.signed("getClientFiles", body)
		raw, _ := json.Marshal(answer)
		keys := make([]string, 0, len(answer))
		for k := range answer {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if want := []string{"css", "css_files", "js", "js_files", "msg", "status", "status_code"}; !slices.Equal(keys, want) {
			t.Errorf("body %v: keys %v, want %v", body, keys, want)
		}
		var res clientFilesRes
		if err := sdk2client.Strict(raw, &res); err != nil {
			t.Fatalf("body %v: an SDK-2 parser refuses the answer: %v\n%s", body, err, raw)
		}
		if !res.Status || len(res.CSSFiles) == 0 || len(res.JSFiles) == 0 ||
			!slices.Equal(res.CSS, res.CSSFiles) || !slices.Equal(res.JS, res.JSFiles) {
			t.Errorf("body %v: %+v", body, res)
		}
		checkClientFileNames(t, res.CSSFiles, res.JSFiles)
	}
	// PHP SDK 1.x signs and sends [] and reads css and js with json_decode
	var sdk1 struct {
		Status bool     `json:"status"`
		CSS    []string `json:"css"`
		JS     []string `json:"js"`
	}
	_, raw := s.srv.Signed(t, "getClientFiles", "[]")
	if err := json.Unmarshal(raw, &sdk1); err != nil || !sdk1.Status || len(sdk1.CSS) != 1 || len(sdk1.JS) != 1 {
		t.Errorf("as PHP SDK 1 reads it: %+v %v", sdk1, err)
	}
	s.do("POST", "/auth/getClientFiles", http.Header{
		"Content-Type": {"application/json"}, "Api-Key": {s.srv.Keys.APIKey},
		"Hash-Signature": {auth.SignBody(s.srv.Keys.APISecret, []byte("{ }"))},
	}, "{}")
	s.check()
}

func checkClientFileNames(t *testing.T, css, js []string) {
	t.Helper()
	for _, n := range css {
		if !stylesheetName.MatchString(n) {
			t.Errorf("stylesheet %q is not main.<hex16>.css", n)
		}
	}
	for _, n := range js {
		if !bundleName.MatchString(n) {
			t.Errorf("script %q is not main-module.<hex16>.js", n)
		}
	}
	for _, n := range append(slices.Clone(css), js...) {
		if strings.Contains(n, "vendor") || strings.Contains(n, "runtime") {
			t.Errorf("%q would be preloaded by Joomla's plugin", n)
		}
	}
}

// embed.assets_url is sent as static_assets_path, which the SDK-2 plugins use instead of
// <server>/assets.
func TestGetClientFilesAssetsURL(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{AssetsURL: "https://cdn.example.org/meetd/assets"})
	code, raw := srv.Signed(t, "getClientFiles", map[string]any{})
	var res clientFilesRes
	if err := sdk2client.Strict(raw, &res); err != nil || code != 200 {
		t.Fatalf("%d %v\n%s", code, err, raw)
	}
	if res.StaticAssetsPath == nil || *res.StaticAssetsPath != "https://cdn.example.org/meetd/assets" {
		t.Errorf("static_assets_path: %s", raw)
	}
}

// request sends a request with headers and returns the answer without following redirects.
func request(t *testing.T, method, url string, header map[string]string, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// The files getClientFiles lists are served under /assets/ to any origin, also through a server
// URL that ends in "/" (//assets/…), without a redirect; an unknown hash gets the current file,
// uncached (internal/web's tests check the other headers).
func TestClientFilesServed(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{AllowedOrigins: []string{"https://cms.example.org"}})
	_, raw := srv.Signed(t, "getClientFiles", map[string]any{})
	var res clientFilesRes
	if err := json.Unmarshal(raw, &res); err != nil {
		t.Fatal(err)
	}
	origin := map[string]string{"Origin": "https://other.example.net"} // assets are open to every origin
	for _, tc := range []struct{ path, ctype, cache string }{
		{"/assets/js/" + res.JSFiles[0], "text/javascript; charset=utf-8", "immutable"},
		{"//assets/js/" + res.JSFiles[0], "text/javascript; charset=utf-8", "immutable"},
		{"/assets/css/" + res.CSSFiles[0], "text/css; charset=utf-8", "immutable"},
		{"//assets/css/" + res.CSSFiles[0], "text/css; charset=utf-8", "immutable"},
		{"/assets/js/main-module.0000000000000000.js", "text/javascript; charset=utf-8", "no-cache"},
		{"/assets/css/main.0000000000000000.css", "text/css; charset=utf-8", "no-cache"},
	} {
		for _, method := range []string{"GET", "HEAD"} {
			r, body := request(t, method, srv.URL+tc.path, origin, "")
			if r.StatusCode != 200 || r.Header.Get("Content-Type") != tc.ctype || !strings.Contains(r.Header.Get("Cache-Control"), tc.cache) ||
				r.Header.Get("Access-Control-Allow-Origin") != "*" || r.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s %s: %d %v", method, tc.path, r.StatusCode, r.Header)
			}
			if method == "GET" && len(body) < 1000 {
				t.Errorf("GET %s: %d bytes", tc.path, len(body))
			}
		}
	}
	if r, _ := request(t, "GET", srv.URL+"/assets/js/other.js", origin, ""); r.StatusCode != 404 {
		t.Errorf("/assets/js/other.js: %d", r.StatusCode)
	}
}

func hasVary(h http.Header, v string) bool {
	for _, line := range h.Values("Vary") {
		for _, part := range strings.Split(line, ",") {
			if strings.EqualFold(strings.TrimSpace(part), v) {
				return true
			}
		}
	}
	return false
}

// The page API answers pages of other origins: a preflight of each call (and of calls added
// later) gets 204 with the permission; every answer, errors included, carries the allow-origin
// header, so the page reads the error's envelope.
func TestPageCORS(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{})
	const cms = "http://localhost:8081"
	for _, path := range []string{"/api/join", "/api/hand", "/api/moderate", "/api/some-feature/later"} {
		r, _ := request(t, "OPTIONS", srv.URL+path, map[string]string{"Origin": cms,
			"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}, "")
		h := r.Header
		if r.StatusCode != 204 || h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Access-Control-Allow-Methods") != "POST" ||
			!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "authorization") ||
			!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "content-type") ||
			h.Get("Access-Control-Max-Age") == "" || h.Get("Access-Control-Allow-Credentials") != "" ||
			!hasVary(h, "Origin") || !hasVary(h, "Access-Control-Request-Method") || !hasVary(h, "Access-Control-Request-Headers") {
			t.Errorf("preflight %s: %d %v", path, r.StatusCode, h)
		}
	}

	bad := map[string]string{"Origin": cms, "Authorization": "Bearer not.a.token", "Content-Type": "application/json"}
	for _, tc := range []struct {
		path   string
		header map[string]string
		status int
	}{
		{"/api/join", bad, 401},
		{"/api/hand", bad, 401},
		{"/api/moderate", bad, 401},
		{"/api/join", map[string]string{"Origin": cms}, 401}, // no token
		{"/api/some-feature/later", bad, 405},                // no such call: the GET-only pages answer
	} {
		r, body := request(t, "POST", srv.URL+tc.path, tc.header, "{}")
		var env struct {
			Status     *bool  `json:"status"`
			StatusCode string `json:"status_code"`
		}
		if r.StatusCode != tc.status || r.Header.Get("Access-Control-Allow-Origin") != "*" || !hasVary(r.Header, "Origin") ||
			r.Header.Get("Access-Control-Expose-Headers") != "Retry-After" || r.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("POST %s: %d %v", tc.path, r.StatusCode, r.Header)
		}
		if tc.status != 405 && (json.Unmarshal(body, &env) != nil || env.Status == nil || *env.Status) {
			t.Errorf("POST %s: not an error envelope: %s", tc.path, body)
		}
	}

	// while draining: 503 with Retry-After, which the page may read
	room := "cors-drain"
	srv.Signed(t, "room/create", map[string]any{"room_id": room})
	_, tok := srv.Signed(t, "room/getJoinToken", map[string]any{"room_id": room, "user_info": map[string]any{"user_id": "u1", "name": "U"}})
	var jt struct{ Token string }
	_ = json.Unmarshal(tok, &jt)
	srv.Drain()
	r, _ := request(t, "POST", srv.URL+"/api/join", map[string]string{"Origin": cms, "Authorization": "Bearer " + jt.Token}, "{}")
	if r.StatusCode != 503 || r.Header.Get("Retry-After") == "" || r.Header.Get("Access-Control-Allow-Origin") != "*" ||
		r.Header.Get("Access-Control-Expose-Headers") != "Retry-After" {
		t.Errorf("draining join: %d %v", r.StatusCode, r.Header)
	}
}

// With embed.allowed_origins a list, only its origins get the permission (compared as
// scheme://host[:port], default port dropped, case ignored); others and "null" get none, and
// their browser then sends nothing. Same-origin calls (no Origin) still work.
func TestPageCORSAllowedOrigins(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{AllowedOrigins: []string{"https://CMS.example.org:443", "http://localhost:8081"}})
	for _, tc := range []struct{ origin, want string }{
		{"https://cms.example.org", "https://cms.example.org"},
		{"http://localhost:8081", "http://localhost:8081"},
		{"https://cms.example.org:8443", ""},
		{"http://cms.example.org", ""},
		{"https://evil.example", ""},
		{"null", ""},
	} {
		r, _ := request(t, "OPTIONS", srv.URL+"/api/join", map[string]string{"Origin": tc.origin,
			"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}, "")
		if r.StatusCode != 204 || r.Header.Get("Access-Control-Allow-Origin") != tc.want || !hasVary(r.Header, "Origin") ||
			(tc.want == "") != (r.Header.Get("Access-Control-Allow-Methods") == "") {
			t.Errorf("preflight from %s: %d %v", tc.origin, r.StatusCode, r.Header)
		}
		r, _ = request(t, "POST", srv.URL+"/api/join", map[string]string{"Origin": tc.origin, "Authorization": "Bearer x.y.z"}, "{}")
		if r.StatusCode != 401 || r.Header.Get("Access-Control-Allow-Origin") != tc.want {
			t.Errorf("join from %s: %d %v", tc.origin, r.StatusCode, r.Header)
		}
	}
}

// No CORS where it has no business: the signed API, the dashboard and its API, downloads,
// metrics and health. "/" has it: livekit-client probes the media URL (meetd's own origin).
func TestNoCORSElsewhere(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{})
	origin := "http://localhost:8081"
	body := []byte(`{"room_id":"x"}`)
	signed := map[string]string{"Origin": origin, "Content-Type": "application/json", "API-KEY": srv.Keys.APIKey,
		"HASH-SIGNATURE": auth.SignBody(srv.Keys.APISecret, body)}
	for _, tc := range []struct {
		method, path string
		header       map[string]string
		body         string
	}{
		{"POST", "/auth/room/isRoomActive", signed, string(body)},
		{"POST", "/auth/getClientFiles", map[string]string{"Origin": origin}, "{}"},
		{"OPTIONS", "/auth/getClientFiles", map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST"}, ""},
		{"GET", "/dashboard", map[string]string{"Origin": origin}, ""},
		{"POST", "/dashboard/api/room/isRoomActive", map[string]string{"Origin": origin}, "{}"},
		{"OPTIONS", "/dashboard/api/room/isRoomActive", map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST"}, ""},
		{"GET", "/download/recording/not-a-token", map[string]string{"Origin": origin}, ""},
		{"GET", "/metrics", map[string]string{"Origin": origin}, ""},
		{"GET", "/healthz", map[string]string{"Origin": origin}, ""},
	} {
		r, _ := request(t, tc.method, srv.URL+tc.path, tc.header, tc.body)
		if v := r.Header.Values("Access-Control-Allow-Origin"); len(v) != 0 {
			t.Errorf("%s %s: %d with Access-Control-Allow-Origin %v", tc.method, tc.path, r.StatusCode, v)
		}
	}
	for _, method := range []string{"GET", "HEAD"} {
		r, _ := request(t, method, srv.URL+"/", map[string]string{"Origin": origin}, "")
		if v := r.Header.Values("Access-Control-Allow-Origin"); r.StatusCode != 200 || len(v) != 1 || v[0] != "*" {
			t.Errorf("%s /: %d %v", method, r.StatusCode, r.Header)
		}
	}
}
