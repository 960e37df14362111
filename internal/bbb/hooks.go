package bbb

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"meetd/internal/bbbdata"
	"meetd/internal/meet"
	"meetd/internal/store"
)

// The hooks API (doc/bbb.md, "Hooks"): hooks/create, hooks/destroy and hooks/list as
// bbb-webhooks answers them. A hook gets BBB's events of the meetings made through the BBB API
// from meetd's events written after it was made, as bbb-webhooks posts them (callbacks.go), through
// the outbox: durable and retried; unlike bbb-webhooks, a hook whose receiver keeps failing is
// kept.

// hookStore is the hooks' part of the store, and the callbacks' (callbacks.go).
type hookStore interface {
	BBBCreateHook(ctx context.Context, h bbbdata.Hook) (bbbdata.Hook, bool, error)
	BBBHooks(ctx context.Context) ([]bbbdata.Hook, error)
	BBBDeleteHook(ctx context.Context, id int64) (bool, error)
	callbackStore
}

func (s *Server) hooksCreate(ctx context.Context, r *Request) *Response {
	to := r.Get("callbackURL")
	if to == "" {
		return fail("missingParamCallbackURL", "You must specify a callbackURL in the parameters.")
	}
	createFailure := fail("createHookError", "An error happened while creating your hook. Check the logs.")
	if !validCallbackURL(to) {
		return createFailure
	}
	h := bbbdata.Hook{CallbackURL: to, MeetingID: r.Get("meetingID"), CreatedAt: s.now()}
	if ids := strings.TrimSpace(r.Get("eventID")); ids != "" {
		for _, id := range strings.Split(strings.ToLower(ids), ",") {
			if id = strings.TrimSpace(id); id != "" {
				h.EventIDs = append(h.EventIDs, id)
			}
		}
	}
	if raw := strings.ToLower(r.Get("getRaw")); raw != "" {
		if raw != "true" && raw != "false" {
			return createFailure
		}
		h.Raw = raw == "true"
	}
	got, created, err := s.store.BBBCreateHook(ctx, h)
	if err != nil {
		s.log.Error("bbb: create hook", "err", err)
		return createFailure
	}
	if !created {
		return ok(EI("hookID", got.ID), E("messageKey", "duplicateWarning"), E("message", "There is already a hook for this callback URL."))
	}
	return ok(EI("hookID", got.ID), EB("permanentHook", got.Permanent), EB("rawData", got.Raw))
}

func (s *Server) hooksDestroy(ctx context.Context, r *Request) *Response {
	if !r.Has("hookID") || r.Get("hookID") == "" {
		return fail("missingParamHookID", "You must specify a hookID in the parameters.")
	}
	missing := fail("destroyMissingHook", "The hook informed was not found.")
	id, err := strconv.ParseInt(r.Get("hookID"), 10, 64)
	if err != nil {
		return missing
	}
	removed, err := s.store.BBBDeleteHook(ctx, id)
	switch {
	case err != nil:
		s.log.Error("bbb: destroy hook", "err", err)
		return fail("destroyHookError", "An error happened while removing your hook. Check the logs.")
	case !removed:
		return missing
	}
	return ok(EB("removed", true))
}

func (s *Server) hooksList(ctx context.Context, r *Request) *Response {
	list, err := s.store.BBBHooks(ctx)
	if err != nil {
		s.log.Error("bbb: list hooks", "err", err)
		return fail("listHookError", "An error happened while listing registered hooks. Check the logs.")
	}
	meetingID, filtered := r.Get("meetingID"), r.Has("meetingID")
	hooks := EP("hooks")
	for _, h := range list {
		if filtered && h.MeetingID != "" && h.MeetingID != meetingID {
			continue
		}
		el := EP("hook", EI("hookID", h.ID), EC("callbackURL", h.CallbackURL))
		if h.MeetingID != "" {
			el.Kids = append(el.Kids, EC("meetingID", h.MeetingID))
		}
		if len(h.EventIDs) > 0 {
			el.Kids = append(el.Kids, E("eventID", strings.Join(h.EventIDs, ",")))
		}
		el.Kids = append(el.Kids, EB("permanentHook", h.Permanent), EB("rawData", h.Raw))
		hooks.Kids = append(hooks.Kids, el)
	}
	return ok(hooks)
}

// hookWants reports whether a hook takes an event id.
func hookWants(h bbbdata.Hook, id string) bool {
	if len(h.EventIDs) == 0 {
		return true
	}
	for _, e := range h.EventIDs {
		if e == id {
			return true
		}
	}
	return false
}

// hookEvent is one BBB event: its id and its JSON ({"data":{…}}).
type hookEvent struct {
	id   string
	json []byte
}

// hookEvents are the BBB events of one of meetd's events (doc/bbb.md, "Hooks", the mapping).
func (s *Server) hookEvents(ev *meet.Event, m *store.BBBMeeting, users map[string]*meet.User) []hookEvent {
	meeting := map[string]any{"internal-meeting-id": m.InternalMeetingID, "external-meeting-id": m.MeetingID}
	ts := ev.CreatedAt * 1000
	mk := func(id string, attrs map[string]any) hookEvent {
		b, _ := json.Marshal(map[string]any{"data": map[string]any{
			"type": "event", "id": id, "attributes": attrs, "event": map[string]any{"ts": ts},
		}})
		return hookEvent{id, b}
	}
	user := func(p *meet.ParticipantInfo) map[string]any {
		var md struct {
			ExUserID string `json:"ex_user_id"`
		}
		_ = json.Unmarshal([]byte(p.Metadata), &md)
		ext, admin := md.ExUserID, p.IsAdmin
		if u := users[p.Identity]; u != nil { // what the join said of the user
			admin = admin || u.IsAdmin
			if u.Metadata.ExUserID != "" {
				ext = u.Metadata.ExUserID
			}
		}
		if ext == "" {
			ext = p.Identity
		}
		role := "VIEWER"
		if admin {
			role = "MODERATOR"
		}
		return map[string]any{"internal-user-id": p.Identity, "external-user-id": ext, "name": p.Name, "role": role, "presenter": false}
	}
	withUser := func(id string, p *meet.ParticipantInfo, extra map[string]any) []hookEvent {
		if p == nil {
			return nil
		}
		u := user(p)
		for k, v := range extra {
			u[k] = v
		}
		return []hookEvent{mk(id, map[string]any{"meeting": meeting, "user": u})}
	}
	switch ev.Event {
	case meet.EventRoomCreated:
		md := map[string]string{}
		for k, v := range m.Data.Meta {
			md[k] = v
		}
		created := map[string]any{
			"internal-meeting-id": m.InternalMeetingID, "external-meeting-id": m.MeetingID,
			"name": m.Data.Name, "is-breakout": m.Data.Params["isBreakout"] == "true", "duration": m.Data.Duration,
			"create-time": m.CreateTime, "create-date": time.UnixMilli(m.CreateTime).UTC().Format("Mon Jan 02 15:04:05 MST 2006"),
			"moderator-pass": m.ModeratorPW, "viewer-pass": m.AttendeePW, "record": m.Data.Record,
			"voice-conf": m.Data.VoiceBridge, "dial-number": m.Data.DialNumber, "max-users": m.Data.MaxParticipants,
			"metadata": md,
		}
		return []hookEvent{mk("meeting-created", map[string]any{"meeting": created})}
	case meet.EventRoomFinished:
		return []hookEvent{mk("meeting-ended", map[string]any{"meeting": meeting})}
	case meet.EventParticipantJoined:
		return withUser("user-joined", ev.Participant, map[string]any{"guest": false})
	case meet.EventParticipantLeft:
		return withUser("user-left", ev.Participant, map[string]any{"guest": false})
	case meet.EventTrackPublished, meet.EventTrackUnpublished:
		if ev.Track == nil {
			return nil
		}
		on := ev.Event == meet.EventTrackPublished
		switch ev.Track.Source {
		case "MICROPHONE":
			if on {
				return withUser("user-audio-voice-enabled", ev.Participant, map[string]any{"listening-only": false, "sharing-mic": true, "muted": ev.Track.Muted})
			}
			return withUser("user-audio-voice-disabled", ev.Participant, map[string]any{"listening-only": false, "sharing-mic": false, "muted": true})
		case "CAMERA":
			if on {
				return withUser("user-cam-broadcast-start", ev.Participant, map[string]any{"stream": ev.Track.SID})
			}
			return withUser("user-cam-broadcast-end", ev.Participant, map[string]any{"stream": ev.Track.SID})
		case "SCREEN_SHARE":
			id := "meeting-screenshare-stopped"
			if on {
				id = "meeting-screenshare-started"
			}
			if ev.Participant == nil {
				return []hookEvent{mk(id, map[string]any{"meeting": meeting})}
			}
			u := user(ev.Participant)
			return []hookEvent{mk(id, map[string]any{"meeting": meeting, "user": map[string]any{
				"internal-user-id": u["internal-user-id"], "external-user-id": u["external-user-id"]}})}
		}
	case meet.EventPollCreated:
		if ev.Poll == nil {
			return nil
		}
		answers := make([]map[string]any, len(ev.Poll.Options))
		for i, o := range ev.Poll.Options {
			answers[i] = map[string]any{"id": o.ID, "key": o.Text}
		}
		attrs := map[string]any{"meeting": meeting, "poll": map[string]any{"id": ev.Poll.PollID, "question": ev.Poll.Question, "answers": answers}}
		if id := ev.Poll.CreatedBy; id != "" { // a poll made with the server key may name nobody
			ext := id
			if u := users[id]; u != nil && u.Metadata.ExUserID != "" {
				ext = u.Metadata.ExUserID
			}
			attrs["user"] = map[string]any{"internal-user-id": id, "external-user-id": ext}
		}
		return []hookEvent{mk("poll-started", attrs)}
	case meet.EventStartRecording:
		return []hookEvent{mk("meeting-recording-started", map[string]any{"meeting": meeting})}
	case meet.EventEndRecording:
		return []hookEvent{mk("meeting-recording-stopped", map[string]any{"meeting": meeting})}
	case meet.EventRecordingProceeded:
		rec := map[string]any{"meeting": meeting, "record-id": m.InternalMeetingID}
		return []hookEvent{
			mk("rap-publish-ended", map[string]any{"meeting": meeting, "record-id": m.InternalMeetingID, "success": true, "step-time": 0}),
			mk("rap-published", rec),
		}
	}
	return nil
}
