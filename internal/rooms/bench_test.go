package rooms_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meet"
	"meetd/internal/rooms"
	"meetd/internal/store"
)

// crowd stands in for LiveKit with a room of n participants, each with a microphone and a camera,
// as the media adapter returns them (its in-process read costs LiveKit's part, which the bench
// command measures beside; this measures meetd's own part).
type crowd struct {
	media
	list []meet.ParticipantInfo
}

func (c *crowd) Participants(context.Context, string) ([]meet.ParticipantInfo, error) {
	out := make([]meet.ParticipantInfo, len(c.list))
	copy(out, c.list)
	return out, nil
}

// BenchmarkActiveRoom100 is getActiveRoomInfo's work in meetd for a room of 100 participants: the
// session, the users, the participants' metadata, and the JSON of the answer.
func BenchmarkActiveRoom100(b *testing.B) {
	ctx := context.Background()
	store, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "meetd.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	c := &crowd{}
	svc := rooms.New(store, c, rooms.Config{Keys: auth.Keys{APIKey: "k", APISecret: "s-0123456789abcdef0123456789abcdef"}}, rooms.Hooks{},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	md := meet.RoomMetadata{RoomTitle: "Crowd"}
	if _, err := svc.Create(ctx, rooms.CreateRequest{RoomID: "crowd", Metadata: md}); err != nil {
		b.Fatal(err)
	}
	for i := range 100 {
		id := fmt.Sprintf("user-%03d", i)
		if _, err := svc.JoinToken(ctx, "crowd", rooms.UserInfo{UserID: id, Name: "Name " + id, IsAdmin: i == 0}); err != nil {
			b.Fatal(err)
		}
		c.list = append(c.list, meet.ParticipantInfo{SID: "PA_" + id, Identity: id, Name: "Name " + id, State: "ACTIVE",
			Metadata: `{"is_admin":false}`, JoinedAt: time.Now().Unix(), JoinedAtMs: time.Now().UnixMilli() + int64(i), Version: 3,
			IsPublisher: true, Permission: meet.Permission{CanPublish: true, CanSubscribe: true, CanPublishData: true},
			Tracks: []meet.Track{{SID: "TR_a" + id, Type: "AUDIO", Source: "MICROPHONE", MimeType: "audio/opus"},
				{SID: "TR_v" + id, Type: "VIDEO", Source: "CAMERA", MimeType: "video/VP8", Width: 1280, Height: 720}}})
	}
	// LiveKit lists a room's participants in its map's order, not in join order
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(c.list), func(i, j int) { c.list[i], c.list[j] = c.list[j], c.list[i] })
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		r, err := svc.ActiveRoom(ctx, "crowd")
		if err != nil || len(r.ParticipantsInfo) != 100 {
			b.Fatal(err, len(r.ParticipantsInfo))
		}
		buf = r.AppendJSON(buf[:0]) // as the API writes it
	}
}

// BenchmarkJoinToken is getJoinToken's work in meetd for a new user each time: the session, the
// blocked check, storing the user, and the signed token.
func BenchmarkJoinToken(b *testing.B) {
	ctx := context.Background()
	store, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "meetd.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	svc := rooms.New(store, &media{}, rooms.Config{Keys: auth.Keys{APIKey: "k", APISecret: "s-0123456789abcdef0123456789abcdef"}}, rooms.Hooks{},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if _, err := svc.Create(ctx, rooms.CreateRequest{RoomID: "tokens", Metadata: meet.RoomMetadata{RoomTitle: "Tokens"}}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n++
		if _, err := svc.JoinToken(ctx, "tokens", rooms.UserInfo{UserID: fmt.Sprintf("u%d", n), Name: "U"}); err != nil {
			b.Fatal(err)
		}
	}
}
