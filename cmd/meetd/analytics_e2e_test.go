package main

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

type report struct {
	RoomID         string `json:"room_id"`
	SID            string `json:"sid"`
	PeakConcurrent int    `json:"peak_concurrent_participants"`
	DistinctUsers  int    `json:"distinct_users"`
	Users          []struct {
		UserID   string `json:"user_id"`
		Name     string `json:"name"`
		Segments []struct {
			Joined time.Time `json:"joined"`
			Left   time.Time `json:"left"`
		} `json:"segments"`
		PresentSeconds int64 `json:"present_seconds"`
		MicSeconds     int64 `json:"microphone_seconds"`
		CameraSeconds  int64 `json:"camera_seconds"`
		TalkSeconds    int64 `json:"talk_seconds"`
	} `json:"users"`
}

type analyticsList struct {
	envelope
	Result struct {
		TotalAnalytics int `json:"total_analytics"`
		AnalyticsList  []struct {
			RoomID   string `json:"room_id"`
			FileID   string `json:"file_id"`
			FileName string `json:"file_name"`
			FileSize int64  `json:"file_size"`
		} `json:"analytics_list"`
	} `json:"result"`
}

func (m *meetd) download(fileID, format string) (int, []byte, http.Header) {
	m.t.Helper()
	var tok struct {
		envelope
		Token string `json:"token"`
	}
	m.post("/auth/analytics/getDownloadToken", map[string]any{"file_id": fileID}, &tok)
	if !tok.Status {
		return 0, nil, nil
	}
	url := m.base + "/download/analytics/" + tok.Token
	if format != "" {
		url += "?format=" + format
	}
	res, err := http.Get(url)
	if err != nil {
		m.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, b, res.Header
}

func near(got int64, want float64) bool { return math.Abs(float64(got)-want) <= 1 }

// Bots follow a script; the attendance report matches it to within a second.
func TestAttendanceReport(t *testing.T) {
	env := testEnv(t, nil)
	m := startMeetd(t, env)
	m.create("lesson", nil)
	start := time.Now()
	wait := func(until float64) { time.Sleep(time.Until(start.Add(time.Duration(until * float64(time.Second))))) }

	a := m.bot("lesson", "a")
	mic, err := a.PublishAudio()
	if err != nil {
		t.Fatal(err)
	}
	c := m.bot("lesson", "c")
	wait(2)
	b := m.bot("lesson", "b")
	wait(3)
	a.Speak(true) // A talks from 3 s to 6 s
	cam, err := c.PublishVideo()
	if err != nil {
		t.Fatal(err)
	}
	wait(5)
	if err := c.Room.LocalParticipant.UnpublishTrack(cam.SID()); err != nil {
		t.Fatal(err)
	}
	wait(6)
	// B goes at 6 s. Removed by the server, LiveKit reports the departure at once; a bot's own
	// leave can be noticed late (its socket closes right after the leave message).
	var removed envelope
	m.post("/auth/room/removeParticipant", map[string]any{"room_id": "lesson", "user_id": "b"}, &removed)
	if !removed.Status {
		t.Fatalf("removeParticipant: %+v", removed)
	}
	b.Leave()
	a.Speak(false)
	wait(7)
	mic.SetMuted(true) // A switches the microphone off from 7 s to 9 s
	wait(8)
	m.bot("lesson", "b")
	wait(9)
	mic.SetMuted(false)
	wait(10)
	var ended envelope
	m.post("/auth/room/endRoom", map[string]any{"room_id": "lesson"}, &ended)
	if !ended.Status {
		t.Fatalf("endRoom: %+v", ended)
	}

	var list analyticsList
	m.post("/auth/analytics/fetch", map[string]any{"room_ids": []string{"lesson"}}, &list)
	if !list.Status || list.Result.TotalAnalytics != 1 {
		t.Fatalf("analytics/fetch: %+v", list)
	}
	fileID := list.Result.AnalyticsList[0].FileID
	past := m.pastRooms(map[string]any{"room_ids": []string{"lesson"}})
	var pastFile struct {
		Result struct {
			RoomsList []struct {
				AnalyticsFileID string `json:"analytics_file_id"`
			} `json:"rooms_list"`
		} `json:"result"`
	}
	m.post("/auth/room/fetchPastRooms", map[string]any{"room_ids": []string{"lesson"}}, &pastFile)
	if len(past.Result.RoomsList) != 1 || pastFile.Result.RoomsList[0].AnalyticsFileID != fileID {
		t.Errorf("fetchPastRooms analytics_file_id: %+v, want %s", pastFile, fileID)
	}

	code, body, hdr := m.download(fileID, "")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") || !strings.Contains(hdr.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %v", code, hdr)
	}
	var r report
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	users := map[string]int{}
	for i, u := range r.Users {
		users[u.UserID] = i
	}
	ua, ub, uc := r.Users[users["a"]], r.Users[users["b"]], r.Users[users["c"]]
	if r.DistinctUsers != 3 || r.PeakConcurrent != 3 {
		t.Errorf("distinct %d peak %d", r.DistinctUsers, r.PeakConcurrent)
	}
	t.Logf("a: present %d s, microphone %d s, talk %d s (script: 10, 8, 3)", ua.PresentSeconds, ua.MicSeconds, ua.TalkSeconds)
	if !near(ua.PresentSeconds, 10) || !near(ua.MicSeconds, 8) || !near(ua.TalkSeconds, 3) || len(ua.Segments) != 1 {
		t.Errorf("a: %+v", ua)
	}
	if ub.TalkSeconds != 0 || uc.TalkSeconds != 0 {
		t.Errorf("silent b and c talked: %d s, %d s", ub.TalkSeconds, uc.TalkSeconds)
	}
	if !near(ub.PresentSeconds, 6) || len(ub.Segments) != 2 ||
		!near(int64(ub.Segments[0].Joined.Sub(start).Seconds()), 2) || !near(int64(ub.Segments[0].Left.Sub(start).Seconds()), 6) ||
		!near(int64(ub.Segments[1].Joined.Sub(start).Seconds()), 8) {
		t.Errorf("b: %+v (start %v)", ub, start)
	}
	if !near(uc.CameraSeconds, 2) || !near(uc.PresentSeconds, 10) || uc.MicSeconds != 0 {
		t.Errorf("c: %+v", uc)
	}
	if ub.Name != "Name b" {
		t.Errorf("b's name %q", ub.Name)
	}

	checkAnalyticsArtifact(t, m, r.SID, start)

	code, csv, hdr := m.download(fileID, "csv")
	if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") || strings.Count(string(csv), "\n") != 4 {
		t.Errorf("csv download: %d %v\n%s", code, hdr, csv)
	}
	if code, _, _ := m.download(fileID, "xml"); code != 400 {
		t.Errorf("unknown format: HTTP %d", code)
	}
	res, _ := http.Get(m.base + "/download/analytics/forged.token.here")
	if res.StatusCode != 401 {
		t.Errorf("forged download token: HTTP %d", res.StatusCode)
	}
	res.Body.Close()

	var att struct {
		envelope
		Attendance []struct {
			RoomID  string `json:"room_id"`
			UserID  string `json:"user_id"`
			Seconds int64  `json:"seconds"`
		} `json:"attendance"`
	}
	m.post("/auth/analytics/attendance", map[string]any{"user_id": "b"}, &att)
	if !att.Status || len(att.Attendance) != 2 || !near(att.Attendance[0].Seconds, 4) {
		t.Errorf("attendance of b: %+v", att)
	}

	// delete: gone from disk, from the list and from fetchPastRooms
	var del envelope
	m.post("/auth/analytics/delete", map[string]any{"file_id": fileID}, &del)
	if !del.Status {
		t.Fatalf("delete: %+v", del)
	}
	if files, _ := filepath.Glob(filepath.Join(env["MEETD_DATA_DIR"], "analytics", fileID+"*")); len(files) != 0 {
		t.Errorf("files left after delete: %v", files)
	}
	m.post("/auth/room/fetchPastRooms", map[string]any{"room_ids": []string{"lesson"}}, &pastFile)
	if pastFile.Result.RoomsList[0].AnalyticsFileID != "" {
		t.Errorf("fetchPastRooms still names the deleted report")
	}
	m.post("/auth/analytics/delete", map[string]any{"file_id": fileID}, &del)
	if del.Status || del.StatusCode != "NOT_FOUND" {
		t.Errorf("second delete: %+v", del)
	}
	if code, _, _ := m.download(fileID, ""); code != 0 {
		t.Errorf("download token for a deleted report")
	}

	// enable_analytics:false → no report
	m.create("private", map[string]any{"metadata": map[string]any{"room_title": "P", "room_features": map[string]any{"enable_analytics": false}}})
	m.bot("private", "x")
	eventually(t, 10*time.Second, "x in", func() bool { return len(participantsByID(m.activeRoom("private"))) == 1 })
	m.post("/auth/room/endRoom", map[string]any{"room_id": "private"}, &ended)
	m.post("/auth/analytics/fetch", map[string]any{"room_ids": []string{"private"}}, &list)
	if list.Status || list.Result.TotalAnalytics != 0 {
		t.Errorf("a report for a room without analytics: %+v", list)
	}
}

// The report counts stays before and after a restart of meetd.
func TestAttendanceAcrossRestart(t *testing.T) {
	env := testEnv(t, map[string]string{"MEETD_DEPARTURE_TIMEOUT": "30"})
	m := startProcess(t, env)
	m.create("marathon", nil)
	token := m.joinToken("marathon", "runner", "Runner", false)
	b := m.botWithToken(token)
	eventually(t, 10*time.Second, "runner counted", func() bool {
		r := m.activeRoom("marathon")
		return r.Room != nil && r.Room.RoomInfo.JoinedParticipants == 1
	})
	time.Sleep(2 * time.Second)
	m.kill9()
	b.Leave()
	m = startProcess(t, env)
	b = m.botWithToken(token)
	eventually(t, 10*time.Second, "runner back", func() bool { return len(participantsByID(m.activeRoom("marathon"))) == 1 })
	time.Sleep(2 * time.Second)
	var ended envelope
	m.post("/auth/room/endRoom", map[string]any{"room_id": "marathon"}, &ended)
	var list analyticsList
	m.post("/auth/analytics/fetch", map[string]any{"room_ids": []string{"marathon"}}, &list)
	if list.Result.TotalAnalytics != 1 {
		t.Fatalf("analytics/fetch: %+v", list)
	}
	_, body, _ := m.download(list.Result.AnalyticsList[0].FileID, "")
	var r report
	_ = json.Unmarshal(body, &r)
	if len(r.Users) != 1 || len(r.Users[0].Segments) != 2 || r.Users[0].PresentSeconds < 3 {
		t.Errorf("report across a restart: %s", body)
	}
}

// checkAnalyticsArtifact checks the MEETING_ANALYTICS artifact of TestAttendanceReport's session
// (doc/api.md, "Artifacts") against the script, with real media: A talked from 3 s to 6 s and had
// the microphone muted from 7 s to 9 s; B was there from 2 s to 6 s and from 8 s.
func checkAnalyticsArtifact(t *testing.T, m *meetd, sid string, start time.Time) {
	t.Helper()
	var list struct {
		envelope
		Result struct {
			TotalArtifacts int64 `json:"total_artifacts"`
			ArtifactsList  []struct {
				ArtifactID string `json:"artifact_id"`
				Type       string `json:"type"`
			} `json:"artifacts_list"`
		} `json:"result"`
	}
	m.post("/auth/artifact/fetch", map[string]any{"room_sid": sid, "type": "MEETING_ANALYTICS"}, &list)
	if !list.Status || list.Result.TotalArtifacts != 1 || list.Result.ArtifactsList[0].Type != "MEETING_ANALYTICS" {
		t.Fatalf("artifact/fetch: %+v", list)
	}
	var tok struct {
		envelope
		Token string `json:"token"`
	}
	m.post("/auth/artifact/getDownloadToken", map[string]any{"artifact_id": list.Result.ArtifactsList[0].ArtifactID}, &tok)
	res, err := http.Get(m.base + "/download/artifact/" + tok.Token)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("artifact download: HTTP %d %s", res.StatusCode, body)
	}
	type value struct {
		Time  string `json:"time"`
		Value string `json:"value"`
	}
	var result struct {
		Users []struct {
			UserID string `json:"user_id"`
			Events []struct {
				Name   string  `json:"name"`
				Total  int64   `json:"total"`
				Values []value `json:"values"`
			} `json:"events"`
		} `json:"users"`
	}
	if err := json.Unmarshal(body, &result); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	events := map[string]map[string][]value{}
	totals := map[string]map[string]int64{}
	for _, u := range result.Users {
		events[u.UserID], totals[u.UserID] = map[string][]value{}, map[string]int64{}
		for _, e := range u.Events {
			events[u.UserID][e.Name], totals[u.UserID][e.Name] = e.Values, e.Total
		}
	}
	// seconds since the script's start of a value's time (Unix ms)
	at := func(v value) float64 {
		ms, _ := strconv.ParseInt(v.Time, 10, 64)
		return time.UnixMilli(ms).Sub(start).Seconds()
	}
	t.Logf("a: talked_duration %d ms (script: 3000), talked %d times; mic %v", totals["a"]["talked_duration"], totals["a"]["talked"], events["a"]["mic_status"])
	if d := totals["a"]["talked_duration"]; math.Abs(float64(d)-3000) > 1000 || totals["a"]["talked"] < 1 {
		t.Errorf("a's talk: %d ms, %d times", d, totals["a"]["talked"])
	}
	if totals["b"]["talked_duration"] != 0 || totals["c"]["talked_duration"] != 0 {
		t.Errorf("silent b and c talked: %d, %d ms", totals["b"]["talked_duration"], totals["c"]["talked_duration"])
	}
	var muted, unmuted []float64
	for _, v := range events["a"]["mic_status"] {
		switch v.Value {
		case "ANALYTICS_STATUS_MUTED":
			muted = append(muted, at(v))
		case "ANALYTICS_STATUS_UNMUTED":
			unmuted = append(unmuted, at(v))
		}
	}
	if len(muted) != 1 || len(unmuted) != 1 || math.Abs(muted[0]-7) > 1 || math.Abs(unmuted[0]-9) > 1 {
		t.Errorf("a's mutes at %v, unmutes at %v (script: 7, 9)", muted, unmuted)
	}
	if j, l := events["b"]["joined"], events["b"]["left"]; len(j) != 2 || len(l) != 2 ||
		math.Abs(at(j[0])-2) > 1 || math.Abs(at(l[0])-6) > 1 || math.Abs(at(j[1])-8) > 1 {
		t.Errorf("b joined %v, left %v (script: 2 and 8, 6 and the end)", j, l)
	}
}
