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
