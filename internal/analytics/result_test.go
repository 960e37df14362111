package analytics

import (
	"encoding/json"
	"slices"
	"strconv"
	"testing"
	"time"

	"meetd/internal/meet"
)

// The AnalyticsResult of a session whose connections overlap, whose tracks stay open or muted
// until the end, and which ends between two seconds.
func TestBuildResult(t *testing.T) {
	t0 := time.Date(2026, 11, 27, 10, 0, 0, 300e6, time.UTC) // created at .3 s
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	ms := func(s float64) string { return strconv.FormatInt(at(s).UnixMilli(), 10) }
	on := true
	sess := &meet.Session{RoomID: "r", SID: "RM_1", CreatedAt: t0, EndedAt: at(10.5)} // ended at .8 s
	sess.Metadata.RoomTitle = "Class"
	sess.Metadata.RoomFeatures.EnableAnalytics = &on
	in := &Input{
		Session: sess,
		Users: map[string]*meet.User{"a": {UserID: "a", Name: "Ann", IsAdmin: true, Metadata: meet.UserMetadata{ExUserID: "ext-a"}},
			"b": {UserID: "b", Name: "Bob"}},
		Presence: []Interval{
			{UserID: "a", Item: "PA_a1", From: at(0), To: at(4)},
			{UserID: "a", Item: "PA_a2", From: at(3), To: at(6)}, // a second tab: one stay 0–6
			{UserID: "b", Item: "PA_b", From: at(1)},             // open: until the end
			{UserID: "a", Item: "PA_a3", From: at(8), To: at(9)},
		},
		Tracks: []Interval{
			{UserID: "b", Item: "TR_bmic", Source: "MICROPHONE", From: at(2)}, // never unpublished
			{UserID: "a", Item: "TR_acam", Source: "CAMERA", From: at(1), To: at(2)},
			{UserID: "a", Item: "TR_amic", Source: "MICROPHONE", From: at(0), To: at(5)},
		},
		Muted: []Interval{
			{UserID: "b", Item: "TR_bmic", From: at(3), To: at(4)},
			{UserID: "b", Item: "TR_bmic", From: at(7)}, // muted until the end: no UNMUTED
			{UserID: "a", Item: "TR_amic", From: at(4)}, // muted until unpublished: no UNMUTED
		},
		Talking: []Interval{
			{UserID: "a", Item: "PA_a1", From: at(0.5), To: at(1.5)},
			{UserID: "a", Item: "PA_a2", From: at(5), To: at(7)}, // heard until 7, but PA_a2 left at 6
			{UserID: "b", Item: "PA_b", From: at(10)},            // open: until the end
		},
		Hands: []Interval{{UserID: "b", Item: "b", From: at(2), To: at(3)}, {UserID: "b", Item: "b", From: at(5)}},
		Chats: map[string]ChatCount{"a": {Public: 3, Private: 1, Files: 2}},
	}
	b := BuildResult(in).JSON()
	var r struct {
		Room struct {
			RoomID         string `json:"room_id"`
			RoomTitle      string `json:"room_title"`
			RoomTotalUsers string `json:"room_total_users"`
			RoomCreation   string `json:"room_creation"`
			RoomEnded      string `json:"room_ended"`
			RoomDuration   string `json:"room_duration"`
		} `json:"room"`
		Users []struct {
			UserID   string  `json:"user_id"`
			Name     string  `json:"name"`
			IsAdmin  bool    `json:"is_admin"`
			ExUserID *string `json:"ex_user_id"`
			Events   []struct {
				Name   string `json:"name"`
				Total  uint32 `json:"total"`
				Values []struct {
					Time  string `json:"time"`
					Value string `json:"value"`
				} `json:"values"`
			} `json:"events"`
		} `json:"users"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if r.Room.RoomID != "r" || r.Room.RoomTitle != "Class" || r.Room.RoomTotalUsers != "2" ||
		r.Room.RoomCreation != strconv.FormatInt(t0.Unix(), 10) || r.Room.RoomEnded != strconv.FormatInt(t0.Unix()+11, 10) ||
		r.Room.RoomDuration != "11" {
		t.Fatalf("room %+v (room_ended holds the end, rounded up)", r.Room)
	}
	if len(r.Users) != 2 || r.Users[0].UserID != "a" || r.Users[1].UserID != "b" || *r.Users[0].ExUserID != "ext-a" ||
		r.Users[1].ExUserID != nil || !r.Users[0].IsAdmin || r.Users[1].Name != "Bob" {
		t.Fatalf("users %s", b)
	}
	type value struct{ time, value string }
	events := func(i int) map[string][]value {
		m := map[string][]value{}
		for _, e := range r.Users[i].Events {
			var vs []value
			for _, v := range e.Values {
				vs = append(vs, value{v.Time, v.Value})
			}
			counted := map[string]bool{"talked": true, "talked_duration": true, "public_chat": true, "private_chat": true, "chat_files": true, "raise_hand": true}
			if !counted[e.Name] && int(e.Total) != len(vs) {
				t.Errorf("user %d %s: total %d for %d values", i, e.Name, e.Total, len(vs))
			}
			m[e.Name] = vs
			if counted[e.Name] {
				m[e.Name] = []value{{strconv.Itoa(int(e.Total)), ""}}
			}
		}
		return m
	}
	const (
		started, ended, muted, unmuted = "ANALYTICS_STATUS_STARTED", "ANALYTICS_STATUS_ENDED", "ANALYTICS_STATUS_MUTED", "ANALYTICS_STATUS_UNMUTED"
	)
	a, bb := events(0), events(1)
	for _, c := range []struct {
		what      string
		got, want []value
	}{
		{"a joined", a["joined"], []value{{ms(0), ms(0)}, {ms(8), ms(8)}}},
		{"a left", a["left"], []value{{ms(6), ms(6)}, {ms(9), ms(9)}}},
		{"a mic", a["mic_status"], []value{{ms(0), started}, {ms(4), ended}, {ms(4), muted}}},
		{"a webcam", a["webcam_status"], []value{{ms(1), started}, {ms(2), ended}}},
		{"a talked", a["talked"], []value{{"2", ""}}},
		{"a talked_duration", a["talked_duration"], []value{{"2000", ""}}}, // 0.5–1.5 and 5–6
		{"b joined", bb["joined"], []value{{ms(1), ms(1)}}},
		{"b left", bb["left"], []value{{ms(10.5), ms(10.5)}}},
		{"b mic", bb["mic_status"], []value{{ms(2), started}, {ms(3), ended}, {ms(3), muted}, {ms(4), unmuted}, {ms(4), started},
			{ms(7), ended}, {ms(7), muted}}},
		{"b screen", bb["screen_share_status"], nil},
		{"b talked_duration", bb["talked_duration"], []value{{"500", ""}}},
		// counts in total, as plugNmeet's formatter reads them; none when nothing happened
		{"a public_chat", a["public_chat"], []value{{"3", ""}}},
		{"a private_chat", a["private_chat"], []value{{"1", ""}}},
		{"a chat_files", a["chat_files"], []value{{"2", ""}}},
		{"a raise_hand", a["raise_hand"], nil},
		{"b raise_hand", bb["raise_hand"], []value{{"2", ""}}},
		{"b public_chat", bb["public_chat"], nil},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
}
