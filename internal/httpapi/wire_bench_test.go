package httpapi

import (
	"encoding/json"
	"fmt"
	"testing"

	"meetd/internal/meet"
)

// BenchmarkProtoRoom100 is the protojson getActiveRoomInfo answer of a room of 100 participants:
// the metadata strings rewritten in plugNmeet's shapes, and encoding/json (the documented
// dialect's answer is meet's BenchmarkRoomAppendJSON).
func BenchmarkProtoRoom100(b *testing.B) {
	md := meet.RoomMetadata{RoomTitle: "Crowd"}
	md.Fill()
	r := meet.Room{RoomInfo: meet.RoomInfo{RoomTitle: "Crowd", RoomID: "crowd", SID: "RM_0123456789abcdef", JoinedParticipants: 100,
		IsRunning: true, CreationTime: 1700000000, Metadata: meet.JSON(md)}}
	for i := range 100 {
		id := fmt.Sprintf("user-%03d", i)
		u := meet.User{UserID: id, Name: "Name " + id}
		p := meet.ParticipantInfo{SID: "PA_" + id, Identity: id, Name: "Name " + id, State: "ACTIVE", JoinedAt: 1700000000, Version: 3,
			Metadata: meet.JSON(u.ParticipantMetadata(&md)), IsPublisher: true,
			Tracks: []meet.Track{{SID: "TR_a" + id, Type: "AUDIO", Source: "MICROPHONE", MimeType: "audio/opus"}}}
		r.ParticipantsInfo = append(r.ParticipantsInfo, p)
	}
	b.ReportAllocs()
	for b.Loop() {
		pr := pbRoomOf(&r)
		if _, err := json.Marshal(struct {
			Envelope
			Room *pbRoom `json:"room"`
		}{OK(), &pr}); err != nil {
			b.Fatal(err)
		}
	}
}
