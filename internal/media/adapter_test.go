package media

import (
	"testing"
	"time"

	lkauth "github.com/livekit/protocol/auth"

	"meetd/internal/rooms"
)

// A meeting admin's media token carries no roomAdmin (they moderate through meetd, never through
// LiveKit's API), and a room's limit goes with every token (doc/security.md).
func TestGrantNoRoomAdmin(t *testing.T) {
	a := newAdapter("http://127.0.0.1:1", "key", "secret-0123456789abcdef0123456789abcdef")
	token, err := a.Grant(rooms.Grant{RoomID: "r1", Identity: "admin", Name: "Admin", IsAdmin: true,
		PublishSources: []string{"MICROPHONE"}, TTL: time.Minute, MaxParticipants: 3})
	if err != nil {
		t.Fatal(err)
	}
	v, err := lkauth.ParseAPIToken(token)
	if err != nil {
		t.Fatal(err)
	}
	_, claims, err := v.Verify("secret-0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	if claims.Video.RoomAdmin || !claims.Video.RoomJoin || claims.Video.Room != "r1" {
		t.Errorf("grant %+v: want roomJoin to r1 without roomAdmin", claims.Video)
	}
	if claims.RoomConfig == nil || claims.RoomConfig.MaxParticipants != 3 {
		t.Errorf("room configuration %v, want max_participants 3", claims.RoomConfig)
	}
}
