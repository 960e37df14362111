package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// The meeting's files under content-hashed names (doc/web.md, "Embedding"): what getClientFiles
// lists, served to CMS pages on any origin with a year of caching.

func TestClientFileNames(t *testing.T) {
	css, js := ClientFiles()
	if len(css) != 1 || !regexp.MustCompile(`^main\.[0-9a-f]{16}\.css$`).MatchString(css[0]) {
		t.Errorf("css %v", css)
	}
	if len(js) != 1 || !regexp.MustCompile(`^main-module\.[0-9a-f]{16}\.js$`).MatchString(js[0]) {
		t.Errorf("js %v", js)
	}
	// fixed by the content: the same on every start (and every node), another for other content
	a, b := newAsset("meeting.js", []byte("one")), newAsset("meeting.js", []byte("one"))
	if jsName(a) != jsName(b) || jsName(a) == jsName(newAsset("meeting.js", []byte("two"))) {
		t.Error("names do not follow the content")
	}
	if jsName(a) != "main-module.7692c3ad3540bb80.js" { // sha256("one")
		t.Errorf("jsName %s", jsName(a))
	}
	loaded, _ := load()
	if css2, js2 := cssName(loaded["meeting.css"]), jsName(loaded["meeting.js"]); css2 != css[0] || js2 != js[0] {
		t.Errorf("another load names %s %s", css2, js2)
	}
}

func TestHashedAssets(t *testing.T) {
	h := Handler()
	css, js := ClientFiles()
	origin := map[string]string{"Origin": "https://cms.example.org"}
	for _, tc := range []struct{ path, ctype, static string }{
		{"/assets/js/" + js[0], "text/javascript; charset=utf-8", "/static/meeting.js"},
		{"/assets/css/" + css[0], "text/css; charset=utf-8", "/static/meeting.css"},
	} {
		for _, method := range []string{"GET", "HEAD"} {
			req := httptest.NewRequest(method, tc.path, nil)
			req.Header.Set("Origin", "https://cms.example.org")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			res := rec.Result()
			hd := res.Header
			if res.StatusCode != 200 || hd.Get("Content-Type") != tc.ctype || hd.Get("Cache-Control") != "public, max-age=31536000, immutable" ||
				hd.Get("Access-Control-Allow-Origin") != "*" || hd.Get("Cross-Origin-Resource-Policy") != "cross-origin" ||
				hd.Get("X-Content-Type-Options") != "nosniff" || hd.Get("ETag") == "" || !strings.Contains(hd.Get("Vary"), "Accept-Encoding") {
				t.Errorf("%s %s: %d %v", method, tc.path, res.StatusCode, hd)
			}
		}
		plain := get(t, h, tc.path, origin)
		same := body(t, get(t, h, tc.static, nil))
		if b := body(t, plain); b != same || len(b) < 1000 {
			t.Errorf("%s is not %s", tc.path, tc.static)
		}
		if res := get(t, h, tc.path, map[string]string{"If-None-Match": plain.Header.Get("ETag")}); res.StatusCode != http.StatusNotModified {
			t.Errorf("%s revalidation: %d", tc.path, res.StatusCode)
		}
		res := get(t, h, tc.path, map[string]string{"Accept-Encoding": "gzip"})
		zr, err := gzip.NewReader(bytes.NewReader([]byte(body(t, res))))
		if err != nil || res.Header.Get("Content-Encoding") != "gzip" {
			t.Fatalf("%s gzip: %v %v", tc.path, err, res.Header)
		}
		if unzipped, _ := io.ReadAll(zr); string(unzipped) != same {
			t.Errorf("%s: gzip body differs", tc.path)
		}
	}
	// a name of another version: the current file, revalidated every time
	for _, p := range []string{"/assets/js/main-module.0123456789abcdef.js", "/assets/css/main.0123456789abcdef.css"} {
		res := get(t, h, p, origin)
		if res.StatusCode != 200 || res.Header.Get("Cache-Control") != "no-cache" || res.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: %d %v", p, res.StatusCode, res.Header)
		}
	}
	for _, p := range []string{"/assets/js/other.js", "/assets/js/" + css[0], "/assets/css/" + js[0], "/assets/js/", "/assets/meeting.js", "/assets/js/x/" + js[0]} {
		if res := get(t, h, p, origin); res.StatusCode != 404 {
			t.Errorf("%s: %d, want 404", p, res.StatusCode)
		}
	}
}

// meetd's own meeting page loads the same hashed bundle, as a module script, and the stylesheet.
func TestMeetingPageLoadsHashedFiles(t *testing.T) {
	css, js := ClientFiles()
	page := body(t, get(t, Handler(), "/?access_token=x", nil))
	for _, want := range []string{`<script type="module" src="/assets/js/` + js[0] + `"></script>`, `<link rel="stylesheet" href="/assets/css/` + css[0] + `">`} {
		if !strings.Contains(page, want) {
			t.Errorf("the meeting page lacks %s", want)
		}
	}
	if strings.Contains(page, "/static/meeting.js") {
		t.Error("the meeting page still loads /static/meeting.js")
	}
}
