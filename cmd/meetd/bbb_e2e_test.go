package main

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"meetd/internal/bbb"
)

// The BigBlueButton API with real media (doc/bbb.md): Moodle's create and join, the join's
// redirect taken by a real WebRTC participant (server-sdk-go), getMeetingInfo shows them with
// Moodle's own userID, end closes the room.
func TestBBBJoinRedirectE2E(t *testing.T) {
	m := startMeetd(t, testEnv(t, nil))
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	call := func(name string, kv ...string) (*http.Response, map[string]string) {
		t.Helper()
		var parts []string
		for i := 0; i+1 < len(kv); i += 2 {
			parts = append(parts, url.QueryEscape(kv[i])+"="+url.QueryEscape(kv[i+1]))
		}
		q := strings.Join(parts, "&")
		res, err := noFollow.Get(m.base + "/bigbluebutton/api/" + name + "?" + q + "&checksum=" + bbb.Checksum("sha256", name, q, testSecret))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		out := map[string]string{}
		d := xml.NewDecoder(strings.NewReader(string(b)))
		var path []string
		for {
			tok, err := d.Token()
			if err != nil {
				break
			}
			switch e := tok.(type) {
			case xml.StartElement:
				path = append(path, e.Name.Local)
			case xml.EndElement:
				path = path[:len(path)-1]
			case xml.CharData:
				if k := strings.Join(path, "/"); out[k] == "" {
					out[k] = string(e)
				}
			}
		}
		return res, out
	}
	const meetingID = "0c1a4f5e6d7b8a9c0d1e2f3a4b5c6d7e8f9a0b1c-3-9[0]"
	_, c := call("create", "meetingID", meetingID, "name", "E2E seminar", "attendeePW", "ap", "moderatorPW", "mp", "record", "false")
	if c["response/returncode"] != "SUCCESS" {
		t.Fatalf("create: %v", c)
	}
	res, _ := call("join", "meetingID", meetingID, "fullName", "Grace Hopper", "password", "mp", "role", "MODERATOR",
		"userID", "42", "guest", "false", "createTime", c["response/createTime"])
	loc, err := url.Parse(res.Header.Get("Location"))
	if res.StatusCode != http.StatusFound || err != nil || loc.Scheme+"://"+loc.Host != m.base || loc.Path != "/" || loc.Query().Get("access_token") == "" {
		t.Fatalf("join: HTTP %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	m.botWithToken(loc.Query().Get("access_token")) // as the meeting page does with the token
	eventually(t, 20*time.Second, "getMeetingInfo shows the bot with Moodle's userID", func() bool {
		_, info := call("getMeetingInfo", "meetingID", meetingID)
		return info["response/running"] == "true" && info["response/participantCount"] == "1" &&
			info["response/attendees/attendee/userID"] == "42" && info["response/attendees/attendee/role"] == "MODERATOR"
	})
	if _, r := call("isMeetingRunning", "meetingID", meetingID); r["response/running"] != "true" {
		t.Errorf("isMeetingRunning: %v", r)
	}
	if _, e := call("end", "meetingID", meetingID, "password", "mp"); e["response/messageKey"] != "sentEndMeetingRequest" {
		t.Fatalf("end: %v", e)
	}
	eventually(t, 20*time.Second, "the room is gone", func() bool {
		_, info := call("getMeetingInfo", "meetingID", meetingID)
		return info["response/messageKey"] == "notFound"
	})
}
