package sdk2client

import "testing"

func TestStrictRefusesWhatSDK2Refuses(t *testing.T) {
	for _, body := range []string{
		`{"status":true,"msg":"success","status_code":"SUCCESS","room":{"room_info":{"is_running":true}}}`,
		`{"status":true,"msg":"success","status_code":"SUCCESS","room":{"room_info":{"is_running":1},"participants_info":[{"identity":"u","is_admin":true}]}}`,
		`{"status":true,"msg":"success","status_code":"SERVER_DRAINING"}`,
		`{"status":true,"msg":"success","status_code":"SUCCESS","extra":1}`,
		`{"status":true,"msg":"success","status_code":"SUCCESS","room":{"room_info":{"creation_time":"soon"}}}`,
		`{"status":"true"}`,
	} {
		var res GetActiveRoomInfoRes
		if err := Strict([]byte(body), &res); err == nil {
			t.Errorf("accepted %s", body)
		}
	}
}

func TestStrictAcceptsTheRealServersShapes(t *testing.T) {
	body := `{"status":true,"msg":"success","status_code":"SUCCESS","room":{"room_info":{"room_title":"T","room_id":"r","sid":"s",
		"joined_participants":"2","is_running":1,"is_recording":0,"is_active_rtmp":0,"webhook_url":"","is_breakout_room":0,
		"parent_room_id":"","creation_time":"1700000000","metadata":"{}"},
		"participants_info":[{"sid":"PA_1","identity":"u","state":"ACTIVE","tracks":[{"sid":"TR_1","type":"AUDIO","source":"MICROPHONE","muted":false}],
		"metadata":"{}","joined_at":"1700000001","name":"U","version":3,"permission":{"can_subscribe":true,"can_publish":true,"can_publish_data":true,"hidden":false},"is_publisher":true}]}}`
	var res GetActiveRoomInfoRes
	if err := Strict([]byte(body), &res); err != nil {
		t.Fatal(err)
	}
	if res.Room.RoomInfo.IsRunning != 1 || res.Room.RoomInfo.CreationTime != 1700000000 || res.StatusCode != "SUCCESS" ||
		len(res.Room.ParticipantsInfo) != 1 || res.Room.ParticipantsInfo[0].JoinedAt != 1700000001 {
		t.Fatalf("%+v", res)
	}
	var byNumber Envelope
	if err := Strict([]byte(`{"status":false,"msg":"x","status_code":10}`), &byNumber); err != nil || byNumber.StatusCode != "ROOM_NOT_FOUND" {
		t.Fatalf("%v %+v", err, byNumber)
	}
}

// The scalar types and the envelope in a message of their own: what protobuf-es refuses and
// accepts for a bool, an int32, an int64 and the StatusCode enum.
func TestStrictScalars(t *testing.T) {
	type msg struct {
		Envelope
		IsRunning I32 `json:"is_running"`
		Created   I64 `json:"created"`
	}
	parse := func(body string) error {
		var m msg
		return Strict([]byte(body), &m)
	}
	for _, body := range []string{
		`{"status":true,"msg":"","status_code":"SUCCESS","is_running":true}`,
		`{"status":true,"msg":"","status_code":"SUCCESS","extra":1}`,
		`{"status":1}`,
		`{"status_code":"SERVER_DRAINING"}`,
		`{"status_code":15}`,
		`{"created":"ten"}`,
		`{"is_running":"4294967296"}`,
	} {
		if parse(body) == nil {
			t.Errorf("accepted %s", body)
		}
	}
	for _, body := range []string{
		`{"status":true,"msg":"","status_code":"SUCCESS","is_running":1,"created":"1700000000"}`,
		`{"status_code":10,"is_running":"0","created":1700000000}`,
	} {
		if err := parse(body); err != nil {
			t.Errorf("refused %s: %v", body, err)
		}
	}
}

// RoomArtifactMetadata's usages are a oneof, with exactly their messages' fields.
func TestStrictArtifactUsage(t *testing.T) {
	for _, c := range []struct {
		metadata string
		ok       bool
	}{
		{`{"file_info":{"file_path":"a.json","file_size":"12","mime_type":"application/json"}}`, true},
		{`{"token_usage":{"prompt_tokens":3,"total_tokens":5,"breakdown":{"x":"5"},"total_tokens_estimated_cost":0.5}}`, true},
		{`{"duration_usage":{"duration_sec":60,"duration_sec_estimated_cost":"1.5"}}`, true},
		{`{"token_usage":{"tokens":3}}`, false},
		{`{"duration_usage":{"duration_sec":60},"character_count_usage":{"total_characters":9}}`, false},
	} {
		body := `{"status":true,"msg":"success","status_code":"SUCCESS","artifact_info":{"artifact_id":"a","room_id":"r",` +
			`"type":"MEETING_SUMMARY_USAGE","created":"2026-01-01T00:00:00Z","metadata":` + c.metadata + `}}`
		var res ArtifactInfoRes
		if err := Strict([]byte(body), &res); (err == nil) != c.ok {
			t.Errorf("%s: %v", c.metadata, err)
		}
		var event RoomArtifactWebhookEvent
		if err := Strict([]byte(`{"type":3,"artifact_id":"a","metadata":`+c.metadata+`}`), &event); (err == nil) != c.ok {
			t.Errorf("webhook %s: %v", c.metadata, err)
		}
	}
}

// An optional token is absent from a refusal: nil, not "".
func TestStrictOptionalToken(t *testing.T) {
	var res GenerateTokenRes
	if err := Strict([]byte(`{"status":false,"msg":"no room","status_code":"ROOM_NOT_FOUND"}`), &res); err != nil || res.Token != nil {
		t.Fatalf("%v %+v", err, res)
	}
	if err := Strict([]byte(`{"status":true,"msg":"","status_code":"SUCCESS","token":"t"}`), &res); err != nil || res.Token == nil || *res.Token != "t" {
		t.Fatalf("%v %+v", err, res)
	}
}
