// Package analytics writes and serves attendance reports: when a session with enable_analytics
// ends, who was there, when, for how long, and with which media on. Reports are files (JSON and a
// CSV for spreadsheets) in the data directory; the store keeps their index, the presence and the
// track intervals they are made of.
package analytics

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"meetd/internal/meet"
)

// Interval is a span of time of one user: a connection, a published track, a muted track or a
// participant speaking. A zero To means still open.
type Interval struct {
	UserID string
	Item   string // the participant's sid (connections, speaking) or the track's sid (tracks, muted)
	Source string // for tracks: MICROPHONE, CAMERA, SCREEN_SHARE, SCREEN_SHARE_AUDIO
	From   time.Time
	To     time.Time
}

// Input is what a report is made of.
type Input struct {
	Session  *meet.Session
	Users    map[string]*meet.User
	Presence []Interval
	Tracks   []Interval
	Muted    []Interval           // while a published track was muted (a microphone or camera switched off)
	Talking  []Interval           // while a participant was speaking, as the media node detects it
	Hands    []Interval           // while a participant's hand was raised
	Chats    map[string]ChatCount // chat messages sent, by user id
	// Polls are the session's polls, oldest first, and Votes their votes by poll id (doc/api.md, "Polls").
	Polls []*meet.Poll
	Votes map[string][]meet.PollVote
}

// ChatCount is what a user sent in the chat: messages to everyone, private messages, and files
// (a file is also a message, to everyone or private).
type ChatCount struct{ Public, Private, Files int }

// Total is the messages sent.
func (c ChatCount) Total() int { return c.Public + c.Private }

// Report is the attendance report of one session.
type Report struct {
	RoomID         string       `json:"room_id"`
	SID            string       `json:"sid"`
	RoomTitle      string       `json:"room_title"`
	Start          time.Time    `json:"start"`
	End            time.Time    `json:"end"`
	DurationSecs   int64        `json:"duration_seconds"`
	PeakConcurrent int          `json:"peak_concurrent_participants"`
	DistinctUsers  int          `json:"distinct_users"`
	Users          []UserReport `json:"users"`
	// TalkTime says how talk_seconds is measured.
	TalkTime string `json:"talk_time"`
	// Polls are the session's polls with their results (polls.go); absent without polls.
	Polls []PollReport `json:"polls,omitempty"`
}

// UserReport is one user's attendance.
type UserReport struct {
	UserID         string    `json:"user_id"`
	Name           string    `json:"name"`
	IsAdmin        bool      `json:"is_admin"`
	Segments       []Segment `json:"segments"`
	Joins          int       `json:"joins"`
	PresentSeconds int64     `json:"present_seconds"`
	MicSeconds     int64     `json:"microphone_seconds"`
	CameraSeconds  int64     `json:"camera_seconds"`
	ScreenSeconds  int64     `json:"screen_share_seconds"`
	TalkSeconds    int64     `json:"talk_seconds"`
	HandsRaised    int       `json:"hands_raised"`
	ChatMessages   int       `json:"chat_messages"`
}

// Segment is one stay in the meeting.
type Segment struct {
	Joined time.Time `json:"joined"`
	Left   time.Time `json:"left"`
}

type span struct{ from, to time.Time }

func secs(d time.Duration) int64 { return int64(math.Round(d.Seconds())) }

// TalkTimeNote is the report's word on talk_seconds.
const TalkTimeNote = "the media node's speaker detection, sampled four times a second (not measured when meetd drives an external LiveKit)"

// Build makes the report of an ended session. Open intervals end with the session; a track
// counts only while its user was connected.
func Build(in *Input) Report {
	s := in.Session
	a := analyse(in)
	r := Report{
		RoomID: s.RoomID, SID: s.SID, RoomTitle: s.Title(), Start: s.CreatedAt.UTC(), End: a.end.UTC(),
		DurationSecs: secs(a.end.Sub(s.CreatedAt)),
		TalkTime:     TalkTimeNote,
	}
	stays := map[string][]span{}
	for _, id := range a.order {
		stays[id] = a.users[id].stays
	}
	hands := map[string]int{}
	for _, h := range in.Hands {
		hands[h.UserID]++
	}
	r.DistinctUsers = len(a.order)
	r.PeakConcurrent = peak(stays)
	for _, id := range a.order {
		ua := a.users[id]
		u := UserReport{UserID: id, Joins: ua.connections}
		if usr := in.Users[id]; usr != nil {
			u.Name, u.IsAdmin = usr.Name, usr.IsAdmin
		}
		for _, sp := range ua.stays {
			u.Segments = append(u.Segments, Segment{Joined: sp.from.UTC(), Left: sp.to.UTC()})
			u.PresentSeconds += secs(sp.to.Sub(sp.from))
		}
		on := func(source string) int64 { return secs(total(ua.on[source])) }
		u.MicSeconds = on("MICROPHONE")
		u.CameraSeconds = on("CAMERA")
		u.ScreenSeconds = on("SCREEN_SHARE")
		u.TalkSeconds = secs(total(ua.talk))
		u.HandsRaised, u.ChatMessages = hands[id], in.Chats[id].Total()
		r.Users = append(r.Users, u)
	}
	r.Polls = pollReports(in, a.end)
	return r
}

// analysis is what a session's intervals come to, per user: what both the attendance report and
// the AnalyticsResult file are made of.
type analysis struct {
	end   time.Time
	order []string // users, by their first connection
	users map[string]*userAnalysis
	clip  func(Interval) span // an interval, its open end at the session's end
	muted map[string][]span   // track sid → while it was muted, merged
}

type userAnalysis struct {
	connections int
	stays       []span            // connected (overlapping connections merged), sorted
	on          map[string][]span // by track source: published, not muted, while connected; merged
	talk        []span            // speaking, within the connection it was heard on; merged
}

func analyse(in *Input) analysis {
	end := in.Session.EndedAt
	a := analysis{end: end, users: map[string]*userAnalysis{}, muted: map[string][]span{}}
	a.clip = func(iv Interval) span {
		to := iv.To
		if to.IsZero() || to.After(end) {
			to = end
		}
		return span{iv.From, to}
	}
	stays := map[string][]span{}
	connection := map[string][]span{} // participant sid → its stay
	for _, iv := range in.Presence {
		if _, seen := stays[iv.UserID]; !seen {
			a.order = append(a.order, iv.UserID)
		}
		stays[iv.UserID] = append(stays[iv.UserID], a.clip(iv))
		connection[iv.Item] = append(connection[iv.Item], a.clip(iv))
	}
	for _, iv := range in.Muted {
		a.muted[iv.Item] = append(a.muted[iv.Item], a.clip(iv))
	}
	for item, list := range a.muted {
		a.muted[item] = union(list)
	}
	for _, id := range a.order {
		merged := union(stays[id])
		ua := &userAnalysis{connections: len(stays[id]), stays: merged, on: map[string][]span{}}
		// a track is on while published and not muted, and counts while its user is there
		bySource := map[string][]span{}
		for _, t := range in.Tracks {
			if t.UserID == id {
				bySource[t.Source] = append(bySource[t.Source], minus([]span{a.clip(t)}, a.muted[t.Item])...)
			}
		}
		for source, list := range bySource {
			ua.on[source] = intersect(union(list), merged)
		}
		// speaking counts within the connection it was heard on
		var talk []span
		for _, t := range in.Talking {
			if t.UserID == id {
				talk = append(talk, intersect([]span{a.clip(t)}, union(connection[t.Item]))...)
			}
		}
		ua.talk = union(talk)
		a.users[id] = ua
	}
	return a
}

// union merges overlapping spans, sorted.
func union(in []span) []span {
	list := append([]span(nil), in...)
	sort.Slice(list, func(i, j int) bool { return list[i].from.Before(list[j].from) })
	var out []span
	for _, sp := range list {
		if !sp.to.After(sp.from) {
			continue
		}
		if n := len(out); n > 0 && !sp.from.After(out[n-1].to) {
			if sp.to.After(out[n-1].to) {
				out[n-1].to = sp.to
			}
			continue
		}
		out = append(out, sp)
	}
	return out
}

// intersect is the part of a that lies within b (both merged and sorted).
func intersect(a, b []span) []span {
	var out []span
	for i, j := 0, 0; i < len(a) && j < len(b); {
		from, to := a[i].from, a[i].to
		if b[j].from.After(from) {
			from = b[j].from
		}
		if b[j].to.Before(to) {
			to = b[j].to
		}
		if to.After(from) {
			out = append(out, span{from, to})
		}
		if a[i].to.Before(b[j].to) {
			i++
		} else {
			j++
		}
	}
	return out
}

// minus is the part of a that lies outside b (both merged and sorted).
func minus(a, b []span) []span {
	var out []span
	for _, sp := range a {
		from := sp.from
		for _, cut := range b {
			if !cut.to.After(from) || !cut.from.Before(sp.to) {
				continue // before what is left of sp, or after it
			}
			if cut.from.After(from) {
				out = append(out, span{from, cut.from})
			}
			from = cut.to
		}
		if sp.to.After(from) {
			out = append(out, span{from, sp.to})
		}
	}
	return out
}

func total(list []span) time.Duration {
	var d time.Duration
	for _, sp := range list {
		d += sp.to.Sub(sp.from)
	}
	return d
}

// peak is the largest number of users connected at once.
func peak(stays map[string][]span) int {
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, list := range stays {
		for _, sp := range union(list) {
			edges = append(edges, edge{sp.from, 1}, edge{sp.to, -1})
		}
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].at.Equal(edges[j].at) {
			return edges[i].delta < edges[j].delta // a leave before a join at the same instant
		}
		return edges[i].at.Before(edges[j].at)
	})
	n, best := 0, 0
	for _, e := range edges {
		n += e.delta
		best = max(best, n)
	}
	return best
}

// JSON is the report as the JSON file holds it.
func (r Report) JSON() []byte {
	b, _ := json.MarshalIndent(r, "", "  ")
	return append(b, '\n')
}

// CSV is one row per user, for spreadsheets.
func (r Report) CSV() []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"room_id", "sid", "room_title", "user_id", "name", "is_admin", "joins", "first_joined", "last_left",
		"present_seconds", "microphone_seconds", "camera_seconds", "screen_share_seconds", "talk_seconds"})
	for _, u := range r.Users {
		first, last := "", ""
		if n := len(u.Segments); n > 0 {
			first, last = u.Segments[0].Joined.Format(time.RFC3339), u.Segments[n-1].Left.Format(time.RFC3339)
		}
		_ = w.Write([]string{cell(r.RoomID), cell(r.SID), cell(r.RoomTitle), cell(u.UserID), cell(u.Name), strconv.FormatBool(u.IsAdmin), strconv.Itoa(u.Joins),
			first, last, i64(u.PresentSeconds), i64(u.MicSeconds), i64(u.CameraSeconds), i64(u.ScreenSeconds), i64(u.TalkSeconds)})
	}
	w.Flush()
	return buf.Bytes()
}

// cell makes a text cell safe for spreadsheets: one starting with = + - @, a tab or a carriage
// return would be read as a formula (doc/security.md), so it gets a leading apostrophe.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func i64(n int64) string { return strconv.FormatInt(n, 10) }
