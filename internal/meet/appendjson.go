package meet

import (
	"strconv"
	"unicode/utf8"
)

// The room info of a large room is the hottest answer of the API: these append it as
// encoding/json marshals it, byte for byte (a test holds them to that), without reflection.

// AppendJSON appends the room as JSON.
func (r *Room) AppendJSON(b []byte) []byte {
	b = append(b, `{"room_info":`...)
	b = r.RoomInfo.AppendJSON(b)
	b = append(b, `,"participants_info":`...)
	b = AppendList(b, r.ParticipantsInfo, (*ParticipantInfo).AppendJSON)
	if len(r.WaitingParticipants) > 0 { // omitempty
		b = append(b, `,"waiting_participants":`...)
		b = append(b, JSON(r.WaitingParticipants)...)
	}
	return append(b, '}')
}

// AppendList appends list as a JSON array (null when nil, as encoding/json has it), each element
// by appendOne.
func AppendList[T any](b []byte, list []T, appendOne func(*T, []byte) []byte) []byte {
	if list == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendOne(&list[i], b)
	}
	return append(b, ']')
}

// AppendJSON appends the room info as JSON.
func (r *RoomInfo) AppendJSON(b []byte) []byte {
	b = append(b, `{"room_title":`...)
	b = AppendString(b, r.RoomTitle)
	b = append(b, `,"room_id":`...)
	b = AppendString(b, r.RoomID)
	b = append(b, `,"sid":`...)
	b = AppendString(b, r.SID)
	b = append(b, `,"joined_participants":`...)
	b = strconv.AppendInt(b, r.JoinedParticipants, 10)
	b = append(b, `,"is_running":`...)
	b = strconv.AppendBool(b, r.IsRunning)
	b = append(b, `,"is_recording":`...)
	b = strconv.AppendBool(b, r.IsRecording)
	b = append(b, `,"is_active_rtmp":`...)
	b = strconv.AppendBool(b, r.IsActiveRTMP)
	b = append(b, `,"creation_time":`...)
	b = strconv.AppendInt(b, r.CreationTime, 10)
	b = append(b, `,"metadata":`...)
	if r.quoted != "" && r.Metadata == r.quotedOf {
		b = append(b, r.quoted...)
	} else {
		b = AppendString(b, r.Metadata)
	}
	b = append(b, `,"webhook_url":`...)
	b = AppendString(b, r.WebhookURL)
	if r.IsBreakoutRoom {
		b = append(b, `,"is_breakout_room":true`...)
	}
	if r.ParentRoomID != "" {
		b = append(b, `,"parent_room_id":`...)
		b = AppendString(b, r.ParentRoomID)
	}
	return append(b, '}')
}

// AppendJSON appends the participant as JSON.
func (p *ParticipantInfo) AppendJSON(b []byte) []byte {
	b = append(b, `{"sid":`...)
	b = AppendString(b, p.SID)
	b = append(b, `,"identity":`...)
	b = AppendString(b, p.Identity)
	b = append(b, `,"name":`...)
	b = AppendString(b, p.Name)
	b = append(b, `,"state":`...)
	b = AppendString(b, p.State)
	b = append(b, `,"metadata":`...)
	if p.quoted != "" && p.Metadata == p.quotedOf { // the same string: compared by pointer at once
		b = append(b, p.quoted...)
	} else {
		b = AppendString(b, p.Metadata)
	}
	b = append(b, `,"joined_at":`...)
	b = strconv.AppendInt(b, p.JoinedAt, 10)
	b = append(b, `,"version":`...)
	b = strconv.AppendUint(b, uint64(p.Version), 10)
	b = append(b, `,"is_admin":`...)
	b = strconv.AppendBool(b, p.IsAdmin)
	b = append(b, `,"is_hidden":`...)
	b = strconv.AppendBool(b, p.IsHidden)
	b = append(b, `,"is_publisher":`...)
	b = strconv.AppendBool(b, p.IsPublisher)
	b = append(b, `,"permission":{"can_publish":`...)
	b = strconv.AppendBool(b, p.Permission.CanPublish)
	b = append(b, `,"can_subscribe":`...)
	b = strconv.AppendBool(b, p.Permission.CanSubscribe)
	b = append(b, `,"can_publish_data":`...)
	b = strconv.AppendBool(b, p.Permission.CanPublishData)
	b = append(b, `,"hidden":`...)
	b = strconv.AppendBool(b, p.Permission.Hidden)
	b = append(b, `},"tracks":`...)
	b = AppendList(b, p.Tracks, (*Track).AppendJSON)
	return append(b, '}')
}

// AppendJSON appends the track as JSON.
func (t *Track) AppendJSON(b []byte) []byte {
	b = append(b, `{"sid":`...)
	b = AppendString(b, t.SID)
	b = append(b, `,"type":`...)
	b = AppendString(b, t.Type)
	b = append(b, `,"source":`...)
	b = AppendString(b, t.Source)
	b = append(b, `,"muted":`...)
	b = strconv.AppendBool(b, t.Muted)
	b = append(b, `,"mime_type":`...)
	b = AppendString(b, t.MimeType)
	b = append(b, `,"width":`...)
	b = strconv.AppendUint(b, uint64(t.Width), 10)
	b = append(b, `,"height":`...)
	b = strconv.AppendUint(b, uint64(t.Height), 10)
	return append(b, '}')
}

// plain holds the ASCII bytes a JSON string carries as they are (encoding/json's HTML-safe set).
var plain = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string, escaped as encoding/json escapes it: HTML-safe, U+2028
// and U+2029 escaped, invalid UTF-8 replaced by U+FFFD.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if plain[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
