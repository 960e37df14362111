package main

import (
	"testing"
	"time"
)

// Breakout rooms in real browsers (doc/web.md, "Breakout rooms"): four pages in a room, the host
// opens two breakout rooms by hand from the page for one minute; each page moves with one click,
// each pair sees only its partner; when the time is up, the server ends the breakout rooms and every
// page is back in the main room; fetchPastRooms lists the breakout rooms with their parent.
//
// With MEETD_SCREENSHOTS: breakout-moderator.png (the host's dialog) and breakout-room.png (a page
// in a breakout room, with the time left).
func TestBrowserBreakout(t *testing.T) {
	path := chromiumPath()
	if path == "" {
		t.Skip("the browser end-to-end test needs Chromium: apt-get install chromium (CI's .ci/run installs it)")
	}
	m := startIsolated(t, testEnv(t, nil))
	b := startBrowser(t, path)

	m.create("b-break", map[string]any{"metadata": map[string]any{"room_title": "Breakout class", "room_features": map[string]any{
		"breakout_room_features": map[string]any{"is_allow": true, "allowed_number_rooms": 2}}}})
	users := []struct {
		id, name string
		admin    bool
		room     int
	}{{"host", "Hanna Host", true, 1}, {"gina", "Gina Green", false, 1}, {"paul", "Paul Pink", false, 2}, {"rosa", "Rosa Red", false, 2}}
	pages := map[string]*page{}
	for _, u := range users {
		pages[u.id] = b.open(t, u.id, m.pageURL(m.joinToken("b-break", u.id, u.name, u.admin)))
	}
	for _, u := range users {
		pages[u.id].join()
	}
	eventually(t, 30*time.Second, "the four pages in the main room", func() bool { return len(participantsByID(m.activeRoom("b-break"))) == 4 })

	// The host splits them by hand: host and gina in room 1, paul and rosa in room 2, one minute.
	host := pages["host"]
	for _, u := range users[1:] {
		pages[u.id].waitTrue(10*time.Second, "the breakout rooms' state is read", `'breakout' in document.body.dataset`)
		if !evalJS[bool](pages[u.id], `document.getElementById('breakout-button').hidden`) {
			t.Errorf("%s, a guest, is offered the breakout rooms' dialog", u.id)
		}
	}
	host.waitTrue(10*time.Second, "the breakout button is offered", `!document.getElementById('breakout-button').hidden`)
	host.click("#breakout-button")
	host.waitTrue(5*time.Second, "the dialog is open", `document.getElementById('breakout-dialog').open`)
	host.click(`input[name="breakout-mode"][value="hand"]`)
	host.waitTrue(30*time.Second, "every participant can be given a room", `document.querySelectorAll('#breakout-assign select[data-user]').length === 4`)
	for _, u := range users {
		evalJS[bool](host, `(() => { const s = document.querySelector('#breakout-assign select[data-user="`+u.id+`"]');
			s.value = '`+string(rune('0'+u.room))+`'; s.dispatchEvent(new Event('change')); return true })()`)
	}
	evalJS[bool](host, `(document.getElementById('breakout-minutes').value = '1', true)`)
	host.screenshot("breakout-moderator.png")
	host.click("#breakout-start")

	// Each page is invited and moves with one click.
	for _, u := range users {
		p := pages[u.id]
		p.waitTrue(15*time.Second, "invited to a breakout room", `!document.getElementById('breakout-banner').hidden && !document.getElementById('breakout-join').hidden`)
		if u.admin {
			host.waitTrue(5*time.Second, "the dialog shows the rooms", `document.querySelectorAll('#breakout-rooms > li').length === 2`)
			evalJS[bool](host, `(document.getElementById('breakout-dialog').close(), true)`)
		}
		p.click("#breakout-join")
		// one move at a time: with four pages moving at once on a loaded machine, the last page
		// sometimes arrived without its camera (doc/web.md, "Breakout rooms": open question)
		p.waitTrue(30*time.Second, "in the breakout room", `document.body.dataset.state === 'joined' && document.body.dataset.breakout === 'inside'`)
		p.waitTrue(30*time.Second, "the camera stays on after the move", `document.querySelector('.tile.local')?.dataset.cam === 'on'`)
	}
	partner := map[string]string{"host": "gina", "gina": "host", "paul": "rosa", "rosa": "paul"}
	for _, u := range users {
		pages[u.id].waitVideoPlaying(`video.remote-video[data-identity="` + partner[u.id] + `"]`)
	}
	eventually(t, 20*time.Second, "each breakout room holds its pair, the main room nobody", func() bool {
		br1, br2 := participantsByID(m.activeRoom("b-break-br1")), participantsByID(m.activeRoom("b-break-br2"))
		_, h := br1["host"]
		_, g := br1["gina"]
		_, pa := br2["paul"]
		_, r := br2["rosa"]
		return len(br1) == 2 && len(br2) == 2 && h && g && pa && r && len(participantsByID(m.activeRoom("b-break"))) == 0
	})
	for _, u := range users {
		// only the partner: two tiles, the page's own and the partner's
		if got := evalJS[[]string](pages[u.id], `Array.from(document.querySelectorAll('#grid .tile')).map(t => t.dataset.identity).sort()`); len(got) != 2 ||
			!(got[0] == u.id || got[1] == u.id) || !(got[0] == partner[u.id] || got[1] == partner[u.id]) {
			t.Errorf("%s sees %v in the breakout room, want itself and %s", u.id, got, partner[u.id])
		}
	}
	if r := m.activeRoom("b-break-br1"); r.Room == nil || r.Room.RoomInfo.RoomTitle != "Breakout class · Room 1" {
		t.Errorf("the breakout room's info: %+v", r.Room)
	}
	pages["gina"].waitTrue(5*time.Second, "the time left is shown", `/^[0-9]+:[0-9]{2} left$/.test(document.getElementById('breakout-time').textContent)`)
	pages["gina"].screenshot("breakout-room.png")

	// The minute runs out: the server ends the breakout rooms, every page is back in the main room.
	for _, u := range users {
		pages[u.id].waitTrue(150*time.Second, "back in the main room", `document.body.dataset.state === 'joined' && document.body.dataset.breakout !== 'inside' &&
			document.getElementById('room-title').textContent === 'Breakout class'`)
	}
	eventually(t, 30*time.Second, "the four pages in the main room again", func() bool { return len(participantsByID(m.activeRoom("b-break"))) == 4 })
	for _, u := range users {
		pages[u.id].waitVideoPlaying(`video.remote-video[data-identity="` + partner[u.id] + `"]`)
	}

	var past struct {
		envelope
		Result struct {
			RoomsList []struct {
				RoomID         string `json:"room_id"`
				Ended          string `json:"ended"`
				IsBreakoutRoom bool   `json:"is_breakout_room"`
				ParentRoomID   string `json:"parent_room_id"`
			} `json:"rooms_list"`
		} `json:"result"`
	}
	m.post("/auth/room/fetchPastRooms", map[string]any{"room_ids": []string{"b-break-br1", "b-break-br2", "b-break"}}, &past)
	seen := map[string]bool{}
	for _, r := range past.Result.RoomsList {
		switch r.RoomID {
		case "b-break-br1", "b-break-br2":
			seen[r.RoomID] = true
			if !r.IsBreakoutRoom || r.ParentRoomID != "b-break" || r.Ended == "" {
				t.Errorf("fetchPastRooms: %+v, want an ended breakout room of b-break", r)
			}
		case "b-break":
			if r.IsBreakoutRoom || r.ParentRoomID != "" || r.Ended != "" {
				t.Errorf("fetchPastRooms: the parent %+v", r)
			}
		}
	}
	if !seen["b-break-br1"] || !seen["b-break-br2"] {
		t.Errorf("fetchPastRooms lists %+v", past.Result.RoomsList)
	}
}
