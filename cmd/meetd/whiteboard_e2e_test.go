package main

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// TestBrowserWhiteboard: the whiteboard in headless Chromium (doc/web.md, "Whiteboard"), one
// meetd and one browser for its subtests. Opening the board fetches nothing from outside meetd's
// origin; a stroke drawn with the mouse on one page appears on the other; a page that joins later
// sees it, and so does one after a restart of meetd; the PNG export is not blank; the API's SVG
// download shows the stroke; a locked participant's board is in view mode, their drawing changes
// nothing, and the server refuses their updates.
//
// With MEETD_SCREENSHOTS=<folder>: whiteboard-open.png (a stroke on the board),
// whiteboard-locked.png (the board of a locked participant).
func TestBrowserWhiteboard(t *testing.T) {
	path := chromiumPath()
	if path == "" {
		t.Skip("the browser end-to-end test needs Chromium: apt-get install chromium (CI's .ci/run installs it)")
	}
	// the session outlives a restart of meetd and a slow rejoin on a loaded machine
	env := testEnv(t, map[string]string{"MEETD_DEPARTURE_TIMEOUT": "600"})
	m := startIsolated(t, env)
	b := startBrowser(t, path)
	m.create("b-board", map[string]any{"metadata": map[string]any{"room_title": "Board meeting",
		"room_features":         map[string]any{"whiteboard_features": map[string]any{"is_allow": true}},
		"default_lock_settings": map[string]any{"lock_whiteboard": false}}})

	panel := `document.getElementById('whiteboard-panel')`
	count := panel + `.dataset.elements`
	// openBoard clicks the whiteboard button and waits for the board, writable or not
	openBoard := func(p *page, writable bool) {
		p.t.Helper()
		p.waitTrue(10*time.Second, "the whiteboard button", `!document.getElementById('whiteboard-button').hidden`)
		p.do(chromedp.Click(chromedp.ID("whiteboard-button")))
		p.waitTrue(60*time.Second, "the board", panel+`.dataset.state === 'ready' && `+panel+`.dataset.writable === '`+map[bool]string{true: "true", false: "false"}[writable]+`' && `+
			`!!document.querySelector('#whiteboard-editor canvas.interactive')`)
	}
	// stroke draws a zigzag with the pen, as a mouse would
	stroke := func(p *page, dy float64) {
		p.t.Helper()
		evalJS[bool](p, `(() => { const t = document.querySelector('[data-testid="toolbar-freedraw"]'); if (t) t.click(); return true })()`)
		type rect struct{ X, Y, W, H float64 }
		r := evalJS[rect](p, `(() => { const r = document.querySelector('#whiteboard-editor canvas.interactive').getBoundingClientRect(); return {X: r.x, Y: r.y, W: r.width, H: r.height} })()`)
		x0, y0 := r.X+r.W*0.3, r.Y+r.H*0.3+dy
		held := func(p *input.DispatchMouseEventParams) { p.Button, p.Buttons = input.MouseButtonLeft, 1 }
		// one DevTools call per event: a loaded machine may take a while for each
		p.do(chromedp.MouseEvent(chromedp.MouseMoved, x0, y0))
		p.do(chromedp.MouseEvent(chromedp.MousePressed, x0, y0, held, chromedp.ClickCount(1)))
		for i := 1; i <= 10; i++ {
			p.do(chromedp.MouseEvent(chromedp.MouseMoved, x0+float64(i)*24, y0+float64(i%2)*40, held))
		}
		p.do(chromedp.MouseEvent(chromedp.MouseReleased, x0+240, y0, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	}

	host := b.open(t, "host", m.pageURL(m.joinToken("b-board", "host", "Hanna Host", true)))
	ann := b.open(t, "ann", m.pageURL(m.joinToken("b-board", "ann", "Ann Able", false)))

	ok := t.Run("draw together", func(t *testing.T) {
		host.t, ann.t = t, t
		for _, p := range []*page{host, ann} {
			joinQuietly(p)
		}
		// every request the host's page makes from here on, while the board opens and is drawn on
		var mu sync.Mutex
		var urls []string
		host.setOnEvent(func(ev any) {
			if e, ok := ev.(*network.EventRequestWillBeSent); ok {
				mu.Lock()
				urls = append(urls, e.Request.URL)
				mu.Unlock()
			}
		})
		openBoard(host, true)
		openBoard(ann, true)
		stroke(host, 0)
		host.waitTrue(20*time.Second, "the stroke on the host's board", count+` === '1'`)
		ann.waitTrue(20*time.Second, "the host's stroke on ann's board", count+` === '1'`)
		stroke(ann, 100)
		host.waitTrue(20*time.Second, "ann's stroke on the host's board", count+` === '2'`)
		host.screenshot("whiteboard-open.png")
		mu.Lock()
		defer mu.Unlock()
		fonts := 0
		for _, u := range urls {
			if !strings.HasPrefix(u, m.base+"/") && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:") {
				t.Errorf("the board fetched %s, outside meetd's origin", u)
			}
			if strings.Contains(u, "/static/whiteboard/") {
				fonts++
			}
		}
		if fonts == 0 {
			t.Errorf("the board was not loaded from /static/whiteboard/: %v", urls)
		}
	})

	ok = ok && t.Run("export", func(t *testing.T) {
		host.t = t
		b64 := evalJSAwait[string](host, panel+`.pngBase64()`)
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatalf("the PNG export: %v", err)
		}
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("the PNG export is not a PNG: %v", err)
		}
		// the background is white: the strokes are the pixels that are not
		bounds, ink := img.Bounds(), 0
		for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
			for x := bounds.Min.X; x < bounds.Max.X; x++ {
				if r, g, b, _ := img.At(x, y).RGBA(); r < 0x8000 && g < 0x8000 && b < 0x8000 {
					ink++
				}
			}
		}
		if ink < 50 {
			t.Errorf("the PNG export (%v) has %d dark pixels: blank", bounds, ink)
		}
		// the pages post the board's SVG once quiet; the API answers it
		eventually(t, 30*time.Second, "the SVG download shows both strokes", func() bool {
			var res struct {
				envelope
				Content string `json:"content"`
			}
			m.post("/auth/whiteboard/download", map[string]any{"room_id": "b-board", "format": "svg"}, &res)
			return res.Status && strings.HasPrefix(res.Content, "<svg") && strings.Count(res.Content, "<path") >= 2
		})
	})

	ok = ok && t.Run("late joiner", func(t *testing.T) {
		bob := b.open(t, "bob", m.pageURL(m.joinToken("b-board", "bob", "Bob Baker", false)))
		joinQuietly(bob)
		openBoard(bob, true)
		bob.waitTrue(20*time.Second, "the board as it is", count+` === '2'`)
	})

	if ok { // a crash and a new start of meetd, for this test and the ones after (its data dir)
		m.kill9()
		m = startIsolated(t, env)
	}
	ok = ok && t.Run("restart", func(t *testing.T) {
		dan := b.open(t, "dan", m.pageURL(m.joinToken("b-board", "dan", "Dan Dunn", false)))
		joinQuietly(dan)
		openBoard(dan, true)
		dan.waitTrue(20*time.Second, "the board after a restart", count+` === '2'`)
	})

	_ = ok && t.Run("locked", func(t *testing.T) {
		tok := m.joinToken("b-board", "cat", "Cat Cole", false)
		cat := b.open(t, "cat", m.pageURL(tok))
		joinQuietly(cat)
		openBoard(cat, true)
		cat.waitTrue(20*time.Second, "the board", count+` === '2'`)
		var res envelope
		m.post("/auth/room/updateLockSettings", map[string]any{"room_id": "b-board", "user_id": "cat",
			"lock_settings": map[string]any{"lock_whiteboard": true}}, &res)
		if !res.Status {
			t.Fatalf("updateLockSettings: %+v", res)
		}
		cat.waitTrue(20*time.Second, "the board in view mode", panel+`.dataset.writable === 'false' && !document.getElementById('whiteboard-locked').hidden && `+
			`!!document.querySelector('#whiteboard-editor .excalidraw--view-mode')`)
		stroke(cat, 200)
		time.Sleep(time.Second) // a stroke would be on the board at once
		if got := evalJS[string](cat, count); got != "2" {
			t.Errorf("a locked participant drew: %s elements", got)
		}
		cat.screenshot("whiteboard-locked.png")
		// and the server refuses what a locked page would send
		j, _ := m.exchange(tok)
		var refused envelope
		m.raw("/api/notes/update", []byte(`{"doc":"whiteboard","update":"AAA="}`), map[string]string{"Authorization": "Bearer " + j.PageToken}, &refused)
		if refused.Status || refused.StatusCode != "PERMISSION_DENIED" {
			t.Errorf("a locked participant's update: %+v", refused)
		}
	})
}

// joinQuietly joins with the camera and the microphone off (the board needs no media, and a
// loaded machine joins sooner without them), waiting generously.
func joinQuietly(p *page) {
	p.t.Helper()
	p.waitState(60*time.Second, "prejoin")
	p.waitTrue(60*time.Second, "Join enabled", `!document.getElementById('join-button').disabled`)
	for _, id := range []string{"prejoin-camera-toggle", "prejoin-mic-toggle"} {
		p.waitTrue(10*time.Second, id+" off", `(() => { const b = document.getElementById('`+id+`'); if (b.dataset.on === 'true') b.click(); return b.dataset.on === 'false' })()`)
	}
	p.do(chromedp.Click(chromedp.ID("join-button")))
	p.waitState(60*time.Second, "joined")
}

// evalJSAwait evaluates an expression whose value is a promise, and waits for it.
func evalJSAwait[T any](p *page, expr string) T {
	p.t.Helper()
	v, err := pageRun(p, chromedp.Evaluate[T](expr, func(e *runtime.EvaluateParams) { yes := true; e.AwaitPromise = &yes }))
	if err != nil {
		p.t.Fatalf("page %s: %s: %v", p.name, expr, err)
	}
	return v
}
