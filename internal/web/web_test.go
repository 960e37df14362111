package web

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, target string, header map[string]string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPageSelection(t *testing.T) {
	h := Handler()
	tests := []struct {
		target string
		want   string // a marker only that page has
		csp    bool
	}{
		{"/", "meetd is running", true},
		{"/?foo=bar", "meetd is running", true},
		{"/?access_token=abc.def.ghi", `id="state-message"`, true},
		{"/?access_token=", `id="join-button"`, true},
	}
	for _, tc := range tests {
		res := get(t, h, tc.target, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d", tc.target, res.StatusCode)
		}
		if got := res.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", tc.target, got)
		}
		if got := res.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q", tc.target, got)
		}
		if got := res.Header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("GET %s: Referrer-Policy %q", tc.target, got)
		}
		if got := body(t, res); !strings.Contains(got, tc.want) {
			t.Errorf("GET %s: body lacks %q", tc.target, tc.want)
		}
	}
}

// The join link also works with the token in the pnm_access_token cookie (as plugNmeet's client
// takes it): "/" is then the meeting page, and the page's script reads the cookie.
func TestAccessTokenCookie(t *testing.T) {
	h := Handler()
	for _, tc := range []struct {
		cookie, want string
	}{
		{"pnm_access_token=abc.def.ghi", `id="state-message"`},
		{"other=1; pnm_access_token=abc.def.ghi", `id="state-message"`},
		{"pnm_access_token=", "meetd is running"},
		{"xpnm_access_token=abc", "meetd is running"},
	} {
		res := get(t, h, "/", map[string]string{"Cookie": tc.cookie})
		if got := body(t, res); res.StatusCode != 200 || !strings.Contains(got, tc.want) {
			t.Errorf("GET / with Cookie %q: status %d, body lacks %q", tc.cookie, res.StatusCode, tc.want)
		}
		if !strings.Contains(strings.Join(res.Header.Values("Vary"), ","), "Cookie") {
			t.Errorf("GET / with Cookie %q: Vary %q lacks Cookie", tc.cookie, res.Header.Values("Vary"))
		}
	}
	js := body(t, get(t, h, "/static/meeting.js", nil))
	if !strings.Contains(js, "pnm_access_token") || !strings.Contains(js, "document.cookie") {
		t.Error("meeting.js does not read the pnm_access_token cookie (run web/build.sh)")
	}
}

func TestStaticAssets(t *testing.T) {
	h := Handler()
	tests := []struct {
		target string
		status int
		ctype  string
	}{
		{"/static/meeting.js", 200, "text/javascript; charset=utf-8"},
		{"/static/meeting.css", 200, "text/css; charset=utf-8"},
		{"/static/favicon.svg", 200, "image/svg+xml"},
		{"/static/meeting.html", 200, "text/html; charset=utf-8"},
		{"/static/nope.js", 404, ""},
		{"/static/", 404, ""},
		{"/static/meeting.js/x", 404, ""},
		{"/other", 404, ""},
	}
	for _, tc := range tests {
		res := get(t, h, tc.target, nil)
		if res.StatusCode != tc.status {
			t.Errorf("GET %s: status %d, want %d", tc.target, res.StatusCode, tc.status)
			continue
		}
		if tc.status != 200 {
			continue
		}
		if got := res.Header.Get("Content-Type"); got != tc.ctype {
			t.Errorf("GET %s: Content-Type %q, want %q", tc.target, got, tc.ctype)
		}
		if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q", tc.target, got)
		}
		if res.Header.Get("ETag") == "" {
			t.Errorf("GET %s: no ETag", tc.target)
		}
	}

	// The bundle is the real thing, not a placeholder.
	js := body(t, get(t, h, "/static/meeting.js", nil))
	if len(js) < 100_000 || !strings.Contains(js, "/api/join") {
		t.Errorf("meeting.js looks wrong: %d bytes", len(js))
	}
}

func TestPathsNeverEscape(t *testing.T) {
	h := Handler()
	for _, target := range []string{
		"/static/../web.go",
		"/static/../../go.mod",
		"/static/%2e%2e/web.go",
		"/static/..%2fweb.go",
		"/static/%2e%2e%2fweb_test.go",
		"/static/./../web.go",
		"/static//etc/passwd",
		"/static/..\\web.go",
		"/../internal/web/web.go",
	} {
		res := get(t, h, target, nil)
		b := body(t, res)
		t.Logf("GET %s: %d %s", target, res.StatusCode, res.Header.Get("Location"))
		if res.StatusCode == http.StatusOK {
			t.Errorf("GET %s: status 200, want not found or redirect", target)
		}
		if strings.Contains(b, "package web") || strings.Contains(b, "module meetd") || strings.Contains(b, "root:") {
			t.Errorf("GET %s: leaked a file: %.80q", target, b)
		}
		// A redirect, if any, must land inside the handler's own namespace.
		if loc := res.Header.Get("Location"); loc != "" {
			res2 := get(t, h, loc, nil)
			if b2 := body(t, res2); strings.Contains(b2, "package web") || strings.Contains(b2, "module meetd") {
				t.Errorf("GET %s -> %s: leaked a file", target, loc)
			}
		}
	}
}

func TestGzipAndRevalidation(t *testing.T) {
	h := Handler()
	plain := get(t, h, "/static/meeting.js", nil)
	plainBody := body(t, plain)

	res := get(t, h, "/static/meeting.js", map[string]string{"Accept-Encoding": "gzip, deflate, br"})
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip: %v", res.Header)
	}
	if !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
		t.Errorf("Vary %q", res.Header.Get("Vary"))
	}
	zr, err := gzip.NewReader(bytes.NewReader([]byte(body(t, res))))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if string(unzipped) != plainBody {
		t.Error("gzip body differs from the plain one")
	}
	if res.Header.Get("ETag") == plain.Header.Get("ETag") {
		t.Error("gzip and plain bodies share an ETag")
	}

	res = get(t, h, "/static/meeting.js", map[string]string{"Accept-Encoding": "gzip;q=0"})
	if res.Header.Get("Content-Encoding") != "" {
		t.Error("gzip sent although refused")
	}

	res = get(t, h, "/static/meeting.js", map[string]string{"If-None-Match": plain.Header.Get("ETag")})
	if res.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation: status %d, want 304", res.StatusCode)
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                  false,
		"gzip":              true,
		"GZIP":              true,
		"br, gzip;q=0.8":    true,
		"gzip;q=0":          false,
		"gzip; q=0.000":     false,
		"deflate, identity": false,
		"x-gzip":            false,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

func TestDashboardPage(t *testing.T) {
	h := Handler()
	for _, target := range []string{"/dashboard", "/dashboard/"} {
		res := get(t, h, target, nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d", target, res.StatusCode)
		}
		if got := res.Header.Get("Content-Type"); got != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", target, got)
		}
		csp := res.Header.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self';", "connect-src 'self';", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s: CSP %q lacks %q", target, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe") {
			t.Errorf("GET %s: CSP allows something unsafe: %q", target, csp)
		}
		if got := res.Header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("GET %s: X-Frame-Options %q", target, got)
		}
		if got := res.Header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("GET %s: Referrer-Policy %q", target, got)
		}
		b := body(t, res)
		for _, id := range []string{"login-form", "login-key", "login-secret", "login-password", "login-submit", "login-error",
			"rooms-list", "room-view", "past-rooms-list", "deliveries-list", "logout-button", "create-room-form", "dash-end-room"} {
			if !strings.Contains(b, `id="`+id+`"`) {
				t.Errorf("GET %s: no element #%s", target, id)
			}
		}
		// Scripts come from files only: the CSP would block an inline one anyway.
		if n, m := strings.Count(b, "<script"), strings.Count(b, `<script type="module" src="/static/`); n != m {
			t.Errorf("GET %s: %d script tags, %d of them external", target, n, m)
		}
		if strings.Contains(b, " style=") {
			t.Errorf("GET %s: inline style attribute (the CSP blocks it)", target)
		}
	}
	for _, target := range []string{"/dashboard/x", "/dashboard/api/nope", "/dashboards"} {
		if res := get(t, h, target, nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", target, res.StatusCode)
		}
	}

	// The meeting page keeps its own policy and may still be framed (LMS plugins embed it).
	res := get(t, h, "/?access_token=x", nil)
	if res.Header.Get("X-Frame-Options") != "" || strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors") {
		t.Errorf("meeting page headers changed: %v", res.Header)
	}
	if !strings.Contains(res.Header.Get("Content-Security-Policy"), "connect-src 'self' ws: wss:") {
		t.Errorf("meeting page CSP %q", res.Header.Get("Content-Security-Policy"))
	}

	for file, ctype := range map[string]string{"dashboard.js": "text/javascript; charset=utf-8", "dashboard.css": "text/css; charset=utf-8"} {
		res := get(t, h, "/static/"+file, nil)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != ctype {
			t.Errorf("GET /static/%s: %d %q", file, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
	// The classes the browser tests rely on are made by the script.
	js := body(t, get(t, h, "/static/dashboard.js", nil))
	for _, class := range []string{"room-row", "room-participants", "participant-row", "past-room-row", "dash-mute", "dash-remove", "dash-block", "dash-redeliver", "X-Meetd-Dashboard"} {
		if !strings.Contains(js, class) {
			t.Errorf("dashboard.js never mentions %q", class)
		}
	}
}

// /client.zip holds the meeting's bundle and stylesheet where plugNmeet's client.zip holds its
// client (client/dist/assets/{js,css}/), under the names getClientFiles lists, byte for byte.
func TestClientZip(t *testing.T) {
	h := Handler()
	get := func(path string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		return w
	}
	w := get("/client.zip")
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/zip" {
		t.Fatalf("client.zip: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	zr, err := zip.NewReader(bytes.NewReader(w.Body.Bytes()), int64(w.Body.Len()))
	if err != nil {
		t.Fatal(err)
	}
	css, js := ClientFiles()
	want := map[string]string{"client/dist/assets/css/" + css[0]: "/assets/css/" + css[0], "client/dist/assets/js/" + js[0]: "/assets/js/" + js[0]}
	if len(zr.File) != len(want) {
		t.Fatalf("client.zip holds %d files, want %d", len(zr.File), len(want))
	}
	for _, f := range zr.File {
		served, ok := want[f.Name]
		if !ok {
			t.Fatalf("client.zip holds %s", f.Name)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(body, get(served).Body.Bytes()) {
			t.Errorf("%s differs from %s", f.Name, served)
		}
	}
	if again := get("/client.zip"); !bytes.Equal(again.Body.Bytes(), w.Body.Bytes()) {
		t.Error("client.zip changes between two downloads")
	}
}

// TestLocales: the languages on offer are the catalogues present (doc/web.md, "Languages"):
// locales/index.json lists them, and each is served, across origins (an embedded page fetches them).
func TestLocales(t *testing.T) {
	h := Handler()
	res := get(t, h, "/static/locales/index.json", nil)
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "application/json" || res.Header.Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("index.json: %d %v", res.StatusCode, res.Header)
	}
	var langs []string
	if err := json.Unmarshal([]byte(body(t, res)), &langs); err != nil {
		t.Fatal(err)
	}
	entries, err := fs.ReadDir(files, "static/locales")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, e := range entries {
		want = append(want, strings.TrimSuffix(e.Name(), ".json"))
	}
	if !slices.Equal(langs, want) || !slices.Contains(langs, "ar") || !slices.Contains(langs, "en") {
		t.Errorf("index.json %v, want the files present %v", langs, want)
	}
	for _, l := range langs {
		res := get(t, h, "/static/locales/"+l+".json", nil)
		var cat map[string]string
		if err := json.Unmarshal([]byte(body(t, res)), &cat); err != nil || res.StatusCode != 200 || cat["state.connecting"] == "" {
			t.Errorf("%s.json: %d %v", l, res.StatusCode, err)
		}
		if res.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s.json: no CORS", l)
		}
	}
}

// The background processor and its segmentation are served from /static/background/, open to
// embedding pages, the wasm as application/wasm and gzip-compressed when asked (doc/web.md,
// "Backgrounds"); the meeting page's CSP lets it compile WebAssembly and nothing else.
func TestBackgroundAssets(t *testing.T) {
	h := Handler()
	for _, tc := range []struct{ file, ctype string }{
		{"processor.js", "text/javascript; charset=utf-8"},
		{"selfie_segmentation.js", "text/javascript; charset=utf-8"},
		{"selfie_segmentation_solution_simd_wasm_bin.js", "text/javascript; charset=utf-8"},
		{"selfie_segmentation_solution_simd_wasm_bin.wasm", "application/wasm"},
		{"selfie_segmentation_landscape.tflite", "application/octet-stream"},
		{"selfie_segmentation.binarypb", "application/octet-stream"},
	} {
		res := get(t, h, "/static/background/"+tc.file, nil)
		if res.StatusCode != 200 {
			t.Errorf("GET %s: status %d", tc.file, res.StatusCode)
			continue
		}
		if got := res.Header.Get("Content-Type"); got != tc.ctype {
			t.Errorf("GET %s: Content-Type %q, want %q", tc.file, got, tc.ctype)
		}
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != "*" {
			t.Errorf("GET %s: Access-Control-Allow-Origin %q, want *", tc.file, got)
		}
	}

	wasm := "/static/background/selfie_segmentation_solution_simd_wasm_bin.wasm"
	plain := body(t, get(t, h, wasm, nil))
	if len(plain) < 1_000_000 || !strings.HasPrefix(plain, "\x00asm") {
		t.Fatalf("the wasm looks wrong: %d bytes", len(plain))
	}
	res := get(t, h, wasm, map[string]string{"Accept-Encoding": "gzip"})
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("the wasm is not compressed for a client that takes gzip: %v", res.Header)
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil || string(unzipped) != plain {
		t.Errorf("the compressed wasm is not the wasm (%d bytes, %v)", len(unzipped), err)
	}

	csp := get(t, h, "/?access_token=x", nil).Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self' 'wasm-unsafe-eval';") || strings.Contains(csp, "'unsafe-eval'") {
		t.Errorf("the meeting page's CSP %q", csp)
	}
}
