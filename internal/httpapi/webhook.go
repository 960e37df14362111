package httpapi

import (
	"net/http"
	"time"

	"meetd/internal/outbox"
)

// The webhook deliveries [meetd]: what was sent where, and sending a failed one again.

type deliveryJSON struct {
	ID             string `json:"id"` // the event's id
	Event          string `json:"event"`
	RoomID         string `json:"room_id"`
	URL            string `json:"url"`
	Status         string `json:"status"`
	Attempts       int    `json:"attempts"`
	LastStatusCode int    `json:"last_status_code"`
	LastError      string `json:"last_error"`
	NextAttemptAt  int64  `json:"next_attempt_at"`
	LastAttemptAt  int64  `json:"last_attempt_at"`
	CreatedAt      int64  `json:"created_at"`
	DeliveredAt    int64  `json:"delivered_at"`
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func (s *Server) webhookDeliveries(r *http.Request) (any, error) {
	ctx := r.Context()
	var req struct {
		RoomID string `json:"room_id"`
		Status string `json:"status"`
		From   int    `json:"from"`
		Limit  int    `json:"limit"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	list, f, total, err := s.Webhooks.List(ctx, outbox.ListRequest{RoomID: req.RoomID, Status: req.Status, From: req.From, Limit: req.Limit})
	if err != nil {
		return nil, err
	}
	type result struct {
		Total          int64          `json:"total"`
		From           int64          `json:"from"`
		Limit          int64          `json:"limit"`
		DeliveriesList []deliveryJSON `json:"deliveries_list"`
	}
	res := result{Total: int64(total), From: int64(f.From), Limit: int64(f.Limit), DeliveriesList: make([]deliveryJSON, 0, len(list))}
	for _, d := range list {
		res.DeliveriesList = append(res.DeliveriesList, deliveryJSON{
			ID: d.EventID, Event: d.Event, RoomID: d.RoomID, URL: d.URL, Status: string(d.Status),
			Attempts: d.Attempts, LastStatusCode: d.LastStatusCode, LastError: d.LastError,
			NextAttemptAt: unix(d.NextAttemptAt), LastAttemptAt: unix(d.LastAttemptAt),
			CreatedAt: unix(d.CreatedAt), DeliveredAt: unix(d.DeliveredAt),
		})
	}
	return struct {
		Envelope
		Result result `json:"result"`
	}{OK(), res}, nil
}

func (s *Server) webhookRedeliver(r *http.Request) (any, error) {
	ctx := r.Context()
	var req struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	}
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	n, err := s.Webhooks.Redeliver(ctx, req.ID, req.URL)
	if err != nil {
		return nil, err
	}
	return struct {
		Envelope
		Requeued int `json:"requeued"`
	}{OK(), n}, nil
}
