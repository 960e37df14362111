package sdk2client

import "fmt"

// The answer messages, with exactly the fields of plugNmeet's protocol (proto field names, as
// the real server writes them).

// Envelope is CommonResponse: the three fields every answer starts with.
type Envelope struct {
	Status     bool              `json:"status"`
	Msg        string            `json:"msg"`
	StatusCode Enum[StatusCodes] `json:"status_code"`
}

// ActiveRoomInfo is plugnmeet.ActiveRoomInfo.
type ActiveRoomInfo struct {
	RoomTitle          string `json:"room_title"`
	RoomID             string `json:"room_id"`
	SID                string `json:"sid"`
	JoinedParticipants I64    `json:"joined_participants"`
	IsRunning          I32    `json:"is_running"`
	IsRecording        I32    `json:"is_recording"`
	IsActiveRTMP       I32    `json:"is_active_rtmp"`
	WebhookURL         string `json:"webhook_url"`
	IsBreakoutRoom     I32    `json:"is_breakout_room"`
	ParentRoomID       string `json:"parent_room_id"`
	CreationTime       I64    `json:"creation_time"`
	Metadata           string `json:"metadata"`
}

// CreateRoomRes answers room/create.
type CreateRoomRes struct {
	Envelope
	RoomInfo *ActiveRoomInfo `json:"room_info"`
}

// GenerateTokenRes answers room/getJoinToken.
type GenerateTokenRes struct {
	Envelope
	Token *string `json:"token"`
}

// IsRoomActiveRes answers room/isRoomActive.
type IsRoomActiveRes struct {
	Envelope
	IsActive bool `json:"is_active"`
}

// ActiveRoomWithParticipant is one room of getActiveRoomInfo / getActiveRoomsInfo.
type ActiveRoomWithParticipant struct {
	RoomInfo         *ActiveRoomInfo `json:"room_info"`
	ParticipantsInfo Participants    `json:"participants_info"`
}

// GetActiveRoomInfoRes answers room/getActiveRoomInfo.
type GetActiveRoomInfoRes struct {
	Envelope
	Room *ActiveRoomWithParticipant `json:"room"`
}

// GetActiveRoomsInfoRes answers room/getActiveRoomsInfo.
type GetActiveRoomsInfoRes struct {
	Envelope
	Rooms []ActiveRoomWithParticipant `json:"rooms"`
}

// PastRoomInfo is one session of fetchPastRooms, recording/info and artifact/info.
type PastRoomInfo struct {
	RoomTitle          string  `json:"room_title"`
	RoomID             string  `json:"room_id"`
	RoomSID            string  `json:"room_sid"`
	JoinedParticipants I64     `json:"joined_participants"`
	WebhookURL         string  `json:"webhook_url"`
	Created            string  `json:"created"`
	Ended              string  `json:"ended"`
	AnalyticsFileID    *string `json:"analytics_file_id"`
}

// RecordingSubtitle is one subtitle track of a recording's metadata.
type RecordingSubtitle struct {
	Label string `json:"label"`
	URL   string `json:"url"`
}

// RecordingMetadata is what recording/updateMetadata sets.
type RecordingMetadata struct {
	Title       *string                      `json:"title"`
	Description *string                      `json:"description"`
	Subtitles   map[string]RecordingSubtitle `json:"subtitles"`
	ExtraData   map[string]string            `json:"extra_data"`
}

// RecordingInfo is one recording.
type RecordingInfo struct {
	RecordID         string             `json:"record_id"`
	RoomID           string             `json:"room_id"`
	RoomSID          string             `json:"room_sid"`
	FilePath         string             `json:"file_path"`
	FileSize         F32                `json:"file_size"`
	CreationTime     I64                `json:"creation_time"`
	RoomCreationTime I64                `json:"room_creation_time"`
	Metadata         *RecordingMetadata `json:"metadata"`
}

// FetchRecordingsRes answers recording/fetch.
type FetchRecordingsRes struct {
	Envelope
	Result *struct {
		TotalRecordings I64             `json:"total_recordings"`
		From            I32             `json:"from"`
		Limit           I32             `json:"limit"`
		OrderBy         string          `json:"order_by"`
		RecordingsList  []RecordingInfo `json:"recordings_list"`
	} `json:"result"`
}

// RecordingInfoRes answers recording/info.
type RecordingInfoRes struct {
	Envelope
	RecordingInfo *RecordingInfo `json:"recording_info"`
	RoomInfo      *PastRoomInfo  `json:"room_info"`
}

// GetDownloadTokenRes answers the getDownloadToken calls (GetDownloadTokenRes and
// GetArtifactDownloadTokenRes have the same fields).
type GetDownloadTokenRes struct {
	Envelope
	Token *string `json:"token"`
}

// ArtifactFileInfo is RoomArtifactFileInfo.
type ArtifactFileInfo struct {
	FilePath string `json:"file_path"`
	FileSize I64    `json:"file_size"`
	MimeType string `json:"mime_type"`
}

// ArtifactTokenUsage is RoomArtifactTokenUsage.
type ArtifactTokenUsage struct {
	PromptTokens                  I32            `json:"prompt_tokens"`
	CompletionTokens              I32            `json:"completion_tokens"`
	TotalTokens                   I32            `json:"total_tokens"`
	Breakdown                     map[string]I64 `json:"breakdown"`
	PromptTokensEstimatedCost     *F64           `json:"prompt_tokens_estimated_cost"`
	CompletionTokensEstimatedCost *F64           `json:"completion_tokens_estimated_cost"`
	TotalTokensEstimatedCost      *F64           `json:"total_tokens_estimated_cost"`
}

// ArtifactDurationUsage is RoomArtifactDurationUsage.
type ArtifactDurationUsage struct {
	DurationSec              I32            `json:"duration_sec"`
	Breakdown                map[string]I64 `json:"breakdown"`
	DurationSecEstimatedCost *F64           `json:"duration_sec_estimated_cost"`
}

// ArtifactCharacterCountUsage is RoomArtifactCharacterCountUsage.
type ArtifactCharacterCountUsage struct {
	TotalCharacters              I32            `json:"total_characters"`
	Breakdown                    map[string]I64 `json:"breakdown"`
	TotalCharactersEstimatedCost *F64           `json:"total_characters_estimated_cost"`
}

// ArtifactMetadata is RoomArtifactMetadata. Its three usages are the oneof usage_details: a
// message that checks its artifacts (check below) refuses more than one, as protobuf-es does.
type ArtifactMetadata struct {
	UserInfo *struct {
		UserID string  `json:"user_id"`
		Name   *string `json:"name"`
	} `json:"user_info"`
	ProviderJobInfo *struct {
		JobID    string `json:"job_id"`
		FileName string `json:"file_name"`
	} `json:"provider_job_info"`
	FileInfo            *ArtifactFileInfo            `json:"file_info"`
	TokenUsage          *ArtifactTokenUsage          `json:"token_usage"`
	DurationUsage       *ArtifactDurationUsage       `json:"duration_usage"`
	CharacterCountUsage *ArtifactCharacterCountUsage `json:"character_count_usage"`
	ReferenceArtifactID *string                      `json:"reference_artifact_id"`
}

func (m *ArtifactMetadata) check() error {
	if m == nil {
		return nil
	}
	n := 0
	for _, set := range []bool{m.TokenUsage != nil, m.DurationUsage != nil, m.CharacterCountUsage != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return fmt.Errorf("metadata: more than one of the oneof usage_details (token_usage, duration_usage, character_count_usage)")
	}
	return nil
}

// RoomArtifactWebhookEvent is the room_artifact of an artifact_created webhook.
type RoomArtifactWebhookEvent struct {
	Type       Enum[ArtifactTypes] `json:"type"`
	ArtifactID string              `json:"artifact_id"`
	Metadata   *ArtifactMetadata   `json:"metadata"`
}

func (e *RoomArtifactWebhookEvent) check() error { return e.Metadata.check() }

// ArtifactInfo is one artifact.
type ArtifactInfo struct {
	ArtifactID string              `json:"artifact_id"`
	RoomID     string              `json:"room_id"`
	Type       Enum[ArtifactTypes] `json:"type"`
	Created    string              `json:"created"`
	Metadata   *ArtifactMetadata   `json:"metadata"`
}

func (a *ArtifactInfo) check() error {
	if a == nil {
		return nil
	}
	return a.Metadata.check()
}

// FetchArtifactsRes answers artifact/fetch.
type FetchArtifactsRes struct {
	Envelope
	Result *struct {
		TotalArtifacts I64                  `json:"total_artifacts"`
		From           I64                  `json:"from"`
		Limit          I64                  `json:"limit"`
		OrderBy        string               `json:"order_by"`
		Type           *Enum[ArtifactTypes] `json:"type"`
		ArtifactsList  []ArtifactInfo       `json:"artifacts_list"`
	} `json:"result"`
}

func (r *FetchArtifactsRes) check() error {
	if r.Result == nil {
		return nil
	}
	for i := range r.Result.ArtifactsList {
		if err := r.Result.ArtifactsList[i].check(); err != nil {
			return err
		}
	}
	return nil
}

// ArtifactInfoRes answers artifact/info.
type ArtifactInfoRes struct {
	Envelope
	ArtifactInfo *ArtifactInfo `json:"artifact_info"`
	RoomInfo     *PastRoomInfo `json:"room_info"`
}

func (r *ArtifactInfoRes) check() error { return r.ArtifactInfo.check() }

// AnalyticsEventValue is one value of an event series.
type AnalyticsEventValue struct {
	Time  I64    `json:"time"`
	Value string `json:"value"`
}

// AnalyticsEventData is one event series of an analytics file.
type AnalyticsEventData struct {
	Name   string                `json:"name"`
	Total  I32                   `json:"total"` // uint32
	Values []AnalyticsEventValue `json:"values"`
}

// AnalyticsResult is the file of a MEETING_ANALYTICS artifact.
type AnalyticsResult struct {
	Room *struct {
		RoomID         string               `json:"room_id"`
		RoomTitle      string               `json:"room_title"`
		RoomTotalUsers I64                  `json:"room_total_users"`
		RoomCreation   I64                  `json:"room_creation"`
		RoomEnded      I64                  `json:"room_ended"`
		RoomDuration   I64                  `json:"room_duration"`
		EnabledE2EE    bool                 `json:"enabled_e2ee"`
		Events         []AnalyticsEventData `json:"events"`
	} `json:"room"`
	Users []struct {
		UserID    string               `json:"user_id"`
		Name      string               `json:"name"`
		IsAdmin   bool                 `json:"is_admin"`
		ExtraData *string              `json:"extra_data"`
		ExUserID  *string              `json:"ex_user_id"`
		Events    []AnalyticsEventData `json:"events"`
	} `json:"users"`
}

// NotifyEvent is CommonNotifyEvent, a webhook body (parse it with Lenient, as PHP does).
type NotifyEvent struct {
	Event *string `json:"event"`
	Room  *struct {
		SID             *string `json:"sid"`
		RoomID          *string `json:"room_id"`
		EmptyTimeout    *I32    `json:"empty_timeout"`
		MaxParticipants *I32    `json:"max_participants"`
		CreationTime    *I64    `json:"creation_time"`
		Metadata        *string `json:"metadata"`
		NumParticipants *I32    `json:"num_participants"`
	} `json:"room"`
	Participant   *Participant `json:"participant"`
	RecordingInfo *struct {
		RecordID    string  `json:"record_id"`
		RecorderID  string  `json:"recorder_id"`
		RecorderMsg string  `json:"recorder_msg"`
		FilePath    *string `json:"file_path"`
		FileSize    *F32    `json:"file_size"`
	} `json:"recording_info"`
	Track     *Track `json:"track"`
	Analytics *struct {
		FileID *string `json:"file_id"`
	} `json:"analytics"`
	RoomArtifact *RoomArtifactWebhookEvent `json:"room_artifact"`
	ID           *string                   `json:"id"`
	CreatedAt    *I64                      `json:"created_at"`
}
