// Package sdk2client is a plugNmeet API client that encodes requests and parses answers as the
// SDK-2 generation does (plugnmeet-sdk-js 2.x, plugnmeet-sdk-php 2.x, and the Moodle, WordPress
// and Joomla plugins built on them; doc/api.md, "Two dialects"), for tests: requests go out as
// the caller writes them (lowerCamelCase keys, 64-bit integers as strings, extraData maps, enum
// names), and every 2xx answer is parsed as protobuf-es fromJsonString parses it with its
// defaults: a key outside the message or a scalar of the wrong type is an error. Webhook bodies
// are parsed as the PHP runtime parses them (unknown keys ignored, scalar types checked).
//
// The messages are declared by hand from plugNmeet's protocol, field by field; livekit's
// ParticipantInfo and TrackInfo are checked with LiveKit's own generated types and protojson.
package sdk2client

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/livekit/protocol/livekit"
	"google.golang.org/protobuf/encoding/protojson"
)

// Client calls a plugNmeet-compatible server's /auth API.
type Client struct {
	URL         string // the server's base URL, without /auth
	Key, Secret string
	HTTP        *http.Client
}

// Call posts body (JSON text, as an SDK-2 client encodes it) to /auth/<path>, signed, and parses
// a 2xx answer strictly into res. An answer that is not 2xx is returned as an error with its
// status and body (JS SDK 2 does not parse those).
func (c *Client) Call(ctx context.Context, path, body string, res any) error {
	raw, status, err := c.Post(ctx, path, body)
	if err != nil {
		return err
	}
	if status < 200 || status > 299 {
		return fmt.Errorf("%s: HTTP %d: %s", path, status, raw)
	}
	if err := Strict(raw, res); err != nil {
		return fmt.Errorf("%s: an SDK-2 parser refuses the answer: %w\n%s", path, err, raw)
	}
	return nil
}

// Post sends the signed request and returns the raw answer.
func (c *Client) Post(ctx context.Context, path, body string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", c.URL+"/auth/"+path, bytes.NewReader([]byte(body)))
	if err != nil {
		return nil, 0, err
	}
	mac := hmac.New(sha256.New, []byte(c.Secret))
	mac.Write([]byte(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("API-KEY", c.Key)
	req.Header.Set("HASH-SIGNATURE", hex.EncodeToString(mac.Sum(nil)))
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return raw, resp.StatusCode, err
}

// Strict decodes body into v as protobuf-es does: unknown keys and wrong scalar types fail.
func Strict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	return validate(v)
}

// Lenient decodes body into v as the PHP runtime does with ignore-unknown: unknown keys are
// skipped, scalar types are still checked.
func Lenient(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return err
	}
	return validate(v)
}

// validator is a message with parts checked after decoding (LiveKit's messages).
type validator interface{ check() error }

func validate(v any) error {
	if c, ok := v.(validator); ok {
		return c.check()
	}
	return nil
}

// I32 is an int32 or uint32 field: a JSON number or a decimal string; a boolean is refused.
type I32 int32

func (v *I32) UnmarshalJSON(b []byte) error {
	n, err := number(b, 32)
	*v = I32(n)
	return err
}

// I64 is an int64 or uint64 field: a JSON number or a decimal string.
type I64 int64

func (v *I64) UnmarshalJSON(b []byte) error {
	n, err := number(b, 64)
	*v = I64(n)
	return err
}

func number(b []byte, bits int) (int64, error) {
	if string(b) == "null" {
		return 0, nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return 0, err
		}
	} else if len(b) == 0 || !(b[0] == '-' || (b[0] >= '0' && b[0] <= '9')) {
		return 0, fmt.Errorf("invalid value for int%d field: %s", bits, b)
	}
	n, err := strconv.ParseInt(s, 10, bits)
	if err != nil {
		return 0, fmt.Errorf("invalid value for int%d field: %s", bits, b)
	}
	return n, nil
}

// F32 is a float field: a JSON number or a numeric string.
type F32 float64

// F64 is a double field, parsed as a float field is.
type F64 = F32

func (v *F32) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("invalid value for float field: %s", b)
	}
	*v = F32(f)
	return nil
}

// Names lists an enum's value names by number.
type Names interface{ Names() []string }

// Enum is an enum field whose names N lists: by name or by number; an unknown name is an error.
type Enum[N Names] string

func (v *Enum[N]) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var n N
	names := n.Names()
	var name string
	if err := json.Unmarshal(b, &name); err == nil {
		for _, x := range names {
			if x == name && x != "" {
				*v = Enum[N](name)
				return nil
			}
		}
		return fmt.Errorf("invalid enum value %q (want one of %v)", name, names)
	}
	var i int
	if err := json.Unmarshal(b, &i); err != nil || i < 0 || i >= len(names) || names[i] == "" {
		return fmt.Errorf("invalid enum value %s", b)
	}
	*v = Enum[N](names[i])
	return nil
}

// StatusCodes are plugNmeet's StatusCode names.
type StatusCodes struct{}

func (StatusCodes) Names() []string {
	return []string{"UNKNOWN_STATUS", "SUCCESS", "PERMISSION_DENIED", "NOT_FOUND", "CONFLICT",
		"INVALID_TOKEN_OR_SIGNATURE", "INVALID_API_KEY", "INTERNAL_SERVER_ERROR", "INVALID_PARAMETERS",
		"MISSING_REQUIRED_PARAMETER", "ROOM_NOT_FOUND", "USER_NOT_FOUND", "USER_BLOCKED", "USER_NOT_ACTIVE", "ROOM_NOT_ACTIVE"}
}

// ArtifactTypes are plugNmeet's RoomArtifactType names.
type ArtifactTypes struct{}

func (ArtifactTypes) Names() []string {
	return []string{"UNKNOWN_ARTIFACT", "MEETING_ANALYTICS", "MEETING_SUMMARY", "MEETING_SUMMARY_USAGE",
		"SPEECH_TRANSCRIPTION", "SPEECH_TRANSCRIPTION_USAGE", "SYNTHESIZED_SPEECH_USAGE", "CHAT_TRANSLATION_USAGE",
		"AI_TEXT_CHAT_INTERACTION_USAGE", "AI_TEXT_CHAT_SUMMARIZATION_USAGE"}
}

// Participants are livekit.ParticipantInfo messages, each parsed strictly by protojson with
// LiveKit's generated type.
type Participants []*livekit.ParticipantInfo

func (p *Participants) UnmarshalJSON(b []byte) error {
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		return err
	}
	*p = nil
	for _, raw := range raws {
		var pi livekit.ParticipantInfo
		if err := protojson.Unmarshal(raw, &pi); err != nil {
			return fmt.Errorf("participants_info: %w", err)
		}
		*p = append(*p, &pi)
	}
	return nil
}

// Participant is one livekit.ParticipantInfo (a webhook's participant), parsed by protojson.
type Participant struct{ *livekit.ParticipantInfo }

func (p *Participant) UnmarshalJSON(b []byte) error {
	p.ParticipantInfo = &livekit.ParticipantInfo{}
	return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(b, p.ParticipantInfo)
}

// Track is one livekit.TrackInfo (a webhook's track), parsed by protojson.
type Track struct{ *livekit.TrackInfo }

func (t *Track) UnmarshalJSON(b []byte) error {
	t.TrackInfo = &livekit.TrackInfo{}
	return protojson.UnmarshalOptions{DiscardUnknown: true}.Unmarshal(b, t.TrackInfo)
}
