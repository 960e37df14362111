package httpapi_test

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"meetd/internal/meet"
	"meetd/internal/meettest"
)

func TestBroadcastToRoom(t *testing.T) {
	s := newScript(t, meettest.Options{})
	s.signed("room/broadcastToRoom", `{"room_id":"r1","chat_msg":{"message":"hi"}}`)
	create(s, "r1")
	s.signed("room/broadcastToRoom", `{"room_id":"r1","chat_msg":{"message":"Hello all"}}`)
	s.signed("room/broadcastToRoom", `{"room_id":"r1","only_to_admins":true,"notification_msg":{"text":"Admins only","type":"warning","with_sound":true}}`)
	s.signed("room/broadcastToRoom", `{"room_id":"r1","chat_msg":{"message":"a"},"notification_msg":{"text":"b"}}`)
	s.signed("room/broadcastToRoom", `{"room_id":"r1"}`)
	s.check()
	sent := s.srv.Media.Sent()
	if len(sent) != 1 || sent[0].RoomID != "r1" || sent[0].Topic != "chat" { // no admin is connected: the notification is refused (USER_NOT_FOUND)
		t.Fatalf("sent %+v", sent)
	}
	var chat map[string]any
	if err := json.Unmarshal(sent[0].Payload, &chat); err != nil {
		t.Errorf("chat payload %q: %v", sent[0].Payload, err)
	}
}

func TestRemoveParticipant(t *testing.T) {
	s := newScript(t, meettest.Options{})
	s.signed("room/removeParticipant", `{"room_id":"r1","user_id":"ann"}`)
	create(s, "r1")
	s.signed("room/removeParticipant", `{"room_id":"r1"}`)
	s.signed("room/removeParticipant", `{"room_id":"r1","user_id":"ann"}`)
	s.signed("room/removeParticipant", `{"room_id":"r1","user_id":"bad id"}`)
	joinToken(s, "r1", "ann", false)
	join(s, "r1", "ann")
	s.signed("room/removeParticipant", `{"room_id":"r1","user_id":"ann"}`)
	s.check()
	if got := s.srv.Media.Removed(); !slices.Equal(got, []string{"r1/ann"}) {
		t.Errorf("removed %v", got)
	}
}

func TestMuteTrack(t *testing.T) {
	s := newScript(t, meettest.Options{})
	create(s, "r1")
	joinToken(s, "r1", "ann", false)
	join(s, "r1", "ann", meet.Track{SID: "TR_mic", Type: "AUDIO", Source: "MICROPHONE"}, meet.Track{SID: "TR_cam", Type: "VIDEO", Source: "CAMERA"})
	s.signed("room/muteTrack", `{"room_id":"r1","user_id":"ann","track_sid":"TR_mic","muted":false}`)
	s.signed("room/muteTrack", `{"room_id":"r1","user_id":"ann","track_sid":"TR_mic"}`)
	s.signed("room/muteTrack", `{"room_id":"r1","track_sid":"TR_mic","muted":true}`)
	s.signed("room/muteTrack", `{"room_id":"r1","user_id":"bob","track_sid":"TR_mic","muted":true}`)
	s.signed("room/muteTrack", `{"room_id":"r1","user_id":"ann","track_sid":"TR_none","muted":true}`)
	s.signed("room/muteTrack", `{"room_id":"r1","user_id":"ann","track_sid":"TR_mic","muted":true}`)
	s.signed("room/muteTrack", `{"room_id":"r1","user_id":"ann","muted":true}`)
	s.check()
	if got := s.srv.Media.Muted(); !slices.Equal(got, []string{"r1/ann/TR_mic", "r1/ann/TR_mic", "r1/ann/TR_cam"}) {
		t.Errorf("muted %v", got)
	}
}

func TestUpdateLockSettings(t *testing.T) {
	s := newScript(t, meettest.Options{})
	create(s, "r1")
	joinToken(s, "r1", "ann", true)
	joinToken(s, "r1", "bob", false)
	join(s, "r1", "bob")
	s.signed("room/updateLockSettings", `{"room_id":"r1"}`)
	s.signed("room/updateLockSettings", `{"room_id":"r1","lock_settings":{"lock_chat":true}}`)
	s.signed("room/updateLockSettings", `{"room_id":"r1","user_id":"bob","lock_settings":{"lock_microphone":true}}`)
	s.signed("room/updateLockSettings", `{"room_id":"r1","user_id":"nobody","lock_settings":{"lock_microphone":true}}`)
	s.signed("room/updateLockSettings", `{"room_id":"nope","lock_settings":{"lock_chat":true}}`)
	s.signed("room/getActiveRoomInfo", `{"room_id":"r1"}`)
	s.check()
	if got := s.srv.Media.Updated(); len(got) != 2 || got[0].Identity != "bob" || got[0].PublishData {
		t.Errorf("grants applied: %+v", got)
	}
}

// pathWithFFmpeg makes the recorder see ffmpeg (a stand-in that is never run here) or not, so
// that the answers do not depend on the machine.
func pathWithFFmpeg(t *testing.T, present bool) {
	dir := t.TempDir()
	if present {
		if err := os.WriteFile(filepath.Join(dir, "ffmpeg"), []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir)
}

func TestRecordingAndRTMPRefused(t *testing.T) {
	s := newScript(t, meettest.Options{})
	pathWithFFmpeg(t, false)
	s.signed("recording/start", `{"room_id":"r1"}`)
	s.signed("rtmp/start", `{"room_id":"r1","rtmp_url":"rtmp://example.com/live/key"}`)
	pathWithFFmpeg(t, true)
	s.signed("recording/start", `{"room_id":"r1"}`)
	s.signed("recording/start", `{"room_id":"bad id"}`)
	s.signed("rtmp/start", `{"room_id":"r1","rtmp_url":"http://example.com/live"}`)
	s.signed("rtmp/start", `{"room_id":"r1"}`)
	s.signed("room/create", `{"room_id":"norec","metadata":{"room_title":"No recording","room_features":{"allow_rtmp":false,"recording_features":{"is_allow_cloud":false}}}}`)
	s.signed("recording/start", `{"room_id":"norec"}`)
	s.signed("rtmp/start", `{"room_id":"norec","rtmp_url":"rtmp://example.com/live/key"}`)
	s.signed("recording/stop", `{"room_id":"norec"}`)
	s.signed("rtmp/stop", `{"room_id":"norec"}`)
	s.signed("recording/stop", `{"room_id":"r1"}`)
	s.check()
}

// A meeting admin's rtmp_start (and rtmp/start) cannot make meetd's ffmpeg connect to this host,
// private, link-local, carrier-grade NAT or metadata addresses, nor to ports other than 1935 and
// 443: INVALID_PARAMETERS, and the stream key is not in the message. A public host on 1935 gets as
// far as connecting the broadcaster (none here: 500).
func TestRTMPTargetsRefused(t *testing.T) {
	s := newScript(t, meettest.Options{})
	pathWithFFmpeg(t, true)
	create(s, "r1")
	admin := s.post("/api/join", bearerHeader(joinToken(s, "r1", "ann", true)), nil)["page_token"].(string)
	for _, u := range []string{
		"rtmp://127.0.0.1:19351/live/STREAMKEY-abc123", "RTMP://127.0.0.1:19351/x", "rtmp://[::1]/live/STREAMKEY",
		"rtmp://169.254.169.254/live/STREAMKEY", "rtmp://100.100.100.200/live/STREAMKEY", "rtmp://192.168.1.1/live/STREAMKEY",
		"rtmp://127.1/live/STREAMKEY", "rtmp://8.8.8.8:22/live/STREAMKEY",
	} {
		s.post("/api/moderate", bearerHeader(admin), `{"action":"rtmp_start","rtmp_url":"`+u+`"}`)
	}
	s.signed("rtmp/start", `{"room_id":"r1","rtmp_url":"rtmp://10.0.0.1/live/STREAMKEY"}`)
	s.signed("rtmp/start", `{"room_id":"r1","rtmp_url":"rtmp://8.8.8.8/live/STREAMKEY"}`)
	s.check()
}

// With ffmpeg but no media server, the recorder cannot connect: a 500 whose cause stays in the log.
func TestRecordingCannotConnect(t *testing.T) {
	s := newScript(t, meettest.Options{})
	pathWithFFmpeg(t, true)
	create(s, "r1")
	s.signed("recording/start", `{"room_id":"r1"}`)
	s.signed("room/isRoomActive", `{"room_id":"r1"}`)
	s.check()
}

func TestRecordingLists(t *testing.T) {
	s := newScript(t, meettest.Options{})
	s.signed("recording/fetch", `{}`)
	s.signed("recording/fetch", `{"room_ids":["r1"],"from":5,"limit":500,"order_by":"ASC"}`)
	s.signed("recording/info", `{"record_id":"REC_nope"}`)
	s.signed("recording/info", `{"record_id":"../etc"}`)
	s.signed("recording/delete", `{"record_id":"REC_nope"}`)
	s.signed("recording/getDownloadToken", `{"record_id":"REC_nope"}`)
	s.do("GET", "/download/recording/not-a-token", nil, nil)
	s.check()
}

func TestAnalytics(t *testing.T) {
	s := newScript(t, meettest.Options{})
	s.signed("analytics/fetch", `{}`)
	s.signed("analytics/attendance", `{}`)
	create(s, "r1")
	joinToken(s, "r1", "ann", true)
	// joined ten seconds ago (before the room was made, so the report's duration_seconds is 0): a
	// connection within one millisecond would not count
	tenAgo := time.Now().Add(-10 * time.Second)
	s.srv.Media.Join(t, "r1", meet.ParticipantInfo{Identity: "ann", Name: "Ann", JoinedAt: tenAgo.Unix(), JoinedAtMs: tenAgo.UnixMilli()})
	s.srv.Media.Leave(t, "r1", "ann")
	s.signed("room/endRoom", `{"room_id":"r1"}`) // writes the report
	list := s.signed("analytics/fetch", `{"room_ids":["r1"]}`)
	s.signed("analytics/attendance", `{"room_id":"r1","user_id":"ann"}`)
	s.signed("analytics/getDownloadToken", `{"file_id":"AN_nope"}`)
	s.signed("analytics/delete", `{"file_id":"AN_nope"}`)
	s.signed("analytics/fetch", `{"order_by":"up"}`)

	items, _ := list["result"].(map[string]any)["analytics_list"].([]any)
	if len(items) != 1 {
		t.Fatalf("analytics list %v", list)
	}
	fileID := items[0].(map[string]any)["file_id"].(string)
	token := s.signed("analytics/getDownloadToken", map[string]any{"file_id": fileID})["token"].(string)
	s.do("GET", "/download/analytics/"+token, nil, nil)
	s.do("GET", "/download/analytics/"+token+"?format=csv", nil, nil)
	s.do("GET", "/download/analytics/"+token+"?format=xml", nil, nil)
	s.do("GET", "/download/analytics/not-a-token", nil, nil)
	s.signed("analytics/delete", map[string]any{"file_id": fileID})
	s.do("GET", "/download/analytics/"+token, nil, nil)
	s.check()
}

func TestWebhookDeliveries(t *testing.T) {
	rc := meettest.NewReceiver(t, meettest.Keys, meettest.ReceiverOptions{})
	refusing := meettest.NewReceiver(t, meettest.Keys, meettest.ReceiverOptions{Respond: func(_ int, _ meettest.Delivery, w http.ResponseWriter) {
		http.Error(w, "gone", http.StatusGone)
	}})
	s := newScript(t, meettest.Options{Webhooks: []string{rc.URL}})
	s.signed("webhook/deliveries", `{}`)
	s.signed("room/create", map[string]any{"room_id": "r1", "metadata": map[string]any{"room_title": "Hooks", "webhook_url": refusing.URL}})
	got := rc.WaitDelivered(1, 5*time.Second)
	if got[0].Verify != nil || got[0].Event.Event != meet.EventRoomCreated {
		t.Errorf("delivery %s: signature: %v", got[0].Event.Event, got[0].Verify)
	}
	meettest.Eventually(t, 5*time.Second, "the refusing receiver's delivery failed", func() bool {
		a := decoded(t, second(s.srv.Signed(t, "webhook/deliveries", `{"status":"failed"}`)))
		return a["result"].(map[string]any)["total"] == float64(1)
	})
	// the receiver has the delivery before the dispatcher records it
	meettest.Eventually(t, 5*time.Second, "the delivery recorded", func() bool {
		a := decoded(t, second(s.srv.Signed(t, "webhook/deliveries", `{"room_id":"r1","status":"delivered"}`)))
		return a["result"].(map[string]any)["total"] == float64(1)
	})
	s.signed("webhook/deliveries", `{"room_id":"r1","status":"delivered"}`)
	s.signed("webhook/deliveries", `{"status":"failed"}`)
	s.signed("webhook/deliveries", `{"status":"lost"}`)
	s.signed("webhook/redeliver", `{"id":"EV_nope"}`)
	s.signed("webhook/redeliver", map[string]any{"id": got[0].Event.ID, "url": rc.URL})
	s.signed("webhook/redeliver", map[string]any{"id": got[0].Event.ID, "url": refusing.URL})
	s.check()
}

func second(_ int, b []byte) []byte { return b }
