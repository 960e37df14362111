package meet

import (
	"encoding/json"
	"errors"
	"net/url"
	"strings"
)

// RoomMetadata is the metadata of room/create (doc/api.md). The same type carries the request and
// the effective metadata: Fill replaces every absent option by its default, so an explicit false
// stays false and the stored, returned metadata always lists every option.
type RoomMetadata struct {
	RoomTitle           string         `json:"room_title"`
	WelcomeMessage      string         `json:"welcome_message"`
	WebhookURL          string         `json:"webhook_url"`
	LogoutURL           string         `json:"logout_url"`
	RoomFeatures        RoomFeatures   `json:"room_features"`
	DefaultLockSettings LockSettings   `json:"default_lock_settings"`
	CopyrightConf       *CopyrightConf `json:"copyright_conf,omitempty"`
	ExtraData           ExtraData      `json:"extra_data"`
	// NotImplemented names the options this server stores but does not act on yet.
	NotImplemented []string `json:"not_implemented"`
	// breakout rooms: set by the server on a breakout room's session (never by room/create),
	// absent on every other room (doc/api.md, "Breakout rooms")
	IsBreakoutRoom bool   `json:"is_breakout_room,omitempty"`
	ParentRoomID   string `json:"parent_room_id,omitempty"`
}

// CopyrightConf is the copyright line shown in the meeting.
type CopyrightConf struct {
	Display bool   `json:"display"`
	Text    string `json:"text"`
}

// RoomFeatures switch parts of the meeting on and off.
type RoomFeatures struct {
	AllowWebcams            *bool `json:"allow_webcams"`
	MuteOnStart             *bool `json:"mute_on_start"`
	AllowScreenShare        *bool `json:"allow_screen_share"`
	AllowRTMP               *bool `json:"allow_rtmp"`
	AdminOnlyWebcams        *bool `json:"admin_only_webcams"`
	AllowViewOtherWebcams   *bool `json:"allow_view_other_webcams"`
	AllowViewOtherUsersList *bool `json:"allow_view_other_users_list"`
	RoomDuration            *int  `json:"room_duration"` // minutes, 0 = unlimited
	EnableAnalytics         *bool `json:"enable_analytics"`
	AllowVirtualBg          *bool `json:"allow_virtual_bg"`
	AllowRaiseHand          *bool `json:"allow_raise_hand"`
	AutoGenUserID           *bool `json:"auto_gen_user_id"`
	// AllowReactions: reactions on the meeting page; absent stays absent, and means on (chat.go).
	AllowReactions *bool `json:"allow_reactions,omitempty"`
	// AllowPolls is the old name of polls_features.is_allow; Fill folds it into PollsFeatures.
	AllowPolls *bool `json:"allow_polls,omitempty"`

	RecordingFeatures   RecordingFeatures   `json:"recording_features"`
	ChatFeatures        ChatFeatures        `json:"chat_features"`
	WaitingRoomFeatures WaitingRoomFeatures `json:"waiting_room_features"`

	// Groups the SDK knows that meetd stores and returns as they came.
	SharedNotePadFeatures           map[string]any `json:"shared_note_pad_features,omitempty"`
	WhiteboardFeatures              map[string]any `json:"whiteboard_features,omitempty"`
	ExternalMediaPlayerFeatures     map[string]any `json:"external_media_player_features,omitempty"`
	BreakoutRoomFeatures            map[string]any `json:"breakout_room_features,omitempty"`
	DisplayExternalLinkFeatures     map[string]any `json:"display_external_link_features,omitempty"`
	IngressFeatures                 map[string]any `json:"ingress_features,omitempty"`
	SpeechToTextTranslationFeatures map[string]any `json:"speech_to_text_translation_features,omitempty"`
	EndToEndEncryptionFeatures      map[string]any `json:"end_to_end_encryption_features,omitempty"`
	PollsFeatures                   map[string]any `json:"polls_features,omitempty"`
	InsightsFeatures                map[string]any `json:"insights_features,omitempty"`
	SipDialInFeatures               map[string]any `json:"sip_dial_in_features,omitempty"`
	// ExternalBroadcastingFeatures: is_allow && is_allow_rtmp governs RTMP as allow_rtmp does
	// (allow_rtmp wins when both are given); Fill derives AllowRTMP from it.
	ExternalBroadcastingFeatures map[string]any `json:"external_broadcasting_features,omitempty"`
}

// RecordingFeatures say who may record.
type RecordingFeatures struct {
	IsAllow                  *bool `json:"is_allow"`
	IsAllowCloud             *bool `json:"is_allow_cloud"`
	IsAllowLocal             *bool `json:"is_allow_local"`
	EnableAutoCloudRecording *bool `json:"enable_auto_cloud_recording"`
	// OnlyRecordAdminWebcams: recordings show the cameras of admins only (doc/api.md).
	OnlyRecordAdminWebcams *bool `json:"only_record_admin_webcams,omitempty"`
}

// ChatFeatures say what the chat allows. IsAllow and IsAllowFileUpload are plugNmeet's newest
// names of AllowChat and AllowFileUpload: Fill folds them into the old names (the old name wins
// when both are given) and clears them.
type ChatFeatures struct {
	AllowChat         *bool    `json:"allow_chat"`
	AllowFileUpload   *bool    `json:"allow_file_upload"`
	AllowedFileTypes  []string `json:"allowed_file_types"`
	MaxFileSize       *int     `json:"max_file_size"` // MB
	IsAllow           *bool    `json:"is_allow,omitempty"`
	IsAllowFileUpload *bool    `json:"is_allow_file_upload,omitempty"`
}

// WaitingRoomFeatures configure the waiting room.
type WaitingRoomFeatures struct {
	IsActive       *bool  `json:"is_active"`
	WaitingRoomMsg string `json:"waiting_room_msg"`
}

// LockSettings take a permission away from non-admin users.
type LockSettings struct {
	LockMicrophone    *bool `json:"lock_microphone"`
	LockWebcam        *bool `json:"lock_webcam"`
	LockScreenSharing *bool `json:"lock_screen_sharing"`
	LockWhiteboard    *bool `json:"lock_whiteboard"`
	LockSharedNotepad *bool `json:"lock_shared_notepad"`
	LockChat          *bool `json:"lock_chat"`
	LockChatSendMsg   *bool `json:"lock_chat_send_message"`
	LockChatFileShare *bool `json:"lock_chat_file_share"`
	LockPrivateChat   *bool `json:"lock_private_chat,omitempty"`
	// LockReactions takes reactions away (absent stays absent: off).
	LockReactions *bool `json:"lock_reactions,omitempty"`
}

// PlugNmeetDefaultLocks are the locks of non-admins in a room created without
// default_lock_settings: plugNmeet's defaults (doc/api.md, room/create).
func PlugNmeetDefaultLocks() LockSettings {
	t := func() *bool { v := true; return &v }
	return LockSettings{LockScreenSharing: t(), LockWhiteboard: t(), LockSharedNotepad: t()}
}

// Bool is the value of an option after Fill.
func Bool(p *bool) bool { return p != nil && *p }

func def[T any](p **T, v T) {
	if *p == nil {
		*p = &v
	}
}

// Fill replaces every absent option with its default (doc/api.md), and folds plugNmeet's newest
// names into the ones meetd acts on.
func (m *RoomMetadata) Fill() {
	f := &m.RoomFeatures
	fold := func(old **bool, alias **bool) {
		if *old == nil && *alias != nil {
			*old = *alias
		}
		*alias = nil
	}
	fold(&f.ChatFeatures.AllowChat, &f.ChatFeatures.IsAllow)
	fold(&f.ChatFeatures.AllowFileUpload, &f.ChatFeatures.IsAllowFileUpload)
	if f.AllowPolls != nil {
		if f.PollsFeatures == nil {
			f.PollsFeatures = map[string]any{}
		}
		if _, ok := f.PollsFeatures["is_allow"]; !ok {
			f.PollsFeatures["is_allow"] = *f.AllowPolls
		}
		f.AllowPolls = nil
	}
	if eb := f.ExternalBroadcastingFeatures; eb != nil && f.AllowRTMP == nil {
		on := GroupOn(eb, "") && flag(eb, "is_allow_rtmp", true)
		f.AllowRTMP = &on
	}
	if in := f.IngressFeatures; in != nil {
		if n, ok := in["input_type"].(float64); ok && int(n) >= 0 && int(n) < len(IngressInputs) && float64(int(n)) == n {
			in["input_type"] = IngressInputs[int(n)]
		}
	}
	if m.DefaultLockSettings == (LockSettings{}) {
		m.DefaultLockSettings = PlugNmeetDefaultLocks()
	}
	def(&f.AllowWebcams, true)
	def(&f.MuteOnStart, false)
	def(&f.AllowScreenShare, true)
	def(&f.AllowRTMP, true)
	def(&f.AdminOnlyWebcams, false)
	def(&f.AllowViewOtherWebcams, true)
	def(&f.AllowViewOtherUsersList, true)
	def(&f.RoomDuration, 0)
	def(&f.EnableAnalytics, true)
	def(&f.AllowVirtualBg, true)
	def(&f.AllowRaiseHand, true)
	def(&f.AutoGenUserID, false)
	r := &f.RecordingFeatures
	def(&r.IsAllow, true)
	def(&r.IsAllowCloud, true)
	def(&r.IsAllowLocal, true)
	def(&r.EnableAutoCloudRecording, false)
	c := &f.ChatFeatures
	def(&c.AllowChat, true)
	def(&c.AllowFileUpload, *c.AllowChat) // no file upload without the chat, as in plugNmeet
	def(&c.MaxFileSize, 50)
	if c.AllowedFileTypes == nil {
		c.AllowedFileTypes = []string{}
	}
	def(&f.WaitingRoomFeatures.IsActive, false)
	m.DefaultLockSettings = LockSettings{}.Merge(&m.DefaultLockSettings)
	m.NotImplemented = notImplemented(f)
}

// notImplemented lists the options that are switched on but that this server does not act on
// yet, so that the metadata never claims a feature that is not there.
func notImplemented(f *RoomFeatures) []string {
	out := []string{}
	add := func(on bool, name string) {
		if on {
			out = append(out, name)
		}
	}
	add(Bool(f.RecordingFeatures.IsAllow) && Bool(f.RecordingFeatures.IsAllowLocal), "recording_features.is_allow_local") // cloud recording is served
	add(GroupOn(f.ExternalMediaPlayerFeatures, "allowed_external_media_player"), "external_media_player_features")
	add(GroupOn(f.DisplayExternalLinkFeatures, ""), "display_external_link_features")
	add(GroupOn(f.IngressFeatures, ""), "ingress_features")
	add(GroupOn(f.SpeechToTextTranslationFeatures, ""), "speech_to_text_translation_features")
	add(GroupOn(f.InsightsFeatures, ""), "insights_features")
	add(GroupOn(f.SipDialInFeatures, ""), "sip_dial_in_features")
	return out
}

// IngressInputs are plugNmeet's IngressInput names, by number.
var IngressInputs = []string{"RTMP_INPUT", "WHIP_INPUT"}

// GroupOn reports whether a feature group that meetd stores as it came is switched on: present,
// and neither its is_allow nor its old name (oldName, if any) is false. plugNmeet's default of
// every such group is on, so a group sent without its switch is on.
func GroupOn(g map[string]any, oldName string) bool {
	if g == nil {
		return false
	}
	if oldName != "" {
		if v, ok := g[oldName].(bool); ok && !v {
			return false
		}
	}
	return flag(g, "is_allow", true)
}

// flag is the boolean g[key], or def when absent or not a boolean.
func flag(g map[string]any, key string, def bool) bool {
	if v, ok := g[key].(bool); ok {
		return v
	}
	return def
}

// Flag is the boolean g[key] of a stored feature group, or def when absent or not a boolean.
func Flag(g map[string]any, key string, def bool) bool { return flag(g, key, def) }

// ExtraData is the caller's own data in room and user metadata, kept in the shape the caller
// sent it (doc/api.md, "Two dialects"): a string (the documented dialect, SDK 1.x), or an object
// of strings (plugNmeet's map<string,string>, SDK 2.x). It marshals back in that shape. An object
// is held as objectMark followed by its JSON, so that the type stays a string.
type ExtraData string

const objectMark = "\x00"

// IsObject reports whether the caller sent an object.
func (e ExtraData) IsObject() bool { return strings.HasPrefix(string(e), objectMark) }

// Object returns the object the caller sent, or nil for a string.
func (e ExtraData) Object() map[string]string {
	if !e.IsObject() {
		return nil
	}
	var m map[string]string
	_ = json.Unmarshal([]byte(e[len(objectMark):]), &m)
	return m
}

// ExtraDataObject is the extra data of an object of strings.
func ExtraDataObject(m map[string]string) ExtraData {
	if m == nil {
		m = map[string]string{}
	}
	b, _ := json.Marshal(m) // keys sorted
	return ExtraData(objectMark + string(b))
}

// MarshalJSON writes the extra data in the shape the caller sent.
func (e ExtraData) MarshalJSON() ([]byte, error) {
	switch {
	case e == "":
		return emptyString, nil // the common case, without an allocation (the encoder only reads it)
	case e.IsObject():
		return []byte(e[len(objectMark):]), nil
	}
	return AppendString(make([]byte, 0, len(e)+2), string(e)), nil // as encoding/json escapes a string
}

var emptyString = []byte(`""`)

// plainJSONString reports whether the inside of a JSON string is its value as it stands: printable
// ASCII without escapes.
func plainJSONString(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x7f || c == '\\' || c == '"' {
			return false
		}
	}
	return true
}

// errExtraData names what extra_data may be; the decoder names the field.
var errExtraData = errors.New("must be a string or an object of strings")

// UnmarshalJSON reads a string, an object of strings, or null.
func (e *ExtraData) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*e = ""
		return nil
	case string(b) == `""`:
		*e = ""
		return nil
	case len(b) > 1 && b[0] == '"' && plainJSONString(b[1:len(b)-1]):
		*e = ExtraData(b[1 : len(b)-1])
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil || strings.HasPrefix(s, objectMark) {
			return errExtraData
		}
		*e = ExtraData(s)
		return nil
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return errExtraData
	}
	*e = ExtraDataObject(m)
	return nil
}

// Merge returns l with every option that o sets taken from o, and every option still absent false.
func (l LockSettings) Merge(o *LockSettings) LockSettings {
	if o != nil {
		l = l.Overlay(*o)
	}
	f := false
	for _, p := range []**bool{&l.LockMicrophone, &l.LockWebcam, &l.LockScreenSharing, &l.LockWhiteboard, &l.LockSharedNotepad,
		&l.LockChat, &l.LockChatSendMsg, &l.LockChatFileShare, &l.LockPrivateChat} {
		if *p == nil {
			*p = &f
		}
	}
	return l
}

// Upper bounds of a room's timers and size (doc/api.md, room/create): beyond them a number is a
// mistake, or an attempt to overflow a timer.
const (
	MaxRoomDuration   = 525600   // minutes: one year
	MaxEmptyTimeout   = 31536000 // seconds: one year
	MaxMaxParticipant = 100000
)

// Validate checks the request's metadata and names the first field that is wrong.
func (m *RoomMetadata) Validate() error {
	switch {
	case m.RoomTitle == "":
		return Errorf(CodeInvalidParameters, "metadata.room_title is required")
	case len(m.RoomTitle) > MaxNameBytes:
		return Errorf(CodeInvalidParameters, "metadata.room_title is longer than %d bytes", MaxNameBytes)
	case len(m.ExtraData) > MaxMetadataBytes:
		return Errorf(CodeInvalidParameters, "metadata.extra_data is longer than %d bytes", MaxMetadataBytes)
	case len(m.WelcomeMessage) > MaxMetadataBytes:
		return Errorf(CodeInvalidParameters, "metadata.welcome_message is longer than %d bytes", MaxMetadataBytes)
	case m.IsBreakoutRoom || m.ParentRoomID != "":
		// breakout rooms
		return Errorf(CodeInvalidParameters, "metadata.is_breakout_room and metadata.parent_room_id must be empty: breakout rooms are made by breakoutRoom/create")
	}
	if err := checkBreakoutFeatures(m.RoomFeatures.BreakoutRoomFeatures); err != nil {
		return err
	}
	if m.WebhookURL != "" && !httpURL(m.WebhookURL) {
		return Errorf(CodeInvalidParameters, "metadata.webhook_url must be an absolute http(s) URL")
	}
	if m.LogoutURL != "" && !httpURL(m.LogoutURL) {
		return Errorf(CodeInvalidParameters, "metadata.logout_url must be an absolute http(s) URL")
	}
	if d := m.RoomFeatures.RoomDuration; d != nil && *d < 0 {
		return Errorf(CodeInvalidParameters, "metadata.room_features.room_duration must not be negative")
	} else if d != nil && *d > MaxRoomDuration {
		return Errorf(CodeInvalidParameters, "metadata.room_features.room_duration must be at most %d minutes", MaxRoomDuration)
	}
	if E2EEOf(&m.RoomFeatures).Enabled && Bool(m.RoomFeatures.RecordingFeatures.EnableAutoCloudRecording) {
		return Errorf(CodePermissionDenied, "metadata.room_features.recording_features.enable_auto_cloud_recording cannot be true with end_to_end_encryption_features.is_enabled: the server cannot record end-to-end encrypted media")
	}
	if in := m.RoomFeatures.IngressFeatures; in != nil {
		switch v := in["input_type"].(type) {
		case nil:
		case string:
			if v != IngressInputs[0] && v != IngressInputs[1] {
				return Errorf(CodeInvalidParameters, "metadata.room_features.ingress_features.input_type must be RTMP_INPUT or WHIP_INPUT (or 0, 1)")
			}
		case float64:
			if v != 0 && v != 1 {
				return Errorf(CodeInvalidParameters, "metadata.room_features.ingress_features.input_type must be RTMP_INPUT or WHIP_INPUT (or 0, 1)")
			}
		default:
			return Errorf(CodeInvalidParameters, "metadata.room_features.ingress_features.input_type must be RTMP_INPUT or WHIP_INPUT (or 0, 1)")
		}
	}
	if n := m.RoomFeatures.ChatFeatures.MaxFileSize; n != nil && *n < 0 {
		return Errorf(CodeInvalidParameters, "metadata.room_features.chat_features.max_file_size must not be negative")
	}
	if b, _ := json.Marshal(m); len(b) > MaxMetadataBytes {
		return Errorf(CodeInvalidParameters, "metadata is larger than %d bytes", MaxMetadataBytes)
	}
	return nil
}

func httpURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// Validate checks a user's metadata.
func (m *UserMetadata) Validate() error {
	if b, _ := json.Marshal(m); len(b) > MaxMetadataBytes {
		return Errorf(CodeInvalidParameters, "user_info.user_metadata is larger than %d bytes", MaxMetadataBytes)
	}
	if m.ProfilePic != "" && !httpURL(m.ProfilePic) {
		return Errorf(CodeInvalidParameters, "user_info.user_metadata.profile_pic must be an absolute http(s) URL")
	}
	return nil
}

// Overlay returns l with every option that o sets taken from o; options neither sets stay absent.
func (l LockSettings) Overlay(o LockSettings) LockSettings {
	pick := func(a, b *bool) *bool {
		if b != nil {
			v := *b
			return &v
		}
		return a
	}
	return LockSettings{
		LockMicrophone:    pick(l.LockMicrophone, o.LockMicrophone),
		LockWebcam:        pick(l.LockWebcam, o.LockWebcam),
		LockScreenSharing: pick(l.LockScreenSharing, o.LockScreenSharing),
		LockWhiteboard:    pick(l.LockWhiteboard, o.LockWhiteboard),
		LockSharedNotepad: pick(l.LockSharedNotepad, o.LockSharedNotepad),
		LockChat:          pick(l.LockChat, o.LockChat),
		LockChatSendMsg:   pick(l.LockChatSendMsg, o.LockChatSendMsg),
		LockChatFileShare: pick(l.LockChatFileShare, o.LockChatFileShare),
		LockPrivateChat:   pick(l.LockPrivateChat, o.LockPrivateChat),
		LockReactions:     pick(l.LockReactions, o.LockReactions),
	}
}
