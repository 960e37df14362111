package rooms_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"meetd/internal/auth"
	"meetd/internal/meet"
	"meetd/internal/rooms"
	"meetd/internal/store"
)

// Room info keeps the users it shows between calls; a change to them made by another process
// (another meetd on the same store) shows at once.
func TestRoomInfoSeesOtherProcessesChanges(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meetd.db")
	c := &crowd{list: []meet.ParticipantInfo{{SID: "PA_1", Identity: "u1", Name: "One", State: "ACTIVE", JoinedAt: 1}}}
	service := func() *rooms.Service {
		st, err := store.OpenSQLite(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return rooms.New(st, c, rooms.Config{Keys: auth.Keys{APIKey: "k", APISecret: "s-0123456789abcdef0123456789abcdef"}}, rooms.Hooks{},
			slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
	a, b := service(), service()
	if _, err := a.Create(ctx, rooms.CreateRequest{RoomID: "shared", Metadata: meet.RoomMetadata{RoomTitle: "Shared"}}); err != nil {
		t.Fatal(err)
	}
	shown := func(step string) meet.ParticipantInfo {
		t.Helper()
		for range 2 { // the second read comes from what the first kept
			r, err := a.ActiveRoom(ctx, "shared")
			if err != nil || len(r.ParticipantsInfo) != 1 {
				t.Fatalf("%s: room info %+v %v", step, r, err)
			}
			if p := r.ParticipantsInfo[0]; p.Identity != "u1" {
				t.Fatalf("%s: participant %+v", step, p)
			}
		}
		r, _ := a.ActiveRoom(ctx, "shared")
		return r.ParticipantsInfo[0]
	}
	token := func(svc *rooms.Service, admin bool, exUserID string) {
		t.Helper()
		if _, err := svc.JoinToken(ctx, "shared", rooms.UserInfo{UserID: "u1", Name: "One", IsAdmin: admin,
			Metadata: meet.UserMetadata{ExUserID: exUserID}}); err != nil {
			t.Fatal(err)
		}
	}

	token(a, false, "first")
	st, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rev := func() int64 {
		sess, err := st.Session(ctx, "shared")
		if err != nil || sess == nil {
			t.Fatalf("session: %+v %v", sess, err)
		}
		return sess.UsersRev
	}
	if r := rev(); r != 0 {
		t.Errorf("a new user moved users_rev to %d", r)
	}
	token(a, false, "first") // the same again: nothing written
	if r := rev(); r != 0 {
		t.Errorf("an unchanged user moved users_rev to %d", r)
	}
	if p := shown("token from A"); p.IsAdmin || !strings.Contains(p.Metadata, `"ex_user_id":"first"`) {
		t.Errorf("after a token from A: admin %v metadata %s", p.IsAdmin, p.Metadata)
	}
	token(b, true, "second")
	if p := shown("token from B"); !p.IsAdmin || !strings.Contains(p.Metadata, `"ex_user_id":"second"`) {
		t.Errorf("after a token from B: admin %v metadata %s", p.IsAdmin, p.Metadata)
	}
	token(b, false, "third")
	yes := true
	if err := b.UpdateLockSettings(ctx, "shared", "", meet.LockSettings{LockChat: &yes}); err != nil {
		t.Fatal(err)
	}
	if p := shown("locks from B"); p.IsAdmin || !strings.Contains(p.Metadata, `"lock_chat":true`) {
		t.Errorf("after room locks from B: admin %v metadata %s", p.IsAdmin, p.Metadata)
	}
	// the room's own metadata, kept parsed by its text, shows B's change too
	if r, err := a.ActiveRoom(ctx, "shared"); err != nil || !strings.Contains(r.RoomInfo.Metadata, `"lock_chat":true`) {
		t.Errorf("after room locks from B: room metadata %v %v", r, err)
	}
	if err := b.UpdateLockSettings(ctx, "shared", "", meet.LockSettings{LockChat: new(bool)}); err != nil {
		t.Fatal(err)
	}
	if r, err := a.ActiveRoom(ctx, "shared"); err != nil || !strings.Contains(r.RoomInfo.Metadata, `"lock_chat":false`) ||
		!strings.Contains(r.ParticipantsInfo[0].Metadata, `"lock_chat":false`) {
		t.Errorf("after room locks from B again: room metadata %v %v", r, err)
	}

	// a new user (added without moving users_rev) who connects shows with their role at once
	if _, err := b.JoinToken(ctx, "shared", rooms.UserInfo{UserID: "u2", Name: "Two", IsAdmin: true,
		Metadata: meet.UserMetadata{ExUserID: "newcomer"}}); err != nil {
		t.Fatal(err)
	}
	c.list = append(c.list, meet.ParticipantInfo{SID: "PA_2", Identity: "u2", Name: "Two", State: "ACTIVE", JoinedAt: 2})
	r, err := a.ActiveRoom(ctx, "shared")
	if err != nil || len(r.ParticipantsInfo) != 2 {
		t.Fatalf("room info with the newcomer: %+v %v", r, err)
	}
	if p := r.ParticipantsInfo[1]; p.Identity != "u2" || !p.IsAdmin || !strings.Contains(p.Metadata, `"ex_user_id":"newcomer"`) {
		t.Errorf("the newcomer: %+v", p)
	}
}
