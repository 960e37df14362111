package rooms_test

import (
	"context"
	"testing"

	"meetd/internal/meet"
	"meetd/internal/rooms"
)

// A room made from another (breakout rooms) takes its parent's key with ShareE2EEKey, so people who
// move decrypt each other; a parent that is not encrypted with a server key gives nothing.
func TestShareE2EEKey(t *testing.T) {
	f := newFixture(t, "", nil)
	ctx := context.Background()
	mk := func(roomID string, e2ee map[string]any) *meet.Session {
		t.Helper()
		md := meet.RoomMetadata{RoomTitle: roomID}
		md.RoomFeatures.EndToEndEncryptionFeatures = e2ee
		s, err := f.svc.Create(ctx, rooms.CreateRequest{RoomID: roomID, Metadata: md})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	key := func(roomID, user string) string {
		t.Helper()
		tok, err := f.svc.JoinToken(ctx, roomID, rooms.UserInfo{UserID: user, Name: user})
		if err != nil {
			t.Fatal(err)
		}
		j, err := f.svc.Join(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		return j.E2EE.Key
	}
	on := map[string]any{"is_enabled": true}
	parent := mk("main", on)
	child := mk("main-b1", on)
	if err := f.svc.ShareE2EEKey(ctx, parent.SID, child.SID); err != nil {
		t.Fatal(err)
	}
	k := key("main", "ann")
	if k == "" || key("main-b1", "bob") != k {
		t.Errorf("parent key %q, child key %q", k, key("main-b1", "bob"))
	}
	// a child that already has another key is not changed
	other := mk("other", on)
	if key("other", "cy") == k {
		t.Fatal("two sessions with one key")
	}
	if err := f.svc.ShareE2EEKey(ctx, parent.SID, other.SID); meet.CodeOf(err) != meet.CodeConflict {
		t.Errorf("sharing over another key: %v", err)
	}
	// unencrypted or self-inserted parents: no key, no error
	for _, e := range []map[string]any{nil, {"is_enabled": true, "enabled_self_insert_encryption_key": true}} {
		p := mk("p"+meet.NewID(""), e)
		c := mk("c"+meet.NewID(""), e)
		if err := f.svc.ShareE2EEKey(ctx, p.SID, c.SID); err != nil {
			t.Errorf("%v: %v", e, err)
		}
		if k, _ := f.store.E2EEKey(ctx, c.SID); k != "" {
			t.Errorf("%v: the child got a key", e)
		}
	}
	if err := f.svc.ShareE2EEKey(ctx, "RM_NOPE", child.SID); meet.CodeOf(err) != meet.CodeRoomNotFound {
		t.Errorf("unknown parent: %v", err)
	}
}
