package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"meetd/internal/bbb"
)

// TestI18n: the meeting page in the browser's language, else the one the join asked for
// (doc/web.md, "Languages"). A German browser (de-AT: the region falls back to German) gets the
// pre-join step, the meeting and its toolbar in German; an Arabic one gets Arabic, right to left
// (the sidebar on the left of the stage); a participant whose join asked for French gets French in
// the German browser, through plugNmeet's preferred_lang and through BigBlueButton's
// userdata-bbb_override_default_locale. With MEETD_SCREENSHOTS: i18n-de-prejoin.png,
// i18n-de-meeting.png, i18n-ar-meeting.png, i18n-fr-prejoin.png. The admin dashboard too: in German
// for the German browser (sign-in, its error, the rooms), right to left in Arabic
// (i18n-de-dashboard.png, i18n-ar-dashboard.png).
func TestI18n(t *testing.T) {
	path := chromiumPath()
	if path == "" {
		t.Skip("the browser end-to-end test needs Chromium: apt-get install chromium (CI's .ci/run installs it)")
	}
	m := startIsolated(t, testEnv(t, nil))
	m.create("i18n", map[string]any{"metadata": map[string]any{"room_title": "Optik"}})
	german := startBrowser(t, path, chromedp.Flag("lang", "de-AT"), chromedp.Flag("accept-lang", "de-AT"), chromedp.Env("LANGUAGE=de_AT"))

	t.Run("German browser", func(t *testing.T) {
		m := m.forTest(t)
		p := german.open(t, "de", m.pageURL(m.joinToken("i18n", "dora", "Dora", true)))
		p.waitState(15*time.Second, "prejoin")
		p.waitTrue(15*time.Second, "Join enabled", `!document.getElementById('join-button').disabled`)
		wantTexts(t, p, map[string]string{
			`navigator.language`:                                                       "de-AT",
			`document.documentElement.lang`:                                            "de",
			`document.documentElement.dir`:                                             "ltr",
			`$('join-button').textContent`:                                             "Teilnehmen",
			`$('prejoin-name').textContent`:                                            "Sie nehmen teil als Dora",
			`document.querySelector('#camera-controls label span').textContent`:        "Kamera",
			`$('prejoin-mic-toggle').getAttribute('aria-label')`:                       "Mikrofon ein oder aus",
			`document.querySelector('#prejoin-background-row label span').textContent`: "Hintergrund",
			`$('prejoin-background').options[1].textContent`:                           "Weichzeichnen",
		})
		p.screenshot("i18n-de-prejoin.png")
		p.do(chromedp.Click(chromedp.ID("join-button")))
		p.waitState(20*time.Second, "joined")
		p.waitTrue(10*time.Second, "the local tile", `!!document.querySelector('.tile.local')`)
		wantTexts(t, p, map[string]string{
			`$('mic-button').getAttribute('aria-label')`:                   "Mikrofon",
			`$('camera-button').getAttribute('title')`:                     "Kamera",
			`$('screen-button').getAttribute('aria-label')`:                "Bildschirm freigeben",
			`$('hand-button').getAttribute('aria-label')`:                  "Hand heben",
			`$('participants-button').getAttribute('aria-label')`:          "Teilnehmende",
			`$('controls').getAttribute('aria-label')`:                     "Meeting-Steuerung",
			`$('leave-button').textContent`:                                "Verlassen",
			`$('end-button').textContent`:                                  "Meeting für alle beenden",
			`$('chat-input').placeholder`:                                  "Nachricht schreiben",
			`document.querySelector('#chat-panel h2').textContent`:         "Chat",
			`$('participant-count').textContent`:                           "1 Person",
			`document.querySelector('.tile.local .tile-name').textContent`: "Dora (Sie)",
			// the texts of the features merged after the catalogues (a11y, phone, background)
			`$('skip-link').textContent`:                                        "Zum Meeting springen",
			`$('a11y-button').getAttribute('aria-label')`:                       "Tastenkürzel und Barrierefreiheit",
			`document.querySelector('#a11y-keys tr td:last-child').textContent`: "Mikrofon ein oder aus",
			`$('more-button').getAttribute('aria-label')`:                       "Mehr",
			`$('background-select').getAttribute('aria-label')`:                 "Hintergrund",
		})
		p.screenshot("i18n-de-meeting.png")
	})

	t.Run("German browser, bad link", func(t *testing.T) {
		p := german.open(t, "de-error", m.base+"/?access_token=not.a.token")
		p.waitState(15*time.Second, "error")
		p.waitTrue(10*time.Second, "German chosen", `document.body.dataset.lang === 'de'`)
		p.wantMessage("Dieser Meeting-Link ist ungültig oder abgelaufen.")
	})

	t.Run("join asked for French (plugNmeet)", func(t *testing.T) {
		m := m.forTest(t)
		var res struct {
			envelope
			Token string `json:"token"`
		}
		m.post("/auth/room/getJoinToken", map[string]any{"room_id": "i18n", "user_info": map[string]any{
			"user_id": "fred", "name": "Fred", "user_metadata": map[string]any{"preferred_lang": "fr-CA"},
		}}, &res)
		if !res.Status {
			t.Fatalf("getJoinToken: %+v", res.envelope)
		}
		p := german.open(t, "fr", m.pageURL(res.Token))
		p.waitState(15*time.Second, "prejoin")
		wantTexts(t, p, map[string]string{
			`document.documentElement.lang`: "fr",
			`$('join-button').textContent`:  "Rejoindre",
			`$('prejoin-name').textContent`: "Vous rejoignez en tant que Fred",
		})
		p.screenshot("i18n-fr-prejoin.png")
	})

	t.Run("join asked for French (BigBlueButton)", func(t *testing.T) {
		noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		call := func(name string, kv ...string) *http.Response {
			t.Helper()
			q := url.Values{}
			for i := 0; i+1 < len(kv); i += 2 {
				q.Set(kv[i], kv[i+1])
			}
			qs := q.Encode()
			res, err := noFollow.Get(m.base + "/bigbluebutton/api/" + name + "?" + qs + "&checksum=" + bbb.Checksum("sha256", name, qs, testSecret))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			return res
		}
		if res := call("create", "meetingID", "i18n-bbb", "name", "Séminaire", "attendeePW", "ap", "moderatorPW", "mp"); res.StatusCode != http.StatusOK {
			t.Fatalf("create: HTTP %d", res.StatusCode)
		}
		res := call("join", "meetingID", "i18n-bbb", "fullName", "Françoise", "password", "ap", "userdata-bbb_override_default_locale", "fr")
		loc := res.Header.Get("Location")
		if res.StatusCode != http.StatusFound || !strings.Contains(loc, "access_token=") {
			t.Fatalf("join: HTTP %d to %q", res.StatusCode, loc)
		}
		p := german.open(t, "fr-bbb", loc)
		p.waitState(15*time.Second, "prejoin")
		wantTexts(t, p, map[string]string{
			`document.documentElement.lang`: "fr",
			`$('join-button').textContent`:  "Rejoindre",
		})
	})

	t.Run("Arabic browser", func(t *testing.T) {
		m := m.forTest(t)
		arabic := startBrowser(t, path, chromedp.Flag("lang", "ar"), chromedp.Flag("accept-lang", "ar"), chromedp.Env("LANGUAGE=ar"))
		m.create("i18n-ar", nil) // the first room ended when its people left
		p := arabic.open(t, "ar", m.pageURL(m.joinToken("i18n-ar", "amal", "Amal", false)))
		p.waitState(15*time.Second, "prejoin")
		wantTexts(t, p, map[string]string{
			`document.documentElement.lang`: "ar",
			`document.documentElement.dir`:  "rtl",
			`$('join-button').textContent`:  "انضمام",
		})
		p.join()
		p.waitTrue(10*time.Second, "the chat panel open", `!document.getElementById('chat-panel').hidden`)
		wantTexts(t, p, map[string]string{
			`$('leave-button').textContent`:                        "مغادرة",
			`$('mic-button').getAttribute('aria-label')`:           "الميكروفون",
			`document.querySelector('#chat-panel h2').textContent`: "الدردشة",
			`getComputedStyle(document.body).direction`:            "rtl",
		})
		// right to left: the sidebar (chat) is on the stage's left, the controls run from the right
		if !evalJS[bool](p, `document.getElementById('sidebar').getBoundingClientRect().right <= document.getElementById('stage').getBoundingClientRect().left + 1`) {
			t.Errorf("the sidebar is not left of the stage: sidebar %v, stage %v",
				evalJS[any](p, `JSON.stringify(document.getElementById('sidebar').getBoundingClientRect())`), evalJS[any](p, `JSON.stringify(document.getElementById('stage').getBoundingClientRect())`))
		}
		if !evalJS[bool](p, `document.getElementById('mic-button').getBoundingClientRect().left > document.getElementById('leave-button').getBoundingClientRect().left`) {
			t.Error("the controls do not run right to left (the microphone is not right of Leave)")
		}
		p.screenshot("i18n-ar-meeting.png")

		// the dashboard too: Arabic, right to left
		d := arabic.open(t, "ar-dashboard", m.base+"/dashboard")
		d.waitTrue(15*time.Second, "the sign-in form in Arabic", dashShown("#login-form")+` && document.getElementById('login-submit').textContent === 'تسجيل الدخول'`)
		wantTexts(t, d, map[string]string{
			`document.documentElement.lang`:             "ar",
			`document.documentElement.dir`:              "rtl",
			`getComputedStyle(document.body).direction`: "rtl",
		})
		d.screenshot("i18n-ar-dashboard.png")
	})

	t.Run("German browser, dashboard", func(t *testing.T) {
		m := m.forTest(t)
		p := german.open(t, "de-dashboard", m.base+"/dashboard")
		p.waitTrue(15*time.Second, "the sign-in form in German", dashShown("#login-form")+` && document.getElementById('login-submit').textContent === 'Anmelden'`)
		wantTexts(t, p, map[string]string{
			`document.documentElement.lang`:                          "de",
			`document.documentElement.dir`:                           "ltr",
			`document.title`:                                         "Anmelden · meetd-Dashboard",
			`document.querySelector('label.field span').textContent`: "API-Schlüssel",
		})
		dashSet(p, "#login-key", m.env["MEETD_API_KEY"])
		dashSet(p, "#login-secret", "not-the-secret")
		p.do(chromedp.Click(chromedp.ID("login-submit")))
		p.waitTrue(10*time.Second, "the sign-in error in German", dashShown("#login-error")+` && document.getElementById('login-error').textContent.startsWith('Falsche Zugangsdaten')`)
		dashSet(p, "#login-secret", m.env["MEETD_API_SECRET"])
		p.do(chromedp.Click(chromedp.ID("login-submit")))
		p.waitTrue(15*time.Second, "the dashboard in German", dashShown("#rooms-view"))
		wantTexts(t, p, map[string]string{
			`document.querySelector('#rooms-view h1').textContent`:       "Laufende Räume",
			`$('logout-button').textContent`:                             "Abmelden",
			`document.querySelector('#rooms-view thead th').textContent`: "Raum",
		})
		p.screenshot("i18n-de-dashboard.png")
	})
}

// wantTexts checks JavaScript expressions ($ is document.getElementById) against their texts.
func wantTexts(t *testing.T, p *page, want map[string]string) {
	t.Helper()
	for expr, text := range want {
		got := evalJS[string](p, `(() => { const $ = (id) => document.getElementById(id); return String(`+expr+`) })()`)
		if got != text {
			t.Errorf("page %s: %s is %q, want %q", p.name, expr, got, text)
		}
	}
}
