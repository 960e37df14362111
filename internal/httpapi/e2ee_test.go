package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"meetd/internal/meet"
	"meetd/internal/meettest"
)

// e2eeJoin posts /api/join with a fresh join token of user in room and returns the answer.
func e2eeJoin(t *testing.T, srv *meettest.Server, room, user string, admin bool) (map[string]any, []byte) {
	t.Helper()
	_, b := srv.Signed(t, "room/getJoinToken", map[string]any{"room_id": room,
		"user_info": map[string]any{"name": "Name of " + user, "user_id": user, "is_admin": admin}})
	var tok struct{ Token string }
	if err := json.Unmarshal(b, &tok); err != nil || tok.Token == "" {
		t.Fatalf("join token of %s in %s: %s", user, room, b)
	}
	req, _ := http.NewRequest("POST", srv.URL+"/api/join", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+tok.Token)
	res, body := srv.Do(t, req)
	if res.StatusCode != 200 {
		t.Fatalf("/api/join of %s: %d %s", user, res.StatusCode, body)
	}
	return decoded(t, body), body
}

func e2eeCreate(t *testing.T, srv *meettest.Server, room string, e2ee map[string]any, extra map[string]any) map[string]any {
	t.Helper()
	f := map[string]any{"end_to_end_encryption_features": e2ee}
	for k, v := range extra {
		f[k] = v
	}
	_, b := srv.Signed(t, "room/create", map[string]any{"room_id": room,
		"metadata": map[string]any{"room_title": "E2EE " + room, "room_features": f}})
	return decoded(t, b)
}

// The key is handed only to the session's participants in /api/join, the same to each, and only
// when the room is encrypted with a server key; nothing else the server says carries it.
func TestE2EEKeyOnlyInJoin(t *testing.T) {
	hook := meettest.NewReceiver(t, meettest.Keys, meettest.ReceiverOptions{})
	srv := meettest.Start(t, meettest.Options{Webhooks: []string{hook.URL}})

	if a := e2eeCreate(t, srv, "enc", map[string]any{"is_enabled": true, "included_chat_messages": true}, nil); a["status"] != true {
		t.Fatalf("create enc: %v", a)
	}
	ann, annBody := e2eeJoin(t, srv, "enc", "ann", true)
	bob, _ := e2eeJoin(t, srv, "enc", "bob", false)
	e := ann["e2ee"].(map[string]any)
	key, _ := e["key"].(string)
	if e["enabled"] != true || e["include_chat"] != true || e["self_insert_key"] != false || len(key) != 43 {
		t.Fatalf("ann's e2ee: %v", e)
	}
	if got := bob["e2ee"].(map[string]any)["key"]; got != key {
		t.Errorf("bob got key %v, ann %v: one session, one key", got, key)
	}
	again, _ := e2eeJoin(t, srv, "enc", "ann", true)
	if got := again["e2ee"].(map[string]any)["key"]; got != key {
		t.Errorf("ann's second join got key %v, first %v", got, key)
	}
	if md := ann["room_metadata"].(map[string]any); strings.Contains(meet.JSON(md), key) {
		t.Errorf("the key is in the join answer's room_metadata: %s", annBody)
	}
	if nl := ann["room_metadata"].(map[string]any)["not_implemented"]; strings.Contains(meet.JSON(nl), "end_to_end") {
		t.Errorf("end_to_end_encryption_features still in not_implemented: %v", nl)
	}

	// self-inserted keys: the switches, no key
	e2eeCreate(t, srv, "self", map[string]any{"is_enabled": true, "enabled_self_insert_encryption_key": true}, nil)
	self, selfBody := e2eeJoin(t, srv, "self", "ann", true)
	if e := self["e2ee"].(map[string]any); e["enabled"] != true || e["self_insert_key"] != true || e["key"] != nil {
		t.Errorf("self-inserted: %s", selfBody)
	}
	// off, or a group without is_enabled (plugNmeet's default: false): no key
	e2eeCreate(t, srv, "off", map[string]any{"is_enabled": false}, nil)
	e2eeCreate(t, srv, "nosw", map[string]any{"included_chat_messages": true}, nil)
	for _, room := range []string{"off", "nosw"} {
		a, body := e2eeJoin(t, srv, room, "ann", true)
		if e := a["e2ee"].(map[string]any); e["enabled"] != false || e["key"] != nil {
			t.Errorf("%s: %s", room, body)
		}
	}
	var sid string
	if sessions, _, err := srv.Store.Sessions(context.Background(), meet.SessionFilter{RoomIDs: []string{"self", "off"}, Limit: 10}); err == nil {
		for _, s := range sessions {
			if k, _ := srv.Store.E2EEKey(context.Background(), s.SID); k != "" {
				t.Errorf("room %s has a stored key", s.RoomID)
			}
		}
	}

	// nowhere else: room info, rooms info, past rooms, webhooks, the event stream, the log
	srv.Media.Join(t, "enc", meet.ParticipantInfo{Identity: "ann", Name: "Name of ann"})
	seen := map[string][]byte{}
	_, seen["getActiveRoomInfo"] = srv.Signed(t, "room/getActiveRoomInfo", `{"room_id":"enc"}`)
	_, seen["getActiveRoomInfo protojson"] = srv.Signed(t, "room/getActiveRoomInfo", `{"roomId":"enc"}`)
	_, seen["getActiveRoomsInfo"] = srv.Signed(t, "room/getActiveRoomsInfo", `{}`)
	_, seen["fetchPastRooms"] = srv.Signed(t, "room/fetchPastRooms", `{"room_ids":["enc"]}`)
	if !strings.Contains(string(seen["getActiveRoomInfo"]), `is_enabled\":true`) {
		t.Errorf("room info does not show the room's e2ee switches: %s", seen["getActiveRoomInfo"])
	}
	if _, b := srv.Signed(t, "room/endRoom", `{"room_id":"enc"}`); !strings.Contains(string(b), `"status":true`) {
		t.Fatalf("endRoom: %s", b)
	}
	_, seen["fetchPastRooms after the end"] = srv.Signed(t, "room/fetchPastRooms", `{"room_ids":["enc"]}`)
	hook.WaitDelivered(4, 5*time.Second) // room_created ×4 at least
	for i, d := range hook.Requests() {
		seen["webhook "+string(rune('0'+i%10))+d.Event.Event] = d.Body
	}
	events, err := srv.Store.Events(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		seen["stored event "+ev.Event.Event] = append(seen["stored event "+ev.Event.Event], meet.JSON(ev.Event)...)
	}
	seen["log"] = []byte(srv.Log())
	for what, b := range seen {
		if strings.Contains(string(b), key) {
			t.Errorf("%s carries the key: %s", what, b)
		}
	}
	if len(seen) < 8 {
		t.Errorf("only %d answers looked at", len(seen))
	}
	// the key does not outlive its session
	if sessions, _, err := srv.Store.Sessions(context.Background(), meet.SessionFilter{RoomIDs: []string{"enc"}, Limit: 10}); err != nil || len(sessions) != 1 {
		t.Fatalf("sessions of enc: %v %v", sessions, err)
	} else {
		sid = sessions[0].SID
	}
	if k, err := srv.Store.E2EEKey(context.Background(), sid); k != "" || err != nil {
		t.Errorf("the ended session still has its key (%v)", err)
	}
	// a new session of the room: a new key
	e2eeCreate(t, srv, "enc", map[string]any{"is_enabled": true}, nil)
	next, _ := e2eeJoin(t, srv, "enc", "ann", true)
	if k := next["e2ee"].(map[string]any)["key"]; k == key || k == nil {
		t.Errorf("the next session's key %v (the last one's %v)", k, key)
	}
}

// Recording and broadcasting need the server to decode the media: refused in an encrypted room
// with PERMISSION_DENIED and a message that says why, from the API, the dashboard and the page;
// so is automatic recording at room/create. Nothing starts.
func TestE2EERecordingRefused(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{DashboardPassword: "pw"})
	pathWithFFmpeg(t, true) // ffmpeg present: the refusal is the encryption's, not a missing tool's
	wantRefused := func(what string, b []byte) {
		t.Helper()
		a := decoded(t, b)
		if a["status"] != false || a["status_code"] != "PERMISSION_DENIED" || !strings.Contains(a["msg"].(string), "end-to-end encrypted") {
			t.Errorf("%s: %s", what, b)
		}
	}
	a := e2eeCreate(t, srv, "auto", map[string]any{"is_enabled": true},
		map[string]any{"recording_features": map[string]any{"enable_auto_cloud_recording": true}})
	wantRefused("room/create with enable_auto_cloud_recording", []byte(meet.JSON(a)))
	if _, b := srv.Signed(t, "room/isRoomActive", `{"room_id":"auto"}`); strings.Contains(string(b), `"is_active":true`) {
		t.Errorf("the refused room was created: %s", b)
	}
	a = e2eeCreate(t, srv, "auto", map[string]any{"is_enabled": false},
		map[string]any{"recording_features": map[string]any{"enable_auto_cloud_recording": true}})
	if a["status"] != true {
		t.Errorf("auto recording without e2ee: %v", a)
	}

	e2eeCreate(t, srv, "enc", map[string]any{"is_enabled": true, "enabled_self_insert_encryption_key": true}, nil)
	srv.Media.Join(t, "enc", meet.ParticipantInfo{Identity: "ann", Name: "Ann"})
	_, b := srv.Signed(t, "recording/start", `{"room_id":"enc"}`)
	wantRefused("recording/start", b)
	_, b = srv.Signed(t, "rtmp/start", `{"room_id":"enc","rtmp_url":"rtmp://live.example.com/app/key"}`)
	wantRefused("rtmp/start", b)
	page, _ := e2eeJoin(t, srv, "enc", "ann", true)
	req, _ := http.NewRequest("POST", srv.URL+"/api/moderate", strings.NewReader(`{"action":"record_start"}`))
	req.Header.Set("Authorization", "Bearer "+page["page_token"].(string))
	_, b = srv.Do(t, req)
	wantRefused("/api/moderate record_start", b)
	req, _ = http.NewRequest("POST", srv.URL+"/api/moderate", strings.NewReader(`{"action":"rtmp_start","rtmp_url":"rtmp://live.example.com/app/key"}`))
	req.Header.Set("Authorization", "Bearer "+page["page_token"].(string))
	_, b = srv.Do(t, req)
	wantRefused("/api/moderate rtmp_start", b)

	_, info := srv.Signed(t, "room/getActiveRoomInfo", `{"room_id":"enc"}`)
	if strings.Contains(string(info), `"is_recording":true`) || strings.Contains(string(info), `"is_active_rtmp":true`) {
		t.Errorf("a refused start left a flag: %s", info)
	}
	if got := srv.Media.Participants; got != nil {
		ps, _ := got(context.Background(), "enc")
		for _, p := range ps {
			if strings.HasPrefix(p.Identity, meet.InternalPrefix) {
				t.Errorf("a recorder joined: %s", p.Identity)
			}
		}
	}
	// unknown and ended rooms answer as before
	_, b = srv.Signed(t, "recording/start", `{"room_id":"nowhere"}`)
	if a := decoded(t, b); a["status_code"] != "ROOM_NOT_ACTIVE" {
		t.Errorf("recording/start of an unknown room: %s", b)
	}
	_, b = srv.Signed(t, "recording/start", `{"room_id":"bad id!"}`)
	if a := decoded(t, b); a["status_code"] != "INVALID_PARAMETERS" {
		t.Errorf("recording/start with a bad room_id: %s", b)
	}
}
