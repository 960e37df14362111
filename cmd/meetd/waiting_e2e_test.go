package main

import (
	"strings"
	"testing"
	"time"
)

// The waiting room in real browsers (doc/web.md, "Waiting room"): a guest waits with the room's
// message, is listed apart in room info (not as a media participant), the host admits them from
// the meeting page and both see each other's video; a second guest is rejected with a reason and
// sees it. With MEETD_SCREENSHOTS: waiting-guest.png, waiting-host.png, waiting-rejected.png.
func TestBrowserWaitingRoom(t *testing.T) {
	path := chromiumPath()
	if path == "" {
		t.Skip("the browser end-to-end test needs Chromium")
	}
	m := startIsolated(t, testEnv(t, nil)).forTest(t)
	b := startBrowser(t, path)

	m.create("b-wait", map[string]any{"metadata": map[string]any{"room_title": "Class with a waiting room", "room_features": map[string]any{
		"waiting_room_features": map[string]any{"is_active": true, "waiting_room_msg": "The teacher will let you in shortly."}}}})
	host := b.open(t, "host", m.pageURL(m.joinToken("b-wait", "host", "Hanna Host", true)))
	host.join()
	guest := b.open(t, "guest", m.pageURL(m.joinToken("b-wait", "guest", "Gus Guest", false)))
	guest.waitState(15*time.Second, "waiting")
	if got := evalJS[string](guest, `document.getElementById('waiting-message').textContent`); got != "The teacher will let you in shortly." {
		t.Errorf("the waiting page says %q", got)
	}

	// room info: the guest waits apart, not among the media participants
	eventually(t, 10*time.Second, "getActiveRoomInfo lists the guest as waiting only", func() bool {
		var info struct {
			Room struct {
				Participants []struct{ Identity string } `json:"participants_info"`
				Waiting      []struct {
					UserID string `json:"user_id"`
				} `json:"waiting_participants"`
			} `json:"room"`
		}
		m.post("/auth/room/getActiveRoomInfo", map[string]any{"room_id": "b-wait"}, &info)
		for _, p := range info.Room.Participants {
			if p.Identity == "guest" {
				return false
			}
		}
		return len(info.Room.Waiting) == 1 && info.Room.Waiting[0].UserID == "guest"
	})

	host.waitTrue(15*time.Second, "the host's waiting count shows 1", `document.getElementById('waiting-count').textContent === '1' && !document.getElementById('waiting-count').hidden`)
	host.click("#waiting-button")
	host.waitTrue(10*time.Second, "the host's waiting list names the guest", `!!document.querySelector('#waiting-panel:not([hidden]) li[data-user="guest"]')`)
	guest.screenshot("waiting-guest.png")
	host.screenshot("waiting-host.png")
	host.click(`#waiting-list button[data-action="admit"][data-user="guest"]`)
	guest.join() // no reload: the waiting page goes on to the pre-join
	host.waitVideoPlaying(`video.remote-video[data-identity="guest"]`)
	guest.waitVideoPlaying(`video.remote-video[data-identity="host"]`)

	// a second guest is rejected (the reason typed in the prompt) and sees why
	other := b.open(t, "other", m.pageURL(m.joinToken("b-wait", "other", "Olga Other", false)))
	other.waitState(15*time.Second, "waiting")
	host.waitTrue(15*time.Second, "the host's list names the second guest", `!!document.querySelector('#waiting-list li[data-user="other"]')`)
	evalJS[bool](host, `(window.prompt = () => 'The class is full today', true)`)
	host.click(`#waiting-list button[data-action="reject"][data-user="other"]`)
	other.waitState(15*time.Second, "rejected")
	if got := evalJS[string](other, `document.getElementById('waiting-reason').textContent`); !strings.Contains(got, "The class is full today") {
		t.Errorf("the rejected page says %q", got)
	}
	other.screenshot("waiting-rejected.png")
	host.waitTrue(10*time.Second, "the host's list is empty", `document.getElementById('waiting-count').hidden`)
}
