package httpapi_test

import (
	"fmt"
	"testing"

	"meetd/internal/meet"
	"meetd/internal/meettest"
)

// BenchmarkActiveRoomInfo100 is a signed getActiveRoomInfo of a room of 100 participants through
// meetd's HTTP handler, both dialects: the signature, the session, the kept users and metadata, the
// participants in join order and the answer's encoding (LiveKit's part is the fake media's copy;
// doc/performance-notes.md has the figures with the real node beside LiveKit's ListParticipants).
func BenchmarkActiveRoomInfo100(b *testing.B) {
	srv := meettest.Start(b, meettest.Options{})
	if code, body := srv.Signed(b, "room/create", map[string]any{"room_id": "crowd", "metadata": map[string]any{"room_title": "Crowd"}}); code != 200 {
		b.Fatalf("create: %d %s", code, body)
	}
	for i := range 100 {
		id := fmt.Sprintf("user-%03d", i)
		if code, body := srv.Signed(b, "room/getJoinToken", map[string]any{"room_id": "crowd",
			"user_info": map[string]any{"user_id": id, "name": "Name " + id, "is_admin": i == 0}}); code != 200 {
			b.Fatalf("token: %d %s", code, body)
		}
		srv.Media.Join(b, "crowd", meet.ParticipantInfo{Identity: id, Name: "Name " + id,
			Tracks: []meet.Track{{SID: "TR_a" + id, Type: "AUDIO", Source: "MICROPHONE", MimeType: "audio/opus"}}})
	}
	// the dialect follows the request's keys (wire.go): room_id asks the documented one, roomId
	// plugNmeet's protobuf-JSON one
	for _, key := range []string{"room_id", "roomId"} {
		b.Run(key, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if code, body := srv.Signed(b, "room/getActiveRoomInfo", map[string]any{key: "crowd"}); code != 200 || len(body) < 100*100 {
					b.Fatalf("%d %.200s", code, body)
				}
			}
		})
	}
}
