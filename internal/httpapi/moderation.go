package httpapi

import (
	"net/http"
	"strconv"

	"meetd/internal/meet"
	"meetd/internal/rooms"
)

func (s *Server) broadcastToRoom(r *http.Request) (any, error) {
	ctx := r.Context()
	var req struct {
		RoomID       string `json:"room_id"`
		OnlyToAdmins bool   `json:"only_to_admins"`
		ToUserID     string `json:"to_user_id"`
		ChatMsg      *struct {
			Message string `json:"message"`
		} `json:"chat_msg"`
		NotificationMsg *struct {
			Text      string           `json:"text"`
			Type      notificationType `json:"type"`
			WithSound bool             `json:"with_sound"`
		} `json:"notification_msg"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	b := rooms.Broadcast{OnlyToAdmins: req.OnlyToAdmins, ToUserID: req.ToUserID}
	if req.ChatMsg != nil {
		b.ChatMessage = req.ChatMsg.Message
	}
	if n := req.NotificationMsg; n != nil {
		b.Notification = &rooms.Notification{Text: n.Text, Type: string(n.Type), WithSound: n.WithSound}
	}
	if err := s.Rooms.Broadcast(ctx, req.RoomID, b); err != nil {
		return nil, err
	}
	return OK(), nil
}

// notificationType is broadcastToRoom's notification_msg.type: meetd's info, warning, error, or
// plugNmeet's NatsSystemNotificationTypes by name or number, which it holds as meetd's names for
// the room service. Another string goes on as it came, for the room service to refuse.
type notificationType string

var notificationNames = []string{"NATS_SYSTEM_NOTIFICATION_INFO", "NATS_SYSTEM_NOTIFICATION_WARNING", "NATS_SYSTEM_NOTIFICATION_ERROR"}

var notificationAliases = map[string]string{
	"NATS_SYSTEM_NOTIFICATION_INFO": "info", "NATS_SYSTEM_NOTIFICATION_WARNING": "warning", "NATS_SYSTEM_NOTIFICATION_ERROR": "error",
	"info": "info", "warning": "warning", "error": "error", "": "",
}

func (*notificationType) coerce(field string, v any) (any, error) {
	if s, ok := v.(string); ok {
		if _, known := notificationAliases[s]; !known {
			if _, err := strconv.Atoi(s); err != nil {
				return s, nil
			}
		}
	}
	return enumValue(field, v, notificationNames, notificationAliases)
}

func (s *Server) removeParticipant(r *http.Request) (any, error) {
	ctx := r.Context()
	var req struct {
		RoomID    string `json:"room_id"`
		UserID    string `json:"user_id"`
		BlockUser bool   `json:"block_user"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if req.UserID == "" {
		return nil, meet.Errorf(meet.CodeInvalidParameters, "user_id is required")
	}
	if err := s.Rooms.RemoveParticipant(ctx, req.RoomID, req.UserID, req.BlockUser); err != nil {
		return nil, err
	}
	return OK(), nil
}

func (s *Server) muteTrack(r *http.Request) (any, error) {
	ctx := r.Context()
	var req struct {
		RoomID   string `json:"room_id"`
		UserID   string `json:"user_id"`
		TrackSID string `json:"track_sid"`
		Muted    *bool  `json:"muted"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	switch {
	case req.UserID == "":
		return nil, meet.Errorf(meet.CodeInvalidParameters, "user_id is required")
	case req.Muted == nil:
		return nil, meet.Errorf(meet.CodeInvalidParameters, "muted is required")
	case !*req.Muted:
		return nil, meet.Errorf(meet.CodePermissionDenied, "muted:false: only the participant can unmute their own media")
	}
	if err := s.Rooms.Mute(ctx, req.RoomID, req.UserID, req.TrackSID, nil, true); err != nil {
		return nil, err
	}
	return OK(), nil
}

func (s *Server) updateLockSettings(r *http.Request) (any, error) {
	ctx := r.Context()
	var req struct {
		RoomID       string             `json:"room_id"`
		UserID       string             `json:"user_id"`
		LockSettings *meet.LockSettings `json:"lock_settings"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	if req.LockSettings == nil {
		return nil, meet.Errorf(meet.CodeInvalidParameters, "lock_settings is required")
	}
	if err := s.Rooms.UpdateLockSettings(ctx, req.RoomID, req.UserID, *req.LockSettings); err != nil {
		return nil, err
	}
	return OK(), nil
}
