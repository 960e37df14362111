package httpapi

import "testing"

// plugNmeet's recording messages (plugnmeet_auth_recording.proto, plugnmeet_recording.proto,
// PastRoomInfo of plugnmeet_auth_room.proto) with exactly their fields, for the tests of package
// httpapi_test to parse meetd's protojson answers as the SDK-2 clients do (StrictParseRecordings).

// PBRecordingMetadata is RecordingMetadata.
type PBRecordingMetadata struct {
	Title       *string `json:"title"`
	Description *string `json:"description"`
	Subtitles   map[string]struct {
		Label string `json:"label"`
		URL   string `json:"url"`
	} `json:"subtitles"`
	ExtraData map[string]string `json:"extra_data"`
}

// PBRecordingInfo is RecordingInfo.
type PBRecordingInfo struct {
	RecordID         string               `json:"record_id"`
	RoomID           string               `json:"room_id"`
	RoomSID          string               `json:"room_sid"`
	FilePath         string               `json:"file_path"`
	FileSize         float32              `json:"file_size"`
	CreationTime     pbI64                `json:"creation_time"`
	RoomCreationTime pbI64                `json:"room_creation_time"`
	Metadata         *PBRecordingMetadata `json:"metadata"`
}

// PBPastRoomInfo is PastRoomInfo.
type PBPastRoomInfo struct {
	RoomTitle          string  `json:"room_title"`
	RoomID             string  `json:"room_id"`
	RoomSID            string  `json:"room_sid"`
	JoinedParticipants pbI64   `json:"joined_participants"`
	WebhookURL         string  `json:"webhook_url"`
	Created            string  `json:"created"`
	Ended              string  `json:"ended"`
	AnalyticsFileID    *string `json:"analytics_file_id"`
}

// PBRecordingInfoRes is RecordingInfoRes.
type PBRecordingInfoRes struct {
	pbEnvelope
	RecordingInfo *PBRecordingInfo `json:"recording_info"`
	RoomInfo      *PBPastRoomInfo  `json:"room_info"`
}

// PBFetchRecordingsRes is FetchRecordingsRes.
type PBFetchRecordingsRes struct {
	pbEnvelope
	Result *struct {
		TotalRecordings pbI64             `json:"total_recordings"`
		From            pbI32             `json:"from"`
		Limit           pbI32             `json:"limit"`
		OrderBy         string            `json:"order_by"`
		RecordingsList  []PBRecordingInfo `json:"recordings_list"`
	} `json:"result"`
}

// PBCommonRes is CommonResponse (the answer of updateMetadata and mergeRecordings).
type PBCommonRes struct{ pbEnvelope }

// Code is the answer's status_code.
func (e pbEnvelope) Code() string { return string(e.StatusCode) }

// StrictParseRecordings is strictParse (sdk2_test.go) for package httpapi_test.
func StrictParseRecordings(t testing.TB, body []byte, v any) { t.Helper(); strictParse(t, body, v) }
