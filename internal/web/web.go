// Package web serves the embedded meeting page and dashboard assets.
//
// It holds no business rules: the page talks to the server's API like any
// other client. static/meeting.js is built from web/ by web/build.sh and
// committed, so the binary needs no npm at build or run time; the other files
// in static/ are written by hand.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var files embed.FS

// The page's own scripts and styles come from this server; media and the
// LiveKit signalling connection may go to another host and port.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob: https: http:; media-src 'self' blob: mediastream:; " +
	"connect-src 'self' ws: wss: http: https:; object-src 'none'; base-uri 'none'; form-action 'self'"

// The dashboard talks to this server only, and is never framed (its buttons end meetings).
const dashboardCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

type asset struct {
	body     []byte
	gz       []byte // gzip-compressed body; nil when compression does not pay
	etag     string
	ctype    string
	isPage   bool
	csp      string // for pages
	noFrame  bool   // never shown in a frame (the meeting page may be: LMS plugins embed it)
	compress bool
}

// Handler serves:
//
//	GET /                       the landing page ("meetd is running")
//	GET /?access_token=<token>  the meeting page
//	GET / with the cookie pnm_access_token, as plugNmeet's client takes it: the meeting page
//	GET /dashboard, /dashboard/ the admin dashboard (its API is internal/httpapi's)
//	GET /static/<file>          the embedded assets
//
// Everything else is 404. Files are looked up by name in a table built from
// the embedded files, so no request ever reaches a file system path.
func Handler() http.Handler {
	assets, err := load()
	if err != nil {
		// The files are compiled in: this can only fail for a broken build.
		panic(fmt.Sprintf("web: load embedded assets: %v", err))
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		name := "index.html"
		if r.URL.Query().Has("access_token") || hasAccessCookie(r) {
			name = "meeting.html"
		}
		w.Header().Add("Vary", "Cookie") // the same URL is the landing or the meeting page
		serve(w, r, assets[name])
	})
	dashboard := func(w http.ResponseWriter, r *http.Request) { serve(w, r, assets["dashboard.html"]) }
	mux.HandleFunc("GET /dashboard", dashboard)
	mux.HandleFunc("GET /dashboard/{$}", dashboard)
	mux.HandleFunc("GET /static/{file...}", func(w http.ResponseWriter, r *http.Request) {
		a, ok := assets[r.PathValue("file")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		serve(w, r, a)
	})
	return mux
}

// AccessTokenCookie holds a join token instead of ?access_token= (a backend on the same site sets
// it, as for plugNmeet's client); the page reads it (web/src/policy.js, accessTokenOf).
const AccessTokenCookie = "pnm_access_token"

func hasAccessCookie(r *http.Request) bool {
	c, err := r.Cookie(AccessTokenCookie)
	return err == nil && c.Value != ""
}

func load() (map[string]*asset, error) {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		return nil, err
	}
	assets := map[string]*asset{}
	err = fs.WalkDir(sub, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(sub, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(name)
		a := &asset{
			body:   body,
			etag:   `"` + hex.EncodeToString(sum[:12]) + `"`,
			ctype:  contentType(ext),
			isPage: ext == ".html",
		}
		if a.isPage {
			a.csp = pageCSP
			if name == "dashboard.html" {
				a.csp, a.noFrame = dashboardCSP, true
			}
		}
		switch ext {
		case ".html", ".js", ".css", ".svg", ".json", ".txt", ".map":
			a.compress = true
			a.gz = gzipped(body)
		}
		assets[name] = a
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, need := range []string{"index.html", "meeting.html", "meeting.js", "meeting.css", "dashboard.html", "dashboard.js", "dashboard.css"} {
		if assets[need] == nil {
			return nil, fmt.Errorf("static/%s is missing", need)
		}
	}
	return assets, nil
}

func contentType(ext string) string {
	switch ext { // fixed here so the answer does not depend on the host's mime tables
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".json", ".map":
		return "application/json"
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// gzipped compresses once at start-up; the output has no name or time in its
// header, so it is the same on every start.
func gzipped(body []byte) []byte {
	if len(body) < 1024 {
		return nil
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	if buf.Len() > len(body)*9/10 {
		return nil
	}
	return buf.Bytes()
}

func serve(w http.ResponseWriter, r *http.Request, a *asset) {
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	// File names carry no version, so browsers revalidate every time; the
	// ETag turns that into a cheap 304.
	h.Set("Cache-Control", "no-cache")
	if a.isPage {
		// The meeting page URL carries the access token: never leak it in a Referer.
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", a.csp)
		if a.noFrame {
			h.Set("X-Frame-Options", "DENY")
		}
	}
	body, etag := a.body, a.etag
	if a.compress {
		h.Add("Vary", "Accept-Encoding")
		if a.gz != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
			body = a.gz
			etag = strings.TrimSuffix(a.etag, `"`) + `-gz"`
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
