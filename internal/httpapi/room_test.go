package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meet"
	"meetd/internal/meettest"
)

// These tests drive meetd's HTTP API in process (see meettest) and compare every answer with a
// golden file (see golden_test.go). They record what meetd answers; the contract is doc/api.md.

func create(s *script, roomID string) map[string]any {
	s.t.Helper()
	return s.signed("room/create", map[string]any{"room_id": roomID, "max_participants": 10, "empty_timeout": 600,
		"metadata": map[string]any{"room_title": "Room " + roomID, "welcome_message": "Hello"}})
}

func joinToken(s *script, roomID, userID string, admin bool) string {
	s.t.Helper()
	a := s.signed("room/getJoinToken", map[string]any{"room_id": roomID,
		"user_info": map[string]any{"name": "Name of " + userID, "user_id": userID, "is_admin": admin}})
	token, _ := a["token"].(string)
	if token == "" {
		s.t.Fatalf("no join token for %s: %v", userID, a)
	}
	return token
}

func join(s *script, roomID, userID string, tracks ...meet.Track) {
	s.t.Helper()
	s.srv.Media.Join(s.t, roomID, meet.ParticipantInfo{Identity: userID, Name: "Name of " + userID, Tracks: tracks})
}

func TestRoomCreate(t *testing.T) {
	s := newScript(t, meettest.Options{})
	first := create(s, "r1")
	again := s.signed("room/create", map[string]any{"room_id": "r1", "metadata": map[string]any{"room_title": "Other"}})
	s.check()
	sid := func(a map[string]any) any { return a["room_info"].(map[string]any)["sid"] }
	if sid(first) != sid(again) {
		t.Errorf("a second create of a running room made another session: %v, then %v", sid(first), sid(again))
	}
}

func TestRoomCreateRefused(t *testing.T) {
	s := newScript(t, meettest.Options{})
	s.signed("room/create", `{"room_id":"r1"}`)
	s.signed("room/create", `{"room_id":"","metadata":{}}`)
	s.signed("room/create", `{"room_id":"bad id!","metadata":{}}`)
	s.signed("room/create", `{"room_id":"r1","max_participants":-1,"metadata":{}}`)
	s.signed("room/create", `{"room_id":"r1","empty_timeout":-1,"metadata":{}}`)
	s.signed("room/create", `{"room_id":"r1","metadata":{"room_features":{"allow_webcams":"yes"}}}`)
	s.check()
}

// Field names may be lowerCamelCase as well as snake_case.
func TestRoomCreateCamelCase(t *testing.T) {
	s := newScript(t, meettest.Options{})
	s.signed("room/create", `{"roomId":"camel","maxParticipants":3,"metadata":{"roomTitle":"Camel","roomFeatures":{"allowWebcams":false}}}`)
	s.check()
}

func TestBadJSON(t *testing.T) {
	s := newScript(t, meettest.Options{})
	s.signed("room/isRoomActive", `{`)
	s.signed("room/isRoomActive", `[]`)
	s.signed("room/isRoomActive", `{"room_id":"a"} {}`)
	s.signed("room/isRoomActive", `{"room_id":5}`)
	s.signed("room/getActiveRoomsInfo", ``)
	s.check()
}

func TestSignatureRefused(t *testing.T) {
	s := newScript(t, meettest.Options{})
	body := `{"room_id":"r1"}`
	s.do("POST", "/auth/room/isRoomActive", nil, body)
	s.do("POST", "/auth/room/isRoomActive", http.Header{"Api-Key": {meettest.Keys.APIKey}}, body)
	s.do("POST", "/auth/room/isRoomActive", http.Header{"Api-Key": {"other-key"}, "Hash-Signature": {auth.SignBody(meettest.Keys.APISecret, []byte(body))}}, body)
	s.do("POST", "/auth/room/isRoomActive", http.Header{"Api-Key": {meettest.Keys.APIKey}, "Hash-Signature": {auth.SignBody("another secret", []byte(body))}}, body)
	s.do("POST", "/auth/room/isRoomActive", http.Header{"Api-Key": {meettest.Keys.APIKey}, "Hash-Signature": {auth.SignBody(meettest.Keys.APISecret, []byte(body+" "))}}, body)
	// the signature is hex, in either case
	s.do("POST", "/auth/room/isRoomActive", http.Header{"Api-Key": {meettest.Keys.APIKey}, "Hash-Signature": {strings.ToUpper(auth.SignBody(meettest.Keys.APISecret, []byte(body)))}}, body)
	s.check()
}

func TestUnknownRouteAndLargeBody(t *testing.T) {
	s := newScript(t, meettest.Options{})
	s.signed("room/noSuchCall", `{}`)
	s.do("GET", "/auth/room/isRoomActive", nil, nil)
	big := `{"room_id":"r1","pad":"` + strings.Repeat("x", 1<<20) + `"}`
	status, answer := s.srv.Signed(t, "room/isRoomActive", big)
	s.record("POST /auth/room/isRoomActive {a body of 1 MiB and more}", status, http.Header{"Content-Type": {"application/json"}}, answer)
	s.check()
}

func TestGetJoinToken(t *testing.T) {
	s := newScript(t, meettest.Options{})
	s.signed("room/getJoinToken", `{"room_id":"nope","user_info":{"name":"Ann","user_id":"ann"}}`)
	create(s, "r1")
	a := s.signed("room/getJoinToken", `{"room_id":"r1","user_info":{"name":"Ann","user_id":"ann","is_admin":true,"user_metadata":{"profile_pic":"https://example.com/ann.png"}}}`)
	s.signed("room/getJoinToken", `{"room_id":"r1"}`)
	s.signed("room/getJoinToken", `{"room_id":"r1","user_info":{"user_id":"bob"}}`)
	s.signed("room/getJoinToken", `{"room_id":"r1","user_info":{"name":"Bob"}}`)
	s.signed("room/getJoinToken", `{"room_id":"r1","user_info":{"name":"Bob","user_id":"__meetd_x"}}`)
	s.signed("room/getJoinToken", `{"room_id":"r1","user_info":{"name":"Bob","user_id":"bad id"}}`)
	s.check()

	var c auth.JoinClaims
	if err := auth.Parse(meettest.Keys.APISecret, a["token"].(string), &c, time.Now()); err != nil {
		t.Fatalf("the join token does not verify: %v", err)
	}
	if c.UserID != "ann" || c.RoomID != "r1" || !c.IsAdmin || c.Use != "" || c.Issuer != meettest.Keys.APIKey {
		t.Errorf("join token claims %+v", c)
	}
}

func TestGetJoinTokenAutoUserID(t *testing.T) {
	s := newScript(t, meettest.Options{})
	s.signed("room/create", `{"room_id":"auto","metadata":{"room_title":"Auto","room_features":{"auto_gen_user_id":true}}}`)
	a := s.signed("room/getJoinToken", `{"room_id":"auto","user_info":{"name":"Anonymous"}}`)
	s.check()
	var c auth.JoinClaims
	if err := auth.Parse(meettest.Keys.APISecret, a["token"].(string), &c, time.Now()); err != nil || !strings.HasPrefix(c.UserID, "U_") {
		t.Errorf("user id %q, %v", c.UserID, err)
	}
}

func TestBlockedUser(t *testing.T) {
	s := newScript(t, meettest.Options{})
	create(s, "r1")
	joinToken(s, "r1", "bob", false)
	join(s, "r1", "bob")
	s.signed("room/removeParticipant", `{"room_id":"r1","user_id":"bob","block_user":true}`)
	s.signed("room/getJoinToken", `{"room_id":"r1","user_info":{"name":"Bob","user_id":"bob"}}`)
	// blocking someone who is not connected works too
	s.signed("room/removeParticipant", `{"room_id":"r1","user_id":"carol","block_user":true}`)
	s.signed("room/getJoinToken", `{"room_id":"r1","user_info":{"name":"Carol","user_id":"carol"}}`)
	s.check()
	if got := s.srv.Media.Removed(); !slices.Equal(got, []string{"r1/bob"}) {
		t.Errorf("removed %v", got)
	}
}

func TestIsRoomActive(t *testing.T) {
	s := newScript(t, meettest.Options{})
	s.signed("room/isRoomActive", `{"room_id":"r1"}`)
	create(s, "r1")
	s.signed("room/isRoomActive", `{"room_id":"r1"}`)
	s.signed("room/endRoom", `{"room_id":"r1"}`)
	s.signed("room/isRoomActive", `{"room_id":"r1"}`)
	s.signed("room/isRoomActive", `{"room_id":""}`)
	s.check()
}

func TestGetActiveRoomInfo(t *testing.T) {
	s := newScript(t, meettest.Options{})
	s.signed("room/getActiveRoomInfo", `{"room_id":"r1"}`)
	create(s, "r1")
	s.signed("room/getActiveRoomInfo", `{"room_id":"r1"}`)
	joinToken(s, "r1", "ann", true)
	joinToken(s, "r1", "bob", false)
	join(s, "r1", "ann", meet.Track{SID: "TR_cam", Type: "VIDEO", Source: "CAMERA", MimeType: "video/VP8", Width: 640, Height: 480})
	join(s, "r1", "bob")
	join(s, "r1", "__meetd_recorder_1") // the server's own: never listed
	s.signed("room/getActiveRoomInfo", `{"room_id":"r1"}`)
	s.check()
}

func TestGetActiveRoomsInfo(t *testing.T) {
	s := newScript(t, meettest.Options{})
	s.signed("room/getActiveRoomsInfo", `{}`)
	create(s, "r1")
	time.Sleep(2 * time.Millisecond) // rooms created in the same millisecond are listed in sid order, which is random
	create(s, "r2")
	joinToken(s, "r2", "ann", false)
	join(s, "r2", "ann")
	s.signed("room/getActiveRoomsInfo", `{}`)
	s.check()
}

func TestEndRoom(t *testing.T) {
	s := newScript(t, meettest.Options{})
	s.signed("room/endRoom", `{"room_id":"r1"}`)
	create(s, "r1")
	joinToken(s, "r1", "ann", false)
	join(s, "r1", "ann")
	s.signed("room/endRoom", `{"room_id":"r1"}`)
	s.signed("room/endRoom", `{"room_id":"r1"}`)
	s.signed("room/getActiveRoomInfo", `{"room_id":"r1"}`)
	s.check()
	if got := s.srv.Media.Closed(); !slices.Equal(got, []string{"r1"}) {
		t.Errorf("media rooms closed: %v", got)
	}
}

func TestFetchPastRooms(t *testing.T) {
	s := newScript(t, meettest.Options{})
	s.signed("room/fetchPastRooms", `{}`)
	create(s, "r1")
	s.signed("room/endRoom", `{"room_id":"r1"}`)
	s.signed("room/create", `{"room_id":"r2","metadata":{"room_title":"Second","webhook_url":"http://127.0.0.1:9/hook"}}`)
	s.signed("room/fetchPastRooms", `{}`)
	s.signed("room/fetchPastRooms", `{"room_ids":["r1"],"order_by":"asc","limit":1}`)
	s.signed("room/fetchPastRooms", `{"order_by":"sideways"}`)
	s.signed("room/fetchPastRooms", `{"from":-1}`)
	s.signed("room/fetchPastRooms", `{"room_ids":["bad id"]}`)
	s.check()
}
