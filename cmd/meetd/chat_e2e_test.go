package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// dataChannelSpy records, in window.__dcSeen, the text of every message that reaches the page's
// data channels: what the media server delivered to this page, before the page's code sees it.
const dataChannelSpy = `(() => {
  const seen = [];
  Object.defineProperty(window, '__dcSeen', { value: seen });
  const rec = (ev) => {
    const d = ev.data;
    if (d instanceof ArrayBuffer) seen.push(new TextDecoder().decode(d));
    else if (typeof d === 'string') seen.push(d);
    else if (d && d.arrayBuffer) d.arrayBuffer().then((b) => seen.push(new TextDecoder().decode(b)));
  };
  const add = RTCDataChannel.prototype.addEventListener;
  RTCDataChannel.prototype.addEventListener = function (type, fn, opts) {
    if (type === 'message') add.call(this, 'message', rec);
    return add.call(this, type, fn, opts);
  };
  const on = Object.getOwnPropertyDescriptor(RTCDataChannel.prototype, 'onmessage');
  Object.defineProperty(RTCDataChannel.prototype, 'onmessage', {
    configurable: true,
    get() { return on.get.call(this); },
    set(fn) { on.set.call(this, fn ? (ev) => { rec(ev); return fn.call(this, ev); } : fn); },
  });
})()`

// spy installs dataChannelSpy for the page's next loads, and reloads it.
func (p *page) spy() {
	p.t.Helper()
	p.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{Source: dataChannelSpy})
		return err
	}))
	p.do(chromedp.Reload())
}

// TestBrowserChat: chat through the server on three pages in headless Chromium (doc/web.md, "Chat",
// "Reactions"): a private message reaches its addressee and no other page (not even on its data
// channel), a shared file downloads byte for byte on another page, a late joiner sees the history
// (but not others' private messages), and a reaction shows on another page.
//
// With MEETD_SCREENSHOTS=<folder>: chat-private-file.png (a private message and a shared file) and
// reaction.png.
func TestBrowserChat(t *testing.T) {
	path := chromiumPath()
	if path == "" {
		t.Skip("the browser end-to-end test needs Chromium: apt-get install chromium (CI's .ci/run installs it)")
	}
	m := startIsolated(t, testEnv(t, nil))
	b := startBrowser(t, path)
	m.create("b-chat", map[string]any{"metadata": map[string]any{"room_title": "Chat meeting",
		"room_features": map[string]any{"chat_features": map[string]any{"allowed_file_types": []string{"png", "txt"}, "max_file_size": 1}}}})
	ann := b.open(t, "ann", m.pageURL(m.joinToken("b-chat", "ann", "Ann Able", true)))
	bob := b.open(t, "bob", m.pageURL(m.joinToken("b-chat", "bob", "Bob Baker", false)))
	cat := b.open(t, "cat", m.pageURL(m.joinToken("b-chat", "cat", "Cat Cole", false)))
	pages := []*page{ann, bob, cat}
	use := func(st *testing.T) { // the pages report to the running subtest
		for _, p := range pages {
			p.t = st
		}
	}
	for _, p := range pages {
		p.spy()
		p.join()
	}

	t.Run("private", func(st *testing.T) {
		use(st)
		ann.waitTrue(15*time.Second, "bob in the recipients", `!document.getElementById('chat-to').hidden && !!document.querySelector('#chat-to option[value="bob"]')`)
		evalJS[bool](ann, `(document.getElementById('chat-to').value = 'bob', true)`)
		ann.do(chromedp.SendKeys(chromedp.ID("chat-input"), "For Bob only"))
		ann.do(chromedp.Click(chromedp.ID("chat-send")))
		bob.waitChat("Ann Able", "For Bob only", false)
		if !evalJS[bool](bob, `!!document.querySelector('#chat-messages .chat-private')`) {
			st.Error("bob's private message is not marked private")
		}
		// then one to everyone: once cat has it, the private one would have come before it
		evalJS[bool](ann, `(document.getElementById('chat-to').value = '', true)`)
		ann.do(chromedp.SendKeys(chromedp.ID("chat-input"), "Hello everyone"))
		ann.do(chromedp.Click(chromedp.ID("chat-send")))
		cat.waitChat("Ann Able", "Hello everyone", false)
		bob.waitChat("Ann Able", "Hello everyone", false)
		ann.waitChat("You", "Hello everyone", false)
		if !evalJS[bool](bob, `window.__dcSeen.some((s) => s.includes('For Bob only'))`) {
			st.Fatal("the spy saw nothing on bob's data channel: it does not work")
		}
		if evalJS[bool](cat, `window.__dcSeen.some((s) => s.includes('For Bob only'))`) {
			st.Error("cat's data channel received the private message")
		}
		if evalJS[bool](cat, `document.getElementById('chat-messages').textContent.includes('For Bob only')`) {
			st.Error("cat's page shows the private message")
		}
	})

	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	img.Set(0, 0, color.RGBA{255, 0, 0, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	want := buf.Bytes()
	file := filepath.Join(t.TempDir(), "diagram.png")
	if err := os.WriteFile(file, want, 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("file", func(st *testing.T) {
		use(st)
		bob.waitTrue(10*time.Second, "the file button", `!document.getElementById('chat-attach').hidden`)
		bob.do(chromedp.SetUploadFiles(chromedp.ID("chat-file"), []string{file}))
		for _, p := range []*page{bob, cat} {
			p.waitTrue(15*time.Second, "the shared file", `!!document.querySelector('#chat-messages .chat-file[data-file-name="diagram.png"]')`)
		}
		bob.screenshot("chat-private-file.png")
		// cat clicks it: the page asks for a short-lived link and follows it
		evalJS[bool](cat, `(() => { const click = HTMLAnchorElement.prototype.click;
			HTMLAnchorElement.prototype.click = function () { if (this.download) { window.__download = this.href; return; } return click.call(this); };
			return true })()`)
		cat.click(`#chat-messages .chat-file[data-file-name="diagram.png"]`)
		cat.waitTrue(10*time.Second, "the download link", `typeof window.__download === 'string'`)
		link := evalJS[string](cat, `window.__download`)
		res, err := m.httpClient().Get(link)
		if err != nil {
			st.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK || !bytes.Equal(got, want) || res.Header.Get("Content-Type") != "image/png" {
			st.Errorf("download %s: %d %s, %d bytes (want %d, byte-identical)", link, res.StatusCode, res.Header.Get("Content-Type"), len(got), len(want))
		}
	})

	t.Run("late joiner", func(st *testing.T) {
		use(st)
		dan := b.open(st, "dan", m.pageURL(m.joinToken("b-chat", "dan", "Dan Dunn", false)))
		dan.join()
		dan.waitChat("Ann Able", "Hello everyone", false)
		dan.waitTrue(10*time.Second, "the shared file in the history", `!!document.querySelector('#chat-messages .chat-file[data-file-name="diagram.png"]')`)
		if evalJS[bool](dan, `document.getElementById('chat-messages').textContent.includes('For Bob only')`) {
			st.Error("the late joiner sees another's private message")
		}
	})

	t.Run("reaction", func(st *testing.T) {
		use(st)
		bob.waitTrue(10*time.Second, "the reaction button", `!document.getElementById('reaction-button').hidden`)
		bob.click(`#reaction-button`)
		bob.click(`#reactions-bar button[data-emoji="👍"]`)
		ann.waitTrue(15*time.Second, "bob's reaction over his tile", `!!document.querySelector('#grid .tile[data-identity="bob"][data-last-reaction="👍"]')`)
		ann.screenshot("reaction.png")
	})
}
