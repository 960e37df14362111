package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"meetd/internal/sdk2client"
)

// Moodle's real call sequence (mod_plugnmeet ≥ 2.0 on PHP SDK 2.x), end to end through a client
// that encodes and parses exactly as the SDK-2 generation does (internal/sdk2client): create with
// Moodle's full form, join tokens for a teacher and a guest, two bots in the meeting, the room
// reports, two recordings merged into a third and downloaded, the end, the session_ended and
// artifact_created webhooks, and the MEETING_ANALYTICS artifact parsed as AnalyticsResult.
func TestSDK2MoodleFlow(t *testing.T) {
	needFFmpeg(t)
	ivf, ogg := testMedia(t, "pattern", 440, 320, 240, 40)
	env := testEnv(t, nil)
	h := newHooks(t, env, nil)
	m := startMeetd(t, env)
	ctx := context.Background()
	c := &sdk2client.Client{URL: m.base, Key: env["MEETD_API_KEY"], Secret: env["MEETD_API_SECRET"], HTTP: m.httpClient()}
	call := func(path, body string, res any) {
		t.Helper()
		if err := c.Call(ctx, path, body, res); err != nil {
			t.Fatal(err)
		}
	}
	const room = "moodle-7-12"

	var active sdk2client.IsRoomActiveRes
	call("room/isRoomActive", `{"roomId":"`+room+`"}`, &active)
	if active.IsActive {
		t.Fatalf("isRoomActive before create: %+v", active)
	}

	// Moodle's create form as PHP SDK 2's serializeToJsonString writes it: lowerCamelCase, 64-bit
	// integers as strings, false and empty values left out, extraData a map.
	var created sdk2client.CreateRoomRes
	call("room/create", `{"roomId":"`+room+`","metadata":{"roomTitle":"Biology 101","welcomeMessage":"Welcome to Biology",`+
		`"webhookUrl":"`+h.URL+`","logoutUrl":"https://moodle.example/mod/plugnmeet/view.php?id=12&returned=true",`+
		`"roomFeatures":{"allowWebcams":true,"allowScreenShare":true,"allowViewOtherWebcams":true,"allowViewOtherUsersList":true,`+
		`"roomDuration":"0","enableAnalytics":true,"allowVirtualBg":true,"allowRaiseHand":true,"autoGenUserId":false,"allowReactions":true,`+
		`"recordingFeatures":{"isAllow":true,"isAllowCloud":true,"isAllowLocal":true},`+
		`"chatFeatures":{"isAllow":true,"isAllowFileUpload":true,"allowedFileTypes":["jpg","png","pdf"],"maxFileSize":"50"},`+
		`"sharedNotePadFeatures":{"isAllow":true},"whiteboardFeatures":{"isAllow":true},"externalMediaPlayerFeatures":{"isAllow":true},`+
		`"waitingRoomFeatures":{},"breakoutRoomFeatures":{"isAllow":true,"allowedNumberRooms":6},"displayExternalLinkFeatures":{"isAllow":true},`+
		`"ingressFeatures":{"isAllow":true},"endToEndEncryptionFeatures":{},"pollsFeatures":{"isAllow":true},`+
		`"externalBroadcastingFeatures":{"isAllow":true,"isAllowRtmp":true},"insightsFeatures":{},"sipDialInFeatures":{}},`+
		`"defaultLockSettings":{"lockMicrophone":false,"lockWebcam":false,"lockScreenSharing":true,"lockWhiteboard":true,`+
		`"lockSharedNotepad":true,"lockChat":false,"lockChatSendMessage":false,"lockChatFileShare":false,"lockPrivateChat":false},`+
		`"copyrightConf":{"display":true,"text":"Moodle"},`+
		`"extraData":{"platform":"moodle","php-version":"8.3.6","plugin-version":"3.0.10","activity":"{\"id\":12,\"course\":7}"}}}`, &created)
	if !created.Status || created.RoomInfo == nil || created.RoomInfo.IsRunning != 1 || created.RoomInfo.SID == "" {
		t.Fatalf("create: %+v", created)
	}
	sid := created.RoomInfo.SID
	var roomMeta struct {
		ExtraData map[string]string `json:"extra_data"`
	}
	if err := json.Unmarshal([]byte(created.RoomInfo.Metadata), &roomMeta); err != nil || roomMeta.ExtraData["activity"] != `{"id":12,"course":7}` {
		t.Fatalf("room metadata's extra_data (Moodle reads activity from it): %v %s", err, created.RoomInfo.Metadata)
	}

	token := func(userID, name string, admin bool) string {
		t.Helper()
		adminKey := ""
		if admin {
			adminKey = `"isAdmin":true,`
		}
		var res sdk2client.GenerateTokenRes
		call("room/getJoinToken", `{"roomId":"`+room+`","userInfo":{"name":"`+name+`","userId":"`+userID+`",`+adminKey+
			`"userMetadata":{"preferredLang":"en","extraData":{"moodle_user":"`+userID+`"},"exUserId":"`+userID+`"}}}`, &res)
		if !res.Status || res.Token == nil || *res.Token == "" {
			t.Fatalf("getJoinToken %s: %+v", userID, res)
		}
		return *res.Token
	}
	teacher := m.botWithToken(token("2", "Teacher", true))
	for _, f := range []string{ivf, ogg} {
		if _, err := teacher.PublishFile(f); err != nil {
			t.Fatal(err)
		}
	}
	guest := m.botWithToken(token("guest_5f2a", "Guest", false))
	if _, err := guest.PublishAudio(); err != nil {
		t.Fatal(err)
	}

	var info sdk2client.GetActiveRoomInfoRes
	eventually(t, 15*time.Second, "two participants and their tracks", func() bool {
		call("room/getActiveRoomInfo", `{"roomId":"`+room+`"}`, &info)
		n := 0
		for _, p := range info.Room.ParticipantsInfo {
			n += len(p.Tracks)
		}
		return info.Status && len(info.Room.ParticipantsInfo) == 2 && n == 3
	})
	if info.Room.RoomInfo.IsRunning != 1 || info.Room.RoomInfo.SID != sid || info.Room.RoomInfo.JoinedParticipants != 2 {
		t.Fatalf("getActiveRoomInfo: %+v", info.Room.RoomInfo)
	}
	for _, p := range info.Room.ParticipantsInfo {
		var meta struct {
			IsAdmin     bool `json:"is_admin"`
			IsPresenter bool `json:"is_presenter"`
		}
		if err := json.Unmarshal([]byte(p.Metadata), &meta); err != nil || meta.IsAdmin != (p.Identity == "2") {
			t.Errorf("participant %s metadata (Moodle reads is_admin, is_presenter): %v %s", p.Identity, err, p.Metadata)
		}
	}
	var rooms sdk2client.GetActiveRoomsInfoRes
	call("room/getActiveRoomsInfo", `{}`, &rooms)
	if !rooms.Status || len(rooms.Rooms) != 1 || rooms.Rooms[0].RoomInfo.IsRunning != 1 {
		t.Fatalf("getActiveRoomsInfo: %+v", rooms)
	}

	// Two recordings (meetd's recording/start: plugNmeet starts them from the moderator's browser).
	record := func(n int) {
		t.Helper()
		var res sdk2client.Envelope
		call("recording/start", `{"roomId":"`+room+`"}`, &res)
		if !res.Status {
			t.Fatalf("recording/start: %+v", res)
		}
		time.Sleep(4 * time.Second)
		call("recording/stop", `{"roomId":"`+room+`"}`, &res)
		if !res.Status {
			t.Fatalf("recording/stop: %+v", res)
		}
		m.waitRecording(room, n)
	}
	record(1)
	record(2)
	var list sdk2client.FetchRecordingsRes
	call("recording/fetch", `{"roomIds":["`+room+`"],"roomSid":"`+sid+`","limit":10}`, &list)
	if list.Result == nil || len(list.Result.RecordingsList) != 2 {
		t.Fatalf("recording/fetch: %+v", list)
	}
	first, second := list.Result.RecordingsList[1], list.Result.RecordingsList[0]
	var merge sdk2client.Envelope
	call("recording/mergeRecordings", `{"byIds":{"roomId":"`+room+`","recordingIds":["`+first.RecordID+`","`+second.RecordID+`"]}}`, &merge)
	if !merge.Status {
		t.Fatalf("mergeRecordings: %+v", merge)
	}
	merged := m.waitRecording(room, 3)
	var recInfo sdk2client.RecordingInfoRes
	call("recording/info", `{"recordId":"`+merged.RecordID+`"}`, &recInfo)
	if recInfo.RecordingInfo == nil || recInfo.RoomInfo == nil || recInfo.RoomInfo.RoomSID != sid {
		t.Fatalf("recording/info of the merged recording: %+v", recInfo)
	}
	var dl sdk2client.GetDownloadTokenRes
	call("recording/getDownloadToken", `{"recordId":"`+merged.RecordID+`"}`, &dl)
	if dl.Token == nil {
		t.Fatalf("recording/getDownloadToken: %+v", dl)
	}
	code, body, _ := get(t, m.base+"/download/recording/"+*dl.Token, nil)
	if code != 200 {
		t.Fatalf("download of the merged recording: %d", code)
	}
	path := filepath.Join(t.TempDir(), "merged.mp4")
	if err := os.WriteFile(path, body, 0o600); err != nil {
		t.Fatal(err)
	}
	_, d := ffprobe(t, path)
	_, d1 := ffprobe(t, m.downloadMP4(first.RecordID))
	_, d2 := ffprobe(t, m.downloadMP4(second.RecordID))
	if math.Abs(d-(d1+d2)) > 1.5 {
		t.Errorf("merged recording lasts %.1f s, its parts %.1f s + %.1f s", d, d1, d2)
	}

	teacher.Leave()
	guest.Leave()
	var end sdk2client.Envelope
	call("room/endRoom", `{"roomId":"`+room+`"}`, &end)
	if !end.Status {
		t.Fatalf("endRoom: %+v", end)
	}

	// The webhooks Moodle waits for, parsed as PHP SDK 2 parses CommonNotifyEvent.
	var artifactID string
	eventually(t, 30*time.Second, "session_ended and artifact_created", func() bool {
		sessionEnded := false
		for _, r := range h.delivered() {
			var e sdk2client.NotifyEvent
			if err := sdk2client.Lenient(r.Body, &e); err != nil {
				t.Fatalf("webhook %s: %v", r.Body, err)
			}
			switch *e.Event {
			case "session_ended":
				sessionEnded = e.Room != nil && *e.Room.SID == sid
			case "artifact_created":
				if e.RoomArtifact != nil && e.RoomArtifact.Type == "MEETING_ANALYTICS" {
					artifactID = e.RoomArtifact.ArtifactID
				}
			}
		}
		return sessionEnded && artifactID != ""
	})

	var artifacts sdk2client.FetchArtifactsRes
	call("artifact/fetch", `{"roomIds":["`+room+`"],"roomSid":"`+sid+`","type":"MEETING_ANALYTICS","limit":"10"}`, &artifacts)
	if artifacts.Result == nil || len(artifacts.Result.ArtifactsList) != 1 || artifacts.Result.ArtifactsList[0].ArtifactID != artifactID {
		t.Fatalf("artifact/fetch: %+v", artifacts)
	}
	var ainfo sdk2client.ArtifactInfoRes
	call("artifact/info", `{"artifactId":"`+artifactID+`"}`, &ainfo)
	if ainfo.RoomInfo == nil || ainfo.RoomInfo.RoomSID != sid || ainfo.RoomInfo.Ended == "" {
		t.Fatalf("artifact/info: %+v", ainfo)
	}
	dl = sdk2client.GetDownloadTokenRes{}
	call("artifact/getDownloadToken", `{"artifactId":"`+artifactID+`"}`, &dl)
	if dl.Token == nil {
		t.Fatalf("artifact/getDownloadToken: %+v", dl)
	}
	code, body, _ = get(t, m.base+"/download/artifact/"+*dl.Token, nil)
	if code != 200 {
		t.Fatalf("artifact download: %d %s", code, body)
	}
	var result sdk2client.AnalyticsResult
	if err := sdk2client.Strict(body, &result); err != nil {
		t.Fatalf("the analytics file is not an AnalyticsResult: %v\n%s", err, body)
	}
	if result.Room == nil || result.Room.RoomID != room || result.Room.RoomTotalUsers != 2 || len(result.Users) != 2 {
		t.Fatalf("AnalyticsResult: %s", body)
	}
	for _, u := range result.Users {
		events := map[string]sdk2client.AnalyticsEventData{}
		for _, e := range u.Events {
			events[e.Name] = e
		}
		// the short names AnalyticsFormatter reads (doc/api.md, "Artifacts")
		for _, name := range []string{"joined", "left"} {
			if len(events[name].Values) == 0 {
				t.Errorf("user %s has no %s: %s", u.UserID, name, body)
			}
		}
		if u.UserID == "2" && events["talked_duration"].Total == 0 {
			t.Errorf("the teacher, who spoke, has no talk time: %s", body)
		}
	}
}
