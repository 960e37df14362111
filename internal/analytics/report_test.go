package analytics

import (
	"strings"
	"testing"
	"time"

	"meetd/internal/meet"
)

func TestBuild(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	on := true
	sess := &meet.Session{RoomID: "r", SID: "RM_1", CreatedAt: t0, EndedAt: at(10)}
	sess.Metadata.RoomTitle = "Class"
	sess.Metadata.RoomFeatures.EnableAnalytics = &on
	in := &Input{
		Session: sess,
		Users:   map[string]*meet.User{"a": {UserID: "a", Name: "Ann", IsAdmin: true}, "b": {UserID: "b", Name: "Bob"}},
		Presence: []Interval{
			{UserID: "a", From: at(0)}, // still open at the end
			{UserID: "b", From: at(2), To: at(6)},
			{UserID: "c", From: at(0.5), To: at(9)},
			{UserID: "b", From: at(8), To: at(10)},
			{UserID: "c", From: at(8.5), To: at(9.5)}, // a second tab, overlapping: counted once
		},
		Tracks: []Interval{
			{UserID: "a", Source: "MICROPHONE", From: at(0)},
			{UserID: "c", Source: "CAMERA", From: at(3), To: at(5)},
			{UserID: "b", Source: "MICROPHONE", From: at(2)}, // never unpublished: counts while b is there
			{UserID: "a", Source: "SCREEN_SHARE", From: at(4), To: at(4.4)},
		},
	}
	r := Build(in)
	if r.DistinctUsers != 3 || r.PeakConcurrent != 3 || r.DurationSecs != 10 || r.RoomTitle != "Class" {
		t.Fatalf("report %+v", r)
	}
	users := map[string]UserReport{}
	for _, u := range r.Users {
		users[u.UserID] = u
	}
	check := func(id string, present, mic, cam, screen int64, joins, segments int) {
		t.Helper()
		u := users[id]
		if u.PresentSeconds != present || u.MicSeconds != mic || u.CameraSeconds != cam || u.ScreenSeconds != screen ||
			u.Joins != joins || len(u.Segments) != segments {
			t.Errorf("%s: %+v", id, u)
		}
	}
	check("a", 10, 10, 0, 0, 1, 1)
	check("b", 6, 6, 0, 0, 2, 2)
	check("c", 9, 0, 2, 0, 2, 1)
	if !users["a"].IsAdmin || users["b"].Name != "Bob" {
		t.Errorf("names and roles: %+v", users)
	}
	if seg := users["b"].Segments; !seg[0].Joined.Equal(at(2)) || !seg[0].Left.Equal(at(6)) || !seg[1].Joined.Equal(at(8)) {
		t.Errorf("b segments %+v", seg)
	}
	csv := string(r.CSV())
	if lines := strings.Split(strings.TrimSpace(csv), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[0], "room_id,sid,room_title,user_id") {
		t.Errorf("csv:\n%s", csv)
	}
}
