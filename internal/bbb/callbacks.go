package bbb

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"meetd/internal/analytics"
	"meetd/internal/bbbdata"
	"meetd/internal/meet"
	"meetd/internal/outbox"
	"meetd/internal/store"
)

// BBB's callbacks (doc/bbb.md, "Callbacks" and "Hooks"). meetd's events are turned into BBB
// callbacks by the feed, which runs in the webhook dispatcher before each fan-out (an
// outbox.Extension): each callback is an event of its own (bbbdata.CallbackEvent) that names its
// URL, written in the transaction that moves the feed's cursor, so none is lost or made twice.
// The outbox delivers them like the webhooks: durable, retried with backoff, in order per room
// and URL. The request of each attempt is made here (Request), signed afresh with the secret,
// which is never stored with them.

// The kinds of callbacks.
const (
	kindHook           = "hook"            // hooks/create: POST form, checksum in the URL
	kindEnd            = "end"             // meta_endCallbackUrl: GET with meetingID and recordingmarks
	kindMeetingEnded   = "meeting_ended"   // meetingEndedURL: GET as given
	kindRecordingReady = "recording_ready" // meta_bbb-recording-ready-url: POST signed_parameters (HS256)
	kindAnalytics      = "analytics"       // meta_analytics-callback-url: POST JSON, Bearer HS512
)

// callback is the body of a bbbdata.CallbackEvent event.
type callback struct {
	Event     string `json:"event"` // bbbdata.CallbackEvent
	ID        string `json:"id"`
	CreatedAt int64  `json:"created_at"`
	Kind      string `json:"kind"`
	URL       string `json:"url"`
	Body      string `json:"body,omitempty"` // hook: the form; analytics: the JSON
	MeetingID string `json:"meeting_id,omitempty"`
	RecordID  string `json:"record_id,omitempty"`
}

// callbackStore is what the callbacks need of the store.
type callbackStore interface {
	BBBFeed(ctx context.Context, limit int, turn func([]bbbdata.FeedEvent) (bbbdata.Feed, error)) (int, error)
	BBBMeeting(ctx context.Context, sid string) (*store.BBBMeeting, error)
	ReportInput(ctx context.Context, sid string) (*analytics.Input, error)
}

// Extension is what the webhook dispatcher runs of the BBB API (outbox.Dispatcher.Extend).
func (s *Server) Extension() outbox.Extension { return extension{s} }

type extension struct{ s *Server }

func (e extension) Feed(ctx context.Context) error { return e.s.feed(ctx) }
func (e extension) Request(ctx context.Context, del outbox.Delivery, now time.Time) (*http.Request, error) {
	return e.s.request(ctx, del, now)
}

// Delivered: a hook call answered 401 is delivered, as bbb-webhooks counts it.
func (e extension) Delivered(del outbox.Delivery, code int) bool {
	if del.Event != bbbdata.CallbackEvent || code != http.StatusUnauthorized {
		return false
	}
	var c callback
	return json.Unmarshal(del.Body, &c) == nil && c.Kind == kindHook
}

// feedBatch is how many events one feed transaction reads.
const feedBatch = 200

// holdFor is how long the feed waits for a new session's BBB data: create writes it right after
// the session, and an event of the session read in between would otherwise be taken for a
// plugNmeet room's.
const holdFor = 5 * time.Second

func (s *Server) feed(ctx context.Context) error {
	for {
		n, err := s.store.BBBFeed(ctx, feedBatch, func(events []bbbdata.FeedEvent) (bbbdata.Feed, error) {
			return s.turn(ctx, events)
		})
		if err != nil || n < feedBatch {
			return err
		}
	}
}

// feedState is what one batch knows of its sessions.
type feedState struct {
	meetings   map[string]*store.BBBMeeting // by sid; nil: not a BBB meeting
	recordings map[string]bool              // sids with a BBB recording (stored or made in this batch)
	hooks      []bbbdata.Hook
	users      map[string]map[string]*meet.User // by sid
}

// usersOf are a session's users (what the joins said of them), read once per batch.
func (s *Server) usersOf(ctx context.Context, st *feedState, sid string) (map[string]*meet.User, error) {
	if u, ok := st.users[sid]; ok {
		return u, nil
	}
	u, err := s.store.Users(ctx, sid)
	st.users[sid] = u
	return u, err
}

// turn turns a batch of events into BBB callbacks and recordings.
func (s *Server) turn(ctx context.Context, events []bbbdata.FeedEvent) (bbbdata.Feed, error) {
	var feed bbbdata.Feed
	hooks, err := s.store.BBBHooks(ctx)
	if err != nil {
		return feed, err
	}
	st := &feedState{meetings: map[string]*store.BBBMeeting{}, recordings: map[string]bool{}, hooks: hooks, users: map[string]map[string]*meet.User{}}
	now := s.now()
	for _, fe := range events {
		if fe.SID == "" {
			continue
		}
		m, known := st.meetings[fe.SID]
		if !known {
			if m, err = s.store.BBBMeeting(ctx, fe.SID); err != nil {
				return feed, err
			}
			st.meetings[fe.SID] = m
		}
		var ev meet.Event
		if err := json.Unmarshal(fe.Body, &ev); err != nil {
			continue // not an event meetd wrote: nothing to say of it
		}
		if m == nil {
			// Not (yet) a BBB meeting: a new session's BBB data may still be on its way.
			if ev.Room != nil && now.Sub(time.Unix(ev.Room.CreationTime, 0)) < holdFor && ev.Event == meet.EventRoomCreated {
				feed.Hold, feed.Through = true, fe.Seq-1
				return feed, nil
			}
			continue
		}
		if err := s.turnOne(ctx, st, &feed, fe, &ev, m); err != nil {
			return feed, err
		}
	}
	return feed, nil
}

// turnOne adds what one event of a BBB meeting makes.
func (s *Server) turnOne(ctx context.Context, st *feedState, feed *bbbdata.Feed, fe bbbdata.FeedEvent, ev *meet.Event, m *store.BBBMeeting) error {
	add := func(kind, to string, c callback) {
		c.Event, c.ID, c.CreatedAt, c.Kind, c.URL = bbbdata.CallbackEvent, meet.NewID("EV_"), fe.CreatedAt, kind, to
		body, _ := json.Marshal(c)
		feed.Callbacks = append(feed.Callbacks, bbbdata.Callback{ID: c.ID, RoomID: fe.RoomID, SID: fe.SID, URL: to, Body: body, CreatedAt: fe.CreatedAt})
	}
	meta := m.Data.Meta
	var err error
	hasRecording := func() (bool, error) {
		if st.recordings[fe.SID] {
			return true, nil
		}
		r, err := s.store.BBBRecordingOfSession(ctx, fe.SID)
		return r != nil, err
	}
	switch ev.Event {
	case meet.EventStartRecording, meet.EventRecordingProceeded:
		ok, err := hasRecording()
		if err != nil {
			return err
		}
		if !ok {
			feed.Recordings = append(feed.Recordings, s.newRecording(m, fe))
			st.recordings[fe.SID] = true
		}
		if ev.Event == meet.EventRecordingProceeded {
			if to := recordingReadyURL(meta); to != "" {
				add(kindRecordingReady, to, callback{MeetingID: m.MeetingID, RecordID: m.InternalMeetingID})
			}
		}
	case meet.EventRoomFinished:
		ok, err := hasRecording()
		if err != nil {
			return err
		}
		if to := meta["endcallbackurl"]; to != "" && validCallbackURL(to) {
			add(kindEnd, endCallbackURL(to, m.MeetingID, ok), callback{MeetingID: m.MeetingID})
		}
		if to := m.Data.Params["meetingEndedURL"]; to != "" && validCallbackURL(to) {
			add(kindMeetingEnded, to, callback{MeetingID: m.MeetingID})
		}
		if to := meta["analytics-callback-url"]; to != "" && validCallbackURL(to) {
			body, err := s.analyticsBody(ctx, m)
			if err != nil {
				return err
			}
			if body != nil {
				add(kindAnalytics, to, callback{MeetingID: m.MeetingID, Body: string(body)})
			}
		}
	}
	var users map[string]*meet.User
	if ev.Participant != nil && len(st.hooks) > 0 {
		if users, err = s.usersOf(ctx, st, fe.SID); err != nil {
			return err
		}
	}
	for _, he := range s.hookEvents(ev, m, users) {
		for _, h := range st.hooks {
			if fe.Seq <= h.AfterSeq || (h.MeetingID != "" && h.MeetingID != m.MeetingID) || !hookWants(h, he.id) {
				continue
			}
			add(kindHook, h.CallbackURL, callback{MeetingID: m.MeetingID, Body: hookBody(s.domain(), he.json, fe.CreatedAt)})
		}
	}
	return nil
}

// newRecording is the BBB recording of a BBB meeting's session (doc/bbb.md, "Recordings"): its
// metadata is create's meta_* with meetingId, meetingName and isBreakout.
func (s *Server) newRecording(m *store.BBBMeeting, fe bbbdata.FeedEvent) bbbdata.Recording {
	md := map[string]string{}
	for k, v := range m.Data.Meta {
		md[k] = v
	}
	isBreakout := m.Data.Params["isBreakout"] == "true"
	md["meetingId"], md["meetingName"], md["isBreakout"] = m.MeetingID, m.Data.Name, strconv.FormatBool(isBreakout)
	return bbbdata.Recording{
		RecordID: m.InternalMeetingID, SID: m.SID, RoomID: m.RoomID, MeetingID: m.MeetingID, Name: m.Data.Name,
		IsBreakout: isBreakout, Published: true, Metadata: md, StartTime: time.UnixMilli(m.CreateTime), CreatedAt: s.now(),
	}
}

// recordingReadyURL is the recording-ready callback's URL: meta_bbb-recording-ready-url, or
// its older names.
func recordingReadyURL(meta map[string]string) string {
	for _, k := range []string{"bbb-recording-ready-url", "bn-recording-ready-url", "canvas-recording-ready-url"} {
		if v := meta[k]; v != "" && validCallbackURL(v) {
			return v
		}
	}
	return ""
}

func validCallbackURL(s string) bool { return outbox.ValidURL(s) }

// endCallbackURL is meta_endCallbackUrl with meetingID and recordingmarks added, as bbb-web adds them.
func endCallbackURL(to, meetingID string, recorded bool) string {
	sep := "?"
	if strings.Contains(to, "?") {
		sep = "&"
	}
	return to + sep + "recordingmarks=" + strconv.FormatBool(recorded) + "&meetingID=" + url.QueryEscape(meetingID)
}

// domain is the server's domain in hook calls (bbb-webhooks' serverDomain).
func (s *Server) domain() string {
	if s.deps.Domain != "" {
		return s.deps.Domain
	}
	return "localhost"
}

// analyticsBody is the analytics callback's JSON (BBB's post_events_analytics_callback): one
// attendee per user from meetd's attendance data; nil if the session has none.
func (s *Server) analyticsBody(ctx context.Context, m *store.BBBMeeting) ([]byte, error) {
	in, err := s.store.ReportInput(ctx, m.SID)
	if err != nil || in == nil {
		return nil, err
	}
	r := analytics.Build(in)
	type engagement struct {
		Chats     int   `json:"chats"`
		Talks     int   `json:"talks"`
		RaiseHand int   `json:"raisehand"`
		Emojis    int   `json:"emojis"`
		PollVotes int   `json:"poll_votes"`
		Pollvotes int   `json:"pollvotes"`
		TalkTime  int64 `json:"talk_time"`
	}
	type attendee struct {
		ExtUserID  string     `json:"ext_user_id"`
		Name       string     `json:"name"`
		Moderator  bool       `json:"moderator"`
		Joins      []int64    `json:"joins"`
		Leaves     []int64    `json:"leaves"`
		Duration   int64      `json:"duration"` // seconds present
		Engagement engagement `json:"engagement"`
	}
	talks := map[string]int{}
	for _, iv := range in.Talking {
		talks[iv.UserID]++
	}
	votes := map[string]int{}
	for _, list := range in.Votes {
		for _, v := range list {
			votes[v.UserID]++
		}
	}
	attendees := []attendee{}
	for _, u := range r.Users {
		a := attendee{ExtUserID: u.UserID, Name: u.Name, Moderator: u.IsAdmin, Joins: []int64{}, Leaves: []int64{}, Duration: u.PresentSeconds}
		if usr := in.Users[u.UserID]; usr != nil && usr.Metadata.ExUserID != "" {
			a.ExtUserID = usr.Metadata.ExUserID
		}
		for _, sg := range u.Segments {
			a.Joins = append(a.Joins, sg.Joined.UnixMilli())
			a.Leaves = append(a.Leaves, sg.Left.UnixMilli())
		}
		a.Engagement = engagement{Chats: u.ChatMessages, Talks: talks[u.UserID], RaiseHand: u.HandsRaised,
			PollVotes: votes[u.UserID], Pollvotes: votes[u.UserID], TalkTime: u.TalkSeconds}
		attendees = append(attendees, a)
	}
	body := map[string]any{
		"version":             "1.0",
		"meeting_id":          m.MeetingID,
		"internal_meeting_id": m.InternalMeetingID,
		"data": map[string]any{
			"metadata":  map[string]any{"meeting_name": m.Data.Name, "analytics_callback_url": m.Data.Meta["analytics-callback-url"]},
			"duration":  r.DurationSecs,
			"start":     r.Start.UnixMilli(),
			"finish":    r.End.UnixMilli(),
			"attendees": attendees,
			"files":     []string{},
			"polls":     []any{},
		},
	}
	return json.Marshal(body)
}

// request makes the HTTP request of one attempt of a callback (outbox.Extension.Request).
func (s *Server) request(ctx context.Context, del outbox.Delivery, now time.Time) (*http.Request, error) {
	if del.Event != bbbdata.CallbackEvent {
		return nil, nil
	}
	var c callback
	if err := json.Unmarshal(del.Body, &c); err != nil {
		return nil, errors.New("unreadable BBB callback")
	}
	secret := s.cfg.Secrets[0]
	var req *http.Request
	var err error
	switch c.Kind {
	case kindEnd, kindMeetingEnded:
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
	case kindHook:
		to := c.URL + "?"
		if u, perr := url.Parse(c.URL); perr == nil && u.RawQuery != "" {
			to = c.URL + "&"
		}
		to += "checksum=" + hookChecksum(c.URL, c.Body, secret)
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, to, strings.NewReader(c.Body))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	case kindRecordingReady:
		token := signJWT("HS256", secret, map[string]any{"meeting_id": c.MeetingID, "record_id": c.RecordID})
		form := url.Values{"signed_parameters": {token}}.Encode()
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, c.URL, strings.NewReader(form))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	case kindAnalytics:
		token := signJWT("HS512", secret, map[string]any{"exp": now.Add(24 * time.Hour).Unix()})
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, c.URL, strings.NewReader(c.Body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("User-Agent", "BigBlueButton Analytics Callback")
		}
	default:
		return nil, fmt.Errorf("unknown BBB callback kind %q", c.Kind)
	}
	if err != nil {
		return nil, errors.New("invalid URL") // its parse error would quote it
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "meetd-bbb")
	}
	return req, nil
}

// hookChecksum is bbb-webhooks' checksum of a call: sha1 of the callback URL, the body and the secret.
func hookChecksum(callbackURL, body, secret string) string {
	sum := sha1.Sum([]byte(callbackURL + body + secret))
	return hex.EncodeToString(sum[:])
}

// signJWT signs claims with HS256 or HS512, header {"typ":"JWT","alg":…} as BBB's scripts write it.
func signJWT(alg, secret string, claims map[string]any) string {
	header, _ := json.Marshal(map[string]string{"typ": "JWT", "alg": alg})
	payload, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	var h func() hash.Hash = sha256.New
	if alg == "HS512" {
		h = sha512.New
	}
	mac := hmac.New(h, []byte(secret))
	mac.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(mac.Sum(nil))
}

// formEncode encodes as the WHATWG URLSearchParams does (bbb-webhooks' body): keys in the given
// order, space as +, only *-._ and alphanumerics left as they are.
func formEncode(pairs ...[2]string) string {
	var b bytes.Buffer
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(urlencode(p[0]))
		b.WriteByte('=')
		b.WriteString(urlencode(p[1]))
	}
	return b.String()
}

func urlencode(s string) string {
	const hexdig = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '*', c == '-', c == '.', c == '_':
			b.WriteByte(c)
		case c == ' ':
			b.WriteByte('+')
		default:
			b.WriteByte('%')
			b.WriteByte(hexdig[c>>4])
			b.WriteByte(hexdig[c&15])
		}
	}
	return b.String()
}

// hookBody is a hook call's body: domain, the event in a JSON array, the time in ms.
func hookBody(domain string, event []byte, createdAt int64) string {
	return formEncode([2]string{"domain", domain}, [2]string{"event", "[" + string(event) + "]"},
		[2]string{"timestamp", strconv.FormatInt(createdAt*1000, 10)})
}
