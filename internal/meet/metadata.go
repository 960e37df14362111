package meet

import (
	"encoding/json"
	"net/url"
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
	ExtraData           string         `json:"extra_data"`
	// NotImplemented names the options this server stores but does not act on yet.
	NotImplemented []string `json:"not_implemented"`
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
}

// RecordingFeatures say who may record.
type RecordingFeatures struct {
	IsAllow                  *bool `json:"is_allow"`
	IsAllowCloud             *bool `json:"is_allow_cloud"`
	IsAllowLocal             *bool `json:"is_allow_local"`
	EnableAutoCloudRecording *bool `json:"enable_auto_cloud_recording"`
}

// ChatFeatures say what the chat allows.
type ChatFeatures struct {
	AllowChat        *bool    `json:"allow_chat"`
	AllowFileUpload  *bool    `json:"allow_file_upload"`
	AllowedFileTypes []string `json:"allowed_file_types"`
	MaxFileSize      *int     `json:"max_file_size"` // MB
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
}

// Bool is the value of an option after Fill.
func Bool(p *bool) bool { return p != nil && *p }

func def[T any](p **T, v T) {
	if *p == nil {
		*p = &v
	}
}

// Fill replaces every absent option with its default (doc/api.md).
func (m *RoomMetadata) Fill() {
	f := &m.RoomFeatures
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
	def(&c.AllowFileUpload, true)
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
	add(Bool(f.AllowVirtualBg), "allow_virtual_bg")
	add(Bool(f.RecordingFeatures.IsAllow) && Bool(f.RecordingFeatures.IsAllowLocal), "recording_features.is_allow_local") // cloud recording is served
	add(Bool(f.ChatFeatures.AllowFileUpload), "chat_features.allow_file_upload")
	add(Bool(f.WaitingRoomFeatures.IsActive), "waiting_room_features")
	add(f.SharedNotePadFeatures != nil, "shared_note_pad_features")
	add(f.WhiteboardFeatures != nil, "whiteboard_features")
	add(f.ExternalMediaPlayerFeatures != nil, "external_media_player_features")
	add(f.BreakoutRoomFeatures != nil, "breakout_room_features")
	add(f.DisplayExternalLinkFeatures != nil, "display_external_link_features")
	add(f.IngressFeatures != nil, "ingress_features")
	add(f.SpeechToTextTranslationFeatures != nil, "speech_to_text_translation_features")
	add(f.EndToEndEncryptionFeatures != nil, "end_to_end_encryption_features")
	return out
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
	}
	if m.WebhookURL != "" && !httpURL(m.WebhookURL) {
		return Errorf(CodeInvalidParameters, "metadata.webhook_url must be an absolute http(s) URL")
	}
	if m.LogoutURL != "" && !httpURL(m.LogoutURL) {
		return Errorf(CodeInvalidParameters, "metadata.logout_url must be an absolute http(s) URL")
	}
	if d := m.RoomFeatures.RoomDuration; d != nil && *d < 0 {
		return Errorf(CodeInvalidParameters, "metadata.room_features.room_duration must not be negative")
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
	}
}
