package main

import (
	"testing"
	"time"

	"meetd/internal/testbot"
)

func (m *meetd) isActive(roomID string) (bool, string) {
	m.t.Helper()
	var res struct {
		envelope
		IsActive bool `json:"is_active"`
	}
	m.post("/auth/room/isRoomActive", map[string]any{"room_id": roomID}, &res)
	return res.IsActive, res.StatusCode
}

func (m *meetd) waitEnded(roomID string, timeout time.Duration) {
	m.t.Helper()
	eventually(m.t, timeout, roomID+" ended", func() bool {
		active, code := m.isActive(roomID)
		return !active && code == "ROOM_NOT_ACTIVE"
	})
}

// Rooms end by themselves: nobody came, everybody left.
func TestAutoEnd(t *testing.T) {
	m := startMeetd(t, testEnv(t, map[string]string{"MEETD_DEPARTURE_TIMEOUT": "1"}))

	t.Run("empty timeout", func(t *testing.T) {
		m.create("nobody", map[string]any{"empty_timeout": 1})
		m.waitEnded("nobody", 5*time.Second)
	})

	t.Run("departure timeout", func(t *testing.T) {
		m.create("brief", map[string]any{"empty_timeout": 2})
		b := m.bot("brief", "u1")
		eventually(t, 10*time.Second, "u1 in", func() bool { return len(participantsByID(m.activeRoom("brief"))) == 1 })
		time.Sleep(3 * time.Second) // past the empty timeout: somebody joined, so it does not apply
		if active, _ := m.isActive("brief"); !active {
			t.Fatal("a room with a participant ended by its empty timeout")
		}
		left := time.Now()
		b.Leave()
		// The SDK closes its socket right after its leave message; now and then LiveKit sees the
		// close first and waits for a resume before it reports the departure, so allow for that.
		m.waitEnded("brief", 30*time.Second)
		t.Logf("room ended %s after the last participant left (departure timeout 1 s)", time.Since(left).Round(time.Millisecond))
		past := m.pastRooms(map[string]any{"room_ids": []string{"brief"}})
		if past.Result.TotalRooms != 1 || past.Result.RoomsList[0].Ended == "" {
			t.Errorf("fetchPastRooms: %+v", past)
		}
	})
}

// A restart loses no room: same session, same metadata, participants come back, timers go on.
func TestRestart(t *testing.T) {
	for _, how := range []string{"graceful", "kill -9"} {
		t.Run(how, func(t *testing.T) {
			env := testEnv(t, map[string]string{"MEETD_DEPARTURE_TIMEOUT": "4"})
			m := startProcess(t, env)
			created := m.create("durable", map[string]any{"metadata": map[string]any{
				"room_title": "Durable", "extra_data": "keep me", "room_features": map[string]any{"allow_webcams": false},
			}})
			tokens := map[string]string{}
			var bots []*testbot.Bot
			for _, id := range []string{"u1", "u2"} {
				tokens[id] = m.joinToken("durable", id, "Name "+id, id == "u1")
				b := m.botWithToken(tokens[id])
				bots = append(bots, b)
				if _, err := b.PublishAudio(); err != nil {
					t.Fatal(err)
				}
			}
			eventually(t, 10*time.Second, "2 in and counted", func() bool {
				r := m.activeRoom("durable")
				return len(participantsByID(r)) == 2 && r.Room.RoomInfo.JoinedParticipants == 2
			})

			if how == "graceful" {
				m.stop()
			} else {
				m.kill9()
			}
			// The old bots are clients of a process that is gone. Left to themselves they would try
			// to resume against the new process and, rejoining under the same identity, could push
			// out the bots that rejoin below; a person whose tab reconnects is one client, not two.
			for _, b := range bots {
				b.Leave()
			}
			bots = nil
			m = startProcess(t, env)

			room := m.activeRoom("durable")
			if !room.Status || room.Room.RoomInfo.SID != created.SID || room.Room.RoomInfo.Metadata != created.Metadata ||
				room.Room.RoomInfo.JoinedParticipants != 2 || room.Room.RoomInfo.CreationTime != created.CreationTime {
				t.Fatalf("after restart: %+v\nwas %+v", room.Room, created)
			}
			for _, id := range []string{"u1", "u2"} {
				bots = append(bots, m.botWithToken(tokens[id])) // the join tokens are still good
			}
			eventually(t, 10*time.Second, "2 back", func() bool { return len(participantsByID(m.activeRoom("durable"))) == 2 })
			room = m.activeRoom("durable")
			if room.Room.RoomInfo.JoinedParticipants != 2 {
				t.Errorf("joined_participants after rejoin = %d, want 2", room.Room.RoomInfo.JoinedParticipants)
			}
			if p := participantsByID(room)["u1"]; !p.IsAdmin {
				t.Errorf("u1 lost its admin role: %+v", p)
			}

			// The timers still run: when everybody has gone, the departure timeout ends the room.
			for _, b := range bots {
				b.Leave()
			}
			m.stop()
			m = startProcess(t, env)
			m.waitEnded("durable", 10*time.Second)
			past := m.pastRooms(map[string]any{"room_ids": []string{"durable"}})
			if past.Result.TotalRooms != 1 || past.Result.RoomsList[0].RoomSID != created.SID || past.Result.RoomsList[0].Ended == "" {
				t.Errorf("fetchPastRooms: %+v", past)
			}
		})
	}
}
