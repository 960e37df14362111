// Package web serves the embedded meeting page and dashboard assets.
//
// It holds no business rules: the page talks to the server's API like any
// other client. static/meeting.js is built from web/ by web/build.sh and
// committed, so the binary needs no npm at build or run time; the other files
// in static/ are written by hand.
package web

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"time"
)

//go:embed static
var files embed.FS

// The page's own scripts and styles come from this server; media and the
// LiveKit signalling connection may go to another host and port. 'wasm-unsafe-eval' lets the
// page compile WebAssembly (the background segmentation's, from /static/background/; doc/web.md,
// "Backgrounds"), and nothing else: no eval.
const pageCSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob: https: http:; media-src 'self' blob: mediastream:; " +
	"connect-src 'self' ws: wss: http: https:; object-src 'none'; base-uri 'none'; form-action 'self'"

// The dashboard talks to this server only, and is never framed (its buttons end meetings).
const dashboardCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

type asset struct {
	body     []byte
	gz       func() []byte // for compress: the gzip-compressed body, made at the first request (nil when compression does not pay)
	etag     string
	ctype    string
	isPage   bool
	csp      string // for pages
	noFrame  bool   // never shown in a frame (the meeting page may be: LMS plugins embed it)
	compress bool
	sum      string // hex SHA-256 of body
}

// Handler serves:
//
//	GET /                       the landing page ("meetd is running")
//	GET /?access_token=<token>  the meeting page
//	GET / with the cookie pnm_access_token, as plugNmeet's client takes it: the meeting page
//	GET /dashboard, /dashboard/ the admin dashboard (its API is internal/httpapi's)
//	GET /static/<file>          the embedded assets
//	GET /assets/js/<name>, /assets/css/<name>  the meeting bundle and its stylesheet under
//	                            content-hashed names, for meetd's page and for CMS pages that embed
//	                            the meeting (ClientFiles; doc/web.md, "Embedding")
//	GET /client.zip             the same two files as plugNmeet's client.zip holds its client, for
//	                            the CMS plugins' "local" client load (doc/web.md, "Embedding")
//
// Everything else is 404. Files are looked up by name in a table built from
// the embedded files, so no request ever reaches a file system path.
func Handler() http.Handler {
	assets := mustLoad()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		name := "index.html"
		if r.URL.Query().Has("access_token") || hasAccessCookie(r) {
			name = "meeting page"
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
		switch f := r.PathValue("file"); {
		// an embedded page fetches these across origins: the E2EE worker (web/src/e2ee.js), the
		// shared notes' editor and its stylesheet (web/src/notes.js), the languages (web/src/i18n.js),
		// the background processor and its segmentation (web/src/background.js), the whiteboard's
		// editor, its chunks, stylesheet and fonts (web/src/whiteboard.js)
		case f == "e2ee-worker.js", f == "notes-editor.js", f == "notes-editor.css", strings.HasPrefix(f, "locales/"),
			strings.HasPrefix(f, "background/"), strings.HasPrefix(f, "whiteboard/"):
			w.Header().Set("Access-Control-Allow-Origin", "*")
		}
		serve(w, r, a)
	})
	mux.HandleFunc("GET /assets/js/{name}", hashed(assets["meeting.js"], jsName, "main-module.", ".js"))
	mux.HandleFunc("GET /assets/css/{name}", hashed(assets["meeting.css"], cssName, "main.", ".css"))
	zipped := clientZip(assets)
	mux.HandleFunc("GET /client.zip", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Disposition", `attachment; filename="client.zip"`)
		serveCached(w, r, zipped, "no-cache")
	})
	return mux
}

// clientZip is the meeting's bundle and stylesheet laid out as plugNmeet's client.zip: the
// WordPress and Moodle plugins' "local" client load extracts it into their own folder and loads
// every file of client/dist/assets/js and client/dist/assets/css (the bundle still calls meetd:
// plugNmeetConfig.serverUrl). The archive is the same for the same binary (fixed file times).
func clientZip(assets map[string]*asset) *asset {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	stamp := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, f := range []struct{ name, key string }{
		{"client/dist/assets/js/" + jsName(assets["meeting.js"]), "meeting.js"},
		{"client/dist/assets/css/" + cssName(assets["meeting.css"]), "meeting.css"},
	} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: stamp})
		if err == nil {
			_, err = w.Write(assets[f.key].body)
		}
		if err != nil { // writing to memory does not fail
			panic(fmt.Sprintf("web: client.zip: %v", err))
		}
	}
	if err := zw.Close(); err != nil {
		panic(fmt.Sprintf("web: client.zip: %v", err))
	}
	a := newAsset("client.zip", buf.Bytes())
	a.ctype = "application/zip"
	return a
}

// Hashed names: the bundle is main-module.<hex16>.js (plugNmeet's plugins give a script of that
// prefix type="module") and its stylesheet main.<hex16>.css, hex16 the start of the file's SHA-256.
// The binary fixes them: every meetd of a cluster lists the same names.
var (
	jsName  = func(a *asset) string { return "main-module." + a.sum[:16] + ".js" }
	cssName = func(a *asset) string { return "main." + a.sum[:16] + ".css" }
)

// ClientFiles are the stylesheets and scripts of the meeting, under their hashed names, as
// /auth/getClientFiles lists them: each is served at /assets/css/<name> or /assets/js/<name>.
func ClientFiles() (css, js []string) {
	assets := mustLoad()
	return []string{cssName(assets["meeting.css"])}, []string{jsName(assets["meeting.js"])}
}

// hashed serves a under its hashed name with a year of caching. Another name of the same form (a
// page cached before an upgrade, or a node of another version behind the same balancer) gets the
// current file without caching rather than a 404: a missing bundle is a blank page.
// CORS is open: the files are public, and CMS pages on other origins load them as module scripts.
func hashed(a *asset, name func(*asset) string, prefix, ext string) http.HandlerFunc {
	current := name(a)
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		h.Set("Cross-Origin-Resource-Policy", "cross-origin")
		n := r.PathValue("name")
		switch {
		case n == current:
			serveCached(w, r, a, "public, max-age=31536000, immutable")
		case strings.HasPrefix(n, prefix) && strings.HasSuffix(n, ext):
			serveCached(w, r, a, "no-cache")
		default:
			h.Set("X-Content-Type-Options", "nosniff")
			http.NotFound(w, r)
		}
	}
}

// AccessTokenCookie holds a join token instead of ?access_token= (a backend on the same site sets
// it, as for plugNmeet's client); the page reads it (web/src/policy.js, accessTokenOf).
const AccessTokenCookie = "pnm_access_token"

func hasAccessCookie(r *http.Request) bool {
	c, err := r.Cookie(AccessTokenCookie)
	return err == nil && c.Value != ""
}

var loaded = sync.OnceValues(load)

func mustLoad() map[string]*asset {
	assets, err := loaded()
	if err != nil {
		// The files are compiled in: this can only fail for a broken build.
		panic(fmt.Sprintf("web: load embedded assets: %v", err))
	}
	return assets
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
		assets[name] = newAsset(name, body)
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
	// meetd's own meeting page loads the same hashed files as an embedding CMS page, the bundle
	// as a module script; static/meeting.html keeps the plain names (the bundle carries that file
	// as the markup it mounts in a CMS page, doc/web.md).
	page := string(assets["meeting.html"].body)
	for _, tag := range [][2]string{
		{`<link rel="stylesheet" href="/static/meeting.css">`, `<link rel="stylesheet" href="/assets/css/` + cssName(assets["meeting.css"]) + `">`},
		{`<script src="/static/meeting.js" defer></script>`, `<script type="module" src="/assets/js/` + jsName(assets["meeting.js"]) + `"></script>`},
	} {
		if !strings.Contains(page, tag[0]) {
			return nil, fmt.Errorf("static/meeting.html lacks %s", tag[0])
		}
		page = strings.Replace(page, tag[0], tag[1], 1)
	}
	assets["meeting page"] = newAsset("meeting.html", []byte(page))
	// the pages' languages are the catalogues present, static/locales/<lang>.json: their list is
	// locales/index.json (doc/web.md, "Languages"), so adding a language is adding a file
	langs := []string{}
	for name := range assets {
		if lang, ok := strings.CutPrefix(name, "locales/"); ok && strings.HasSuffix(lang, ".json") && lang != "index.json" {
			langs = append(langs, strings.TrimSuffix(lang, ".json"))
		}
	}
	slices.Sort(langs)
	index, _ := json.Marshal(langs)
	assets["locales/index.json"] = newAsset("locales/index.json", index)
	return assets, nil
}

func newAsset(name string, body []byte) *asset {
	sum := sha256.Sum256(body)
	ext := path.Ext(name)
	a := &asset{
		body:   body,
		etag:   `"` + hex.EncodeToString(sum[:12]) + `"`,
		sum:    hex.EncodeToString(sum[:]),
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
	case ".html", ".js", ".css", ".svg", ".json", ".txt", ".map", ".wasm":
		// megabytes of bundles (doc/web.md, the top): each is compressed once, when it is first
		// asked for, not all at every start
		a.compress = true
		a.gz = sync.OnceValue(func() []byte { return gzipped(body) })
	}
	return a
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
	case ".wasm":
		return "application/wasm"
	case ".woff2":
		return "font/woff2"
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	return "application/octet-stream"
}

// gzipped compresses an asset; the output has no name or time in its
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
	// File names carry no version, so browsers revalidate every time; the
	// ETag turns that into a cheap 304.
	serveCached(w, r, a, "no-cache")
}

func serveCached(w http.ResponseWriter, r *http.Request, a *asset, cache string) {
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", cache)
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
		var gz []byte
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			gz = a.gz()
		}
		if gz != nil {
			body = gz
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
