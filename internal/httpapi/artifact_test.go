package httpapi_test

// The artifact calls as an SDK-2 client sees them (doc/api.md, "Artifacts"): a session ends →
// session_ended and artifact_created reach the webhook receiver; artifact/fetch finds the
// MEETING_ANALYTICS artifact by room_sid and type; info; the download, parsed strictly as
// plugNmeet's AnalyticsResult; delete; bad input. The messages are sdk2client's, plugNmeet's
// field for field.

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"meetd/internal/httpapi"
	"meetd/internal/meet"
	"meetd/internal/meettest"
	"meetd/internal/rooms"
	"meetd/internal/sdk2client"
)

// signedJSON posts a signed call and returns its body (HTTP 200 expected).
func signedJSON(t *testing.T, srv *meettest.Server, path string, body any) []byte {
	t.Helper()
	code, b := srv.Signed(t, path, body)
	if code != http.StatusOK {
		t.Fatalf("%s: HTTP %d %s", path, code, b)
	}
	return b
}

func TestArtifactsSDK2(t *testing.T) {
	rc := meettest.NewReceiver(t, meettest.Keys, meettest.ReceiverOptions{})
	srv := meettest.Start(t, meettest.Options{Webhooks: []string{rc.URL}})

	created := map[string]any{}
	_ = json.Unmarshal(signedJSON(t, srv, "room/create", `{"roomId":"course-7","metadata":{"roomTitle":"Course 7"}}`), &created)
	sid, _ := created["room_info"].(map[string]any)["sid"].(string)
	if sid == "" {
		t.Fatalf("no sid: %v", created)
	}
	for _, u := range []string{`{"roomId":"course-7","userInfo":{"name":"Ann","userId":"ann","isAdmin":true,"userMetadata":{"exUserId":"moodle-12"}}}`,
		`{"roomId":"course-7","userInfo":{"name":"Bob","userId":"bob"}}`} {
		signedJSON(t, srv, "room/getJoinToken", u)
	}

	// Ann speaks from her join until she stops; Bob switches his microphone off and on once.
	ann := srv.Media.Join(t, "course-7", meet.ParticipantInfo{Identity: "ann", Name: "Ann"})
	srv.Media.Join(t, "course-7", meet.ParticipantInfo{Identity: "bob", Name: "Bob"})
	srv.Media.Speaking(t, "course-7", "ann", true, time.UnixMilli(ann.JoinedAtMs))
	mic := srv.Media.Publish(t, "course-7", "bob", meet.Track{Type: "AUDIO", Source: "MICROPHONE"})
	time.Sleep(5 * time.Millisecond) // the times below differ from each other by some milliseconds
	mutedAt := time.Now()
	srv.Media.Activity(t, "course-7", rooms.Activity{Kind: rooms.ActivityMuted, Item: mic.SID, UserID: "bob", On: true, At: mutedAt})
	time.Sleep(5 * time.Millisecond)
	unmutedAt := time.Now()
	srv.Media.Activity(t, "course-7", rooms.Activity{Kind: rooms.ActivityMuted, Item: mic.SID, UserID: "bob", On: false, At: unmutedAt})
	silentAt := time.Now()
	srv.Media.Speaking(t, "course-7", "ann", false, silentAt)
	time.Sleep(5 * time.Millisecond)
	srv.Media.Leave(t, "course-7", "ann")
	srv.Media.Leave(t, "course-7", "bob")
	signedJSON(t, srv, "room/endRoom", `{"roomId":"course-7"}`)

	// The webhooks: session_ended right after room_finished; artifact_created with the artifact.
	var names []string
	var artifactEvent meettest.Delivery
	rc.WaitFor(1, time.Second)
	meettest.Eventually(t, 5*time.Second, "artifact_created delivered", func() bool {
		names = names[:0]
		for _, d := range rc.Delivered() {
			names = append(names, d.Event.Event)
			if d.Event.Event == meet.EventArtifactCreated {
				artifactEvent = d
			}
		}
		return artifactEvent.Body != nil
	})
	finished := slices.Index(names, meet.EventRoomFinished)
	if finished < 0 || finished+1 >= len(names) || names[finished+1] != meet.EventSessionEnded ||
		slices.Index(names, meet.EventArtifactCreated) < finished {
		t.Fatalf("events %v: want session_ended right after room_finished, artifact_created after them", names)
	}
	if artifactEvent.Verify != nil {
		t.Errorf("artifact_created signature: %v", artifactEvent.Verify)
	}
	var body struct {
		RoomArtifact json.RawMessage `json:"room_artifact"`
	}
	_ = json.Unmarshal(artifactEvent.Body, &body)
	var art sdk2client.RoomArtifactWebhookEvent
	httpapi.StrictParse(t, body.RoomArtifact, &art)
	if art.Type != "MEETING_ANALYTICS" || art.ArtifactID == "" || art.Metadata == nil || art.Metadata.FileInfo == nil ||
		art.Metadata.FileInfo.MimeType != "application/json" || art.Metadata.FileInfo.FileSize <= 0 {
		t.Fatalf("room_artifact %s", body.RoomArtifact)
	}
	if r := artifactEvent.Event.Room; r == nil || r.SID != sid || r.RoomID != "course-7" {
		t.Errorf("artifact_created room %+v", r)
	}

	// artifact/fetch by room_sid and type, as SDK 2 sends it (uint64 as strings)
	var list sdk2client.FetchArtifactsRes
	httpapi.StrictParse(t, signedJSON(t, srv, "artifact/fetch", map[string]any{"roomSid": sid, "type": "MEETING_ANALYTICS", "from": "0", "limit": "10"}), &list)
	if !list.Status || list.StatusCode != "SUCCESS" || list.Result == nil || list.Result.TotalArtifacts != 1 ||
		len(list.Result.ArtifactsList) != 1 || list.Result.Type == nil || *list.Result.Type != "MEETING_ANALYTICS" || list.Result.Limit != 10 {
		t.Fatalf("fetch %+v", list)
	}
	item := list.Result.ArtifactsList[0]
	if item.ArtifactID != art.ArtifactID || item.RoomID != "course-7" || item.Type != "MEETING_ANALYTICS" || item.Created == "" ||
		item.Metadata == nil || item.Metadata.FileInfo == nil || item.Metadata.FileInfo.FileSize != art.Metadata.FileInfo.FileSize {
		t.Errorf("artifact %+v", item)
	}
	// the type by number; another session's sid finds nothing
	httpapi.StrictParse(t, signedJSON(t, srv, "artifact/fetch", map[string]any{"roomIds": []string{"course-7"}, "type": 1}), &list)
	if list.Result.TotalArtifacts != 1 {
		t.Errorf("fetch by room and type 1: %+v", list.Result)
	}
	httpapi.StrictParse(t, signedJSON(t, srv, "artifact/fetch", map[string]any{"roomSid": "RM_other", "type": "MEETING_ANALYTICS"}), &list)
	if list.Status || list.StatusCode != "NOT_FOUND" || list.Result == nil || len(list.Result.ArtifactsList) != 0 {
		t.Errorf("fetch of another session: %+v", list)
	}

	// artifact/info: the artifact and its session as PastRoomInfo
	var info sdk2client.ArtifactInfoRes
	httpapi.StrictParse(t, signedJSON(t, srv, "artifact/info", map[string]any{"artifactId": art.ArtifactID}), &info)
	if !info.Status || info.ArtifactInfo == nil || info.ArtifactInfo.ArtifactID != art.ArtifactID || info.RoomInfo == nil ||
		info.RoomInfo.RoomSID != sid || info.RoomInfo.RoomTitle != "Course 7" || info.RoomInfo.JoinedParticipants != 2 ||
		info.RoomInfo.Ended == "" || info.RoomInfo.AnalyticsFileID == nil {
		t.Fatalf("info %+v %+v", info.ArtifactInfo, info.RoomInfo)
	}

	// the download, parsed as AnalyticsResult
	var token sdk2client.GetDownloadTokenRes
	httpapi.StrictParse(t, signedJSON(t, srv, "artifact/getDownloadToken", map[string]any{"artifactId": art.ArtifactID}), &token)
	if token.Token == nil || *token.Token == "" {
		t.Fatalf("no token: %+v", token)
	}
	req, _ := http.NewRequest("GET", srv.URL+"/download/artifact/"+*token.Token, nil)
	res, file := srv.Do(t, req)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("download: HTTP %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), file)
	}
	var result sdk2client.AnalyticsResult
	httpapi.StrictParse(t, file, &result)
	checkResult(t, result, ann, silentAt, mutedAt, unmutedAt)

	// delete: gone from info, fetch and the download; the attendance report stays
	if b := signedJSON(t, srv, "artifact/delete", map[string]any{"artifactId": art.ArtifactID}); !json.Valid(b) || decodedStatus(b) != "SUCCESS" {
		t.Fatalf("delete: %s", b)
	}
	httpapi.StrictParse(t, signedJSON(t, srv, "artifact/info", map[string]any{"artifactId": art.ArtifactID}), &info)
	if info.Status || info.StatusCode != "NOT_FOUND" {
		t.Errorf("info after delete: %+v", info.Status)
	}
	if res, _ := srv.Do(t, req); res.StatusCode != http.StatusNotFound {
		t.Errorf("download after delete: HTTP %d", res.StatusCode)
	}
	if decodedStatus(signedJSON(t, srv, "analytics/fetch", `{"room_ids":["course-7"]}`)) != "SUCCESS" {
		t.Error("the attendance report went with the artifact")
	}
}

func decodedStatus(b []byte) string {
	var env struct {
		StatusCode string `json:"status_code"`
	}
	_ = json.Unmarshal(b, &env)
	return env.StatusCode
}

// checkResult checks the AnalyticsResult of the session of TestArtifactsSDK2.
func checkResult(t *testing.T, r sdk2client.AnalyticsResult, ann meet.ParticipantInfo, silentAt, mutedAt, unmutedAt time.Time) {
	t.Helper()
	if r.Room == nil || r.Room.RoomID != "course-7" || r.Room.RoomTitle != "Course 7" || r.Room.RoomTotalUsers != 2 ||
		r.Room.RoomEnded < r.Room.RoomCreation || r.Room.RoomDuration != r.Room.RoomEnded-r.Room.RoomCreation {
		t.Fatalf("room %+v", r.Room)
	}
	if len(r.Users) != 2 || r.Users[0].UserID != "ann" || r.Users[1].UserID != "bob" {
		t.Fatalf("users %+v", r.Users)
	}
	events := func(i int) map[string]sdk2client.AnalyticsEventData {
		m := map[string]sdk2client.AnalyticsEventData{}
		for _, e := range r.Users[i].Events {
			m[e.Name] = e
		}
		return m
	}
	a, b := events(0), events(1)
	if u := r.Users[0]; u.Name != "Ann" || !u.IsAdmin || u.ExUserID == nil || *u.ExUserID != "moodle-12" {
		t.Errorf("ann %+v", u)
	}
	if u := r.Users[1]; u.Name != "Bob" || u.IsAdmin || u.ExUserID != nil {
		t.Errorf("bob %+v", u)
	}
	start, end := int64(r.Room.RoomCreation)*1000, int64(r.Room.RoomEnded)*1000
	for i, m := range []map[string]sdk2client.AnalyticsEventData{a, b} {
		joined, left := m["joined"], m["left"]
		if joined.Total != 1 || len(joined.Values) != 1 || left.Total != 1 || len(left.Values) != 1 {
			t.Fatalf("user %d: joined %+v left %+v", i, joined, left)
		}
		in, out := int64(joined.Values[0].Time), int64(left.Values[0].Time)
		if joined.Values[0].Value != strconv.FormatInt(in, 10) || left.Values[0].Value != strconv.FormatInt(out, 10) ||
			in < start || out <= in || out > end {
			t.Errorf("user %d: joined %+v left %+v (room %d..%d)", i, joined, left, start, end)
		}
	}
	if in := int64(a["joined"].Values[0].Time); in != ann.JoinedAtMs {
		t.Errorf("ann joined at %d, want %d", in, ann.JoinedAtMs)
	}
	// talk: from her join until silentAt, in milliseconds
	if got, want := int64(a["talked_duration"].Total), silentAt.UnixMilli()-ann.JoinedAtMs; got != want || want <= 0 {
		t.Errorf("ann's talked_duration %d ms, want %d", got, want)
	}
	if a["talked"].Total != 1 || b["talked"].Total != 0 || b["talked_duration"].Total != 0 {
		t.Errorf("talked: ann %+v, bob %+v %+v", a["talked"], b["talked"], b["talked_duration"])
	}
	// Bob's microphone: on from publishing to the mute, again from the unmute until he left
	var got []string
	var at []int64
	for _, v := range b["mic_status"].Values {
		got = append(got, v.Value)
		at = append(at, int64(v.Time))
	}
	want := []string{"ANALYTICS_STATUS_STARTED", "ANALYTICS_STATUS_ENDED", "ANALYTICS_STATUS_MUTED",
		"ANALYTICS_STATUS_UNMUTED", "ANALYTICS_STATUS_STARTED", "ANALYTICS_STATUS_ENDED"}
	if !slices.Equal(got, want) || at[1] != mutedAt.UnixMilli() || at[3] != unmutedAt.UnixMilli() ||
		at[5] != int64(b["left"].Values[0].Time) || int(b["mic_status"].Total) != len(want) {
		t.Errorf("bob's mic_status %+v", b["mic_status"])
	}
	if len(a["mic_status"].Values) != 0 || len(b["webcam_status"].Values) != 0 || len(b["screen_share_status"].Values) != 0 {
		t.Errorf("media that nobody published: %+v %+v %+v", a["mic_status"], b["webcam_status"], b["screen_share_status"])
	}
}

// The artifact calls in both dialects, and what they refuse (golden file).
func TestArtifacts(t *testing.T) {
	s := newScript(t, meettest.Options{})
	s.signed("artifact/fetch", `{"room_ids":[]}`)
	create(s, "r1")
	joinToken(s, "r1", "ann", true)
	join(s, "r1", "ann")
	s.srv.Media.Leave(t, "r1", "ann")
	s.signed("room/endRoom", `{"room_id":"r1"}`) // writes the report and the artifact
	list := s.signed("artifact/fetch", `{"room_ids":["r1"],"type":"MEETING_ANALYTICS"}`)
	s.signed("artifact/fetch", `{"roomIds":["r1"],"type":1,"from":"0","limit":"5","orderBy":"ASC"}`)
	s.signed("artifact/fetch", `{"roomIds":["r1"],"type":"MEETING_SUMMARY"}`)
	s.signed("artifact/fetch", `{"roomIds":["r1"],"type":"BOGUS"}`)
	s.signed("artifact/fetch", `{"room_ids":["r1"],"type":42}`)
	s.signed("artifact/fetch", `{"room_ids":["r1"],"from":"-1"}`)
	s.signed("artifact/fetch", `{"room_ids":["r1"],"limit":"ten"}`)
	s.signed("artifact/fetch", `{"room_ids":["r1"],"limit":1.5}`)
	s.signed("artifact/fetch", `{"room_sid":"../x"}`)
	s.signed("artifact/fetch", `{"room_ids":["r1"],"order_by":"up"}`)

	items, _ := list["result"].(map[string]any)["artifacts_list"].([]any)
	if len(items) != 1 {
		t.Fatalf("artifacts %v", list)
	}
	id := items[0].(map[string]any)["artifact_id"].(string)
	s.signed("artifact/info", map[string]any{"artifact_id": id})
	s.signed("artifact/info", map[string]any{"artifactId": id})
	s.signed("artifact/info", `{"artifact_id":""}`)
	s.signed("artifact/info", `{"artifact_id":"AR_nope"}`)
	s.signed("artifact/getDownloadToken", `{"artifact_id":"../etc"}`)
	s.signed("artifact/delete", `{"artifact_id":"AR_nope"}`)
	token := s.signed("artifact/getDownloadToken", map[string]any{"artifact_id": id})["token"].(string)
	req, _ := http.NewRequest("GET", s.srv.URL+"/download/artifact/"+token, nil)
	if res, body := s.srv.Do(t, req); res.StatusCode != http.StatusOK || !json.Valid(body) ||
		!strings.HasPrefix(res.Header.Get("Content-Disposition"), `attachment; filename="r1-`) {
		t.Errorf("download: HTTP %d %v", res.StatusCode, res.Header)
	}
	s.do("GET", "/download/artifact/not-a-token", nil, nil)
	s.signed("artifact/delete", map[string]any{"artifact_id": id})
	s.signed("artifact/delete", map[string]any{"artifact_id": id})
	s.do("GET", "/download/artifact/"+token, nil, nil)
	s.signed("artifact/fetch", `{"room_ids":["r1"]}`)
	s.check()
}
