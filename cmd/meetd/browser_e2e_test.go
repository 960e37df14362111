package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"meetd/internal/auth"
)

// The meeting page in a real browser: headless Chromium with fake camera and
// microphone, driven with chromedp, against a meetd. Every participant is a page of its own browser
// context (its own window, so no page is a background tab).
//
// meetd runs as a child process here. The embedded LiveKit server (v1.13.5) and pion (v4.2.17) have
// data races that only real browsers trigger (seen: sfu.DownTrack.WriteRTP against
// setRTPHeaderExtensions, rtc.ParticipantImpl.updateRidsFromSDP, webrtc.TrackRemote.setRtxSSRC): in
// this process they would fail the test under -race although meetd is not at fault. The child's
// race reports go to files; a report with an access in meetd's own code fails the test, one
// entirely in dependencies is logged.
//
// With MEETD_SCREENSHOTS=<folder> the test saves screenshots there: meeting-a.png and meeting-b.png
// (the two pages in the meeting), no-camera.png, removed.png, ended.png and error.png.
func TestBrowser(t *testing.T) {
	path := chromiumPath()
	if path == "" {
		t.Skip("the browser end-to-end test needs Chromium: apt-get install chromium (CI's .ci/run installs it)")
	}
	m := startIsolated(t, testEnv(t, nil))
	b := startBrowser(t, path)

	t.Run("meeting", func(t *testing.T) { browserMeeting(t, m.forTest(t), b) })
	t.Run("features", func(t *testing.T) { browserFeatures(t, m.forTest(t), b) })
	t.Run("admin", func(t *testing.T) { browserAdmin(t, m.forTest(t), b) })
	t.Run("bad tokens", func(t *testing.T) { browserBadTokens(t, m.forTest(t), b) })
	t.Run("cookie", func(t *testing.T) { browserCookie(t, m.forTest(t), b) })
	t.Run("leave", func(t *testing.T) { browserLeave(t, m.forTest(t), b) })
}

// Ten pages in turn join and press Leave: each is gone from getActiveRoomInfo within a second
// (doc/architecture.md, "Leaving"): the page's leave request reaches meetd's /rtc proxy, which
// removes the participant at once. The distribution is logged.
func browserLeave(t *testing.T, m *meetd, b *browser) {
	m.create("b-leave", map[string]any{"metadata": map[string]any{"room_title": "Leave"}})
	stay := b.open(t, "stayer", m.pageURL(m.joinToken("b-leave", "stayer", "Stayer", false)))
	stay.join() // keeps the session running between rounds
	var took []time.Duration
	for i := range 10 {
		user := fmt.Sprintf("leaver-%d", i)
		p := b.open(t, user, m.pageURL(m.joinToken("b-leave", user, "Leaver", false)))
		p.join()
		eventually(t, 20*time.Second, user+" in getActiveRoomInfo", func() bool { return m.present("b-leave", user) })
		p.do(chromedp.Click(chromedp.ID("leave-button")))
		left := time.Now()
		for m.present("b-leave", user) {
			if time.Since(left) > time.Second {
				t.Errorf("round %d: %s still in getActiveRoomInfo 1 s after pressing Leave", i, user)
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		took = append(took, time.Since(left))
		p.waitState(10*time.Second, "left")
	}
	logSpread(t, "gone from getActiveRoomInfo after pressing Leave", took)
}

// The join token in the cookie pnm_access_token instead of the URL, as a plugNmeet backend on the
// same site may hand it: "/" is the meeting page, and it joins as the token's user.
func browserCookie(t *testing.T, m *meetd, b *browser) {
	m.create("b-cookie", map[string]any{"metadata": map[string]any{"room_title": "Cookie meeting"}})
	p := b.open(t, "carol", m.base+"/")
	if !evalJS[bool](p, `document.body.textContent.includes('meetd is running')`) {
		t.Fatal("/ without the cookie is not the landing page")
	}
	token := m.joinToken("b-cookie", "carol", "Carol Cookie", false)
	evalJS[string](p, `document.cookie = "pnm_access_token=`+token+`; path=/"`)
	p.do(chromedp.Navigate(m.base + "/"))
	p.join()
	eventually(t, 20*time.Second, "getActiveRoomInfo lists carol", func() bool {
		_, ok := participantsByID(m.activeRoom("b-cookie"))["carol"]
		return ok
	})
}

// Two pages join one room: each plays the other's camera, the API lists both with a camera and a
// microphone, and chat goes from page to page and from the API to both.
func browserMeeting(t *testing.T, m *meetd, b *browser) {
	m.create("b-meet", map[string]any{"metadata": map[string]any{"room_title": "Browser meeting", "welcome_message": "Welcome to the <b>browser</b> test"}})
	a := b.open(t, "alice", m.pageURL(m.joinToken("b-meet", "alice", "Alice Able", false)))
	c := b.open(t, "bob", m.pageURL(m.joinToken("b-meet", "bob", "Bob Baker", false)))
	a.join()
	c.join()

	for _, pair := range []struct {
		viewer *page
		other  string
	}{{a, "bob"}, {c, "alice"}} {
		pair.viewer.waitVideoPlaying(`video.remote-video[data-identity="` + pair.other + `"]`)
	}
	eventually(t, 20*time.Second, "getActiveRoomInfo lists alice and bob, each with a camera and a microphone", func() bool {
		ps := participantsByID(m.activeRoom("b-meet"))
		return len(ps) == 2 && hasTrack(ps["alice"], "VIDEO", "CAMERA", false) && hasTrack(ps["alice"], "AUDIO", "MICROPHONE", false) &&
			hasTrack(ps["bob"], "VIDEO", "CAMERA", false) && hasTrack(ps["bob"], "AUDIO", "MICROPHONE", false)
	})
	for _, p := range []*page{a, c} {
		if n := evalJS[int](p, `document.querySelectorAll('#grid .tile.has-video').length`); n != 2 {
			t.Errorf("%s: %d tiles with video, want 2", p.name, n)
		}
	}

	// Chat from page to page: typed and sent with a click, like a person does.
	a.waitTrue(5*time.Second, "the chat panel is open with its input enabled", `!document.getElementById('chat-panel').hidden && !document.getElementById('chat-input').disabled`)
	a.do(chromedp.SendKeys(chromedp.ID("chat-input"), "Hello from Alice"))
	a.do(chromedp.Click(chromedp.ID("chat-send")))
	c.waitChat("Alice Able", "Hello from Alice", false)
	a.waitChat("You", "Hello from Alice", false)

	// A chat message from the API reaches both pages as a system message.
	var res envelope
	m.post("/auth/room/broadcastToRoom", map[string]any{"room_id": "b-meet", "chat_msg": map[string]any{"message": "The server says hi"}}, &res)
	if !res.Status {
		t.Fatalf("broadcastToRoom: %+v", res)
	}
	a.waitChat("System", "The server says hi", true)
	c.waitChat("System", "The server says hi", true)

	// Alice raises her hand with the button (through the server): both pages show it, and the
	// button lowers it again.
	a.do(chromedp.Click(chromedp.ID("hand-button")))
	c.waitTrue(10*time.Second, "alice's hand up at bob", `!!document.querySelector('#grid .tile.hand-raised[data-identity="alice"]')`)
	a.waitTrue(10*time.Second, "alice's hand up at alice", `document.getElementById('hand-button').dataset.on === 'true'`)
	a.screenshot("meeting-a.png")
	a.do(chromedp.Click(chromedp.ID("hand-button")))
	c.waitTrue(10*time.Second, "alice's hand down at bob", `!document.querySelector('#grid .tile.hand-raised')`)

	c.screenshot("meeting-b.png")
}

// A room without webcams that mutes on start: no camera control, a muted microphone, and the server
// refuses a camera from a participant of that room.
func browserFeatures(t *testing.T, m *meetd, b *browser) {
	m.create("b-nocam", map[string]any{"metadata": map[string]any{"room_title": "No cameras", "room_features": map[string]any{
		"allow_webcams": false, "mute_on_start": true,
	}}})
	p := b.open(t, "carol", m.pageURL(m.joinToken("b-nocam", "carol", "Carol Clay", false)))
	p.waitState(15*time.Second, "prejoin")
	if hidden := evalJS[bool](p, `document.getElementById('camera-controls').hidden`); !hidden {
		t.Error("the pre-join step offers a camera in a room without webcams")
	}
	p.join()
	// The page publishes its microphone, muted, and no camera.
	eventually(t, 20*time.Second, "carol is in with a microphone", func() bool {
		return hasSource(participantsByID(m.activeRoom("b-nocam"))["carol"], "MICROPHONE")
	})
	if c := participantsByID(m.activeRoom("b-nocam"))["carol"]; !hasTrack(c, "AUDIO", "MICROPHONE", true) ||
		hasTrack(c, "AUDIO", "MICROPHONE", false) || hasSource(c, "CAMERA") {
		t.Errorf("carol's tracks in a room without webcams that mutes on start: %+v", c.Tracks)
	}
	p.waitTrue(10*time.Second, "the local tile shows the microphone", `document.querySelector('.tile.local')?.dataset.mic !== undefined`)
	controls := evalJS[map[string]any](p, `(() => {
		const cam = document.getElementById('camera-button'), tile = document.querySelector('.tile.local');
		return {cameraHidden: cam.hidden, cameraShown: cam.offsetParent !== null, micButton: !document.getElementById('mic-button').hidden,
			micOn: document.getElementById('mic-button').dataset.on, tileMic: tile.dataset.mic, tileMuted: tile.classList.contains('mic-muted'),
			withVideo: document.querySelectorAll('.tile.has-video').length};
	})()`)
	want := map[string]any{"cameraHidden": true, "cameraShown": false, "micButton": true, "micOn": "false", "tileMic": "off", "tileMuted": true, "withVideo": float64(0)}
	for k, v := range want {
		if controls[k] != v {
			t.Errorf("the page in a room without webcams that mutes on start: %v, want %v", controls, want)
			break
		}
	}
	p.screenshot("no-camera.png")

	// The server enforces it: another participant of the room may publish a microphone (the bot can
	// publish) but not a camera.
	bot := m.bot("b-nocam", "dave")
	if _, err := bot.PublishAudio(); err != nil {
		t.Fatalf("dave's microphone: %v", err)
	}
	eventually(t, 10*time.Second, "dave's microphone listed", func() bool {
		return hasSource(participantsByID(m.activeRoom("b-nocam"))["dave"], "MICROPHONE")
	})
	_, err := bot.PublishVideo()
	t.Logf("publishing a camera in a room without webcams: %v", err)
	if err == nil {
		// Refused without an answer would be a timeout; either way the camera must never be listed.
		deadline := time.Now().Add(3 * time.Second)
		for time.Now().Before(deadline) {
			if d := participantsByID(m.activeRoom("b-nocam"))["dave"]; hasSource(d, "CAMERA") {
				t.Fatalf("the server accepted a camera in a room without webcams: %+v", d.Tracks)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	if d := participantsByID(m.activeRoom("b-nocam"))["dave"]; hasSource(d, "CAMERA") {
		t.Errorf("the server lists a camera in a room without webcams: %+v", d.Tracks)
	}
}

// The admin's page removes a participant and ends the meeting.
func browserAdmin(t *testing.T, m *meetd, b *browser) {
	m.create("b-admin", map[string]any{"metadata": map[string]any{"room_title": "Moderated"}})
	host := b.open(t, "host", m.pageURL(m.joinToken("b-admin", "host", "Hanna Host", true)))
	guest := b.open(t, "guest", m.pageURL(m.joinToken("b-admin", "guest", "Gus Guest", false)))
	host.join()
	guest.join()
	if !evalJS[bool](guest, `document.getElementById('end-button').hidden`) {
		t.Error("a guest is offered to end the meeting")
	}
	if !evalJS[bool](guest, `document.getElementById('record-button').hidden && document.getElementById('rtmp-button').hidden`) {
		t.Error("a guest is offered to record or broadcast")
	}
	// The host records from the page; the API sees it start and stop.
	if _, err := exec.LookPath("ffmpeg"); err == nil {
		host.waitTrue(10*time.Second, "the record button is offered", `!document.getElementById('record-button').hidden`)
		host.do(chromedp.Click(chromedp.ID("record-button")))
		eventually(t, 15*time.Second, "is_recording after the host's click", func() bool {
			r := m.activeRoom("b-admin")
			return r.Room != nil && r.Room.RoomInfo.IsRecording
		})
		host.waitTrue(5*time.Second, "the record button shows it records", `document.getElementById('record-button').dataset.on === 'true'`)
		host.do(chromedp.Click(chromedp.ID("record-button")))
		eventually(t, 15*time.Second, "recording stopped after the second click", func() bool {
			r := m.activeRoom("b-admin")
			return r.Room != nil && !r.Room.RoomInfo.IsRecording
		})
	}

	host.do(chromedp.Click(chromedp.ID("participants-button")))
	remove := `button.admin-remove[data-identity="guest"]`
	host.waitTrue(15*time.Second, "the host's participant list offers to remove the guest", `!!document.querySelector('#participants-panel:not([hidden]) `+remove+`')`)
	if n := evalJS[int](guest, `document.querySelectorAll('button.admin-remove').length`); n != 0 {
		t.Errorf("the guest's page has %d remove buttons", n)
	}
	host.click(remove)
	guest.waitState(15*time.Second, "removed")
	guest.wantMessage("You have been removed from this meeting.")
	guest.screenshot("removed.png")
	eventually(t, 10*time.Second, "the guest gone from getActiveRoomInfo", func() bool {
		_, in := participantsByID(m.activeRoom("b-admin"))["guest"]
		return !in
	})
	host.waitTrue(10*time.Second, "the guest's tile gone from the host's page", `!document.querySelector('.tile[data-identity="guest"]')`)

	// With a second guest in, the host ends the meeting for everyone.
	other := b.open(t, "guest2", m.pageURL(m.joinToken("b-admin", "guest2", "Greta Guest", false)))
	other.join()
	eventually(t, 15*time.Second, "host and guest2 in", func() bool {
		ps := participantsByID(m.activeRoom("b-admin"))
		_, h := ps["host"]
		_, g := ps["guest2"]
		return len(ps) == 2 && h && g
	})
	host.waitTrue(10*time.Second, "the end button is offered", `!document.getElementById('end-button').hidden`)
	host.do(chromedp.Click(chromedp.ID("end-button")))
	for _, p := range []*page{host, other} {
		p.waitState(15*time.Second, "ended")
		p.wantMessage("The meeting has ended.")
	}
	m.waitEnded("b-admin", 10*time.Second)
	other.screenshot("ended.png")
}

// Links that must not join: each page says why, and nobody is in the room.
func browserBadTokens(t *testing.T, m *meetd, b *browser) {
	live := m.create("b-live", nil)
	m.joinToken("b-live", "eve", "Eve Early", false) // eve is a user of the room: only her token is wrong
	claims := func(ttl time.Duration) auth.JoinClaims {
		return auth.JoinClaims{Times: auth.NewTimes("test-key", time.Now(), ttl), UserID: "eve", Name: "Eve Early", RoomID: "b-live", SID: live.SID}
	}
	sign := func(secret string, c auth.JoinClaims) string {
		tok, err := auth.Sign(secret, c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	expired := claims(time.Minute)
	expired.NotBefore, expired.ExpiresAt = time.Now().Add(-20*time.Minute).Unix(), time.Now().Add(-10*time.Minute).Unix()

	// A token of a session that ended; the room runs again with a new session.
	m.create("b-again", nil)
	old := m.joinToken("b-again", "finn", "Finn Former", false)
	var res envelope
	if m.post("/auth/room/endRoom", map[string]any{"room_id": "b-again"}, &res); !res.Status {
		t.Fatalf("endRoom: %+v", res)
	}
	m.create("b-again", nil)
	nowhere := claims(10 * time.Minute)
	nowhere.RoomID = "b-nowhere"

	const invalid, notRunning = "This meeting link is invalid or has expired.", "This meeting is not running."
	cases := []struct {
		name, room, token, message string
	}{
		{"expired", "b-live", sign(testSecret, expired), invalid},
		{"forged", "b-live", sign("another-secret-0123456789abcdef0123456789", claims(10*time.Minute)), invalid},
		{"garbage", "b-live", "not.a.token", invalid},
		{"ended session", "b-again", old, notRunning},
		{"unknown room", "b-live", sign(testSecret, nowhere), notRunning},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := b.open(t, tc.name, m.pageURL(tc.token))
			p.waitState(15*time.Second, "error")
			p.wantMessage(tc.message)
			if s := evalJS[map[string]any](p, `({prejoin: !document.getElementById('prejoin').hidden, meeting: !document.getElementById('meeting').hidden,
				join: !document.getElementById('join-button').disabled})`); s["prejoin"] != false || s["meeting"] != false || s["join"] != false {
				t.Errorf("an error page offers to join: %v", s)
			}
			if r := m.activeRoom(tc.room); !r.Status || len(r.Room.ParticipantsInfo) != 0 {
				t.Errorf("%s after a bad link: %+v", tc.room, r)
			}
			if tc.name == "expired" {
				p.screenshot("error.png")
			}
		})
	}
}

// ---------------------------------------------------------------- helpers

func (m *meetd) pageURL(token string) string { return m.base + "/?access_token=" + token }

// forTest is m for a subtest: its helpers fail t.
func (m *meetd) forTest(t testing.TB) *meetd {
	c := *m
	c.t = t
	return &c
}

// checkRaceReports reads the race detector's reports of the child meetd from dir: an access in
// meetd's code (its packages, or package main) fails t; a race entirely in dependencies is logged.
func checkRaceReports(t testing.TB, dir string) {
	files, _ := filepath.Glob(filepath.Join(dir, "race*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Error(err)
			continue
		}
		for _, report := range strings.Split(string(b), "WARNING: DATA RACE") {
			if !strings.Contains(report, " at 0x") {
				continue
			}
			ours, access := false, false
			var first string
			for _, line := range strings.Split(report, "\n") {
				switch {
				case strings.Contains(line, " at 0x") && (strings.HasPrefix(line, "Read") || strings.HasPrefix(line, "Write") || strings.HasPrefix(line, "Previous")):
					access = true
				case strings.HasPrefix(line, "Goroutine "):
					access = false // where a goroutine was created is not where the race is
				case access && strings.HasPrefix(line, "  "):
					if f := strings.TrimSpace(line); first == "" && strings.Contains(f, "/") && !strings.HasPrefix(f, "/") {
						first = f // the first frame outside the standard library
					}
					ours = ours || strings.HasPrefix(line, "  meetd/") || strings.HasPrefix(line, "  main.")
				}
			}
			if ours {
				t.Errorf("data race in meetd:%s", report)
			} else {
				t.Logf("data race in a dependency of meetd, not in its code: %s", first)
			}
		}
	}
}

func hasSource(p participantInfo, source string) bool {
	for _, tr := range p.Tracks {
		if tr.Source == source {
			return true
		}
	}
	return false
}

func hasTrack(p participantInfo, typ, source string, muted bool) bool {
	for _, tr := range p.Tracks {
		if tr.Type == typ && tr.Source == source && tr.Muted == muted {
			return true
		}
	}
	return false
}

// chromiumPath finds the browser; "" when none is installed.
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// browser is one headless Chromium for the whole test.
type browser struct {
	ctx context.Context
}

func startBrowser(t *testing.T, path string, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		// English pages whatever the machine's locale (the tests read English texts); a test of
		// the languages gives its own (doc/web.md, "Languages")
		chromedp.Flag("lang", "en-US"),
		chromedp.Flag("accept-lang", "en-US"),
	)
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return &browser{ctx: ctx}
}

// page is one meeting page, in a browser context of its own.
type page struct {
	t    *testing.T
	name string
	ctx  context.Context

	mu      sync.Mutex
	logs    []string
	onEvent func(ev any) // more of the page's DevTools events (setOnEvent)
}

// setOnEvent has f see every DevTools event of the page from now on (network requests, …).
func (p *page) setOnEvent(f func(ev any)) {
	p.mu.Lock()
	p.onEvent = f
	p.mu.Unlock()
}

// open loads url in a new page; the page closes when t ends, and its console is logged if t failed.
func (b *browser) open(t *testing.T, name, url string) *page {
	t.Helper()
	p := &page{t: t, name: name}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(p.listen))
	p.ctx = ctx
	t.Cleanup(cancel)
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		state, _ := pageRun(p, chromedp.Evaluate[string](`document.body.dataset.state + ': ' + document.getElementById('state-message').textContent`))
		videos := p.videoReport()
		p.mu.Lock()
		defer p.mu.Unlock()
		t.Logf("page %s (state %s), videos %s, console:\n%s", p.name, state, videos, strings.Join(p.logs, "\n"))
	})
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("page %s: open: %v", name, err)
	}
	if w := evalJS[int](p, `window.innerWidth`); w < 720 {
		t.Logf("page %s: window is %d px wide", name, w)
	}
	return p
}

func (p *page) listen(ev any) {
	var line string
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		var args []string
		for _, a := range ev.Args {
			if len(a.Value) > 0 {
				args = append(args, string(a.Value))
			} else {
				args = append(args, a.Description)
			}
		}
		line = fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " "))
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		line = "exception: " + d.Text
		if d.Exception != nil {
			line += " " + d.Exception.Description
		}
	default:
		p.mu.Lock()
		f := p.onEvent
		p.mu.Unlock()
		if f != nil {
			f(ev)
		}
		return
	}
	p.mu.Lock()
	p.logs = append(p.logs, line)
	p.mu.Unlock()
}

// pageRun runs one action on the page, with a time limit.
func pageRun[T any](p *page, action chromedp.Action[T]) (T, error) {
	ctx, cancel := context.WithTimeout(p.ctx, 15*time.Second)
	defer cancel()
	return chromedp.Run(ctx, action)
}

func evalJS[T any](p *page, expr string) T {
	p.t.Helper()
	v, err := pageRun(p, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("page %s: %s: %v", p.name, expr, err)
	}
	return v
}

func (p *page) do(action chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	if _, err := pageRun(p, action); err != nil {
		p.t.Fatalf("page %s: %v", p.name, err)
	}
}

// click clicks the first element matching the CSS selector, found and clicked in one step in the page:
// for elements of lists the page redraws from live events, where a node found by one DevTools call can be
// replaced before the next one clicks it. It waits up to 10 s for the element to exist.
func (p *page) click(sel string) {
	p.t.Helper()
	p.waitTrue(10*time.Second, "click "+sel, `(() => { const el = document.querySelector(`+jsString(sel)+`); if (!el) return false; el.click(); return true })()`)
}

// waitTrue waits until the JavaScript expression is true.
func (p *page) waitTrue(timeout time.Duration, what, expr string) {
	p.t.Helper()
	eventually(p.t, timeout, p.name+": "+what, func() bool {
		ok, err := pageRun(p, chromedp.Evaluate[bool](expr))
		return err == nil && ok
	})
}

func (p *page) waitState(timeout time.Duration, state string) {
	p.t.Helper()
	p.waitTrue(timeout, "state "+state, `document.body.dataset.state === `+jsString(state))
}

func (p *page) wantMessage(want string) {
	p.t.Helper()
	if got := evalJS[string](p, `document.getElementById('state-message').textContent`); got != want {
		p.t.Errorf("page %s: #state-message %q, want %q", p.name, got, want)
	}
}

// join waits for the pre-join step to have the devices ready, clicks Join and waits to be in.
func (p *page) join() {
	p.t.Helper()
	p.waitState(15*time.Second, "prejoin")
	p.waitTrue(15*time.Second, "Join enabled", `!document.getElementById('join-button').disabled`)
	p.do(chromedp.Click(chromedp.ID("join-button")))
	p.waitState(20*time.Second, "joined")
}

type videoState struct {
	Width  int     `json:"w"`
	Height int     `json:"h"`
	Time   float64 `json:"t"`
	Paused bool    `json:"paused"`
}

// waitVideoPlaying waits until the video element has a picture and its time advances.
func (p *page) waitVideoPlaying(sel string) {
	p.t.Helper()
	read := func() *videoState {
		v, err := pageRun(p, chromedp.Evaluate[*videoState](`(() => {
			const v = document.querySelector(`+jsString(sel)+`);
			return v && {w: v.videoWidth, h: v.videoHeight, t: v.currentTime, paused: v.paused};
		})()`))
		if err != nil {
			return nil
		}
		return v
	}
	var first *videoState
	deadline := time.Now().Add(30 * time.Second)
	for first = read(); first == nil || first.Width == 0 || first.Height == 0 || first.Paused; first = read() {
		if time.Now().After(deadline) {
			p.t.Logf("%s's video elements: %s", p.name, p.videoReport())
			p.t.Fatalf("not after 30s: %s: %s has a picture (it is %+v)", p.name, sel, first)
		}
		time.Sleep(50 * time.Millisecond)
	}
	eventually(p.t, 10*time.Second, p.name+": "+sel+" plays", func() bool {
		v := read()
		return v != nil && v.Width > 0 && v.Time > first.Time
	})
}

// videoReport describes the page's video elements and their tracks, for a test that failed
// waiting for a picture.
func (p *page) videoReport() string {
	report, err := pageRun(p, chromedp.Evaluate[string](`JSON.stringify(Array.from(document.querySelectorAll('video')).map((v) => ({
		id: v.dataset.identity || v.id || v.className, cam: v.closest('.tile')?.dataset.cam, w: v.videoWidth, h: v.videoHeight, t: v.currentTime,
		paused: v.paused, ready: v.readyState,
		tracks: v.srcObject ? v.srcObject.getTracks().map((t) => t.kind + ':' + t.readyState + (t.muted ? ':muted' : '') + (t.enabled ? '' : ':disabled')) : null,
	})))`))
	if err != nil {
		return err.Error()
	}
	return report
}

// waitChat waits for a chat message with this sender and text.
func (p *page) waitChat(from, text string, system bool) {
	p.t.Helper()
	p.waitTrue(10*time.Second, fmt.Sprintf("chat message %q from %q", text, from), `Array.from(document.querySelectorAll('#chat-messages .chat-message')).some(m =>
		m.querySelector('.chat-from')?.textContent === `+jsString(from)+` &&
		m.querySelector('.chat-text')?.textContent === `+jsString(text)+` &&
		m.classList.contains('chat-system') === `+fmt.Sprint(system)+`)`)
}

// screenshot saves the page's viewport to $MEETD_SCREENSHOTS/name, when that is set.
func (p *page) screenshot(name string) {
	p.t.Helper()
	dir := os.Getenv("MEETD_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := pageRun(p, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("page %s: screenshot: %v", p.name, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
