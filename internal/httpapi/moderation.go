package httpapi

import (
	"context"

	"meetd/internal/rooms"
)

func (s *Server) broadcastToRoom(ctx context.Context, body []byte) (any, error) {
	var req struct {
		RoomID       string `json:"room_id"`
		OnlyToAdmins bool   `json:"only_to_admins"`
		ToUserID     string `json:"to_user_id"`
		ChatMsg      *struct {
			Message string `json:"message"`
		} `json:"chat_msg"`
		NotificationMsg *struct {
			Text      string `json:"text"`
			Type      string `json:"type"`
			WithSound bool   `json:"with_sound"`
		} `json:"notification_msg"`
	}
	if err := decode(body, &req); err != nil {
		return nil, err
	}
	b := rooms.Broadcast{OnlyToAdmins: req.OnlyToAdmins, ToUserID: req.ToUserID}
	if req.ChatMsg != nil {
		b.ChatMessage = req.ChatMsg.Message
	}
	if n := req.NotificationMsg; n != nil {
		b.Notification = &rooms.Notification{Text: n.Text, Type: n.Type, WithSound: n.WithSound}
	}
	if err := s.Rooms.Broadcast(ctx, req.RoomID, b); err != nil {
		return nil, err
	}
	return OK(), nil
}
