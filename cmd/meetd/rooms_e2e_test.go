package main

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	lksdk "github.com/livekit/server-sdk-go/v2"

	"meetd/internal/testbot"
)

func participantsByID(r activeRoom) map[string]participantInfo {
	out := map[string]participantInfo{}
	if r.Room != nil {
		for _, p := range r.Room.ParticipantsInfo {
			out[p.Identity] = p
		}
	}
	return out
}

// Three bots join with real WebRTC; the room info tells who is there, leaves, rejoins, and the end.
func TestMeetingLifecycle(t *testing.T) {
	m := startMeetd(t, testEnv(t, nil))
	created := m.create("standup", nil)
	if created.SID == "" || !created.IsRunning || created.JoinedParticipants != 0 {
		t.Fatalf("created room info: %+v", created)
	}
	again := m.create("standup", map[string]any{"max_participants": 7})
	if again.SID != created.SID {
		t.Fatalf("create of an active room made a new session: %s then %s", created.SID, again.SID)
	}

	before := time.Now().Unix()
	bots := map[string]*testbot.Bot{}
	var aliceMic *lksdk.LocalTrackPublication
	for _, id := range []string{"alice", "bob", "carol"} {
		bots[id] = m.bot("standup", id)
		mic, err := bots[id].PublishAudio()
		if err != nil {
			t.Fatal(err)
		}
		if id == "alice" {
			aliceMic = mic
		}
	}
	aliceCam, err := bots["alice"].PublishVideo()
	if err != nil {
		t.Fatal(err)
	}

	var room activeRoom
	eventually(t, 15*time.Second, "3 ACTIVE participants with their tracks, counted", func() bool {
		room = m.activeRoom("standup")
		ps := participantsByID(room)
		if len(ps) != 3 || room.Room.RoomInfo.JoinedParticipants != 3 {
			return false
		}
		for id, p := range ps {
			want := 1
			if id == "alice" {
				want = 2
			}
			if p.State != "ACTIVE" || len(p.Tracks) != want {
				return false
			}
		}
		return true
	})
	if !room.Status || room.StatusCode != "SUCCESS" || room.Room.RoomInfo.SID != created.SID {
		t.Fatalf("room: %+v", room)
	}
	if got := room.Room.RoomInfo.JoinedParticipants; got != 3 {
		t.Errorf("joined_participants = %d, want 3", got)
	}
	for id, p := range participantsByID(room) {
		if p.Name != "Name "+id || p.SID == "" || p.JoinedAt < before-1 || p.JoinedAt > time.Now().Unix()+1 {
			t.Errorf("participant %s: %+v", id, p)
		}
		var md map[string]any
		if err := json.Unmarshal([]byte(p.Metadata), &md); err != nil || md["extra_data"] != "data of "+id || md["is_admin"] != false {
			t.Errorf("participant %s metadata %q", id, p.Metadata)
		}
		sources := map[string]bool{}
		for _, tr := range p.Tracks {
			sources[tr.Source] = true
		}
		if !sources["MICROPHONE"] || (id == "alice") != sources["CAMERA"] {
			t.Errorf("participant %s tracks %+v", id, p.Tracks)
		}
	}
	// join order
	if ps := room.Room.ParticipantsInfo; ps[0].Identity != "alice" || ps[1].Identity != "bob" || ps[2].Identity != "carol" {
		t.Errorf("participants not in join order: %s, %s, %s", ps[0].Identity, ps[1].Identity, ps[2].Identity)
	}

	// alice mutes her microphone and stops her camera herself: the room info follows (meetd keeps
	// participants as last read between calls, while LiveKit's version of them stays the same)
	aliceMic.SetMuted(true)
	if err := bots["alice"].Room.LocalParticipant.UnpublishTrack(aliceCam.SID()); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "alice's microphone muted and her camera gone", func() bool {
		p := participantsByID(m.activeRoom("standup"))["alice"]
		return len(p.Tracks) == 1 && p.Tracks[0].Source == "MICROPHONE" && p.Tracks[0].Muted
	})

	// bob leaves, then comes back
	left := time.Now()
	bots["bob"].Leave()
	eventually(t, 30*time.Second, "bob gone from participants_info", func() bool {
		p, there := participantsByID(m.activeRoom("standup"))["bob"]
		if there && time.Since(left) > 2*time.Second {
			t.Logf("bob still listed %s after leaving, state %s", time.Since(left).Round(time.Millisecond), p.State)
		}
		return !there
	})
	t.Logf("bob gone from participants_info %s after leaving", time.Since(left).Round(time.Millisecond))
	bots["bob"] = m.bot("standup", "bob")
	eventually(t, 10*time.Second, "bob back", func() bool {
		p, there := participantsByID(m.activeRoom("standup"))["bob"]
		return there && p.State == "ACTIVE"
	})
	if got := m.activeRoom("standup").Room.RoomInfo.JoinedParticipants; got != 3 {
		t.Errorf("after a rejoin joined_participants = %d, want 3", got)
	}

	// endRoom disconnects everyone before it answers
	var ended envelope
	m.post("/auth/room/endRoom", map[string]any{"room_id": "standup"}, &ended)
	if !ended.Status {
		t.Fatalf("endRoom: %+v", ended)
	}
	for id, b := range bots {
		select {
		case <-b.Gone():
		case <-time.After(5 * time.Second):
			t.Errorf("bot %s not disconnected by endRoom", id)
		}
	}
	var active struct {
		envelope
		IsActive bool `json:"is_active"`
	}
	m.post("/auth/room/isRoomActive", map[string]any{"room_id": "standup"}, &active)
	if !active.Status || active.IsActive || active.StatusCode != "ROOM_NOT_ACTIVE" {
		t.Errorf("isRoomActive after end: %+v", active)
	}
	if r := m.activeRoom("standup"); r.Status || r.StatusCode != "ROOM_NOT_ACTIVE" || r.Room != nil {
		t.Errorf("getActiveRoomInfo after end: %+v", r)
	}
	m.post("/auth/room/endRoom", map[string]any{"room_id": "standup"}, &ended)
	if ended.Status || ended.StatusCode != "ROOM_NOT_ACTIVE" {
		t.Errorf("second endRoom: %+v", ended)
	}

	past := m.pastRooms(map[string]any{"room_ids": []string{"standup"}})
	if past.Result.TotalRooms != 1 || past.Result.RoomsList[0].Ended == "" || past.Result.RoomsList[0].RoomSID != created.SID ||
		past.Result.RoomsList[0].JoinedParticipants != 3 {
		t.Errorf("fetchPastRooms: %+v", past)
	}
	next := m.create("standup", nil)
	if next.SID == created.SID || !next.IsRunning || next.JoinedParticipants != 0 {
		t.Errorf("create after end: %+v (old sid %s)", next, created.SID)
	}
	// camelCase keys: a protobuf-JSON caller (doc/api.md, "Two dialects"), answered with 64-bit
	// integers as strings and a running session's ended as Go's zero time
	var pb struct {
		Result struct {
			TotalRooms string `json:"total_rooms"`
			RoomsList  []struct {
				RoomSID string `json:"room_sid"`
				Ended   string `json:"ended"`
			} `json:"rooms_list"`
		} `json:"result"`
	}
	m.post("/auth/room/fetchPastRooms", map[string]any{"roomIds": []string{"standup"}, "orderBy": "ASC"}, &pb)
	if r := pb.Result; r.TotalRooms != "2" || len(r.RoomsList) != 2 || r.RoomsList[0].RoomSID != created.SID || r.RoomsList[1].Ended != "0001-01-01T00:00:00Z" {
		t.Errorf("fetchPastRooms ASC: %+v", pb)
	}
}

type pastRooms struct {
	envelope
	Result struct {
		TotalRooms int    `json:"total_rooms"`
		From       int    `json:"from"`
		Limit      int    `json:"limit"`
		OrderBy    string `json:"order_by"`
		RoomsList  []struct {
			RoomTitle          string `json:"room_title"`
			RoomID             string `json:"room_id"`
			RoomSID            string `json:"room_sid"`
			JoinedParticipants int    `json:"joined_participants"`
			Created            string `json:"created"`
			Ended              string `json:"ended"`
		} `json:"rooms_list"`
	} `json:"result"`
}

func (m *meetd) pastRooms(req map[string]any) pastRooms {
	m.t.Helper()
	var res pastRooms
	m.post("/auth/room/fetchPastRooms", req, &res)
	return res
}

// 50 concurrent creates of one room make one session.
func TestConcurrentCreate(t *testing.T) {
	m := startMeetd(t, testEnv(t, nil))
	var wg sync.WaitGroup
	sids := make([]string, 50)
	for i := range sids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var res struct {
				envelope
				RoomInfo roomInfo `json:"room_info"`
			}
			m.post("/auth/room/create", map[string]any{"room_id": "busy", "metadata": map[string]any{"room_title": fmt.Sprint("caller ", i)}}, &res)
			sids[i] = res.RoomInfo.SID
		}()
	}
	wg.Wait()
	for i, sid := range sids {
		if sid == "" || sid != sids[0] {
			t.Fatalf("caller %d got sid %q, caller 0 got %q", i, sid, sids[0])
		}
	}
	if past := m.pastRooms(map[string]any{"room_ids": []string{"busy"}}); past.Result.TotalRooms != 1 {
		t.Errorf("sessions of the room: %d, want 1", past.Result.TotalRooms)
	}
}
