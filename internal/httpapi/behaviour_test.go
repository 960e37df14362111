package httpapi_test

// Behaviour that plugNmeet integrators rely on, beyond the shape of the answers (doc/api.md).

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meet"
	"meetd/internal/meettest"
)

// answer decodes a JSON answer, failing the test when it is not JSON.
func answer(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, b)
	}
	return m
}

// tokenUser returns the user id a join token was made for.
func tokenUser(t *testing.T, token string) auth.JoinClaims {
	t.Helper()
	var c auth.JoinClaims
	if err := auth.Parse(meettest.Keys.APISecret, token, &c, time.Now()); err != nil {
		t.Fatalf("the join token does not verify: %v", err)
	}
	return c
}

// With auto_gen_user_id, getJoinToken replaces a given user_id too (not only an empty one), as
// plugNmeet does; the given one is kept as ex_user_id, and the user works by the generated ID.
func TestAutoGenUserIDReplacesGivenID(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{})
	signed := func(path, body string) map[string]any {
		t.Helper()
		_, b := srv.Signed(t, path, body)
		return answer(t, b)
	}
	if a := signed("room/create", `{"room_id":"auto","metadata":{"room_title":"Auto","room_features":{"auto_gen_user_id":true}}}`); a["status"] != true {
		t.Fatalf("create: %v", a)
	}
	token := func(body string) string {
		t.Helper()
		a := signed("room/getJoinToken", body)
		tok, _ := a["token"].(string)
		if tok == "" {
			t.Fatalf("getJoinToken %s: %v", body, a)
		}
		return tok
	}
	ann := token(`{"room_id":"auto","user_info":{"name":"Ann","user_id":"ann","is_admin":true}}`)
	again := token(`{"room_id":"auto","user_info":{"name":"Ann","user_id":"ann","is_admin":true}}`)
	mail := token(`{"room_id":"auto","user_info":{"name":"Bob","user_id":"bob@example.com"}}`)
	own := token(`{"room_id":"auto","user_info":{"name":"Cy","user_id":"cy","user_metadata":{"ex_user_id":"lms-42"}}}`)
	annID, againID := tokenUser(t, ann).UserID, tokenUser(t, again).UserID
	if !strings.HasPrefix(annID, "U_") || annID == "ann" || againID == annID || !tokenUser(t, ann).IsAdmin {
		t.Fatalf("generated user ids %q and %q for the given id ann (admin %v)", annID, againID, tokenUser(t, ann).IsAdmin)
	}
	if id := tokenUser(t, mail).UserID; !strings.HasPrefix(id, "U_") {
		t.Errorf("a given user_id that is no meetd identifier: got %q", id)
	}

	// the token joins, and joins again, as the generated user, an admin
	for range 2 {
		res, b := srv.Do(t, bearerRequest(t, srv, "/api/join", ann))
		j := answer(t, b)
		if res.StatusCode != 200 || j["user_id"] != annID || j["is_admin"] != true {
			t.Fatalf("join with the token: %d %v", res.StatusCode, j)
		}
	}
	srv.Media.Join(t, "auto", meet.ParticipantInfo{Identity: annID, Name: "Ann"})
	srv.Media.Join(t, "auto", meet.ParticipantInfo{Identity: tokenUser(t, mail).UserID, Name: "Bob"})
	srv.Media.Join(t, "auto", meet.ParticipantInfo{Identity: tokenUser(t, own).UserID, Name: "Cy"})
	info := signed("room/getActiveRoomInfo", `{"room_id":"auto"}`)
	room, _ := info["room"].(map[string]any)
	parts, _ := room["participants_info"].([]any)
	ex := map[string]string{}
	for _, p := range parts {
		p := p.(map[string]any)
		var md struct {
			IsAdmin  bool   `json:"is_admin"`
			ExUserID string `json:"ex_user_id"`
		}
		if err := json.Unmarshal([]byte(p["metadata"].(string)), &md); err != nil {
			t.Fatalf("participant metadata: %v", err)
		}
		ex[p["identity"].(string)] = md.ExUserID
		if p["identity"] == annID && !md.IsAdmin {
			t.Errorf("ann lost the admin role: %v", p)
		}
	}
	want := map[string]string{annID: "ann", tokenUser(t, mail).UserID: "bob@example.com", tokenUser(t, own).UserID: "lms-42"}
	for id, w := range want {
		if ex[id] != w {
			t.Errorf("ex_user_id of %s is %q, want %q (all: %v)", id, ex[id], w, ex)
		}
	}

	// an admin can moderate the generated users by their ids
	if a := signed("room/removeParticipant", `{"room_id":"auto","user_id":"`+tokenUser(t, mail).UserID+`"}`); a["status"] != true {
		t.Errorf("remove a generated user: %v", a)
	}

	// without auto_gen_user_id, the given id stays, and must be an identifier
	create := signed("room/create", `{"room_id":"plain","metadata":{"room_title":"Plain"}}`)
	if create["status"] != true {
		t.Fatalf("create: %v", create)
	}
	if id := tokenUser(t, token(`{"room_id":"plain","user_info":{"name":"Ann","user_id":"ann"}}`)).UserID; id != "ann" {
		t.Errorf("user id %q in a room without auto_gen_user_id", id)
	}
	if a := signed("room/getJoinToken", `{"room_id":"plain","user_info":{"name":"Bob","user_id":"bob@example.com"}}`); a["status_code"] != "INVALID_PARAMETERS" {
		t.Errorf("a user_id that is no identifier: %v", a)
	}
}

// bearerRequest is a POST of an empty JSON body with a join or page token.
func bearerRequest(t *testing.T, srv *meettest.Server, path, token string) *http.Request {
	t.Helper()
	req, err := http.NewRequest("POST", srv.URL+path, strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = bearerHeader(token)
	return req
}

// broadcastToRoom with only_to_admins reaches the connected admins only, and answers
// USER_NOT_FOUND when none is connected (an admin with a token who is not in the room does not
// count), as plugNmeet does.
func TestBroadcastOnlyToAdmins(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{})
	signed := func(path, body string) map[string]any {
		t.Helper()
		_, b := srv.Signed(t, path, body)
		return answer(t, b)
	}
	signed("room/create", `{"room_id":"r1","metadata":{"room_title":"R1"}}`)
	for _, u := range []string{`"user_id":"ann","is_admin":true`, `"user_id":"bob"`, `"user_id":"cy","is_admin":true`} {
		if a := signed("room/getJoinToken", `{"room_id":"r1","user_info":{"name":"N",`+u+`}}`); a["status"] != true {
			t.Fatalf("getJoinToken: %v", a)
		}
	}
	const note = `{"room_id":"r1","only_to_admins":true,"notification_msg":{"text":"Admins only"}}`
	if a := signed("room/broadcastToRoom", note); a["status"] != false || a["status_code"] != "USER_NOT_FOUND" {
		t.Errorf("nobody connected: %v", a)
	}
	srv.Media.Join(t, "r1", meet.ParticipantInfo{Identity: "bob", Name: "Bob"})
	if a := signed("room/broadcastToRoom", note); a["status"] != false || a["status_code"] != "USER_NOT_FOUND" {
		t.Errorf("only a non-admin connected (the admins have tokens): %v", a)
	}
	if n := len(srv.Media.Sent()); n != 0 {
		t.Errorf("%d messages sent with no admin connected", n)
	}
	srv.Media.Join(t, "r1", meet.ParticipantInfo{Identity: "ann", Name: "Ann"})
	if a := signed("room/broadcastToRoom", note); a["status"] != true {
		t.Errorf("an admin connected: %v", a)
	}
	sent := srv.Media.Sent()
	if len(sent) != 1 || strings.Join(sent[0].Identities, ",") != "ann" {
		t.Errorf("sent %+v, want one message to ann only", sent)
	}
}

// GET /healthCheck, plugNmeet's probe path, answers as /healthz: ready, then draining.
func TestHealthCheckAlias(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{})
	probe := func(path string) string {
		t.Helper()
		req, err := http.NewRequest("GET", srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		res, b := srv.Do(t, req)
		return fmt.Sprintf("%d %s %q", res.StatusCode, res.Header.Get("Content-Type"), b)
	}
	for _, draining := range []bool{false, true} {
		if draining {
			srv.Drain()
		}
		want := probe("/healthz")
		if got := probe("/healthCheck"); got != want {
			t.Errorf("draining %v: /healthCheck answered %s, /healthz %s", draining, got, want)
		}
		if !strings.HasPrefix(want, map[bool]string{false: "200 ", true: "503 "}[draining]) {
			t.Errorf("draining %v: /healthz answered %s", draining, want)
		}
	}
}
