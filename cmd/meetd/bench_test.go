package main

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkGetActiveRoomInfo is a signed getActiveRoomInfo over HTTP, against a room with 0, 10
// and 50 connected WebRTC participants.
func BenchmarkGetActiveRoomInfo(b *testing.B) {
	for _, n := range []int{0, 10, 50} {
		b.Run(fmt.Sprintf("participants=%d", n), func(b *testing.B) {
			m := startMeetd(b, testEnv(b, nil))
			m.create("bench", nil)
			for i := range n {
				m.bot("bench", fmt.Sprintf("u%d", i))
			}
			eventually(b, 60*time.Second, "all in", func() bool { return len(participantsByID(m.activeRoom("bench"))) == n })
			b.ResetTimer()
			for range b.N {
				if r := m.activeRoom("bench"); !r.Status || len(r.Room.ParticipantsInfo) != n {
					b.Fatalf("answer %+v", r.envelope)
				}
			}
		})
	}
}

// BenchmarkIsRoomActive is a signed isRoomActive over HTTP, sequentially and from parallel clients.
func BenchmarkIsRoomActive(b *testing.B) {
	m := startMeetd(b, testEnv(b, nil))
	m.create("bench", nil)
	b.Run("sequential", func(b *testing.B) {
		for range b.N {
			if active, _ := m.isActive("bench"); !active {
				b.Fatal("not active")
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if active, _ := m.isActive("bench"); !active {
					b.Error("not active")
					return
				}
			}
		})
	})
}
