package httpapi

// plugNmeet's artifact and analytics messages (plugnmeet_auth_artifact.proto,
// plugnmeet_room_artifacts.proto, plugnmeet_analytics.proto, PastRoomInfo of
// plugnmeet_auth_room.proto), field for field, typed as strictParse checks them: for the tests
// of the artifact calls (artifact_test.go, in package httpapi_test, which cannot see this
// package's test types otherwise).

import (
	"encoding/json"
	"testing"
)

// SDK2Parse is strictParse for the tests outside the package.
func SDK2Parse(t testing.TB, body []byte, v any) {
	t.Helper()
	strictParse(t, body, v)
}

type artifactTypes struct{}

func (artifactTypes) names() []string {
	return []string{"UNKNOWN_ARTIFACT", "MEETING_ANALYTICS", "MEETING_SUMMARY", "MEETING_SUMMARY_USAGE",
		"SPEECH_TRANSCRIPTION", "SPEECH_TRANSCRIPTION_USAGE", "SYNTHESIZED_SPEECH_USAGE", "CHAT_TRANSLATION_USAGE",
		"AI_TEXT_CHAT_INTERACTION_USAGE", "AI_TEXT_CHAT_SUMMARIZATION_USAGE"}
}

type SDK2ArtifactFileInfo struct {
	FilePath string `json:"file_path"`
	FileSize pbI64  `json:"file_size"`
	MimeType string `json:"mime_type"`
}

type SDK2ArtifactMetadata struct {
	UserInfo *struct {
		UserID string  `json:"user_id"`
		Name   *string `json:"name"`
	} `json:"user_info"`
	ProviderJobInfo *struct {
		JobID    string `json:"job_id"`
		FileName string `json:"file_name"`
	} `json:"provider_job_info"`
	FileInfo            *SDK2ArtifactFileInfo `json:"file_info"`
	TokenUsage          json.RawMessage       `json:"token_usage"`
	DurationUsage       json.RawMessage       `json:"duration_usage"`
	CharacterCountUsage json.RawMessage       `json:"character_count_usage"`
	ReferenceArtifactID *string               `json:"reference_artifact_id"`
}

type SDK2ArtifactInfo struct {
	ArtifactID string                `json:"artifact_id"`
	RoomID     string                `json:"room_id"`
	Type       pbEnum[artifactTypes] `json:"type"`
	Created    string                `json:"created"`
	Metadata   *SDK2ArtifactMetadata `json:"metadata"`
}

type SDK2FetchArtifactsRes struct {
	pbEnvelope
	Result *struct {
		TotalArtifacts pbI64                  `json:"total_artifacts"`
		From           pbI64                  `json:"from"`
		Limit          pbI64                  `json:"limit"`
		OrderBy        string                 `json:"order_by"`
		Type           *pbEnum[artifactTypes] `json:"type"`
		ArtifactsList  []SDK2ArtifactInfo     `json:"artifacts_list"`
	} `json:"result"`
}

type SDK2PastRoomInfo struct {
	RoomTitle          string  `json:"room_title"`
	RoomID             string  `json:"room_id"`
	RoomSID            string  `json:"room_sid"`
	JoinedParticipants pbI64   `json:"joined_participants"`
	WebhookURL         string  `json:"webhook_url"`
	Created            string  `json:"created"`
	Ended              string  `json:"ended"`
	AnalyticsFileID    *string `json:"analytics_file_id"`
}

type SDK2ArtifactInfoRes struct {
	pbEnvelope
	ArtifactInfo *SDK2ArtifactInfo `json:"artifact_info"`
	RoomInfo     *SDK2PastRoomInfo `json:"room_info"`
}

type SDK2ArtifactTokenRes struct {
	pbEnvelope
	Token *string `json:"token"`
}

type SDK2RoomArtifactWebhookEvent struct {
	Type       pbEnum[artifactTypes] `json:"type"`
	ArtifactID string                `json:"artifact_id"`
	Metadata   *SDK2ArtifactMetadata `json:"metadata"`
}

type SDK2AnalyticsEventValue struct {
	Time  pbI64  `json:"time"`
	Value string `json:"value"`
}

type SDK2AnalyticsEventData struct {
	Name   string                    `json:"name"`
	Total  pbI32                     `json:"total"` // uint32
	Values []SDK2AnalyticsEventValue `json:"values"`
}

type SDK2AnalyticsResult struct {
	Room *struct {
		RoomID         string                   `json:"room_id"`
		RoomTitle      string                   `json:"room_title"`
		RoomTotalUsers pbI64                    `json:"room_total_users"`
		RoomCreation   pbI64                    `json:"room_creation"`
		RoomEnded      pbI64                    `json:"room_ended"`
		RoomDuration   pbI64                    `json:"room_duration"`
		EnabledE2EE    bool                     `json:"enabled_e2ee"`
		Events         []SDK2AnalyticsEventData `json:"events"`
	} `json:"room"`
	Users []struct {
		UserID    string                   `json:"user_id"`
		Name      string                   `json:"name"`
		IsAdmin   bool                     `json:"is_admin"`
		ExtraData *string                  `json:"extra_data"`
		ExUserID  *string                  `json:"ex_user_id"`
		Events    []SDK2AnalyticsEventData `json:"events"`
	} `json:"users"`
}
