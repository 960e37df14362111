package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/livekit/protocol/livekit"
	lksdk "github.com/livekit/server-sdk-go/v2"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media"
)

// phoneGeometry is installed in the page: __phoneCheck(sel, modal) measures the page with
// getBoundingClientRect and answers what is wrong, one sentence each (doc/web.md, "Phones and
// tablets"): the page scrolls sideways; a toolbar button is outside the viewport, smaller than
// 44×44, overlaps another one or is covered (what is at its centre is not the button); the open
// panel sel (a modal dialog when modal) is outside the viewport, overlaps the toolbar (not asked
// of a modal dialog; one that is a sheet must cover the whole screen), has a button smaller than 44×44, outside the viewport or
// covered, or an input outside the viewport or covered; a tile is outside the viewport, overlaps
// the toolbar or another tile, or (no panel open) is covered; two panels overlap.
const phoneGeometry = `window.__phoneCheck = (sel, modal, sheet) => {
  const vw = innerWidth, vh = innerHeight, bad = [];
  const r = (el) => el.getBoundingClientRect();
  const shown = (el) => { const b = r(el); if (b.width === 0 || b.height === 0) return false; const cs = getComputedStyle(el); return cs.visibility !== 'hidden' && cs.display !== 'none'; };
  const name = (el) => (el.id ? '#' + el.id : el.tagName.toLowerCase() + (typeof el.className === 'string' && el.className ? '.' + el.className.trim().split(/\s+/).join('.') : '')) +
    (el.getAttribute('aria-label') ? '[' + el.getAttribute('aria-label') + ']' : el.textContent.trim() ? ' "' + el.textContent.trim().slice(0, 24) + '"' : '');
  const box = (b) => Math.round(b.left) + ',' + Math.round(b.top) + ' ' + Math.round(b.width) + '×' + Math.round(b.height);
  const inside = (b) => b.left >= -0.5 && b.top >= -0.5 && b.right <= vw + 0.5 && b.bottom <= vh + 0.5;
  const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 0.5 && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 0.5;
  const hit = (el) => { const b = r(el); const at = document.elementFromPoint((b.left + b.right) / 2, (b.top + b.bottom) / 2); return !!at && (at === el || el.contains(at)); };
  const big = (el, what) => { const b = r(el); if (b.width < 43.5 || b.height < 43.5) bad.push(what + ' ' + name(el) + ' is ' + Math.round(b.width) + '×' + Math.round(b.height)); };
  if (document.documentElement.scrollWidth > vw) bad.push('the page scrolls sideways: ' + document.documentElement.scrollWidth + ' px wide in ' + vw);
  const controls = document.getElementById('controls'), cb = r(controls);
  const tools = [...controls.querySelectorAll(':scope > button, :scope > * > button')].filter(shown);
  if (tools.length < 3) bad.push('only ' + tools.length + ' toolbar buttons are shown');
  tools.forEach((el, i) => {
    const b = r(el);
    if (!inside(b)) bad.push('toolbar button ' + name(el) + ' is outside the viewport: ' + box(b));
    big(el, 'toolbar button');
    if (!modal && !hit(el)) bad.push('toolbar button ' + name(el) + ' is covered by ' + name(document.elementFromPoint((b.left + b.right) / 2, (b.top + b.bottom) / 2) || document.body));
    for (const other of tools.slice(i + 1)) if (overlap(b, r(other))) bad.push('toolbar buttons ' + name(el) + ' and ' + name(other) + ' overlap');
  });
  let pb = null;
  if (sel) {
    const panel = document.querySelector(sel);
    if (!panel || !shown(panel)) bad.push(sel + ' is not shown');
    else {
      pb = r(panel);
      if (!inside(pb)) bad.push(sel + ' is outside the viewport: ' + box(pb));
      if (sheet) {
        if (pb.left > 0.5 || pb.top > 0.5 || pb.right < vw - 0.5 || pb.bottom < vh - 0.5) bad.push(sel + ' does not cover the screen: ' + box(pb));
      } else if (!modal && overlap(pb, cb)) bad.push(sel + ' ' + box(pb) + ' overlaps the toolbar ' + box(cb));
      let buttons = 0;
      for (const el of panel.querySelectorAll('button')) {
        if (!shown(el)) continue;
        const b = r(el);
        if (!overlap(b, pb)) continue; // scrolled out of the panel
        buttons++;
        big(el, sel + ' button');
        if (!inside(b)) bad.push(sel + ' button ' + name(el) + ' is outside the viewport: ' + box(b));
        else if (!hit(el)) bad.push(sel + ' button ' + name(el) + ' is covered');
      }
      if (buttons === 0) bad.push(sel + ' has no button');
      for (const el of panel.querySelectorAll('input[type="text"], input:not([type]), textarea, select, .ql-editor')) {
        if (!shown(el)) continue;
        const b = r(el);
        if (!inside(b)) bad.push(sel + ' input ' + name(el) + ' is outside the viewport: ' + box(b));
        else if (!modal && overlap(b, cb)) bad.push(sel + ' input ' + name(el) + ' overlaps the toolbar');
        else if (!hit(el)) bad.push(sel + ' input ' + name(el) + ' is covered');
      }
    }
  }
  const tiles = [...document.querySelectorAll('#grid > .tile')].filter(shown);
  tiles.forEach((el, i) => {
    const b = r(el);
    if (!inside(b)) bad.push('tile ' + el.dataset.identity + ' is outside the viewport: ' + box(b));
    if (overlap(b, cb)) bad.push('tile ' + el.dataset.identity + ' ' + box(b) + ' overlaps the toolbar ' + box(cb));
    if (!sel && !hit(el)) bad.push('tile ' + el.dataset.identity + ' is covered');
    for (const other of tiles.slice(i + 1)) if (overlap(b, r(other))) bad.push('tiles ' + el.dataset.identity + ' and ' + other.dataset.identity + ' overlap');
  });
  const screens = [...document.querySelectorAll('#screen-area > .screen-tile')].filter(shown);
  for (const el of screens) {
    const b = r(el);
    if (!inside(b)) bad.push('screen ' + el.dataset.identity + ' is outside the viewport: ' + box(b));
    if (overlap(b, cb)) bad.push('screen ' + el.dataset.identity + ' ' + box(b) + ' overlaps the toolbar ' + box(cb));
    for (const t of tiles) if (overlap(b, r(t))) bad.push('screen ' + el.dataset.identity + ' and tile ' + t.dataset.identity + ' overlap');
    const full = el.querySelector('.screen-full');
    if (!full || !shown(full)) bad.push('screen ' + el.dataset.identity + ' has no full-screen button');
    else { big(full, 'the full-screen button'); if (!sel && !hit(full)) bad.push('the full-screen button is covered'); }
  }
  const panels = ['#sidebar', '#polls-panel', '#notes-panel', '#waiting-panel', '#more-menu'].map((s) => document.querySelector(s)).filter((el) => el && shown(el));
  panels.forEach((el, i) => { for (const other of panels.slice(i + 1)) if (overlap(r(el), r(other))) bad.push(name(el) + ' and ' + name(other) + ' overlap'); });
  return bad;
}`

// TestBrowserPhone: the meeting on phones and tablets in headless Chromium with mobile and touch
// emulation (doc/web.md, "Phones and tablets"), one meetd and one browser: a moderator's page and
// a bot with a camera; at 390×844, 844×390 and 360×740 (phones) and 768×1024 and 1024×768
// (tablets), the pre-join step, then the bare meeting and each panel open (the "More" menu,
// chat, participants, polls, shared notes, waiting room, the breakout rooms' dialog), then a
// third person and a screen share at the phones' sizes, checked by element geometry (phoneGeometry): nothing
// overlaps what it must not, everything is inside the viewport, no sideways scrolling, every
// toolbar and panel button at least 44×44 CSS px; the screen share takes the stage's width and
// its full-screen button works.
//
// With MEETD_SCREENSHOTS=<folder>: phone-<width>x<height>-<state>.png for each size and state
// (prejoin, bare, more, chat, participants, polls, notes, waiting, breakout; at the phones' sizes
// also three: three people, and screen: a screen share) and phone-fullscreen-screen.png.
func TestBrowserPhone(t *testing.T) {
	path := chromiumPath()
	if path == "" {
		t.Skip("the browser end-to-end test needs Chromium: apt-get install chromium (CI's .ci/run installs it)")
	}
	m := startIsolated(t, testEnv(t, nil))
	b := startBrowser(t, path)
	m.create("b-phone", map[string]any{"metadata": map[string]any{"room_title": "Phone meeting", "room_features": map[string]any{
		"allow_rtmp":               true,
		"recording_features":       map[string]any{"is_allow": true, "is_allow_cloud": true},
		"polls_features":           map[string]any{"is_allow": true},
		"shared_note_pad_features": map[string]any{"is_allow": true},
		"waiting_room_features":    map[string]any{"is_active": false},
		"breakout_room_features":   map[string]any{"is_allow": true, "allowed_number_rooms": 2},
	}, "default_lock_settings": map[string]any{"lock_shared_notepad": false}}})

	host := b.open(t, "host", m.pageURL(m.joinToken("b-phone", "host", "Hanna Host", true)))
	evalJS[bool](host, phoneGeometry+"; true")
	sizes := []struct {
		w, h   int64
		tablet bool
	}{{390, 844, false}, {844, 390, false}, {360, 740, false}, {768, 1024, true}, {1024, 768, true}}
	emulate := func(p *page, w, h int64) {
		p.t.Helper()
		orientation := chromedp.EmulatePortrait
		if w > h {
			orientation = chromedp.EmulateLandscape
		}
		p.do(chromedp.EmulateViewport(w, h, chromedp.EmulateMobile, chromedp.EmulateTouch, orientation))
		p.waitTrue(10*time.Second, fmt.Sprintf("the page is %d×%d", w, h), fmt.Sprintf(`innerWidth === %d && innerHeight === %d`, w, h))
	}
	name := func(w, h int64, state string) string { return fmt.Sprintf("phone-%dx%d-%s.png", w, h, state) }

	// The pre-join step at each size: no sideways scrolling, the controls at least 44×44, the Join
	// button reachable (the step scrolls when it is higher than the screen).
	t.Run("prejoin", func(t *testing.T) {
		host.t = t
		host.waitState(15*time.Second, "prejoin")
		host.waitTrue(15*time.Second, "Join enabled", `!document.getElementById('join-button').disabled`)
		for _, s := range sizes {
			emulate(host, s.w, s.h)
			if bad := settle(func() []string {
				return evalJS[[]string](host, `(() => {
  const vw = innerWidth, vh = innerHeight, bad = [];
  if (document.documentElement.scrollWidth > vw) bad.push('the page scrolls sideways');
  const join = document.getElementById('join-button');
  join.scrollIntoView({ block: 'nearest' });
  for (const el of document.querySelectorAll('#prejoin button, #prejoin select')) {
    const b = el.getBoundingClientRect();
    if (b.width === 0) continue;
    if (b.height < 43.5 || (el.tagName === 'BUTTON' && b.width < 43.5)) bad.push(el.id + ' is ' + Math.round(b.width) + '×' + Math.round(b.height));
    if (b.left < -0.5 || b.right > vw + 0.5) bad.push(el.id + ' is outside the viewport sideways');
  }
  const b = join.getBoundingClientRect();
  if (b.top < -0.5 || b.bottom > vh + 0.5) bad.push('the Join button cannot be reached: ' + Math.round(b.top) + '..' + Math.round(b.bottom));
  else if (document.elementFromPoint((b.left + b.right) / 2, (b.top + b.bottom) / 2) !== join) bad.push('the Join button is covered');
  return bad;
})()`)
			}); len(bad) > 0 {
				t.Errorf("%d×%d pre-join:\n  %s", s.w, s.h, strings.Join(bad, "\n  "))
			}
			host.screenshot(name(s.w, s.h, "prejoin"))
		}
	})
	host.t = t

	emulate(host, sizes[0].w, sizes[0].h)
	host.join()
	bot := m.bot("b-phone", "bob")
	if _, err := bot.PublishVideo(); err != nil {
		t.Fatal(err)
	}
	host.waitTrue(30*time.Second, "two tiles, bob's with his camera", `document.querySelectorAll('#grid > .tile').length === 2 && document.querySelector('#grid > .tile[data-identity="bob"]')?.dataset.cam === 'on'`)
	host.waitTrue(15*time.Second, "the moderator's buttons", `!document.getElementById('breakout-button').hidden && !document.getElementById('record-button').hidden && !document.getElementById('waiting-button').hidden && !document.getElementById('polls-button').hidden && !document.getElementById('notes-button').hidden`)

	// Each state: the button that opens it (in the "More" menu on a phone), what is then open,
	// whether it is a modal dialog, what else to wait for, and the button that closes it.
	states := []struct {
		name, open, panel string
		modal             bool
		ready, close      string
	}{
		{"bare", "", "", false, "", ""},
		{"more", "more-button", "#more-menu", false, "", "more-button"},
		{"chat", "chat-button", "#sidebar", false, "", `.panel-close[data-panel="chat-panel"]`},
		{"participants", "participants-button", "#sidebar", false, `document.querySelectorAll('#participants-list li').length === 2`, `.panel-close[data-panel="participants-panel"]`},
		{"polls", "polls-button", "#polls-panel", false, "", "#polls-close"},
		{"notes", "notes-button", "#notes-panel", false, `document.getElementById('notes-panel').dataset.state === 'ready'`, "#notes-close"},
		{"waiting", "waiting-button", "#waiting-panel", false, "", "#waiting-close"},
		{"breakout", "breakout-button", "#breakout-dialog", true, `document.getElementById('breakout-dialog').open`, "#breakout-close"},
	}
	for _, s := range sizes {
		t.Run(fmt.Sprintf("%dx%d", s.w, s.h), func(t *testing.T) {
			host.t = t
			emulate(host, s.w, s.h)
			wantPhone := map[bool]string{false: "true", true: "false"}[s.tablet]
			host.waitTrue(10*time.Second, "the page's layout is the "+map[bool]string{false: "phone's", true: "tablet's"}[s.tablet],
				`document.body.dataset.phone === '`+wantPhone+`' && document.getElementById('more-button').hidden === `+map[bool]string{false: "false", true: "true"}[s.tablet])
			for _, st := range states {
				if st.name == "more" && s.tablet {
					continue // no "More" menu on a tablet: every button is in the toolbar
				}
				// the "More" menu closed, as after a choice in it
				evalJS[bool](host, `(() => { if (!document.getElementById('more-menu').hidden) document.getElementById('more-button').click(); return true })()`)
				// open: the button (through the "More" menu when it is there), clicked where it is not covered
				if st.open != "" {
					msg := evalJS[string](host, `(() => {
  const hit = (el) => { const b = el.getBoundingClientRect(); const at = document.elementFromPoint((b.left + b.right) / 2, (b.top + b.bottom) / 2); return !!at && (at === el || el.contains(at)); };
  const b = document.getElementById(`+jsString(st.open)+`), more = document.getElementById('more-button');
  if (b.closest('#more-menu')) {
    if (more.hidden) return 'the More button is hidden';
    if (!hit(more)) return 'the More button is covered';
    more.click();
    b.scrollIntoView({ block: 'nearest' }); // the menu scrolls when it is higher than the screen
  }
  if (b.hidden) return b.id + ' is hidden';
  if (!hit(b)) return b.id + ' is covered';
  b.click();
  return '';
})()`)
					if msg != "" {
						t.Errorf("%s: open: %s", st.name, msg)
						continue
					}
					if st.ready != "" {
						host.waitTrue(30*time.Second, st.name+" ready", st.ready)
					}
				}
				if bad := settle(func() []string {
					return evalJS[[]string](host, `__phoneCheck(`+jsString(st.panel)+`, `+fmt.Sprint(st.modal)+`, `+fmt.Sprint(st.modal && !s.tablet)+`)`)
				}); len(bad) > 0 {
					t.Errorf("%d×%d %s:\n  %s", s.w, s.h, st.name, strings.Join(bad, "\n  "))
				}
				host.screenshot(name(s.w, s.h, st.name))
				if st.close != "" {
					sel := st.close
					if !strings.ContainsAny(sel, "#.[") {
						sel = "#" + sel
					}
					host.click(sel)
					host.waitTrue(10*time.Second, st.name+" closed", `(() => { const el = document.querySelector(`+jsString(st.panel)+`); return !el || el.hidden || getComputedStyle(el).display === 'none' || (el.tagName === 'DIALOG' && !el.open) })()`)
				}
			}
		})
	}
	// Three people on a phone held upright: the other speaker's tile the full width on top, the
	// others in a row under it; on its side, 16:9 tiles side by side.
	t.Run("three people", func(t *testing.T) {
		host.t = t
		cat := m.bot("b-phone", "cat")
		if _, err := cat.PublishVideo(); err != nil {
			t.Fatal(err)
		}
		for _, s := range sizes[:3] {
			emulate(host, s.w, s.h)
			host.waitTrue(30*time.Second, "three tiles", `document.querySelectorAll('#grid > .tile').length === 3`)
			upright := s.h > s.w
			if bad := settle(func() []string {
				return evalJS[[]string](host, `(() => {
  const bad = __phoneCheck('', false, false);
  const featured = [...document.querySelectorAll('#grid > .tile.featured')];
  const grid = document.getElementById('grid').getBoundingClientRect();
  if (`+fmt.Sprint(upright)+`) {
    if (featured.length !== 1) return bad.concat(featured.length + ' featured tiles');
    const f = featured[0], fb = f.getBoundingClientRect();
    if (f.dataset.identity === 'host') bad.push('the own tile is featured');
    if (fb.width < grid.width - 1) bad.push('the featured tile is ' + Math.round(fb.width) + ' px wide in ' + Math.round(grid.width));
    for (const t of document.querySelectorAll('#grid > .tile:not(.featured)')) if (t.getBoundingClientRect().top < fb.bottom) bad.push('tile ' + t.dataset.identity + ' is not under the featured one');
  } else if (featured.length !== 0) bad.push(featured.length + ' featured tiles on a phone on its side');
  return bad;
})()`)
			}); len(bad) > 0 {
				t.Errorf("%d×%d three people:\n  %s", s.w, s.h, strings.Join(bad, "\n  "))
			}
			host.screenshot(name(s.w, s.h, "three"))
		}
		cat.Leave()
		host.waitTrue(30*time.Second, "two tiles again", `document.querySelectorAll('#grid > .tile').length === 2`)
	})

	// A screen share (the bot's, a real track of the media server) at each phone size: it takes the
	// stage's width above the strip of tiles, with its full-screen button, which works.
	t.Run("screen share", func(t *testing.T) {
		host.t = t
		screen, err := lksdk.NewLocalSampleTrack(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := bot.Room.LocalParticipant.PublishTrack(screen, &lksdk.TrackPublicationOptions{Name: "screen", Source: livekit.TrackSource_SCREEN_SHARE, VideoWidth: 320, VideoHeight: 240}); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		defer close(stop)
		go func() { // VP8 key frames for 320×240, as the bot's camera sends
			frame := append([]byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00}, make([]byte, 200)...)
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stop:
					return
				case <-tick.C:
					_ = screen.WriteSample(media.Sample{Data: frame, Duration: 100 * time.Millisecond}, nil)
				}
			}
		}()
		for _, s := range sizes {
			if s.tablet {
				continue
			}
			emulate(host, s.w, s.h)
			host.waitTrue(30*time.Second, "bob's screen on the stage", `document.getElementById('stage').classList.contains('has-screen') && !!document.querySelector('.screen-tile[data-identity="bob"] video.screen-video')`)
			if bad := settle(func() []string {
				return evalJS[[]string](host, `(() => {
  const bad = __phoneCheck('', false, false);
  const sb = document.querySelector('.screen-tile[data-identity="bob"]').getBoundingClientRect(), st = document.getElementById('stage').getBoundingClientRect();
  if (sb.width < st.width - 1) bad.push('the screen is ' + Math.round(sb.width) + ' px wide on a stage of ' + Math.round(st.width));
  if (sb.height < 100) bad.push('the screen is ' + Math.round(sb.height) + ' px high');
  const ta = getComputedStyle(document.querySelector('.screen-tile[data-identity="bob"] video')).touchAction;
  if (ta === 'none' || ta === 'pan-x pan-y') bad.push('pinch zoom is blocked on the screen: touch-action ' + ta);
  return bad;
})()`)
			}); len(bad) > 0 {
				t.Errorf("%d×%d screen share:\n  %s", s.w, s.h, strings.Join(bad, "\n  "))
			}
			host.screenshot(name(s.w, s.h, "screen"))
		}
		// the full-screen button (a tap: a user gesture) puts the screen's tile full screen
		if _, err := pageRun(host, chromedp.Evaluate[bool](`document.querySelector('.screen-tile[data-identity="bob"] .screen-full').click(), true`,
			func(p *runtime.EvaluateParams) { gesture := true; p.UserGesture = &gesture })); err != nil {
			t.Fatal(err)
		}
		host.waitTrue(10*time.Second, "the screen full screen", `document.fullscreenElement?.dataset.identity === 'bob'`)
		host.screenshot("phone-fullscreen-screen.png")
		evalJS[bool](host, `document.exitFullscreen(), true`)
	})

	host.t = t
	// pinch zoom: the viewport allows it
	raw := evalJS[string](host, `document.querySelector('meta[name=viewport]').content`)
	if strings.Contains(raw, "user-scalable=no") || strings.Contains(raw, "maximum-scale=1") {
		t.Errorf("the page blocks pinch zoom: %s", raw)
	}
}

// settle measures until nothing is wrong, for up to 10 s (the page lays itself out again after a
// change of size or a panel's opening), and answers what is still wrong then.
func settle(measure func() []string) []string {
	deadline := time.Now().Add(10 * time.Second)
	for {
		bad := measure()
		if len(bad) == 0 || time.Now().After(deadline) {
			return bad
		}
		time.Sleep(100 * time.Millisecond)
	}
}
