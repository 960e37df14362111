package meet

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestExtraDataKeepsItsShape(t *testing.T) {
	for _, in := range []string{`""`, `"plain"`, `"{\"a\":1}"`, `{}`, `{"b":"2","a":"1"}`} {
		var e ExtraData
		if err := json.Unmarshal([]byte(in), &e); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		out, _ := json.Marshal(e)
		want := in
		if in == `{"b":"2","a":"1"}` {
			want = `{"a":"1","b":"2"}`
		}
		if string(out) != want {
			t.Errorf("%s came back as %s", in, out)
		}
		if e.IsObject() != (in[0] == '{') {
			t.Errorf("%s: IsObject %v", in, e.IsObject())
		}
	}
	for _, in := range []string{`1`, `[]`, `{"a":1}`, `"\u0000{}"`} {
		var e ExtraData
		if err := json.Unmarshal([]byte(in), &e); err == nil {
			t.Errorf("%s accepted as %q", in, e)
		}
	}
	if got := ExtraDataObject(map[string]string{"k": "v"}).Object(); got["k"] != "v" {
		t.Errorf("Object: %v", got)
	}
}

func TestFillDefaultLocks(t *testing.T) {
	var m RoomMetadata
	m.Fill()
	l := m.DefaultLockSettings
	if !Bool(l.LockScreenSharing) || !Bool(l.LockWhiteboard) || !Bool(l.LockSharedNotepad) || Bool(l.LockMicrophone) || Bool(l.LockChat) {
		t.Errorf("without default_lock_settings: %s", JSON(l))
	}
	yes := true
	m = RoomMetadata{DefaultLockSettings: LockSettings{LockChat: &yes}}
	m.Fill()
	if l := m.DefaultLockSettings; Bool(l.LockScreenSharing) || !Bool(l.LockChat) {
		t.Errorf("with default_lock_settings: %s", JSON(l))
	}
	admin := User{IsAdmin: true}
	var room RoomMetadata
	room.Fill()
	if pm := admin.ParticipantMetadata(&room); Bool(pm.LockSettings.LockScreenSharing) {
		t.Errorf("an admin is locked: %s", JSON(pm))
	}
}

func TestFillNewestNames(t *testing.T) {
	no, yes := false, true
	var m RoomMetadata
	m.RoomFeatures.ChatFeatures.IsAllow = &no
	m.RoomFeatures.ExternalBroadcastingFeatures = map[string]any{"is_allow": true, "is_allow_rtmp": false}
	m.RoomFeatures.AllowPolls = &yes
	m.RoomFeatures.IngressFeatures = map[string]any{"input_type": float64(1)}
	m.Fill()
	f := m.RoomFeatures
	switch {
	case Bool(f.ChatFeatures.AllowChat) || Bool(f.ChatFeatures.AllowFileUpload) || f.ChatFeatures.IsAllow != nil:
		t.Errorf("chat: %s", JSON(f.ChatFeatures))
	case Bool(f.AllowRTMP):
		t.Errorf("external_broadcasting_features.is_allow_rtmp false left RTMP on")
	case f.AllowPolls != nil || f.PollsFeatures["is_allow"] != true:
		t.Errorf("allow_polls: %s", JSON(f))
	case f.IngressFeatures["input_type"] != "WHIP_INPUT":
		t.Errorf("input_type: %v", f.IngressFeatures["input_type"])
	}
	if !slices.Contains(m.NotImplemented, "ingress_features") {
		t.Errorf("not_implemented %v lacks ingress_features", m.NotImplemented)
	}
	if slices.Contains(m.NotImplemented, "polls_features") { // polls are served (doc/api.md, "Polls")
		t.Errorf("not_implemented %v lists polls_features", m.NotImplemented)
	}
	if slices.Contains(m.NotImplemented, "allow_virtual_bg") || !Bool(f.AllowVirtualBg) { // on by default, and the page acts on it (doc/web.md, "Backgrounds")
		t.Errorf("allow_virtual_bg %v, not_implemented %v", f.AllowVirtualBg, m.NotImplemented)
	}
	// allow_rtmp wins over external_broadcasting_features, as in plugNmeet
	m = RoomMetadata{}
	m.RoomFeatures.AllowRTMP = &yes
	m.RoomFeatures.ExternalBroadcastingFeatures = map[string]any{"is_allow": false}
	m.Fill()
	if !Bool(m.RoomFeatures.AllowRTMP) {
		t.Errorf("allow_rtmp true lost to external_broadcasting_features")
	}
	// a group switched off is not listed
	m = RoomMetadata{}
	m.RoomFeatures.WhiteboardFeatures = map[string]any{"is_allow": false}
	m.RoomFeatures.SharedNotePadFeatures = map[string]any{"allowed_shared_note_pad": false}
	m.Fill()
	if slices.Contains(m.NotImplemented, "whiteboard_features") || slices.Contains(m.NotImplemented, "shared_note_pad_features") {
		t.Errorf("not_implemented lists groups switched off: %v", m.NotImplemented)
	}
}
