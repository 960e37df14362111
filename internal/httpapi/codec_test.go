package httpapi

import (
	"encoding/json"
	"errors"
	"testing"

	"meetd/internal/meet"
)

func TestSnake(t *testing.T) {
	for in, want := range map[string]string{
		"roomId": "room_id", "room_id": "room_id", "isAllowCloud": "is_allow_cloud", "x": "x",
		"maxParticipants": "max_participants", "userInfo": "user_info",
	} {
		if got := snake(in); got != want {
			t.Errorf("snake(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDecodeCamelAndSnake(t *testing.T) {
	var req struct {
		RoomID   string `json:"room_id"`
		Metadata struct {
			RoomFeatures meet.RoomFeatures `json:"room_features"`
		} `json:"metadata"`
	}
	body := `{"roomId":"a","room_id":"b","metadata":{"roomFeatures":{"allowWebcams":false,"recordingFeatures":{"isAllowCloud":false}}}}`
	if err := decodeJSON([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	f := req.Metadata.RoomFeatures
	if req.RoomID != "b" || f.AllowWebcams == nil || *f.AllowWebcams || f.RecordingFeatures.IsAllowCloud == nil || *f.RecordingFeatures.IsAllowCloud {
		t.Fatalf("decoded %+v", req)
	}
}

type createBody struct {
	RoomID          string             `json:"room_id"`
	MaxParticipants int                `json:"max_participants"`
	EmptyTimeout    int                `json:"empty_timeout"`
	Metadata        *meet.RoomMetadata `json:"metadata"`
}

// FuzzDecode: any body decodes or fails with INVALID_PARAMETERS, and never panics.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `[]`, `null`, `"x"`, `{"room_id":"a"}`, `{"roomId":5}`,
		`{"room_id":"a","metadata":{"room_title":"T","room_features":{"allow_webcams":"yes"}}}`,
		`{"metadata":{"roomFeatures":{"chatFeatures":{"allowedFileTypes":[1,{"a":2}]}}}}`,
		`{"a":{"b":{"c":{"d":[[[{"eE":1e400}]]]}}}}`, `{"room_id":"\u0000"}`, "{\"room_id\":\"\xff\"}",
		`{"max_participants":1.5}`, `{"max_participants":99999999999999999999}`, `{"x":1}{"y":2}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req createBody
		err := decodeJSON(body, &req)
		var e *meet.Error
		if err != nil && (!errors.As(err, &e) || e.Code != meet.CodeInvalidParameters || e.Msg == "") {
			t.Fatalf("decodeJSON(%q) = %v", body, err)
		}
		if err == nil && req.Metadata != nil {
			_ = req.Metadata.Validate()
			req.Metadata.Fill()
		}
	})
}

// The room info answers write their own JSON: the same bytes encoding/json writes.
func TestRoomAnswersAppendAsEncodingJSON(t *testing.T) {
	room := meet.Room{RoomInfo: meet.RoomInfo{RoomTitle: "<Title> & \"quotes\"", RoomID: "r", IsRunning: true, Metadata: `{"a":1}`},
		ParticipantsInfo: []meet.ParticipantInfo{{SID: "PA_1", Identity: "u1", Name: "Zoë", Metadata: `{"is_admin":true}`,
			Tracks: []meet.Track{{SID: "TR_1", Type: "AUDIO", MimeType: "audio/opus"}}}}}
	for _, v := range []appender{
		activeRoom{OK(), &room},
		activeRoom{Envelope{Msg: "room is not active", StatusCode: meet.CodeRoomNotActive}, nil},
		activeRooms{OK(), []meet.Room{room, room}},
		activeRooms{Envelope{Msg: "no active room found", StatusCode: meet.CodeNotFound}, nil},
	} {
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.AppendJSON(nil); string(got) != string(want) {
			t.Errorf("appended:\n%s\nencoding/json:\n%s", got, want)
		}
	}
}
