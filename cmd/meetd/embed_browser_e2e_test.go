package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The meeting inside a CMS page (doc/web.md, "Embedding"), in headless Chromium: an imitation
// CMS on another origin (http://localhost:<port>, meetd being http://127.0.0.1:<port>) asks
// getClientFiles as each plugNmeet plugin does and prints that plugin's page; the person joins
// with a camera that a participant on meetd's own page sees playing, with no console or CORS
// error, and endRoom sends the CMS page to the room's logout_url. One meetd and one browser for
// every flavour, in turn. A second meetd, whose embed.allowed_origins leaves the CMS out, shows
// that such a page cannot join and says why.
//
// With MEETD_SCREENSHOTS=<folder>: embed-wp2.png (in the meeting) and embed-refused.png.
func TestEmbed(t *testing.T) {
	path := chromiumPath()
	if path == "" {
		t.Skip("the browser end-to-end test needs Chromium: apt-get install chromium")
	}
	m := startIsolated(t, testEnv(t, nil))
	b := startBrowser(t, path)
	cms := newCMS(t, m)

	// no browser: /rtc keeps LiveKit's own single allow-origin header, "/" has one for livekit-client's probe
	for _, tc := range []struct{ method, path string }{{"GET", "/rtc/validate"}, {"HEAD", "/"}} {
		req, _ := http.NewRequest(tc.method, m.base+tc.path, nil)
		req.Header.Set("Origin", cms.origin)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if v := res.Header.Values("Access-Control-Allow-Origin"); len(v) != 1 {
			t.Errorf("%s %s: Access-Control-Allow-Origin %q, want exactly one", tc.method, tc.path, v)
		}
	}

	for _, flavour := range []string{"wp2", "joomla3", "moodle3", "wp1", "joomla2-broken", "sdk-cookie", "slash", "wp-local"} {
		t.Run(flavour, func(t *testing.T) { embedFlavour(t, m.forTest(t), b, cms, flavour) })
	}

	t.Run("refused origin", func(t *testing.T) {
		other := startIsolated(t, testEnv(t, map[string]string{"MEETD_EMBED_ALLOWED_ORIGINS": "http://other.test"}))
		cms2 := newCMS(t, other.forTest(t))
		room := "embed-refused"
		other.forTest(t).create(room, nil)
		token := other.forTest(t).joinToken(room, "refused", "Refused", false)
		p, errs := openEmbedded(t, b, "refused", cms2.origin+"/wp2?access_token="+token+"&id=1&Plug-N-Meet-Conference=1")
		p.waitState(20*time.Second, "error")
		want := "Could not reach the meeting server at " + other.base
		if msg := evalJS[string](p, `document.getElementById('state-message').textContent`); !strings.HasPrefix(msg, want) {
			t.Errorf("state message %q, want it to start with %q", msg, want)
		}
		if !errs.any(func(e string) bool {
			return strings.Contains(e, "CORS") || strings.Contains(e, "Access-Control-Allow-Origin")
		}) {
			t.Errorf("no CORS refusal seen: %v", errs.list())
		}
		if ps := participantsByID(other.forTest(t).activeRoom(room)); len(ps) != 0 {
			t.Errorf("someone joined: %v", ps)
		}
		p.screenshot("embed-refused.png")
	})
}

// embedFlavour: the flavour's CMS page joins with a camera, a participant on meetd's own page
// sees it, and endRoom sends the CMS page to its logout URL.
func embedFlavour(t *testing.T, m *meetd, b *browser, cms *cmsSite, flavour string) {
	room := "embed-" + flavour
	m.create(room, map[string]any{"metadata": map[string]any{"room_title": "Embedded " + flavour,
		"logout_url": cms.origin + "/returned?f=" + flavour}})
	viewer := b.open(t, "viewer", m.pageURL(m.joinToken(room, "viewer", "Viewer", false)))
	viewer.join()

	token := m.joinToken(room, "cms-user", "CMS User", false)
	url := cms.origin + "/" + flavour + "?access_token=" + token + "&id=1&Plug-N-Meet-Conference=1"
	if flavour == "sdk-cookie" {
		url = cms.origin + "/" + flavour + "?set=" + token // the page's URL has no token: the cookie has it
	}
	p, errs := openEmbedded(t, b, flavour, url)
	p.waitState(20*time.Second, "prejoin")
	if !evalJS[bool](p, `!!document.querySelector('#plugNmeet-app #join-button') && document.querySelectorAll('#join-button').length === 1`) {
		t.Fatal("the meeting is not mounted inside #plugNmeet-app")
	}
	// designCustomization: the primary colour on the primary buttons, the hostile header colour left out
	if flavour != "wp1" && flavour != "joomla2-broken" {
		type design struct{ Join, Header string }
		got := evalJS[design](p, `({Join: getComputedStyle(document.getElementById('join-button')).backgroundColor,
			Header: document.getElementById('meetd-design').textContent.includes('display:none') ? 'injected' : 'clean'})`)
		if want := (design{"rgb(0, 77, 144)", "clean"}); got != want {
			t.Errorf("designCustomization: %+v, want %+v", got, want)
		}
	}
	p.join()
	eventually(t, 20*time.Second, "getActiveRoomInfo lists cms-user with a camera", func() bool {
		return hasTrack(participantsByID(m.activeRoom(room))["cms-user"], "VIDEO", "CAMERA", false)
	})
	viewer.waitVideoPlaying(`video.remote-video[data-identity="cms-user"]`)

	if flavour == "wp2" { // its hostile stylesheet comes after meetd's
		type style struct{ Position, Background, Color, FontSize string }
		got := evalJS[style](p, `(() => { const s = getComputedStyle(document.getElementById('plugNmeet-app'));
			return {Position: s.position, Background: s.backgroundColor, Color: s.color, FontSize: s.fontSize} })()`)
		if want := (style{"fixed", "rgb(15, 17, 21)", "rgb(232, 234, 237)", "15px"}); got != want {
			t.Errorf("#plugNmeet-app under the CMS's stylesheet: %+v, want %+v", got, want)
		}
		p.screenshot("embed-wp2.png")
	}

	allowed := func(e string) bool {
		// Joomla 2's plugin prints a config script that does not parse; that is the point of the flavour
		return flavour == "joomla2-broken" && strings.Contains(e, "SyntaxError")
	}
	for _, e := range errs.list() {
		if !allowed(e) {
			t.Errorf("console or network error in the meeting: %s", e)
		}
	}
	before := len(errs.list())

	var res envelope
	m.post("/auth/room/endRoom", map[string]any{"room_id": room}, &res)
	if !res.Status {
		t.Fatalf("endRoom: %+v", res)
	}
	eventually(t, 15*time.Second, "the CMS page lands on its logout URL", func() bool { return cms.returned(flavour) })
	// livekit-client logs its data channels closing when the room ends: console errors count only
	// until then; failed or refused requests count throughout
	for _, e := range errs.list()[before:] {
		if !strings.HasPrefix(e, "console.error") && !allowed(e) {
			t.Errorf("error after endRoom: %s", e)
		}
	}
}

// pageErrors collects a page's console errors, exceptions and failed or CORS-blocked requests.
type pageErrors struct {
	mu   sync.Mutex
	errs []string
}

func (e *pageErrors) add(s string) { e.mu.Lock(); e.errs = append(e.errs, s); e.mu.Unlock() }
func (e *pageErrors) list() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.errs...)
}
func (e *pageErrors) any(f func(string) bool) bool {
	for _, s := range e.list() {
		if f(s) {
			return true
		}
	}
	return false
}

// openEmbedded is browser.open with the page's errors recorded.
func openEmbedded(t *testing.T, b *browser, name, url string) (*page, *pageErrors) {
	t.Helper()
	errs := &pageErrors{}
	p := &page{t: t, name: name}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(func(ev any) {
		p.listen(ev)
		switch ev := ev.(type) {
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				errs.add("log: " + ev.Entry.Text + " " + ev.Entry.URL)
			}
		case *network.EventLoadingFailed:
			if ev.Canceled {
				return
			}
			s := fmt.Sprintf("request failed: %s %s", ev.Type, ev.ErrorText)
			if ev.CorsErrorStatus != nil {
				s += fmt.Sprintf(" CORS %s", ev.CorsErrorStatus.CorsError)
			}
			if ev.BlockedReason != "" {
				s += " blocked " + string(ev.BlockedReason)
			}
			errs.add(s)
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			s := "exception: " + d.Text
			if d.Exception != nil {
				s += " " + d.Exception.Description
			}
			errs.add(s)
		case *runtime.EventConsoleAPICalled:
			if ev.Type == "error" {
				errs.add("console.error")
			}
		}
	}))
	p.ctx = ctx
	t.Cleanup(cancel)
	t.Cleanup(func() {
		if t.Failed() {
			p.mu.Lock()
			defer p.mu.Unlock()
			t.Logf("page %s console:\n%s\nerrors: %v", name, strings.Join(p.logs, "\n"), errs.list())
		}
	})
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("page %s: open: %v", name, err)
	}
	return p, errs
}

// cmsSite imitates the CMS plugins' pages (doc/web.md, "Embedding", after the plugins' own code):
// each flavour calls getClientFiles as its SDK does and prints the plugin's tags in its order.
type cmsSite struct {
	origin string
	mu     sync.Mutex
	hits   map[string]bool
}

func (c *cmsSite) returned(flavour string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits[flavour]
}

func newCMS(t *testing.T, m *meetd) *cmsSite { return newCMSSite(t, m, false) }

// newCMSSite is newCMS, served over HTTPS (a self-signed certificate) when secure.
func newCMSSite(t *testing.T, m *meetd, secure bool) *cmsSite {
	c := &cmsSite{hits: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mux.HandleFunc("GET /returned", func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.hits[r.URL.Query().Get("f")] = true
		c.mu.Unlock()
		fmt.Fprint(w, "<!doctype html><title>back</title><p>Back in the CMS")
	})
	// "local" client load (WordPress, Moodle 1.x): the plugin's own copy of meetd's /client.zip,
	// extracted into its public folder, served by the CMS; its page lists the folder's files
	local := localClient(t, m)
	const localPath = "/wp-content/plugins/plugnmeet/public/"
	mux.HandleFunc("GET "+localPath+"{file...}", func(w http.ResponseWriter, r *http.Request) {
		body, ok := local[r.PathValue("file")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		ctype := "text/css"
		if strings.HasSuffix(r.PathValue("file"), ".js") {
			ctype = "text/javascript"
		}
		w.Header().Set("Content-Type", ctype)
		w.Write(body)
	})
	mux.HandleFunc("GET /{flavour}", func(w http.ResponseWriter, r *http.Request) {
		flavour := r.PathValue("flavour")
		sdk1 := flavour == "wp1" || flavour == "joomla2-broken"
		body := []byte("{}")
		if sdk1 {
			body = []byte("[]")
		}
		var files struct {
			envelope
			CSS      []string `json:"css"`
			JS       []string `json:"js"`
			CSSFiles []string `json:"css_files"`
			JSFiles  []string `json:"js_files"`
		}
		m.post("/auth/getClientFiles", body, &files)
		css, js := files.CSSFiles, files.JSFiles
		if sdk1 {
			css, js = files.CSS, files.JS
		}
		server := m.base
		if flavour == "slash" {
			server += "/"
		}
		assets := server + "/assets" // nobody trims the server URL
		if flavour == "wp-local" {   // scandir of client/dist/assets/{js,css}
			assets = c.origin + localPath + "client/dist/assets"
			css, js = nil, nil
			for name := range local {
				if f, ok := strings.CutPrefix(name, "client/dist/assets/js/"); ok {
					js = append(js, f)
				} else if f, ok := strings.CutPrefix(name, "client/dist/assets/css/"); ok {
					css = append(css, f)
				}
			}
		}
		var links, scripts strings.Builder
		for _, f := range css {
			fmt.Fprintf(&links, "<link rel='stylesheet' id='%s-css' href='%s/css/%s' media='all' />\n", f, assets, f)
		}
		for _, f := range js {
			fmt.Fprintf(&scripts, "<script type=\"module\" src=\"%s/js/%s\" id=\"%s-js\"></script>\n", assets, f, f)
		}
		cfg, _ := json.MarshalIndent(map[string]any{"serverUrl": server, "staticAssetsPath": assets,
			"enableDynacast": true, "enableSimulcast": true, "videoCodec": "vp8", "defaultWebcamResolution": "h720",
			"defaultScreenShareResolution": "h1080fps15", "defaultAudioPreset": "music", "stopMicTrackOnMute": false,
			"designCustomization": map[string]any{"primary_color": "#004D90",
				"header_bg_color": "red;} #plugNmeet-app{display:none"}}, "", "    ")
		config := "<script>window.plugNmeetConfig = JSON.parse(`" + addslashes(string(cfg)) + "`);</script>\n"
		head := "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"UTF-8\"/>\n<title>plugNmeet</title>\n"
		var page string
		switch flavour {
		case "wp-local": // WordPress with client_load=local
			page = head + links.String() + scripts.String() + config + "</head><body><div id=\"plugNmeet-app\"></div></body></html>"
		case "wp2", "slash": // scripts in <head>, config after them, a late custom stylesheet
			page = head + links.String() + scripts.String() +
				"<style id=\"wp-custom-css\">body{background:#fff;color:#000;font-size:30px}</style>\n" + config +
				"</head><body><div id=\"plugNmeet-app\"></div></body></html>"
		case "joomla3", "sdk-cookie": // config in <head>, scripts after the div
			page = head + links.String() + config + "</head><body><div id=\"plugNmeet-app\"></div>\n" + scripts.String() + "</body></html>"
			if flavour == "sdk-cookie" {
				http.SetCookie(w, &http.Cookie{Name: "pnm_access_token", Value: r.URL.Query().Get("set"), Path: "/"})
			}
		case "moodle3": // scripts before the config
			page = head + links.String() + scripts.String() + config + "</head><body><div id=\"plugNmeet-app\"></div></body></html>"
		case "wp1": // legacy globals
			page = head + links.String() + scripts.String() +
				"<script>window.PLUG_N_MEET_SERVER_URL = \"" + server + "\";\nwindow.STATIC_ASSETS_PATH = \"" + assets + "\";\n" +
				"window.DESIGN_CUSTOMIZATION = `{}`;\nwindow.ENABLE_DYNACAST = true;</script>\n" +
				"</head><body><div id=\"plugNmeet-app\"></div></body></html>"
		case "joomla2-broken": // filter_var(false) prints nothing: the whole config script fails to parse
			page = head + links.String() + "<script type=\"text/javascript\">window.PLUG_N_MEET_SERVER_URL = \"" + server +
				"\";\nwindow.STOP_MIC_TRACK_ON_MUTE = ;\nWindow.ENABLE_DYNACAST = ;</script>\n" +
				"</head><body><div id=\"plugNmeet-app\"></div>\n" + scripts.String() + "</body></html>"
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, page)
	})
	srv := httptest.NewUnstartedServer(mux)
	if secure {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	c.origin = strings.Replace(srv.URL, "127.0.0.1", "localhost", 1) // another origin, and another site
	return c
}

// localClient downloads meetd's /client.zip and extracts it, as the plugins' "update client" does.
func localClient(t *testing.T, m *meetd) map[string][]byte {
	res, err := m.httpClient().Get(m.base + "/client.zip")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("client.zip: %d %v", res.StatusCode, err)
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("client.zip: %v", err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// addslashes is PHP's: the plugins pass the config's JSON through it into a template literal.
func addslashes(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`, `"`, `\"`, "\x00", `\0`).Replace(s)
}
