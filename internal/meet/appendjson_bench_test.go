package meet

import (
	"fmt"
	"testing"
)

// BenchmarkRoomAppendJSON is the documented dialect's getActiveRoomInfo answer for a room of 100
// participants: AppendJSON alone, the hot path of the answer.
func BenchmarkRoomAppendJSON(b *testing.B) {
	md := RoomMetadata{RoomTitle: "Crowd"}
	md.Fill()
	r := Room{RoomInfo: RoomInfo{RoomTitle: "Crowd", RoomID: "crowd", SID: "RM_0123456789abcdef", JoinedParticipants: 100,
		IsRunning: true, CreationTime: 1700000000, Metadata: JSON(md)}}
	for i := range 100 {
		id := fmt.Sprintf("user-%03d", i)
		u := User{UserID: id, Name: "Name " + id}
		pm := JSON(u.ParticipantMetadata(&md))
		p := ParticipantInfo{SID: "PA_" + id, Identity: id, Name: "Name " + id, State: "ACTIVE", JoinedAt: 1700000000, Version: 3,
			IsPublisher: true, Permission: Permission{CanPublish: true, CanSubscribe: true, CanPublishData: true},
			Tracks: []Track{{SID: "TR_a" + id, Type: "AUDIO", Source: "MICROPHONE", MimeType: "audio/opus"},
				{SID: "TR_v" + id, Type: "VIDEO", Source: "CAMERA", MimeType: "video/VP8", Width: 1280, Height: 720}}}
		p.SetMetadata(pm, string(AppendString(nil, pm)))
		r.ParticipantsInfo = append(r.ParticipantsInfo, p)
	}
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		buf = r.AppendJSON(buf[:0])
	}
}
