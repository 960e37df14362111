package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"meetd/internal/meet"
)

// Wire is the JSON dialect of a signed API call (doc/api.md, "Two dialects"): the documented one
// of the seed and SDK 1.x (snake_case keys, booleans is_running & co.), or the protobuf-JSON one
// of SDK 2.x and the plugins built on it (lowerCamelCase keys in requests; answers with exactly
// the fields of plugNmeet's messages, int32 flags, 64-bit integers as strings, enum names).
type Wire int

const (
	WireDocs Wire = iota
	WireProto
)

func (w Wire) String() string {
	if w == WireProto {
		return "protojson"
	}
	return "docs"
}

// ParseWire reads a configured dialect name: "docs" or "protojson".
func ParseWire(s string) (Wire, bool) {
	switch s {
	case "", "docs":
		return WireDocs, true
	case "protojson":
		return WireProto, true
	}
	return WireDocs, false
}

type wireKey struct{}

// wireOf is the dialect of the call r: set by the signed door, WireDocs elsewhere (the dashboard,
// the page).
func wireOf(r *http.Request) Wire {
	w, _ := r.Context().Value(wireKey{}).(Wire)
	return w
}

func withWire(r *http.Request, w Wire) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), wireKey{}, w))
}

// wires remembers the dialect each API key last showed, for the calls whose body shows none (the
// bare {} of getActiveRoomsInfo): a backend speaks one SDK generation. The store keeps it across
// restarts and for the other meetd processes; this keeps it in memory.
type wires struct {
	mu   sync.Mutex
	last map[string]Wire
}

// WireStore keeps the dialect each API key last showed ("docs" or "protojson").
type WireStore interface {
	APIWire(ctx context.Context, apiKey string) (string, error)
	SetAPIWire(ctx context.Context, apiKey, wire string, at time.Time) error
}

// of returns the dialect of a call with body from apiKey: the one its keys show, else the one
// this key last showed, else def. st may be nil; its errors are logged and leave the answer to
// memory and def.
func (ws *wires) of(ctx context.Context, st WireStore, log *slog.Logger, apiKey string, body []byte, def Wire) Wire {
	w, shown := bodyWire(body)
	ws.mu.Lock()
	last, known := ws.last[apiKey]
	if shown && (!known || last != w) {
		if ws.last == nil {
			ws.last = map[string]Wire{}
		}
		ws.last[apiKey] = w
	}
	ws.mu.Unlock()
	switch {
	case shown && (!known || last != w) && st != nil:
		if err := st.SetAPIWire(ctx, apiKey, w.String(), time.Now()); err != nil {
			log.Warn("could not store the API key's dialect", "err", err)
		}
		return w
	case shown:
		return w
	case known:
		return last
	case st == nil:
		return def
	}
	name, err := st.APIWire(ctx, apiKey)
	if err != nil {
		log.Warn("could not read the API key's dialect", "err", err)
		return def
	}
	stored, ok := ParseWire(name)
	if !ok || name == "" {
		return def
	}
	ws.mu.Lock()
	if _, known := ws.last[apiKey]; !known {
		if ws.last == nil {
			ws.last = map[string]Wire{}
		}
		ws.last[apiKey] = stored
	}
	ws.mu.Unlock()
	return stored
}

// bodyWire tells the dialect from a request body's keys: a lowerCamelCase key (roomId) is
// protobuf-JSON, a snake_case one (room_id) is the documented dialect. Keys inside extra_data
// are the caller's own and say nothing. shown is false when no key tells (a bare {}, or only
// one-word keys like from and limit).
func bodyWire(body []byte) (w Wire, shown bool) {
	body = bytes.TrimSpace(body)
	if len(body) < 3 { // {} or empty
		return WireDocs, false
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return WireDocs, false
	}
	camel, snake := keyStyles(v)
	switch {
	case camel && !snake:
		return WireProto, true
	case snake:
		return WireDocs, true
	}
	return WireDocs, false
}

func keyStyles(v any) (camel, snake bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if strings.Contains(k, "_") {
				snake = true
			} else if strings.IndexFunc(k, unicode.IsUpper) > 0 {
				camel = true
			}
			if k == "extra_data" || k == "extraData" {
				continue
			}
			c, s := keyStyles(val)
			camel, snake = camel || c, snake || s
		}
	case []any:
		for _, val := range x {
			c, s := keyStyles(val)
			camel, snake = camel || c, snake || s
		}
	}
	return camel, snake
}

// pbInt64 is a 64-bit integer in a protojson answer: a decimal string, as protojson writes it.
type pbInt64 int64

func (v pbInt64) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, strconv.FormatInt(int64(v), 10)), nil
}

// pbFlag is a plugNmeet int32 flag (is_running and the like): 0 or 1.
func pbFlag(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// The answers to WireProto callers: plugNmeet's messages with exactly their fields, in the order
// and shape protojson (UseProtoNames, EmitUnpopulated) writes them (doc/api.md, "Two dialects").
// A proto3 optional field that is unset is left out, as protojson leaves it out.

// pbActiveRoomInfo is plugNmeet's ActiveRoomInfo.
type pbActiveRoomInfo struct {
	RoomTitle          string  `json:"room_title"`
	RoomID             string  `json:"room_id"`
	SID                string  `json:"sid"`
	JoinedParticipants pbInt64 `json:"joined_participants"`
	IsRunning          int32   `json:"is_running"`
	IsRecording        int32   `json:"is_recording"`
	IsActiveRTMP       int32   `json:"is_active_rtmp"`
	WebhookURL         string  `json:"webhook_url"`
	IsBreakoutRoom     int32   `json:"is_breakout_room"`
	ParentRoomID       string  `json:"parent_room_id"`
	CreationTime       pbInt64 `json:"creation_time"`
	Metadata           string  `json:"metadata"`
}

func pbRoomInfo(ri *meet.RoomInfo) pbActiveRoomInfo {
	return pbActiveRoomInfo{
		RoomTitle: ri.RoomTitle, RoomID: ri.RoomID, SID: ri.SID, JoinedParticipants: pbInt64(ri.JoinedParticipants),
		IsRunning: pbFlag(ri.IsRunning), IsRecording: pbFlag(ri.IsRecording), IsActiveRTMP: pbFlag(ri.IsActiveRTMP),
		WebhookURL: ri.WebhookURL, CreationTime: pbInt64(ri.CreationTime), Metadata: pbRoomMetadataJSON(ri),
		IsBreakoutRoom: pbFlag(ri.IsBreakoutRoom), ParentRoomID: ri.ParentRoomID, // breakout rooms
	}
}

// pbRoom is plugNmeet's ActiveRoomWithParticipant.
type pbRoom struct {
	RoomInfo         *pbActiveRoomInfo `json:"room_info,omitempty"`
	ParticipantsInfo []pbParticipant   `json:"participants_info"`
}

func pbRoomOf(r *meet.Room) pbRoom {
	info := pbRoomInfo(&r.RoomInfo)
	out := pbRoom{RoomInfo: &info, ParticipantsInfo: make([]pbParticipant, 0, len(r.ParticipantsInfo))}
	for i := range r.ParticipantsInfo {
		out.ParticipantsInfo = append(out.ParticipantsInfo, pbParticipantOf(&r.ParticipantsInfo[i]))
	}
	return out
}

// pbParticipant is livekit.ParticipantInfo: the fields every LiveKit protocol version that the
// SDKs bundle knows (a strict parser refuses a key its version lacks; a missing one is fine).
type pbParticipant struct {
	SID         string       `json:"sid"`
	Identity    string       `json:"identity"`
	State       string       `json:"state"`
	Tracks      []pbTrack    `json:"tracks"`
	Metadata    string       `json:"metadata"`
	JoinedAt    pbInt64      `json:"joined_at"`
	Name        string       `json:"name"`
	Version     uint32       `json:"version"`
	Permission  pbPermission `json:"permission"`
	Region      string       `json:"region"`
	IsPublisher bool         `json:"is_publisher"`
	Kind        string       `json:"kind"`
}

// pbPermission is livekit.ParticipantPermission.
type pbPermission struct {
	CanSubscribe   bool `json:"can_subscribe"`
	CanPublish     bool `json:"can_publish"`
	CanPublishData bool `json:"can_publish_data"`
	Hidden         bool `json:"hidden"`
}

// pbTrack is livekit.TrackInfo.
type pbTrack struct {
	SID      string `json:"sid"`
	Type     string `json:"type"`
	Name     string `json:"name"`
	Muted    bool   `json:"muted"`
	Width    uint32 `json:"width"`
	Height   uint32 `json:"height"`
	Source   string `json:"source"`
	MimeType string `json:"mime_type"`
}

// enumOr is an enum name, or def (the enum's zero value) when there is none.
func enumOr(name, def string) string {
	if name == "" {
		return def
	}
	return name
}

func pbParticipantOf(p *meet.ParticipantInfo) pbParticipant {
	out := pbParticipant{
		SID: p.SID, Identity: p.Identity, State: enumOr(p.State, "JOINING"), Tracks: make([]pbTrack, 0, len(p.Tracks)),
		Metadata: pbUserMetadataJSON(p.Metadata), JoinedAt: pbInt64(p.JoinedAt), Name: p.Name, Version: p.Version,
		Permission: pbPermission{CanSubscribe: p.Permission.CanSubscribe, CanPublish: p.Permission.CanPublish,
			CanPublishData: p.Permission.CanPublishData, Hidden: p.Permission.Hidden},
		IsPublisher: p.IsPublisher, Kind: "STANDARD",
	}
	for _, t := range p.Tracks {
		out.Tracks = append(out.Tracks, pbTrack{SID: t.SID, Type: enumOr(t.Type, "AUDIO"), Muted: t.Muted, Width: t.Width,
			Height: t.Height, Source: enumOr(t.Source, "UNKNOWN"), MimeType: t.MimeType})
	}
	return out
}

// pbExtraData is extra_data in plugNmeet's shape: the object the caller sent, or the string the
// caller sent (an older SDK 2.x had optional string extra_data), else an empty object.
func pbExtraData(e meet.ExtraData) any {
	if e.IsObject() {
		return e.Object()
	}
	if e != "" {
		return string(e)
	}
	return map[string]string{}
}

// pbLocks is plugNmeet's LockSettings: every field is optional, an unset one left out.
type pbLocks struct {
	LockMicrophone    *bool `json:"lock_microphone,omitempty"`
	LockWebcam        *bool `json:"lock_webcam,omitempty"`
	LockScreenSharing *bool `json:"lock_screen_sharing,omitempty"`
	LockChat          *bool `json:"lock_chat,omitempty"`
	LockChatSendMsg   *bool `json:"lock_chat_send_message,omitempty"`
	LockChatFileShare *bool `json:"lock_chat_file_share,omitempty"`
	LockPrivateChat   *bool `json:"lock_private_chat,omitempty"`
	LockWhiteboard    *bool `json:"lock_whiteboard,omitempty"`
	LockSharedNotepad *bool `json:"lock_shared_notepad,omitempty"`
	LockReactions     *bool `json:"lock_reactions,omitempty"`
}

func pbLocksOf(l meet.LockSettings) pbLocks {
	return pbLocks{l.LockMicrophone, l.LockWebcam, l.LockScreenSharing, l.LockChat, l.LockChatSendMsg, l.LockChatFileShare,
		l.LockPrivateChat, l.LockWhiteboard, l.LockSharedNotepad, l.LockReactions}
}

// rewritten keeps metadata strings rewritten in plugNmeet's shapes, by their source: the room
// service hands out the same strings while a session's users and metadata do not change, so that
// a protojson getActiveRoomInfo of a large room does not parse and encode them again.
var rewrittenUsers, rewrittenRooms stringCache

type stringCache struct {
	mu    sync.Mutex
	m     map[string]string
	bytes int
}

// maxRewrittenBytes bounds each cache; when full it starts again empty.
const maxRewrittenBytes = 8 << 20

func (c *stringCache) get(key string, rewrite func() string) string {
	c.mu.Lock()
	v, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return v
	}
	v = rewrite()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || c.bytes+len(key)+len(v) > maxRewrittenBytes {
		c.m, c.bytes = map[string]string{}, 0
	}
	c.m[key] = v
	c.bytes += len(key) + len(v)
	return v
}

// pbUserMetadataJSON rewrites a participant's metadata (meet.ParticipantMetadata's JSON) as
// plugNmeet's UserMetadata. meetd has no presenter and no approval queue; a raised hand is not
// part of the metadata.
func pbUserMetadataJSON(s string) string {
	return rewrittenUsers.get(s, func() string { return userMetadataJSON(s) })
}

func userMetadataJSON(s string) string {
	var m meet.ParticipantMetadata
	if s == "" || json.Unmarshal([]byte(s), &m) != nil {
		return s
	}
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	type raisedHand struct {
		IsRaised bool    `json:"is_raised"`
		RaisedAt pbInt64 `json:"raised_at"`
	}
	return meet.JSON(struct {
		ProfilePic      *string    `json:"profile_pic,omitempty"`
		IsAdmin         bool       `json:"is_admin"`
		RecordWebcam    bool       `json:"record_webcam"`
		IsPresenter     bool       `json:"is_presenter"`
		RaisedHand      raisedHand `json:"raised_hand"`
		WaitForApproval bool       `json:"wait_for_approval"`
		PreferredLang   *string    `json:"preferred_lang,omitempty"`
		LockSettings    pbLocks    `json:"lock_settings"`
		ExtraData       any        `json:"extra_data"`
		ExUserID        *string    `json:"ex_user_id,omitempty"`
	}{opt(m.ProfilePic), m.IsAdmin, m.RecordWebcam, false, raisedHand{}, false, opt(m.PreferredLang),
		pbLocksOf(m.LockSettings), pbExtraData(m.ExtraData), opt(m.ExUserID)})
}

// pbRoomMetadataJSON rewrites the room's metadata (meet.RoomMetadata's JSON, every default
// filled) as plugNmeet's RoomMetadata: the newest feature names, the groups meetd stores as they
// came read through their is_allow (or old) switch, and a group never sent shown switched off,
// since meetd does not offer it. not_implemented has no place in the message: it is in the
// documented dialect's metadata only.
func pbRoomMetadataJSON(ri *meet.RoomInfo) string {
	key := fmt.Sprintf("%t,%t,%d,%s", ri.IsRecording, ri.IsActiveRTMP, ri.CreationTime, ri.Metadata)
	return rewrittenRooms.get(key, func() string { return roomMetadataJSON(ri) })
}

func roomMetadataJSON(ri *meet.RoomInfo) string {
	var m meet.RoomMetadata
	if json.Unmarshal([]byte(ri.Metadata), &m) != nil {
		return ri.Metadata
	}
	f := &m.RoomFeatures
	b := meet.Bool
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	type isAllow struct {
		IsAllow bool `json:"is_allow"`
	}
	type allowActive struct {
		IsAllow  bool `json:"is_allow"`
		IsActive bool `json:"is_active"`
	}
	num := func(g map[string]any, key string, def uint32) uint32 {
		switch v := g[key].(type) {
		case float64:
			if v >= 0 && v < 1<<32 {
				return uint32(v)
			}
		case string: // protobuf-JSON may send any integer as a string
			if n, err := strconv.ParseUint(v, 10, 32); err == nil {
				return uint32(n)
			}
		}
		return def
	}
	str := func(g map[string]any, key string) *string {
		if v, ok := g[key].(string); ok && v != "" {
			return &v
		}
		return nil
	}
	input := meet.IngressInputs[0]
	if v, ok := f.IngressFeatures["input_type"].(string); ok {
		input = v
	}
	copyright := meet.CopyrightConf{}
	if m.CopyrightConf != nil {
		copyright = *m.CopyrightConf
	}
	var duration *pbInt64
	if f.RoomDuration != nil {
		d := pbInt64(*f.RoomDuration)
		duration = &d
	}
	var maxFileSize *pbInt64
	if n := f.ChatFeatures.MaxFileSize; n != nil {
		v := pbInt64(*n)
		maxFileSize = &v
	}
	e2ee := f.EndToEndEncryptionFeatures
	sip := f.SipDialInFeatures
	return meet.JSON(struct {
		RoomTitle      string  `json:"room_title"`
		WelcomeMessage *string `json:"welcome_message,omitempty"`
		IsRecording    bool    `json:"is_recording"`
		IsActiveRTMP   bool    `json:"is_active_rtmp"`
		ParentRoomID   string  `json:"parent_room_id"`
		IsBreakoutRoom bool    `json:"is_breakout_room"`
		WebhookURL     *string `json:"webhook_url,omitempty"`
		StartedAt      pbInt64 `json:"started_at"`
		LogoutURL      *string `json:"logout_url,omitempty"`
		RoomFeatures   any     `json:"room_features"`
		DefaultLocks   pbLocks `json:"default_lock_settings"`
		CopyrightConf  any     `json:"copyright_conf"`
		ExtraData      any     `json:"extra_data"`
	}{
		RoomTitle: m.RoomTitle, WelcomeMessage: opt(m.WelcomeMessage), IsRecording: ri.IsRecording, IsActiveRTMP: ri.IsActiveRTMP,
		ParentRoomID: m.ParentRoomID, IsBreakoutRoom: m.IsBreakoutRoom, // breakout rooms
		WebhookURL: opt(m.WebhookURL), StartedAt: pbInt64(ri.CreationTime), LogoutURL: opt(m.LogoutURL),
		RoomFeatures: struct {
			AllowWebcams            bool     `json:"allow_webcams"`
			MuteOnStart             bool     `json:"mute_on_start"`
			AllowScreenShare        bool     `json:"allow_screen_share"`
			AllowRTMP               *bool    `json:"allow_rtmp,omitempty"`
			AllowViewOtherWebcams   bool     `json:"allow_view_other_webcams"`
			AllowViewOtherUsersList bool     `json:"allow_view_other_users_list"`
			AdminOnlyWebcams        bool     `json:"admin_only_webcams"`
			RoomDuration            *pbInt64 `json:"room_duration,omitempty"`
			EnableAnalytics         bool     `json:"enable_analytics"`
			AllowVirtualBg          *bool    `json:"allow_virtual_bg,omitempty"`
			AllowRaiseHand          *bool    `json:"allow_raise_hand,omitempty"`
			AllowReactions          *bool    `json:"allow_reactions,omitempty"`
			AutoGenUserID           *bool    `json:"auto_gen_user_id,omitempty"`
			RecordingFeatures       any      `json:"recording_features"`
			ChatFeatures            any      `json:"chat_features"`
			SharedNotePadFeatures   any      `json:"shared_note_pad_features"`
			WhiteboardFeatures      any      `json:"whiteboard_features"`
			ExternalMediaPlayer     any      `json:"external_media_player_features"`
			WaitingRoomFeatures     any      `json:"waiting_room_features"`
			BreakoutRoomFeatures    any      `json:"breakout_room_features"`
			DisplayExternalLink     any      `json:"display_external_link_features"`
			IngressFeatures         any      `json:"ingress_features"`
			EndToEndEncryption      any      `json:"end_to_end_encryption_features"`
			PollsFeatures           any      `json:"polls_features"`
			InsightsFeatures        any      `json:"insights_features"`
			SipDialInFeatures       any      `json:"sip_dial_in_features"`
			ExternalBroadcasting    any      `json:"external_broadcasting_features"`
		}{
			AllowWebcams: b(f.AllowWebcams), MuteOnStart: b(f.MuteOnStart), AllowScreenShare: b(f.AllowScreenShare), AllowRTMP: f.AllowRTMP,
			AllowViewOtherWebcams: b(f.AllowViewOtherWebcams), AllowViewOtherUsersList: b(f.AllowViewOtherUsersList),
			AdminOnlyWebcams: b(f.AdminOnlyWebcams), RoomDuration: duration, EnableAnalytics: b(f.EnableAnalytics),
			AllowVirtualBg: f.AllowVirtualBg, AllowRaiseHand: f.AllowRaiseHand, AllowReactions: f.AllowReactions, AutoGenUserID: f.AutoGenUserID,
			RecordingFeatures: struct {
				IsAllow                  bool `json:"is_allow"`
				IsAllowCloud             bool `json:"is_allow_cloud"`
				EnableAutoCloudRecording bool `json:"enable_auto_cloud_recording"`
				IsAllowLocal             bool `json:"is_allow_local"`
				OnlyRecordAdminWebcams   bool `json:"only_record_admin_webcams"`
			}{b(f.RecordingFeatures.IsAllow), b(f.RecordingFeatures.IsAllowCloud), b(f.RecordingFeatures.EnableAutoCloudRecording),
				b(f.RecordingFeatures.IsAllowLocal), b(f.RecordingFeatures.OnlyRecordAdminWebcams)},
			ChatFeatures: struct {
				IsAllow           bool     `json:"is_allow"`
				IsAllowFileUpload bool     `json:"is_allow_file_upload"`
				AllowedFileTypes  []string `json:"allowed_file_types"`
				MaxFileSize       *pbInt64 `json:"max_file_size,omitempty"`
			}{b(f.ChatFeatures.AllowChat), b(f.ChatFeatures.AllowFileUpload), nonNil(f.ChatFeatures.AllowedFileTypes), maxFileSize},
			SharedNotePadFeatures: struct {
				IsAllow   bool   `json:"is_allow"`
				IsActive  bool   `json:"is_active"`
				Visible   bool   `json:"visible"`
				NotePadID string `json:"note_pad_id"`
			}{IsAllow: meet.GroupOn(f.SharedNotePadFeatures, "allowed_shared_note_pad")},
			WhiteboardFeatures: struct {
				IsAllow          bool    `json:"is_allow"`
				Visible          bool    `json:"visible"`
				PreloadFile      *string `json:"preload_file,omitempty"`
				WhiteboardFileID string  `json:"whiteboard_file_id"`
				FileName         string  `json:"file_name"`
				FilePath         string  `json:"file_path"`
				TotalPages       uint32  `json:"total_pages"`
			}{IsAllow: meet.GroupOn(f.WhiteboardFeatures, "allowed_whiteboard"), PreloadFile: str(f.WhiteboardFeatures, "preload_file")},
			ExternalMediaPlayer: allowActive{IsAllow: meet.GroupOn(f.ExternalMediaPlayerFeatures, "allowed_external_media_player")},
			WaitingRoomFeatures: struct {
				IsActive       bool   `json:"is_active"`
				WaitingRoomMsg string `json:"waiting_room_msg"`
			}{b(f.WaitingRoomFeatures.IsActive), f.WaitingRoomFeatures.WaitingRoomMsg},
			BreakoutRoomFeatures: struct {
				IsAllow            bool   `json:"is_allow"`
				IsActive           bool   `json:"is_active"`
				AllowedNumberRooms uint32 `json:"allowed_number_rooms"`
			}{IsAllow: meet.GroupOn(f.BreakoutRoomFeatures, ""), AllowedNumberRooms: num(f.BreakoutRoomFeatures, "allowed_number_rooms", 6)},
			DisplayExternalLink: allowActive{IsAllow: meet.GroupOn(f.DisplayExternalLinkFeatures, "")},
			IngressFeatures: struct {
				IsAllow   bool   `json:"is_allow"`
				InputType string `json:"input_type"`
				URL       string `json:"url"`
				StreamKey string `json:"stream_key"`
			}{IsAllow: meet.GroupOn(f.IngressFeatures, ""), InputType: input},
			EndToEndEncryption: struct {
				IsEnabled                      bool `json:"is_enabled"`
				IncludedChatMessages           bool `json:"included_chat_messages"`
				IncludedWhiteboard             bool `json:"included_whiteboard"`
				EnabledSelfInsertEncryptionKey bool `json:"enabled_self_insert_encryption_key"`
			}{meet.Flag(e2ee, "is_enabled", false), meet.Flag(e2ee, "included_chat_messages", false),
				meet.Flag(e2ee, "included_whiteboard", false), meet.Flag(e2ee, "enabled_self_insert_encryption_key", false)},
			PollsFeatures:    allowActive{IsAllow: meet.GroupOn(f.PollsFeatures, "")},
			InsightsFeatures: isAllow{meet.GroupOn(f.InsightsFeatures, "")},
			SipDialInFeatures: struct {
				IsAllow              bool     `json:"is_allow"`
				EnableDialInOnCreate bool     `json:"enable_dial_in_on_create"`
				HidePhoneNumber      bool     `json:"hide_phone_number"`
				IsActive             bool     `json:"is_active"`
				PhoneNumbers         []string `json:"phone_numbers"`
			}{IsAllow: meet.GroupOn(sip, ""), EnableDialInOnCreate: meet.Flag(sip, "enable_dial_in_on_create", false),
				HidePhoneNumber: meet.Flag(sip, "hide_phone_number", false), PhoneNumbers: []string{}},
			ExternalBroadcasting: struct {
				IsAllow     bool `json:"is_allow"`
				IsAllowRTMP bool `json:"is_allow_rtmp"`
			}{b(f.AllowRTMP), b(f.AllowRTMP)},
		},
		DefaultLocks: pbLocksOf(m.DefaultLockSettings),
		CopyrightConf: struct {
			Display bool   `json:"display"`
			Text    string `json:"text"`
		}{copyright.Display, copyright.Text},
		ExtraData: pbExtraData(m.ExtraData),
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// pbTime is a time as plugNmeet's past-room rows write it: RFC 3339, and Go's zero time
// (0001-01-01T00:00:00Z) for a session still running.
func pbTime(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}
