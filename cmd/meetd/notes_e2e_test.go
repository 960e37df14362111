package main

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserNotes: the shared notes in headless Chromium (doc/web.md, "Shared notes"), one meetd
// and one browser for its subtests. Two pages type into the notes at the same time and both end
// with the same text holding both inputs; a participant who joins later sees it; the API's
// download returns it; a participant whose notes are locked cannot type.
//
// With MEETD_SCREENSHOTS=<folder>: notes-open.png (the notes open on a page, both inputs in).
func TestBrowserNotes(t *testing.T) {
	path := chromiumPath()
	if path == "" {
		t.Skip("the browser end-to-end test needs Chromium: apt-get install chromium (CI's .ci/run installs it)")
	}
	m := startIsolated(t, testEnv(t, nil))
	b := startBrowser(t, path)
	m.create("b-notes", map[string]any{"metadata": map[string]any{"room_title": "Notes meeting",
		"room_features":         map[string]any{"shared_note_pad_features": map[string]any{"is_allow": true}},
		"default_lock_settings": map[string]any{"lock_shared_notepad": false}}})

	const hostText, annText = "Alpha from Hanna.", "Bravo from Ann."
	editor := `document.querySelector('#notes-editor .ql-editor')`
	// the editor's lines, empty ones left out
	text := `Array.from(` + editor + `?.children ?? []).map(p => p.textContent).filter(Boolean).join('\n')`
	// openNotes clicks the notes button and waits for the editor, writable or not
	openNotes := func(p *page, writable bool) {
		p.t.Helper()
		p.waitTrue(10*time.Second, "the notes button", `!document.getElementById('notes-button').hidden`)
		p.do(chromedp.Click(chromedp.ID("notes-button")))
		want := "true"
		if !writable {
			want = "false"
		}
		p.waitTrue(30*time.Second, "the notes editor", `document.getElementById('notes-panel').dataset.state === 'ready' && `+
			editor+`?.getAttribute('contenteditable') === '`+want+`'`)
	}
	// caretAtEnd puts the caret at the end of the editor's first or last line, as a click would
	caretAtEnd := func(last bool) string {
		return `(() => { const ed = ` + editor + `; const line = ` + map[bool]string{false: "ed.firstElementChild", true: "ed.lastElementChild"}[last] + `;
			const r = document.createRange(); r.selectNodeContents(line); r.collapse(false);
			const s = getSelection(); s.removeAllRanges(); s.addRange(r); ed.focus(); return true })()`
	}

	host := b.open(t, "host", m.pageURL(m.joinToken("b-notes", "host", "Hanna Host", true)))
	ann := b.open(t, "ann", m.pageURL(m.joinToken("b-notes", "ann", "Ann Able", false)))

	ok := t.Run("type together", func(t *testing.T) {
		host.t, ann.t = t, t
		for _, p := range []*page{host, ann} {
			p.join()
			openNotes(p, true)
		}
		// two lines to write on, from the host
		evalJS[bool](host, caretAtEnd(false))
		host.do(chromedp.KeyEvent("Agenda: \rActions: "))
		ann.waitTrue(20*time.Second, "the host's two lines", text+` === 'Agenda: \nActions: '`)
		// both type at once, each on a line
		evalJS[bool](host, caretAtEnd(false))
		evalJS[bool](ann, caretAtEnd(true))
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, w := range []struct {
			p    *page
			text string
		}{{host, hostText}, {ann, annText}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = pageRun(w.p, chromedp.KeyEvent(w.text))
			}()
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("typing: %v, %v", errs[0], errs[1])
		}
		want := "Agenda: " + hostText + "\nActions: " + annText
		for _, p := range []*page{host, ann} {
			p.waitTrue(20*time.Second, "both inputs", text+` === `+jsString(want))
		}
		ann.screenshot("notes-open.png")
	})

	ok = ok && t.Run("late joiner", func(t *testing.T) {
		bob := b.open(t, "bob", m.pageURL(m.joinToken("b-notes", "bob", "Bob Baker", false)))
		bob.join()
		openNotes(bob, true)
		bob.waitTrue(20*time.Second, "the notes as they are", text+`.includes(`+jsString(hostText)+`) && `+text+`.includes(`+jsString(annText)+`)`)
		// and a page that reloads
		ann.t = t
		ann.do(chromedp.Reload())
		ann.join()
		openNotes(ann, true)
		ann.waitTrue(20*time.Second, "the notes after a reload", text+`.includes(`+jsString(hostText)+`) && `+text+`.includes(`+jsString(annText)+`)`)
	})

	ok = ok && t.Run("download", func(t *testing.T) {
		// the pages post the text once they are quiet; the API writes Markdown from it
		var got string
		eventually(t, 20*time.Second, "the download holds both inputs", func() bool {
			var res struct {
				envelope
				Content string `json:"content"`
				Format  string `json:"format"`
			}
			m.post("/auth/notes/download", map[string]any{"room_id": "b-notes", "format": "markdown"}, &res)
			got = res.Content
			return res.Status && strings.Contains(got, "Agenda: "+hostText) && strings.Contains(got, "Actions: "+annText)
		})
		var html struct {
			envelope
			Content string `json:"content"`
		}
		m.post("/auth/notes/download", map[string]any{"room_id": "b-notes", "format": "html"}, &html)
		if !strings.Contains(html.Content, "<p>Agenda: "+hostText+"</p>") {
			t.Errorf("html download:\n%s", html.Content)
		}
	})

	_ = ok && t.Run("locked", func(t *testing.T) {
		cat := b.open(t, "cat", m.pageURL(m.joinToken("b-notes", "cat", "Cat Cole", false)))
		cat.join()
		openNotes(cat, true)
		var res envelope
		m.post("/auth/room/updateLockSettings", map[string]any{"room_id": "b-notes", "user_id": "cat",
			"lock_settings": map[string]any{"lock_shared_notepad": true}}, &res)
		if !res.Status {
			t.Fatalf("updateLockSettings: %+v", res)
		}
		cat.waitTrue(20*time.Second, "the notes locked", `document.getElementById('notes-panel').dataset.writable === 'false' && `+
			`!document.getElementById('notes-locked').hidden && `+editor+`.getAttribute('contenteditable') === 'false'`)
		before := evalJS[string](cat, text)
		evalJS[bool](cat, caretAtEnd(true))
		cat.do(chromedp.KeyEvent("Zulu"))
		if got := evalJS[string](cat, text); got != before || strings.Contains(got, "Zulu") {
			t.Errorf("a locked participant typed: %q", got)
		}
		// a new page of the locked participant opens the notes read-only
		cat.do(chromedp.Reload())
		cat.join()
		openNotes(cat, false)
		// the others never see it
		host.t = t
		if got := evalJS[string](host, text); strings.Contains(got, "Zulu") {
			t.Errorf("the host sees the locked participant's typing: %q", got)
		}
	})
}
