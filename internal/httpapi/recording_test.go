package httpapi_test

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"meetd/internal/httpapi"
	"meetd/internal/meet"
	"meetd/internal/meettest"
	"meetd/internal/recorder"
	"meetd/internal/sdk2client"
)

// call posts a signed call and decodes its answer; it fails the test on an answer that is not a
// JSON object.
func call(t *testing.T, srv *meettest.Server, path string, body any) (map[string]any, []byte) {
	t.Helper()
	_, b := srv.Signed(t, path, body)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, b)
	}
	return m, b
}

// wantCode checks an answer's status_code, and that its msg contains msg.
func wantCode(t *testing.T, what string, m map[string]any, code meet.Code, msg string) {
	t.Helper()
	if m["status_code"] != string(code) || !strings.Contains(m["msg"].(string), msg) {
		t.Errorf("%s: %v %q, want %s %q", what, m["status_code"], m["msg"], code, msg)
	}
}

// startRoom creates (or re-creates) a room and returns its session's sid.
func startRoom(t *testing.T, srv *meettest.Server, roomID string) string {
	t.Helper()
	m, _ := call(t, srv, "room/create", map[string]any{"room_id": roomID, "metadata": map[string]any{"room_title": "Title of " + roomID}})
	sid, _ := m["room_info"].(map[string]any)["sid"].(string)
	if sid == "" {
		t.Fatalf("room/create %s: %v", roomID, m)
	}
	return sid
}

// addRecording puts a finished recording of session sid in the store, as the recorder does once
// a recording is composed (the fake media records nothing); its file is mp4 if set, else a few
// bytes.
func addRecording(t *testing.T, srv *meettest.Server, roomID, sid, id string, mp4 func(path string)) recorder.File {
	t.Helper()
	dir := filepath.Join(srv.RecordingsDir, id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, id+".mp4")
	if mp4 != nil {
		mp4(path)
	} else if err := os.WriteFile(path, []byte("not really an mp4"), 0o600); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	f := recorder.File{RecordID: id, SID: sid, RoomID: roomID, FileName: id + ".mp4", FileSize: info.Size(),
		Duration: 2 * time.Second, CreatedAt: now, RoomCreationTime: now.Add(-time.Minute)}
	err = srv.Store.SaveRecording(context.Background(), f, func(sess *meet.Session) meet.Event {
		e := meet.NewEvent(meet.EventRecordingProceeded, sess, now)
		e.RecordingInfo = &meet.EventRecording{RecordID: id}
		return e
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// recording/info and its old name: the recording with its metadata and its session; the
// protojson answer has exactly RecordingInfoRes's fields (no duration), int64 as strings.
func TestRecordingInfoDialects(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{})
	sid := startRoom(t, srv, "r1")
	addRecording(t, srv, "r1", sid, "REC_a", nil)

	for _, path := range []string{"recording/info", "recording/recordingInfo"} {
		m, _ := call(t, srv, path, `{"record_id":"REC_a"}`)
		wantCode(t, path, m, meet.CodeSuccess, "success")
		ri, _ := m["recording_info"].(map[string]any)
		room, _ := m["room_info"].(map[string]any)
		if ri["record_id"] != "REC_a" || ri["room_sid"] != sid || ri["file_path"] != "REC_a/REC_a.mp4" {
			t.Errorf("%s: recording_info %v", path, ri)
		}
		if md, _ := ri["metadata"].(map[string]any); md == nil || md["subtitles"] == nil || md["extra_data"] == nil {
			t.Errorf("%s: metadata %v", path, ri["metadata"])
		}
		if room["room_sid"] != sid || room["room_id"] != "r1" || room["room_title"] != "Title of r1" || room["ended"] != "" {
			t.Errorf("%s: room_info %v", path, room)
		}
		if m["duration"] != 2.0 {
			t.Errorf("%s: the documented dialect's duration is %v, want 2", path, m["duration"])
		}
	}

	_, b := call(t, srv, "recording/info", `{"recordId":"REC_a"}`)
	var res sdk2client.RecordingInfoRes
	httpapi.StrictParse(t, b, &res)
	if res.StatusCode != "SUCCESS" || res.RecordingInfo == nil || res.RecordingInfo.RecordID != "REC_a" ||
		res.RoomInfo == nil || res.RoomInfo.RoomSID != sid || res.RoomInfo.RoomTitle != "Title of r1" {
		t.Errorf("protojson answer %s", b)
	}
	if !strings.Contains(string(b), `"creation_time":"`) || !strings.Contains(string(b), `"joined_participants":"`) {
		t.Errorf("protojson int64 are not strings: %s", b)
	}

	m, _ := call(t, srv, "recording/info", `{"record_id":"REC_nope"}`)
	wantCode(t, "unknown recording", m, meet.CodeNotFound, "REC_nope")
	m, _ = call(t, srv, "recording/recordingInfo", `{}`)
	wantCode(t, "no record_id", m, meet.CodeInvalidParameters, "record_id is required")
}

// recording/fetch's room_sid gives one session's recordings; protojson answers parse strictly.
func TestRecordingFetchBySession(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{})
	sid1 := startRoom(t, srv, "r1")
	addRecording(t, srv, "r1", sid1, "REC_a", nil)
	call(t, srv, "room/endRoom", `{"room_id":"r1"}`)
	sid2 := startRoom(t, srv, "r1")
	if sid2 == sid1 {
		t.Fatal("the room was not re-created")
	}
	addRecording(t, srv, "r1", sid2, "REC_b", nil)
	sid3 := startRoom(t, srv, "r2")
	addRecording(t, srv, "r2", sid3, "REC_c", nil)

	ids := func(m map[string]any) []string {
		var out []string
		for _, it := range m["result"].(map[string]any)["recordings_list"].([]any) {
			out = append(out, it.(map[string]any)["record_id"].(string))
		}
		slices.Sort(out)
		return out
	}
	m, _ := call(t, srv, "recording/fetch", `{"room_ids":["r1"]}`)
	if got := ids(m); !slices.Equal(got, []string{"REC_a", "REC_b"}) {
		t.Errorf("room r1: %v", got)
	}
	m, _ = call(t, srv, "recording/fetch", map[string]any{"room_ids": []string{"r1"}, "room_sid": sid1})
	if got := ids(m); !slices.Equal(got, []string{"REC_a"}) || m["result"].(map[string]any)["total_recordings"] != 1.0 {
		t.Errorf("session %s: %v", sid1, m)
	}

	_, b := call(t, srv, "recording/fetch", map[string]any{"roomSid": sid3})
	var res sdk2client.FetchRecordingsRes
	httpapi.StrictParse(t, b, &res)
	if res.Result == nil || res.Result.TotalRecordings != 1 || len(res.Result.RecordingsList) != 1 ||
		res.Result.RecordingsList[0].RecordID != "REC_c" || res.Result.RecordingsList[0].Metadata == nil {
		t.Errorf("protojson fetch by session: %s", b)
	}
	if !strings.Contains(string(b), `"total_recordings":"1"`) {
		t.Errorf("total_recordings is not a string: %s", b)
	}

	m, _ = call(t, srv, "recording/fetch", `{"room_sid":"../x"}`)
	wantCode(t, "bad room_sid", m, meet.CodeInvalidParameters, "room_sid")
	m, _ = call(t, srv, "recording/fetch", `{"room_sid":"RM_none"}`)
	wantCode(t, "no such session", m, meet.CodeNotFound, "no recordings")
}

// recording/updateMetadata patches as plugNmeet does, keeps the spelling of the caller's keys,
// and names the field that is wrong.
func TestRecordingUpdateMetadata(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{})
	sid := startRoom(t, srv, "r1")
	addRecording(t, srv, "r1", sid, "REC_a", nil)
	metadata := func() map[string]any {
		m, _ := call(t, srv, "recording/info", `{"record_id":"REC_a"}`)
		return m["recording_info"].(map[string]any)["metadata"].(map[string]any)
	}

	m, _ := call(t, srv, "recording/updateMetadata", `{"record_id":"REC_a","metadata":{"title":"Week 1","description":"Intro",
		"subtitles":{"en-US":{"label":"English","url":"https://x/en.vtt"},"de":{"label":"Deutsch","url":"https://x/de.vtt"}},
		"extra_data":{"courseId":"7","keep":"me"}}}`)
	wantCode(t, "update", m, meet.CodeSuccess, "success")
	got, _ := json.Marshal(metadata())
	want := `{"description":"Intro","extra_data":{"courseId":"7","keep":"me"},"subtitles":{"de":{"label":"Deutsch","url":"https://x/de.vtt"},"en-US":{"label":"English","url":"https://x/en.vtt"}},"title":"Week 1"}`
	if string(got) != want {
		t.Errorf("metadata\n got %s\nwant %s", got, want)
	}

	// "" clears a title, an empty subtitle or extra_data value removes its key, absent keeps
	_, b := call(t, srv, "recording/updateMetadata", `{"recordId":"REC_a","metadata":{"title":"","subtitles":{"de":{}},"extraData":{"courseId":""}}}`)
	var res sdk2client.Envelope
	httpapi.StrictParse(t, b, &res)
	if res.StatusCode != "SUCCESS" {
		t.Errorf("protojson update: %s", b)
	}
	got, _ = json.Marshal(metadata())
	want = `{"description":"Intro","extra_data":{"keep":"me"},"subtitles":{"en-US":{"label":"English","url":"https://x/en.vtt"}}}`
	if string(got) != want {
		t.Errorf("metadata after the patch\n got %s\nwant %s", got, want)
	}
	m, _ = call(t, srv, "recording/fetch", `{"room_ids":["r1"]}`)
	item := m["result"].(map[string]any)["recordings_list"].([]any)[0].(map[string]any)
	if got, _ := json.Marshal(item["metadata"]); string(got) != want {
		t.Errorf("fetch shows metadata %s", got)
	}

	for _, c := range []struct{ body, msg string }{
		{`{"record_id":"REC_a"}`, "metadata is required"},
		{`{"record_id":"REC_a","metadata":"x"}`, "metadata must be an object"},
		{`{"record_id":"REC_a","metadata":{"title":5}}`, "metadata.title must be a string"},
		{`{"record_id":"REC_a","metadata":{"description":true}}`, "metadata.description must be a string"},
		{`{"record_id":"REC_a","metadata":{"extra_data":"a string"}}`, "metadata.extra_data must be an object of strings"},
		{`{"record_id":"REC_a","metadata":{"extra_data":{"n":1}}}`, "metadata.extra_data must be an object of strings"},
		{`{"record_id":"REC_a","metadata":{"subtitles":["en"]}}`, "metadata.subtitles must be an object"},
		{`{"record_id":"REC_a","metadata":{"subtitles":{"en":{"label":1}}}}`, `metadata.subtitles["en"]`},
		{`{"metadata":{}}`, "record_id is required"},
	} {
		m, _ := call(t, srv, "recording/updateMetadata", c.body)
		wantCode(t, c.body, m, meet.CodeInvalidParameters, c.msg)
	}
	m, _ = call(t, srv, "recording/updateMetadata", `{"record_id":"REC_nope","metadata":{"title":"x"}}`)
	wantCode(t, "unknown recording", m, meet.CodeNotFound, "REC_nope")
}

// mergeRecordings refuses what cannot be merged, naming the field or the recording, and starts
// nothing then.
func TestMergeRecordingsRefused(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{})
	sid := startRoom(t, srv, "r1")
	addRecording(t, srv, "r1", sid, "REC_a", nil)
	addRecording(t, srv, "r1", sid, "REC_b", nil)
	other := startRoom(t, srv, "r2")
	addRecording(t, srv, "r2", other, "REC_c", nil)
	empty := startRoom(t, srv, "r3")
	gone := addRecording(t, srv, "r1", sid, "REC_d", nil)
	if err := os.RemoveAll(filepath.Join(srv.RecordingsDir, gone.RecordID)); err != nil {
		t.Fatal(err)
	}
	byIDs := func(room string, ids ...string) map[string]any {
		return map[string]any{"by_ids": map[string]any{"room_id": room, "recording_ids": ids}}
	}
	for _, c := range []struct {
		name string
		body any
		code meet.Code
		msg  string
	}{
		{"no scope", `{}`, meet.CodeInvalidParameters, "by_session or by_ids is required"},
		{"both scopes", map[string]any{"by_session": map[string]any{"room_sid": sid}, "by_ids": byIDs("r1", "REC_a", "REC_b")["by_ids"]},
			meet.CodeInvalidParameters, "only one of by_session and by_ids"},
		{"one id", byIDs("r1", "REC_a"), meet.CodeInvalidParameters, "by_ids.recording_ids must list at least 2"},
		{"no room_id", byIDs("", "REC_a", "REC_b"), meet.CodeInvalidParameters, "by_ids.room_id is required"},
		{"bad id", byIDs("r1", "REC_a", "../x"), meet.CodeInvalidParameters, "by_ids.recording_ids must match"},
		{"twice", byIDs("r1", "REC_a", "REC_a"), meet.CodeInvalidParameters, "lists REC_a twice"},
		{"other room", byIDs("r1", "REC_a", "REC_c"), meet.CodeNotFound, "no recording REC_c in room r1"},
		{"unknown", byIDs("r1", "REC_a", "REC_zz"), meet.CodeNotFound, "no recording REC_zz"},
		{"file gone", byIDs("r1", "REC_a", "REC_d"), meet.CodeConflict, "REC_d has no file"},
		{"no room_sid", `{"by_session":{}}`, meet.CodeInvalidParameters, "by_session.room_sid is required"},
		{"unknown session", `{"bySession":{"roomSid":"RM_nope"}}`, meet.CodeRoomNotFound, "RM_nope"},
		{"one left", map[string]any{"by_session": map[string]any{"room_sid": sid, "exclude_recording_ids": []string{"REC_a", "REC_d"}}},
			meet.CodeInvalidParameters, "at least 2"},
		{"one in session", map[string]any{"by_session": map[string]any{"room_sid": other}}, meet.CodeInvalidParameters, "at least 2"},
		{"none in session", map[string]any{"by_session": map[string]any{"room_sid": empty}}, meet.CodeNotFound, "has no recordings"},
	} {
		m, _ := call(t, srv, "recording/mergeRecordings", c.body)
		wantCode(t, c.name, m, c.code, c.msg)
	}
	m, _ := call(t, srv, "recording/fetch", `{}`)
	if n := m["result"].(map[string]any)["total_recordings"]; n != 4.0 {
		t.Errorf("%v recordings after refused merges, want 4", n)
	}
	entries, _ := os.ReadDir(srv.RecordingsDir)
	if len(entries) != 3 {
		t.Errorf("refused merges left folders: %v", entries)
	}
}

func makeMP4(t *testing.T, path string, secs string) {
	t.Helper()
	cmd := exec.Command("ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration="+secs,
		"-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration="+secs,
		"-ac", "2", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
		"-c:a", "aac", "-ar", "48000", "-shortest", "-f", "mp4", path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make %s: %v\n%s", path, err, out)
	}
}

// A merge answers at once; the merged recording appears in the session of the last one merged,
// is announced with recording_proceeded, and lasts as long as its parts (media durations).
func TestMergeRecordings(t *testing.T) {
	for _, c := range []string{"ffmpeg", "ffprobe"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("%s is not installed", c)
		}
	}
	rc := meettest.NewReceiver(t, meettest.Keys, meettest.ReceiverOptions{})
	srv := meettest.Start(t, meettest.Options{Webhooks: []string{rc.URL}})
	sid1 := startRoom(t, srv, "r1")
	addRecording(t, srv, "r1", sid1, "REC_a", func(p string) { makeMP4(t, p, "1") })
	call(t, srv, "room/endRoom", `{"room_id":"r1"}`)
	sid2 := startRoom(t, srv, "r1")
	addRecording(t, srv, "r1", sid2, "REC_b", func(p string) { makeMP4(t, p, "2") })

	// protojson: exactly CommonResponse
	_, b := call(t, srv, "recording/mergeRecordings", `{"byIds":{"roomId":"r1","recordingIds":["REC_a","REC_b"]}}`)
	var res sdk2client.Envelope
	httpapi.StrictParse(t, b, &res)
	if res.StatusCode != "SUCCESS" {
		t.Fatalf("merge: %s", b)
	}
	var merged string
	meettest.Eventually(t, 30*time.Second, "recording_proceeded of the merged recording", func() bool {
		for _, d := range rc.Requests() {
			if ri := d.Event.RecordingInfo; d.Event.Event == meet.EventRecordingProceeded && ri != nil && ri.RecordID != "REC_a" && ri.RecordID != "REC_b" {
				merged = ri.RecordID
				if d.Event.Room == nil || d.Event.Room.SID != sid2 || ri.FilePath != merged+"/"+merged+".mp4" {
					t.Errorf("the merge's webhook: %s", d.Body)
				}
				return true
			}
		}
		return false
	})
	m, _ := call(t, srv, "recording/info", map[string]any{"record_id": merged})
	ri := m["recording_info"].(map[string]any)
	if ri["room_id"] != "r1" || ri["room_sid"] != sid2 || m["room_info"].(map[string]any)["room_sid"] != sid2 {
		t.Errorf("merged recording: %v", m)
	}
	if d, _ := m["duration"].(float64); math.Abs(d-3) > 0.25 {
		t.Errorf("merged recording lasts %v s, want 3", m["duration"])
	}
	entries, _ := os.ReadDir(filepath.Join(srv.RecordingsDir, merged))
	if len(entries) != 1 || entries[0].Name() != merged+".mp4" {
		t.Errorf("the merged recording's folder holds %v, want only the MP4", entries)
	}
	m, _ = call(t, srv, "recording/fetch", map[string]any{"room_sid": sid2})
	if n := m["result"].(map[string]any)["total_recordings"]; n != 2.0 {
		t.Errorf("session %s has %v recordings, want 2 (REC_b and the merge)", sid2, n)
	}

	// the documented dialect names the new recording; by_session merges the session's recordings
	m, _ = call(t, srv, "recording/mergeRecordings", map[string]any{"by_session": map[string]any{"room_sid": sid2}})
	wantCode(t, "merge by session", m, meet.CodeSuccess, "success")
	id, _ := m["record_id"].(string)
	meettest.Eventually(t, 30*time.Second, "the merge by session", func() bool {
		m, _ := call(t, srv, "recording/info", map[string]any{"record_id": id})
		return m["status_code"] == "SUCCESS"
	})
}
