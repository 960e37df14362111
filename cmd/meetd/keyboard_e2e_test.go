package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestKeyboard: a meeting without a mouse (doc/web.md, "Accessibility"). Kim's page gets only real
// key events (CDP Input.dispatchKeyEvent; no clicks, no element.click()): Enter joins from the
// pre-join step, Ctrl+D mutes and a Tab-reached microphone button unmutes (the server sees both),
// the skip link reaches the meeting, "?" opens the shortcuts dialog and Escape closes it with the
// focus back where it was, Escape closes the chat panel and Enter on its button opens it with the
// focus in the input, Ctrl+D typed in the chat does nothing, the message typed reaches Bob, and
// Tab and Enter on Leave leave. The live logs announce: on Bob's page Kim's arrival, message and
// departure, and who speaks (captions on); on Kim's a recording that starts and stops, Bob's
// raised hand and a moderator's mute. Last, prefers-reduced-motion stops the toasts' slide.
//
// With MEETD_SCREENSHOTS: keyboard-skip-link.png, keyboard-focus-mic.png, keyboard-help.png,
// keyboard-chat.png (focus states), keyboard-caption.png.
func TestKeyboard(t *testing.T) {
	path := chromiumPath()
	if path == "" {
		t.Skip("the browser end-to-end test needs Chromium: apt-get install chromium (CI's .ci/run installs it)")
	}
	m := startIsolated(t, testEnv(t, nil)).forTest(t)
	// the fake microphone plays a steady tone (Chromium's own beeps too rarely for LiveKit's active
	// speakers), so that Bob's captions can name Kim
	b := startBrowser(t, path, chromedp.Flag("use-file-for-fake-audio-capture", toneWAV(t)))
	m.create("b-keys", map[string]any{"metadata": map[string]any{"room_title": "Keyboard meeting"}})
	bob := b.open(t, "bob", m.pageURL(m.joinToken("b-keys", "bob", "Bob Baker", false)))
	bob.join()
	kim := b.open(t, "kim", m.pageURL(m.joinToken("b-keys", "kim", "Kim Keys", false)))

	micMuted := func(muted bool) func() bool {
		return func() bool {
			return hasTrack(participantsByID(m.activeRoom("b-keys"))["kim"], "AUDIO", "MICROPHONE", muted)
		}
	}

	// join: the Join button has the focus once the devices are ready
	kim.waitState(15*time.Second, "prejoin")
	kim.waitTrue(15*time.Second, "Join enabled and focused", `!document.getElementById('join-button').disabled && document.activeElement.id === 'join-button'`)
	kim.keys(kb.Enter)
	kim.waitState(20*time.Second, "joined")
	kim.waitFocus("stage")
	bob.waitLog("Kim Keys joined")
	// the page has published what the pre-join step chose (a switch while the camera still publishes
	// is another matter: see doc/web.md, "Accessibility")
	eventually(t, 30*time.Second, "kim's microphone live and camera at the server", func() bool {
		k := participantsByID(m.activeRoom("b-keys"))["kim"]
		return hasTrack(k, "AUDIO", "MICROPHONE", false) && hasTrack(k, "VIDEO", "CAMERA", false)
	})

	// the skip link: the first stop before the main area
	kim.keys(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift))
	kim.waitFocus("skip-link")
	if !evalJS[bool](kim, `document.activeElement.getBoundingClientRect().top >= 0`) {
		t.Error("the focused skip link is not shown")
	}
	kim.screenshot("keyboard-skip-link.png")
	kim.keys(kb.Enter)
	kim.waitFocus("stage")

	// mute with the shortcut, unmute with the button
	kim.keys("d", chromedp.KeyModifiers(chromedp.ModifierCtrl))
	kim.waitTrue(15*time.Second, "the microphone button off after Ctrl+D", `document.getElementById('mic-button').dataset.on === 'false'`)
	eventually(t, 15*time.Second, "kim's microphone muted at the server after Ctrl+D", micMuted(true))
	kim.waitLog("Microphone off")
	// one's own mute is no moderator's (the page says so before "Microphone off" if it thought so)
	if evalJS[bool](kim, `document.getElementById('a11y-log').textContent.includes('A moderator muted')`) {
		t.Error("Kim's own mute was announced as a moderator's")
	}
	kim.tabTo("mic-button")
	kim.screenshot("keyboard-focus-mic.png")
	kim.keys(" ")
	eventually(t, 15*time.Second, "kim's microphone live at the server after Space on the button", micMuted(false))
	kim.waitLog("Microphone on")

	// the help dialog: "?" opens it with the focus inside, Escape closes it, the focus comes back
	kim.keys("?")
	kim.waitTrue(15*time.Second, "the shortcuts dialog open with the focus inside", `document.getElementById('a11y-dialog').open && document.getElementById('a11y-dialog').contains(document.activeElement)`)
	if !evalJS[bool](kim, `document.getElementById('a11y-dialog').textContent.includes('Ctrl')`) {
		t.Error("the shortcuts dialog does not list the shortcuts")
	}
	kim.screenshot("keyboard-help.png")
	kim.keys(kb.Escape)
	kim.waitTrue(15*time.Second, "the dialog closed, the focus back on the microphone button", `!document.getElementById('a11y-dialog').open && document.activeElement.id === 'mic-button'`)

	// the chat (open on entry in a wide window): Escape in it closes it, Enter on its button opens it
	kim.tabTo("chat-input")
	kim.keys(kb.Escape)
	kim.waitTrue(15*time.Second, "Escape closed the chat, the focus on its button", `document.getElementById('chat-panel').hidden && document.activeElement.id === 'chat-button'`)
	kim.keys(kb.Enter)
	kim.waitTrue(15*time.Second, "the chat open with the focus in its input", `!document.getElementById('chat-panel').hidden && document.activeElement.id === 'chat-input'`)
	// a shortcut typed in the chat does nothing: the button's clicks are counted (the shortcut
	// presses the button within the key event, so the count is final when the event returns)
	evalJS[bool](kim, `(document.getElementById('mic-button').addEventListener('click', () => { window.__micClicks = (window.__micClicks || 0) + 1 }), true)`)
	kim.keys("d", chromedp.KeyModifiers(chromedp.ModifierCtrl))
	kim.keys("Hello from the keyboard")
	kim.screenshot("keyboard-chat.png")
	kim.keys(kb.Enter)
	bob.waitChat("Kim Keys", "Hello from the keyboard", false)
	kim.waitChat("You", "Hello from the keyboard", false)
	if n := evalJS[int](kim, `window.__micClicks || 0`); n != 0 {
		t.Errorf("Ctrl+D typed in the chat pressed the microphone button %d times", n)
	}
	if !micMuted(false)() {
		t.Error("kim's microphone is not live after Ctrl+D was typed in the chat")
	}
	bob.waitLog("Message from Kim Keys: Hello from the keyboard")

	// speaker captions on Bob's page: Kim's microphone plays a tone, LiveKit names her as speaking
	bob.click("#a11y-button")
	bob.click("#a11y-captions")
	bob.keys(kb.Escape)
	bob.waitTrue(20*time.Second, "the caption line names Kim", `document.getElementById('speaker-caption-text').textContent === 'Kim Keys is speaking' && !document.getElementById('speaker-caption').hidden`)
	bob.waitLog("Kim Keys is speaking")
	bob.screenshot("keyboard-caption.png")

	// a recording that starts and stops is told to everyone (ffmpeg records)
	if _, err := exec.LookPath("ffmpeg"); err == nil {
		if res := m.call("/auth/recording/start", map[string]any{"room_id": "b-keys"}); !res.Status {
			t.Fatalf("recording/start: %+v", res)
		}
		kim.waitLog("This meeting is being recorded or streamed live.")
		if res := m.call("/auth/recording/stop", map[string]any{"room_id": "b-keys"}); !res.Status {
			t.Fatalf("recording/stop: %+v", res)
		}
		kim.waitLog("Recording and live streaming have stopped.")
	}

	// a hand raised on another page is announced
	bob.click("#hand-button")
	kim.waitLog("Bob Baker raised a hand")

	// a moderator's mute (the API's room/muteTrack) is told to the person muted
	if res := m.call("/auth/room/muteTrack", map[string]any{"room_id": "b-keys", "user_id": "kim", "muted": true}); !res.Status {
		t.Fatalf("room/muteTrack: %+v", res)
	}
	kim.waitLog("A moderator muted your microphone.")

	// leave: Tab to the Leave button, Enter
	kim.tabTo("leave-button")
	kim.keys(kb.Enter)
	kim.waitState(10*time.Second, "left")
	eventually(t, 10*time.Second, "kim gone from getActiveRoomInfo", func() bool { return !m.present("b-keys", "kim") })
	bob.waitLog("Kim Keys left")

	// prefers-reduced-motion: toasts do not slide in (and do without it)
	toastAnimation := `(() => { const d = document.createElement('div'); d.className = 'toast'; document.getElementById('toasts').append(d);
		const a = getComputedStyle(d).animationName; d.remove(); return a })()`
	if a := evalJS[string](bob, toastAnimation); a != "slide" {
		t.Errorf("a toast's animation without reduced motion: %q, want slide", a)
	}
	bob.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}}})
		return err
	}))
	if a := evalJS[string](bob, toastAnimation); a != "none" {
		t.Errorf("a toast's animation with prefers-reduced-motion: %q, want none", a)
	}
}

// keys sends real key events to the page's focused element (CDP Input.dispatchKeyEvent).
func (p *page) keys(keys string, opts ...chromedp.KeyOption) {
	p.t.Helper()
	p.do(chromedp.KeyEvent(keys, opts...))
}

// tabTo presses Tab until the element with this id has the focus (at most 60 times).
func (p *page) tabTo(id string) {
	p.t.Helper()
	for range 60 {
		if evalJS[string](p, `document.activeElement?.id || ''`) == id {
			return
		}
		p.keys(kb.Tab)
	}
	p.t.Fatalf("page %s: Tab never reached #%s (the focus is on %s)", p.name, id, evalJS[string](p, `document.activeElement?.outerHTML.slice(0, 120) || ''`))
}

// waitLog waits for a sentence in the page's live log (doc/web.md, "Accessibility").
func (p *page) waitLog(text string) {
	p.t.Helper()
	p.waitTrue(15*time.Second, "the live log says "+jsString(text), `Array.from(document.querySelectorAll('#a11y-log > p')).some((e) => e.textContent === `+jsString(text)+`)`)
}

// toneWAV writes a 2 s, 440 Hz tone at half scale (16-bit mono 48 kHz WAV, which Chromium loops as its
// fake microphone) and returns its path.
func toneWAV(t *testing.T) string {
	const rate, seconds = 48000, 2
	n := rate * seconds
	var b bytes.Buffer
	le := func(v any) { _ = binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + 2*n))
	b.WriteString("WAVEfmt ")
	le(uint32(16))
	le(uint16(1)) // PCM
	le(uint16(1)) // mono
	le(uint32(rate))
	le(uint32(2 * rate))
	le(uint16(2))
	le(uint16(16))
	b.WriteString("data")
	le(uint32(2 * n))
	for i := range n {
		le(int16(16000 * math.Sin(2*math.Pi*440*float64(i)/rate)))
	}
	path := filepath.Join(t.TempDir(), "tone.wav")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitFocus waits until the element with this id has the focus, and says where the focus is if not.
func (p *page) waitFocus(id string) {
	p.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		at, err := pageRun(p, chromedp.Evaluate[string](`document.activeElement?.id || document.activeElement?.tagName || ''`))
		if err == nil && at == id {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("page %s: the focus is on %q, not #%s (err %v)", p.name, at, id, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
