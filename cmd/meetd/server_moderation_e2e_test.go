package main

import (
	"strings"
	"testing"
	"time"
)

// Moderation with the server key changes the live meeting at once (doc/api.md).
func TestServerModeration(t *testing.T) {
	m := startMeetd(t, testEnv(t, nil))
	m.create("panel", nil)
	watcher := m.bot("panel", "watcher")
	speaker := m.bot("panel", "speaker")
	if _, err := speaker.PublishAudio(); err != nil {
		t.Fatal(err)
	}
	loud := m.bot("panel", "loud")
	if _, err := loud.PublishAudio(); err != nil {
		t.Fatal(err)
	}
	troll := m.bot("panel", "troll")
	eventually(t, 10*time.Second, "4 in, 2 mics", func() bool {
		ps := participantsByID(m.activeRoom("panel"))
		return len(ps) == 4 && len(ps["speaker"].Tracks) == 1 && len(ps["loud"].Tracks) == 1
	})
	call := func(path string, body map[string]any) envelope {
		var res envelope
		m.post("/auth/room/"+path, body, &res)
		return res
	}

	// remove with block
	if res := call("removeParticipant", map[string]any{"room_id": "panel", "user_id": "troll", "block_user": true}); !res.Status {
		t.Fatalf("removeParticipant: %+v", res)
	}
	select {
	case <-troll.Gone():
	case <-time.After(10 * time.Second):
		t.Fatal("removed bot still connected after 10 s")
	}
	if _, there := participantsByID(m.activeRoom("panel"))["troll"]; there {
		t.Error("removed participant still listed")
	}
	var tok struct {
		envelope
		Token string `json:"token"`
	}
	m.post("/auth/room/getJoinToken", map[string]any{"room_id": "panel", "user_info": map[string]any{"user_id": "troll", "name": "T"}}, &tok)
	if tok.Status || tok.StatusCode != "USER_BLOCKED" || tok.Token != "" {
		t.Errorf("getJoinToken of a blocked user: %+v", tok.envelope)
	}
	if res := call("removeParticipant", map[string]any{"room_id": "panel", "user_id": "nobody"}); res.Status || res.StatusCode != "USER_NOT_FOUND" {
		t.Errorf("remove of an absent user: %+v", res)
	}

	// mute: the API and the other participants see it
	if res := call("muteTrack", map[string]any{"room_id": "panel", "user_id": "loud", "muted": true}); !res.Status {
		t.Fatalf("muteTrack: %+v", res)
	}
	eventually(t, 5*time.Second, "loud's mic muted in getActiveRoomInfo and at the watcher", func() bool {
		p := participantsByID(m.activeRoom("panel"))["loud"]
		if len(p.Tracks) != 1 || !p.Tracks[0].Muted {
			return false
		}
		rp := watcher.Room.GetParticipantByIdentity("loud")
		if rp == nil {
			return false
		}
		pubs := rp.TrackPublications()
		return len(pubs) == 1 && pubs[0].IsMuted()
	})
	if res := call("muteTrack", map[string]any{"room_id": "panel", "user_id": "loud", "muted": false}); res.Status || res.StatusCode != "PERMISSION_DENIED" {
		t.Errorf("remote unmute: %+v", res)
	}
	if res := call("muteTrack", map[string]any{"room_id": "panel", "user_id": "loud", "track_sid": "TR_nope", "muted": true}); res.Status || res.StatusCode != "NOT_FOUND" {
		t.Errorf("mute of an unknown track: %+v", res)
	}

	// lock the speaker's microphone: the mic goes, and a new one is refused
	if res := call("updateLockSettings", map[string]any{"room_id": "panel", "user_id": "speaker", "lock_settings": map[string]any{"lock_microphone": true}}); !res.Status {
		t.Fatalf("updateLockSettings: %+v", res)
	}
	eventually(t, 5*time.Second, "speaker's mic unpublished", func() bool {
		return len(participantsByID(m.activeRoom("panel"))["speaker"].Tracks) == 0
	})
	if _, err := speaker.PublishAudio(); err == nil {
		time.Sleep(time.Second)
		if n := len(participantsByID(m.activeRoom("panel"))["speaker"].Tracks); n != 0 {
			t.Errorf("a locked microphone was published (%d tracks)", n)
		}
	}
	p := participantsByID(m.activeRoom("panel"))["speaker"]
	if !strings.Contains(p.Metadata, `"lock_microphone":true`) {
		t.Errorf("speaker metadata does not show the lock: %s", p.Metadata)
	}
	// a room-wide lock reaches everyone else, and the watcher's later mic is refused too
	if res := call("updateLockSettings", map[string]any{"room_id": "panel", "lock_settings": map[string]any{"lock_microphone": true}}); !res.Status {
		t.Fatalf("room-wide updateLockSettings: %+v", res)
	}
	eventually(t, 5*time.Second, "loud's mic unpublished", func() bool {
		return len(participantsByID(m.activeRoom("panel"))["loud"].Tracks) == 0
	})
	if res := call("updateLockSettings", map[string]any{"room_id": "panel"}); res.Status || res.StatusCode != "INVALID_PARAMETERS" {
		t.Errorf("updateLockSettings without lock_settings: %+v", res)
	}
}
