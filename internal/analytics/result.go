package analytics

import (
	"encoding/json"
	"sort"
	"strconv"
	"time"

	"meetd/internal/meet"
)

// The session's analytics as plugNmeet's AnalyticsResult message (doc/api.md, "Artifacts"), in
// its protobuf JSON form: the MEETING_ANALYTICS artifact's file, which plugNmeet's SDKs read with
// their AnalyticsFormatter. The events are named as that formatter reads them (joined, left,
// mic_status, …); times of values are Unix ms, room times Unix seconds.

// Result is AnalyticsResult.
type Result struct {
	Room  ResultRoom   `json:"room"`
	Users []ResultUser `json:"users"`
}

// ResultRoom is AnalyticsRoomInfo.
type ResultRoom struct {
	RoomID         string        `json:"room_id"`
	RoomTitle      string        `json:"room_title"`
	RoomTotalUsers pbInt64       `json:"room_total_users"`
	RoomCreation   pbInt64       `json:"room_creation"` // Unix s
	RoomEnded      pbInt64       `json:"room_ended"`    // Unix s
	RoomDuration   pbInt64       `json:"room_duration"` // s
	EnabledE2EE    bool          `json:"enabled_e2ee"`
	Events         []ResultEvent `json:"events"`
}

// ResultUser is AnalyticsUserInfo.
type ResultUser struct {
	UserID   string        `json:"user_id"`
	Name     string        `json:"name"`
	IsAdmin  bool          `json:"is_admin"`
	ExUserID *string       `json:"ex_user_id,omitempty"`
	Events   []ResultEvent `json:"events"`
}

// ResultEvent is AnalyticsEventData.
type ResultEvent struct {
	Name   string        `json:"name"`
	Total  uint32        `json:"total"`
	Values []ResultValue `json:"values"`
}

// ResultValue is AnalyticsEventValue.
type ResultValue struct {
	Time  pbInt64 `json:"time"` // Unix ms
	Value string  `json:"value"`
}

// pbInt64 is an int64 as protobuf JSON writes it: a decimal string.
type pbInt64 int64

func (v pbInt64) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, strconv.FormatInt(int64(v), 10)), nil
}

// The values of the status events (plugNmeet's AnalyticsStatus names).
const (
	statusStarted = "ANALYTICS_STATUS_STARTED"
	statusEnded   = "ANALYTICS_STATUS_ENDED"
	statusMuted   = "ANALYTICS_STATUS_MUTED"
	statusUnmuted = "ANALYTICS_STATUS_UNMUTED"
)

// BuildResult makes the AnalyticsResult of an ended session, from the same intervals as its
// attendance report:
//   - joined, left: each stay (overlapping connections merged), at its start and end; value = time;
//   - mic_status, webcam_status, screen_share_status: STARTED and ENDED bound each span the track
//     was on (published, not muted, its user connected); mic_status also has MUTED and UNMUTED at
//     each mute and unmute of a published microphone while its user was connected;
//   - talked: how many times the user started speaking; talked_duration: milliseconds speaking
//     (LiveKit's speaker detection, within the connection it was heard on), both as total.
//
// Room times are whole seconds that hold every event: the start rounded down, the end up.
func BuildResult(in *Input) Result {
	s := in.Session
	a := analyse(in)
	created := s.CreatedAt.Unix()
	ended := (a.end.UnixMilli() + 999) / 1000
	r := Result{
		Room: ResultRoom{
			RoomID: s.RoomID, RoomTitle: s.Title(), RoomTotalUsers: pbInt64(len(a.order)),
			RoomCreation: pbInt64(created), RoomEnded: pbInt64(ended), RoomDuration: pbInt64(max(ended-created, 0)),
			EnabledE2EE: meet.E2EEOf(&s.Metadata.RoomFeatures).Enabled, Events: []ResultEvent{},
		},
		Users: []ResultUser{},
	}
	r.Room.Events = append(r.Room.Events, pollRoomEvents(in, a.end)...)
	for _, id := range a.order {
		ua := a.users[id]
		u := ResultUser{UserID: id}
		if usr := in.Users[id]; usr != nil {
			u.Name, u.IsAdmin = usr.Name, usr.IsAdmin
			if ex := usr.Metadata.ExUserID; ex != "" {
				u.ExUserID = &ex
			}
		}
		var joined, left []ResultValue
		for _, sp := range ua.stays {
			joined = append(joined, stamp(sp.from, ""))
			left = append(left, stamp(sp.to, ""))
		}
		mic := statusValues(ua.on["MICROPHONE"])
		// mutes of a published microphone, while its user was there
		for _, t := range in.Tracks {
			if t.UserID != id || t.Source != "MICROPHONE" {
				continue
			}
			pub := a.clip(t)
			for _, m := range intersect(intersect([]span{pub}, a.muted[t.Item]), ua.stays) {
				mic = append(mic, stamp(m.from, statusMuted))
				if m.to.Before(pub.to) && within(m.to, ua.stays) {
					mic = append(mic, stamp(m.to, statusUnmuted))
				}
			}
		}
		talkMs := total(ua.talk).Milliseconds()
		u.Events = []ResultEvent{
			event("joined", joined),
			event("left", left),
			event("mic_status", mic),
			event("webcam_status", statusValues(ua.on["CAMERA"])),
			event("screen_share_status", statusValues(ua.on["SCREEN_SHARE"])),
			{Name: "talked", Total: uint32(len(ua.talk)), Values: []ResultValue{}},
			{Name: "talked_duration", Total: uint32(min(talkMs, 1<<32-1)), Values: []ResultValue{}},
		}
		chats := in.Chats[id]
		hands := 0
		for _, h := range in.Hands {
			if h.UserID == id {
				hands++
			}
		}
		for _, c := range []struct {
			name string
			n    int
		}{{"public_chat", chats.Public}, {"private_chat", chats.Private}, {"chat_files", chats.Files}, {"raise_hand", hands}} {
			if c.n > 0 { // as plugNmeet: an event only for what happened
				u.Events = append(u.Events, ResultEvent{Name: c.name, Total: uint32(c.n), Values: []ResultValue{}})
			}
		}
		if e := votedPoll(in, id); e != nil {
			u.Events = append(u.Events, *e)
		}
		r.Users = append(r.Users, u)
	}
	return r
}

// JSON is the result as the artifact's file holds it.
func (r Result) JSON() []byte {
	b, _ := json.Marshal(r)
	return append(b, '\n')
}

// stamp is a value at t: value, or the time itself (joined, left) when value is empty.
func stamp(t time.Time, value string) ResultValue {
	ms := t.UnixMilli()
	if value == "" {
		value = strconv.FormatInt(ms, 10)
	}
	return ResultValue{Time: pbInt64(ms), Value: value}
}

// statusValues are STARTED and ENDED around each span.
func statusValues(on []span) []ResultValue {
	var out []ResultValue
	for _, sp := range on {
		out = append(out, stamp(sp.from, statusStarted), stamp(sp.to, statusEnded))
	}
	return out
}

// within reports whether t falls inside one of the spans (not at its end).
func within(t time.Time, spans []span) bool {
	for _, sp := range spans {
		if !t.Before(sp.from) && t.Before(sp.to) {
			return true
		}
	}
	return false
}

// event is an event with its values in time order (at one instant, what ends before what
// starts), and their number as total.
func event(name string, values []ResultValue) ResultEvent {
	rank := map[string]int{statusEnded: 0, statusMuted: 1, statusUnmuted: 2, statusStarted: 3}
	sort.SliceStable(values, func(i, j int) bool {
		if values[i].Time != values[j].Time {
			return values[i].Time < values[j].Time
		}
		return rank[values[i].Value] < rank[values[j].Value]
	})
	if values == nil {
		values = []ResultValue{}
	}
	return ResultEvent{Name: name, Total: uint32(len(values)), Values: values}
}
