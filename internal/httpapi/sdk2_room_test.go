package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"meetd/internal/httpapi"
	"meetd/internal/meet"
	"meetd/internal/meettest"
	"meetd/internal/sdk2client"
)

// The SDK-2 generation (plugnmeet-sdk-js 2.x, PHP SDK 2.x and the plugins built on them) against
// the room routes: its request shapes are accepted, and every answer passes sdk2client's strict
// parser with sdk2client's messages, or the structs below, which declare exactly the fields of
// plugNmeet's messages (doc/api.md, "Two dialects").

type (
	pbI32          = sdk2client.I32
	pbI64          = sdk2client.I64
	pbIngressInput = sdk2client.Enum[ingressInputs]
)

// plugnmeet.IngressInput
type ingressInputs struct{}

func (ingressInputs) Names() []string { return []string{"RTMP_INPUT", "WHIP_INPUT"} }

// the answers sdk2client does not declare
type (
	fetchPastRoomsRes struct {
		sdk2client.Envelope
		Result *struct {
			TotalRooms pbI64                     `json:"total_rooms"`
			From       pbI32                     `json:"from"`
			Limit      pbI32                     `json:"limit"`
			OrderBy    string                    `json:"order_by"`
			RoomsList  []sdk2client.PastRoomInfo `json:"rooms_list"`
		} `json:"result"`
	}
	fetchAnalyticsRes struct {
		sdk2client.Envelope
		Result *struct {
			TotalAnalytics pbI64  `json:"total_analytics"`
			From           pbI32  `json:"from"`
			Limit          pbI32  `json:"limit"`
			OrderBy        string `json:"order_by"`
			AnalyticsList  []struct {
				RoomID       string  `json:"room_id"`
				FileID       string  `json:"file_id"`
				FileName     string  `json:"file_name"`
				FileSize     float64 `json:"file_size"`
				CreationTime pbI64   `json:"creation_time"`
			} `json:"analytics_list"`
		} `json:"result"`
	}
)

// plugnmeet.LockSettings
type pbLocks struct {
	LockMicrophone      *bool `json:"lock_microphone"`
	LockWebcam          *bool `json:"lock_webcam"`
	LockScreenSharing   *bool `json:"lock_screen_sharing"`
	LockChat            *bool `json:"lock_chat"`
	LockChatSendMessage *bool `json:"lock_chat_send_message"`
	LockChatFileShare   *bool `json:"lock_chat_file_share"`
	LockPrivateChat     *bool `json:"lock_private_chat"`
	LockWhiteboard      *bool `json:"lock_whiteboard"`
	LockSharedNotepad   *bool `json:"lock_shared_notepad"`
	LockReactions       *bool `json:"lock_reactions"`
}

// plugnmeet.UserMetadata
type pbUserMetadata struct {
	ProfilePic   *string `json:"profile_pic"`
	IsAdmin      bool    `json:"is_admin"`
	RecordWebcam *bool   `json:"record_webcam"`
	IsPresenter  bool    `json:"is_presenter"`
	RaisedHand   *struct {
		IsRaised bool  `json:"is_raised"`
		RaisedAt pbI64 `json:"raised_at"`
	} `json:"raised_hand"`
	WaitForApproval bool              `json:"wait_for_approval"`
	PreferredLang   *string           `json:"preferred_lang"`
	LockSettings    *pbLocks          `json:"lock_settings"`
	MetadataID      *string           `json:"metadata_id"`
	ExtraData       map[string]string `json:"extra_data"`
	ExUserID        *string           `json:"ex_user_id"`
}

// plugnmeet.RoomMetadata with its RoomCreateFeatures and their groups
type (
	isAllowActive struct {
		IsAllow  bool `json:"is_allow"`
		IsActive bool `json:"is_active"`
	}
	pbRoomFeatures struct {
		AllowWebcams            bool  `json:"allow_webcams"`
		MuteOnStart             bool  `json:"mute_on_start"`
		AllowScreenShare        bool  `json:"allow_screen_share"`
		AllowRTMP               *bool `json:"allow_rtmp"`
		AllowViewOtherWebcams   bool  `json:"allow_view_other_webcams"`
		AllowViewOtherUsersList bool  `json:"allow_view_other_users_list"`
		AdminOnlyWebcams        bool  `json:"admin_only_webcams"`
		RoomDuration            pbI64 `json:"room_duration"`
		EnableAnalytics         bool  `json:"enable_analytics"`
		AllowVirtualBg          *bool `json:"allow_virtual_bg"`
		AllowRaiseHand          *bool `json:"allow_raise_hand"`
		AllowReactions          *bool `json:"allow_reactions"`
		AutoGenUserID           *bool `json:"auto_gen_user_id"`
		RecordingFeatures       struct {
			IsAllow                  bool `json:"is_allow"`
			IsAllowCloud             bool `json:"is_allow_cloud"`
			EnableAutoCloudRecording bool `json:"enable_auto_cloud_recording"`
			IsAllowLocal             bool `json:"is_allow_local"`
			OnlyRecordAdminWebcams   bool `json:"only_record_admin_webcams"`
			RecorderBotOptions       any  `json:"recorder_bot_options"`
		} `json:"recording_features"`
		ChatFeatures struct {
			IsAllow           bool     `json:"is_allow"`
			IsAllowFileUpload bool     `json:"is_allow_file_upload"`
			AllowedFileTypes  []string `json:"allowed_file_types"`
			MaxFileSize       pbI64    `json:"max_file_size"`
		} `json:"chat_features"`
		SharedNotePadFeatures struct {
			IsAllow   bool   `json:"is_allow"`
			IsActive  bool   `json:"is_active"`
			Visible   bool   `json:"visible"`
			NotePadID string `json:"note_pad_id"`
		} `json:"shared_note_pad_features"`
		WhiteboardFeatures struct {
			IsAllow            bool    `json:"is_allow"`
			Visible            bool    `json:"visible"`
			PreloadFile        *string `json:"preload_file"`
			WhiteboardFileID   string  `json:"whiteboard_file_id"`
			FileName           string  `json:"file_name"`
			FilePath           string  `json:"file_path"`
			TotalPages         pbI32   `json:"total_pages"`
			MaxAllowedFileSize pbI64   `json:"max_allowed_file_size"`
		} `json:"whiteboard_features"`
		ExternalMediaPlayerFeatures struct {
			IsAllow  bool    `json:"is_allow"`
			IsActive bool    `json:"is_active"`
			SharedBy *string `json:"shared_by"`
			URL      *string `json:"url"`
		} `json:"external_media_player_features"`
		WaitingRoomFeatures struct {
			IsActive       bool   `json:"is_active"`
			WaitingRoomMsg string `json:"waiting_room_msg"`
		} `json:"waiting_room_features"`
		BreakoutRoomFeatures struct {
			IsAllow            bool  `json:"is_allow"`
			IsActive           bool  `json:"is_active"`
			AllowedNumberRooms pbI32 `json:"allowed_number_rooms"`
		} `json:"breakout_room_features"`
		DisplayExternalLinkFeatures struct {
			IsAllow  bool    `json:"is_allow"`
			IsActive bool    `json:"is_active"`
			Link     *string `json:"link"`
			SharedBy *string `json:"shared_by"`
		} `json:"display_external_link_features"`
		IngressFeatures struct {
			IsAllow   bool           `json:"is_allow"`
			InputType pbIngressInput `json:"input_type"`
			URL       string         `json:"url"`
			StreamKey string         `json:"stream_key"`
		} `json:"ingress_features"`
		EndToEndEncryptionFeatures struct {
			IsEnabled                      bool    `json:"is_enabled"`
			IncludedChatMessages           bool    `json:"included_chat_messages"`
			IncludedWhiteboard             bool    `json:"included_whiteboard"`
			EnabledSelfInsertEncryptionKey bool    `json:"enabled_self_insert_encryption_key"`
			EncryptionKey                  *string `json:"encryption_key"`
		} `json:"end_to_end_encryption_features"`
		PollsFeatures    isAllowActive `json:"polls_features"`
		InsightsFeatures struct {
			IsAllow                 bool `json:"is_allow"`
			TranscriptionFeatures   any  `json:"transcription_features"`
			ChatTranslationFeatures any  `json:"chat_translation_features"`
			AIFeatures              any  `json:"ai_features"`
		} `json:"insights_features"`
		SipDialInFeatures struct {
			IsAllow              bool     `json:"is_allow"`
			EnableDialInOnCreate bool     `json:"enable_dial_in_on_create"`
			HidePhoneNumber      bool     `json:"hide_phone_number"`
			IsActive             bool     `json:"is_active"`
			PhoneNumbers         []string `json:"phone_numbers"`
			Pin                  *string  `json:"pin"`
			DispatchRuleID       *string  `json:"dispatch_rule_id"`
		} `json:"sip_dial_in_features"`
		ExternalBroadcastingFeatures struct {
			IsAllow            bool `json:"is_allow"`
			IsAllowRTMP        bool `json:"is_allow_rtmp"`
			RecorderBotOptions any  `json:"recorder_bot_options"`
		} `json:"external_broadcasting_features"`
	}
	pbRoomMetadata struct {
		RoomTitle           string         `json:"room_title"`
		WelcomeMessage      *string        `json:"welcome_message"`
		IsRecording         bool           `json:"is_recording"`
		IsActiveRTMP        bool           `json:"is_active_rtmp"`
		ParentRoomID        string         `json:"parent_room_id"`
		IsBreakoutRoom      bool           `json:"is_breakout_room"`
		WebhookURL          *string        `json:"webhook_url"`
		StartedAt           pbI64          `json:"started_at"`
		LogoutURL           *string        `json:"logout_url"`
		RoomFeatures        pbRoomFeatures `json:"room_features"`
		DefaultLockSettings *pbLocks       `json:"default_lock_settings"`
		CopyrightConf       *struct {
			Display bool   `json:"display"`
			Text    string `json:"text"`
		} `json:"copyright_conf"`
		MetadataID *string           `json:"metadata_id"`
		ExtraData  map[string]string `json:"extra_data"`
	}
)

// sdk2 posts an SDK-2 request and parses the answer strictly into v, and the metadata strings in
// it as plugNmeet's RoomMetadata and UserMetadata.
func sdk2(s *script, path, body string, v any) {
	s.t.Helper()
	status, answer := s.srv.Signed(s.t, path, body)
	s.record("POST /auth/"+path+" "+body, status, map[string][]string{"Content-Type": {"application/json"}}, answer)
	httpapi.StrictParse(s.t, answer, v)
	var rooms []*sdk2client.ActiveRoomWithParticipant
	switch a := v.(type) {
	case *sdk2client.CreateRoomRes:
		if a.RoomInfo != nil {
			rooms = append(rooms, &sdk2client.ActiveRoomWithParticipant{RoomInfo: a.RoomInfo})
		}
	case *sdk2client.GetActiveRoomInfoRes:
		if a.Room != nil {
			rooms = append(rooms, a.Room)
		}
	case *sdk2client.GetActiveRoomsInfoRes:
		for i := range a.Rooms {
			rooms = append(rooms, &a.Rooms[i])
		}
	}
	for _, r := range rooms {
		if r.RoomInfo != nil {
			var md pbRoomMetadata
			httpapi.StrictParse(s.t, []byte(r.RoomInfo.Metadata), &md)
		}
		for _, p := range r.ParticipantsInfo {
			var md pbUserMetadata
			httpapi.StrictParse(s.t, []byte(p.Metadata), &md)
		}
	}
}

// moodleCreate is mod_plugnmeet's create call as PHP SDK 2.x serialises it: lowerCamelCase,
// 64-bit integers as strings, false and zero left out, extra_data a map.
const moodleCreate = `{"roomId":"moodle_12","maxParticipants":25,"metadata":{"roomTitle":"Week 3 seminar",` +
	`"welcomeMessage":"Welcome","webhookUrl":"https://moodle.example.org/mod/plugnmeet/webhook.php?id=12",` +
	`"logoutUrl":"https://moodle.example.org/mod/plugnmeet/view.php?id=12&returned=true",` +
	`"roomFeatures":{"allowWebcams":true,"allowScreenShare":true,"allowViewOtherWebcams":true,"allowViewOtherUsersList":true,` +
	`"roomDuration":"90","enableAnalytics":true,"allowVirtualBg":true,"allowRaiseHand":true,"allowReactions":true,"autoGenUserId":false,` +
	`"recordingFeatures":{"isAllow":true,"isAllowCloud":true,"isAllowLocal":true,"onlyRecordAdminWebcams":true},` +
	`"chatFeatures":{"isAllow":true,"isAllowFileUpload":true,"allowedFileTypes":["jpg","pdf"],"maxFileSize":"50"},` +
	`"sharedNotePadFeatures":{"isAllow":true},"whiteboardFeatures":{"isAllow":true,"preloadFile":"https://moodle.example.org/slides.pdf"},` +
	`"externalMediaPlayerFeatures":{"isAllow":true},"waitingRoomFeatures":{"waitingRoomMsg":"Please wait"},` +
	`"breakoutRoomFeatures":{"isAllow":true,"allowedNumberRooms":4},"displayExternalLinkFeatures":{"isAllow":true},` +
	`"ingressFeatures":{"isAllow":true,"inputType":"WHIP_INPUT"},"endToEndEncryptionFeatures":{},` +
	`"pollsFeatures":{"isAllow":true},"insightsFeatures":{"isAllow":true,"transcriptionFeatures":{"isAllow":true}},` +
	`"sipDialInFeatures":{"isAllow":true,"hidePhoneNumber":true},"externalBroadcastingFeatures":{"isAllow":true,"isAllowRtmp":true}},` +
	`"defaultLockSettings":{"lockMicrophone":false,"lockWebcam":false,"lockScreenSharing":true,"lockChat":false,` +
	`"lockChatSendMessage":false,"lockChatFileShare":true,"lockPrivateChat":false,"lockWhiteboard":true,"lockSharedNotepad":true,"lockReactions":false},` +
	`"copyrightConf":{"display":true,"text":"Moodle"},` +
	`"extraData":{"platform":"moodle","php-version":"8.3.4","plugin-version":"3.0.10","activity":"{\"id\":12,\"course\":3}"}}}`

func TestSDK2Rooms(t *testing.T) {
	s := newScript(t, meettest.Options{})
	var active sdk2client.IsRoomActiveRes
	sdk2(s, "room/isRoomActive", `{"roomId":"moodle_12"}`, &active)
	var created sdk2client.CreateRoomRes
	sdk2(s, "room/create", moodleCreate, &created)
	if !created.Status || created.RoomInfo == nil || created.RoomInfo.IsRunning != 1 {
		t.Fatalf("create: %+v", created)
	}
	var md pbRoomMetadata
	httpapi.StrictParse(t, []byte(created.RoomInfo.Metadata), &md)
	if md.ExtraData["activity"] != `{"id":12,"course":3}` || md.RoomFeatures.RoomDuration != 90 || !md.RoomFeatures.ChatFeatures.IsAllow ||
		md.RoomFeatures.IngressFeatures.InputType != "WHIP_INPUT" || md.RoomFeatures.BreakoutRoomFeatures.AllowedNumberRooms != 4 {
		t.Errorf("room metadata: %+v", md)
	}
	var token sdk2client.GenerateTokenRes
	sdk2(s, "room/getJoinToken", `{"roomId":"moodle_12","userInfo":{"name":"Ann Teacher","userId":"2","isAdmin":true,`+
		`"userMetadata":{"profilePic":"https://moodle.example.org/ann.png","extraData":{"course":"3"},"exUserId":"2"},"clientType":"HYBRID_WEB"}}`, &token)
	sdk2(s, "room/getJoinToken", `{"roomId":"moodle_12","userInfo":{"name":"Bob Student","userId":"guest_abc",`+
		`"userMetadata":{"lockSettings":{"lockWebcam":true}},"clientType":1}}`, &token)
	if token.Token == nil || *token.Token == "" {
		t.Fatalf("no token: %+v", token)
	}
	join(s, "moodle_12", "2", meet.Track{SID: "TR_cam", Type: "VIDEO", Source: "CAMERA", MimeType: "video/VP8", Width: 640, Height: 480})
	join(s, "moodle_12", "guest_abc")
	var info sdk2client.GetActiveRoomInfoRes
	sdk2(s, "room/getActiveRoomInfo", `{"roomId":"moodle_12"}`, &info)
	if info.Room == nil || len(info.Room.ParticipantsInfo) != 2 {
		t.Fatalf("getActiveRoomInfo: %+v", info)
	}
	var ann pbUserMetadata
	httpapi.StrictParse(t, []byte(info.Room.ParticipantsInfo[0].Metadata), &ann)
	if !ann.IsAdmin || ann.ExtraData["course"] != "3" || ann.ExUserID == nil || *ann.ExUserID != "2" {
		t.Errorf("the admin's metadata: %s", info.Room.ParticipantsInfo[0].Metadata)
	}
	var all sdk2client.GetActiveRoomsInfoRes
	sdk2(s, "room/getActiveRoomsInfo", `{}`, &all) // the key spoke protojson last: protojson again
	if len(all.Rooms) != 1 {
		t.Errorf("getActiveRoomsInfo: %+v", all)
	}
	var ok sdk2client.Envelope
	sdk2(s, "room/broadcastToRoom", `{"roomId":"moodle_12","notificationMsg":{"text":"Ten minutes left","type":"NATS_SYSTEM_NOTIFICATION_WARNING","withSound":true}}`, &ok)
	sdk2(s, "room/broadcastToRoom", `{"roomId":"moodle_12","onlyToAdmins":true,"notificationMsg":{"text":"Recording failed","type":2}}`, &ok)
	sdk2(s, "room/broadcastToRoom", `{"roomId":"moodle_12","chatMsg":{"message":"Hello"}}`, &ok)
	sdk2(s, "room/endRoom", `{"roomId":"moodle_12"}`, &ok)
	// a room that has ended: the real server's ROOM_NOT_FOUND
	var endAgain sdk2client.Envelope
	var infoEnded sdk2client.GetActiveRoomInfoRes
	var tokenEnded sdk2client.GenerateTokenRes
	sdk2(s, "room/endRoom", `{"roomId":"moodle_12"}`, &endAgain)
	sdk2(s, "room/getActiveRoomInfo", `{"roomId":"moodle_12"}`, &infoEnded)
	sdk2(s, "room/getJoinToken", `{"roomId":"moodle_12","userInfo":{"name":"Late","userId":"late"}}`, &tokenEnded)
	sdk2(s, "room/isRoomActive", `{"roomId":"moodle_12"}`, &active)
	var past fetchPastRoomsRes
	sdk2(s, "room/fetchPastRooms", `{"roomIds":["moodle_12"],"limit":"10","orderBy":"newest"}`, &past)
	var analytics fetchAnalyticsRes
	sdk2(s, "analytics/fetch", `{"roomIds":["moodle_12"]}`, &analytics)
	sdk2(s, "room/getActiveRoomsInfo", `{}`, &all)
	s.check()
	for name, env := range map[string]sdk2client.Envelope{"endRoom": endAgain, "getActiveRoomInfo": infoEnded.Envelope,
		"getJoinToken": tokenEnded.Envelope} {
		if env.Status || env.StatusCode != "ROOM_NOT_FOUND" {
			t.Errorf("%s of an ended room: %+v", name, env)
		}
	}
	if infoEnded.Room != nil || tokenEnded.Token != nil || active.IsActive || active.StatusCode != "ROOM_NOT_ACTIVE" {
		t.Errorf("an ended room: %+v, %+v, %+v", infoEnded, tokenEnded, active)
	}
	if past.Result == nil || len(past.Result.RoomsList) != 1 || past.Result.OrderBy != "DESC" || past.Result.RoomsList[0].AnalyticsFileID == nil {
		t.Errorf("fetchPastRooms: %+v", past)
	}
	if analytics.Result == nil || len(analytics.Result.AnalyticsList) != 1 {
		t.Errorf("analytics/fetch: %+v", analytics)
	}
}

// PHP SDK 2.x's examples/quickJoin.php: isRoomActive, createRoom with every feature group, and a
// join token with auto_gen_user_id.
func TestSDK2QuickJoinPHP(t *testing.T) {
	s := newScript(t, meettest.Options{})
	var active sdk2client.IsRoomActiveRes
	sdk2(s, "room/isRoomActive", `{"roomId":"room01"}`, &active)
	var created sdk2client.CreateRoomRes
	sdk2(s, "room/create", `{"roomId":"room01","metadata":{"roomTitle":"Test room","welcomeMessage":"Welcome to room",`+
		`"roomFeatures":{"allowWebcams":true,"allowScreenShare":true,"allowViewOtherWebcams":true,"allowViewOtherUsersList":true,`+
		`"enableAnalytics":true,"roomDuration":"0","allowVirtualBg":true,"allowRaiseHand":true,"allowReactions":true,"autoGenUserId":true,`+
		`"recordingFeatures":{"isAllow":true,"isAllowCloud":true,"isAllowLocal":true},`+
		`"externalBroadcastingFeatures":{"isAllow":true,"isAllowRtmp":true},"chatFeatures":{"isAllow":true,"isAllowFileUpload":true},`+
		`"sharedNotePadFeatures":{"isAllow":true},"whiteboardFeatures":{"isAllow":true},"externalMediaPlayerFeatures":{"isAllow":true},`+
		`"waitingRoomFeatures":{},"breakoutRoomFeatures":{"isAllow":true,"allowedNumberRooms":2},"displayExternalLinkFeatures":{"isAllow":true},`+
		`"ingressFeatures":{"isAllow":true},"pollsFeatures":{"isAllow":true},"sipDialInFeatures":{"isAllow":true},`+
		`"insightsFeatures":{"isAllow":true,"transcriptionFeatures":{"isAllow":true,"isAllowTranslation":true,"isAllowSpeechSynthesis":true},`+
		`"chatTranslationFeatures":{"isAllow":true},"aiFeatures":{"isAllow":true,"aiTextChatFeatures":{"isAllow":true},"meetingSummarizationFeatures":{"isAllow":true}}},`+
		`"endToEndEncryptionFeatures":{}},`+
		`"defaultLockSettings":{"lockMicrophone":false,"lockWebcam":false,"lockScreenSharing":true,"lockWhiteboard":true,"lockSharedNotepad":true,`+
		`"lockChat":false,"lockChatSendMessage":false,"lockChatFileShare":false,"lockPrivateChat":false},`+
		`"copyrightConf":{"display":true,"text":"Powered by <a href=\"https://www.plugnmeet.org\" target=\"_blank\">plugNmeet</a>"}}}`, &created)
	var token sdk2client.GenerateTokenRes
	sdk2(s, "room/getJoinToken", `{"roomId":"room01","userInfo":{"name":"Your name","isAdmin":true,"userMetadata":{"recordWebcam":true}}}`, &token)
	s.check()
	if !created.Status || token.Token == nil {
		t.Errorf("create %+v, token %+v", created, token)
	}
}

// The SDK-2 request shapes the documented dialect refused; each is accepted now.
func TestSDK2ShapesAccepted(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{})
	mustOK := func(path, body string) {
		t.Helper()
		_, answer := srv.Signed(t, path, body)
		var env struct {
			Status bool   `json:"status"`
			Msg    string `json:"msg"`
		}
		if err := json.Unmarshal(answer, &env); err != nil || !env.Status {
			t.Errorf("%s %s: %s", path, body, answer)
		}
	}
	mustOK("room/create", `{"roomId":"r0","metadata":{"roomTitle":"T","roomFeatures":{"roomDuration":"0"}}}`)
	for _, body := range []string{
		`{"roomId":"r1","metadata":{"roomTitle":"T","roomFeatures":{"roomDuration":"60"}}}`,
		`{"roomId":"r2","metadata":{"roomTitle":"T","roomFeatures":{"chatFeatures":{"maxFileSize":"50"}}}}`,
		`{"roomId":"r3","metadata":{"roomTitle":"T","extraData":{"platform":"moodle","plugin-version":"3.0.10"}}}`,
		`{"roomId":"r4","emptyTimeout":"120","maxParticipants":"5","metadata":{"roomTitle":"T"}}`,
		`{"room_id":"r5","metadata":{"room_title":"T","room_features":{"room_duration":"15","ingress_features":{"input_type":1}}}}`,
	} {
		mustOK("room/create", body)
	}
	mustOK("room/getJoinToken", `{"roomId":"r0","userInfo":{"name":"A","userId":"a","userMetadata":{"extraData":{"k":"v"}}}}`)
	mustOK("room/getJoinToken", `{"roomId":"r0","userInfo":{"name":"B","userId":"b","clientType":"WEB"}}`)
	mustOK("room/getJoinToken", `{"room_id":"r0","user_info":{"name":"C","user_id":"c","client_type":1}}`)
	mustOK("room/broadcastToRoom", `{"roomId":"r0","notificationMsg":{"text":"x","type":"NATS_SYSTEM_NOTIFICATION_WARNING"}}`)
	mustOK("room/broadcastToRoom", `{"roomId":"r0","notificationMsg":{"text":"x","type":1}}`)
	mustOK("room/broadcastToRoom", `{"roomId":"r0","notificationMsg":{"text":"x","type":"0"}}`)
	mustOK("room/broadcastToRoom", `{"room_id":"r0","notification_msg":{"text":"x","type":"error"}}`)
	mustOK("room/fetchPastRooms", `{"roomIds":["r0"],"from":"0","limit":"10","orderBy":"whatever"}`)
}

// What is still refused names the field.
func TestSDK2ShapesRefused(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{})
	srv.Signed(t, "room/create", `{"room_id":"r0","metadata":{"room_title":"T"}}`)
	for _, c := range []struct{ path, body, msg string }{
		{"room/create", `{"roomId":"r1","metadata":{"roomTitle":"T","roomFeatures":{"roomDuration":"ten"}}}`, "metadata.room_features.room_duration must be a number"},
		{"room/create", `{"roomId":"r1","metadata":{"roomTitle":"T","roomFeatures":{"chatFeatures":{"maxFileSize":"5.5"}}}}`, "metadata.room_features.chat_features.max_file_size must be a number"},
		{"room/create", `{"roomId":"r1","metadata":{"roomTitle":"T","extraData":{"activity":{"id":1}}}}`, "metadata.extra_data.activity must be a string"},
		{"room/create", `{"roomId":"r1","metadata":{"roomTitle":"T","extraData":5}}`, "metadata.extra_data must be a string or an object of strings"},
		{"room/create", `{"roomId":"r1","metadata":{"roomTitle":"T","roomFeatures":{"ingressFeatures":{"inputType":"SRT"}}}}`, "metadata.room_features.ingress_features.input_type must be"},
		{"room/getJoinToken", `{"roomId":"r0","userInfo":{"name":"A","userId":"a","userMetadata":{"extraData":[1]}}}`, "user_info.user_metadata.extra_data must be a string or an object of strings"},
		{"room/broadcastToRoom", `{"roomId":"r0","notificationMsg":{"text":"x","type":7}}`, "notification_msg.type must be one of"},
		{"room/broadcastToRoom", `{"room_id":"r0","notification_msg":{"text":"x","type":"loud"}}`, "notification_msg.type must be info, warning or error"},
		{"room/fetchPastRooms", `{"limit":"many"}`, "limit must be a number"},
	} {
		_, answer := srv.Signed(t, c.path, c.body)
		var env struct {
			Status     bool   `json:"status"`
			Msg        string `json:"msg"`
			StatusCode string `json:"status_code"`
		}
		if err := json.Unmarshal(answer, &env); err != nil || env.Status || env.StatusCode != "INVALID_PARAMETERS" || !strings.Contains(env.Msg, c.msg) {
			t.Errorf("%s %s: %s (want INVALID_PARAMETERS %q)", c.path, c.body, answer, c.msg)
		}
	}
}

// The documented dialect keeps its shapes: booleans, numbers, its metadata; the newest names and
// groups are accepted and reported, and an object extra_data comes back an object.
func TestDocsNewestNames(t *testing.T) {
	s := newScript(t, meettest.Options{})
	s.signed("room/create", `{"room_id":"r1","metadata":{"room_title":"T","extra_data":{"platform":"wordpress"},`+
		`"room_features":{"chat_features":{"is_allow":false},"external_broadcasting_features":{"is_allow":true,"is_allow_rtmp":false},`+
		`"polls_features":{"is_allow":true},"insights_features":{},"sip_dial_in_features":{"is_allow":false},"allow_reactions":true,`+
		`"recording_features":{"only_record_admin_webcams":true},"whiteboard_features":{"allowed_whiteboard":false}},`+
		`"default_lock_settings":{"lock_reactions":true}}}`)
	s.signed("room/create", `{"room_id":"r2","metadata":{"room_title":"Old names","room_features":{"allow_polls":false,"allow_rtmp":true,`+
		`"external_broadcasting_features":{"is_allow":false}}}}`)
	s.signed("room/getJoinToken", `{"room_id":"r1","user_info":{"name":"A","user_id":"a","user_metadata":{"extra_data":{"k":"v"}}}}`)
	join(s, "r1", "a")
	s.signed("room/getActiveRoomInfo", `{"room_id":"r1"}`)
	s.signed("room/getActiveRoomsInfo", `{}`)
	s.check()
}

// wire.go's rule: a body that shows no dialect ({}) is answered in the dialect its API key last
// showed.
func TestWireRemembered(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{})
	srv.Signed(t, "room/create", `{"room_id":"r1","metadata":{"room_title":"T"}}`)
	running := func() string {
		_, answer := srv.Signed(t, "room/getActiveRoomsInfo", `{}`)
		var a struct {
			Rooms []struct {
				RoomInfo struct {
					IsRunning json.RawMessage `json:"is_running"`
				} `json:"room_info"`
			} `json:"rooms"`
		}
		if err := json.Unmarshal(answer, &a); err != nil || len(a.Rooms) != 1 {
			t.Fatalf("%s", answer)
		}
		return string(a.Rooms[0].RoomInfo.IsRunning)
	}
	if got := running(); got != "true" {
		t.Errorf("after a documented call: is_running %s", got)
	}
	srv.Signed(t, "room/isRoomActive", `{"roomId":"r1"}`)
	if got := running(); got != "1" {
		t.Errorf("after a camelCase call: is_running %s", got)
	}
	_, answer := srv.Signed(t, "room/getActiveRoomsInfo", `{}`)
	var strict sdk2client.GetActiveRoomsInfoRes
	httpapi.StrictParse(t, answer, &strict)
	srv.Signed(t, "room/isRoomActive", `{"room_id":"r1"}`)
	if got := running(); got != "true" {
		t.Errorf("after a documented call again: is_running %s", got)
	}
}

// A running session in fetchPastRooms: protojson writes Go's zero time as plugNmeet does, the
// documented dialect "".
func TestPastRoomRunning(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{})
	srv.Signed(t, "room/create", `{"room_id":"r1","metadata":{"room_title":"T"}}`)
	_, answer := srv.Signed(t, "room/fetchPastRooms", `{"roomIds":["r1"]}`)
	var pb fetchPastRoomsRes
	httpapi.StrictParse(t, answer, &pb)
	if pb.Result == nil || len(pb.Result.RoomsList) != 1 || pb.Result.RoomsList[0].Ended != "0001-01-01T00:00:00Z" ||
		pb.Result.RoomsList[0].AnalyticsFileID != nil || pb.Result.TotalRooms != 1 {
		t.Errorf("protojson: %s", answer)
	}
	_, answer = srv.Signed(t, "room/fetchPastRooms", `{"room_ids":["r1"]}`)
	if !strings.Contains(string(answer), `"ended":"","analytics_file_id":""`) || !strings.Contains(string(answer), `"total_rooms":1,`) {
		t.Errorf("documented: %s", answer)
	}
}
