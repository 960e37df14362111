package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
)

// The SDK-2 generation's parsers, imitated (doc/api.md, "Two dialects"): plugnmeet-sdk-js 2.x
// parses every answer with protobuf-es fromJsonString and its defaults, which throws on a key
// outside the message and on a wrong scalar type; PHP SDK 2.x ignores unknown keys but checks
// scalar types the same way. strictParse does both checks: a test declares the message as a Go
// struct with exactly the message's fields, typed with the pb* types below.

// pbI32 is an int32/uint32 field: a JSON number or a decimal string; a boolean is refused.
type pbI32 int32

func (v *pbI32) UnmarshalJSON(b []byte) error {
	n, err := pbNumber(b, 32)
	*v = pbI32(n)
	return err
}

// pbI64 is an int64/uint64 field: a JSON number or a decimal string.
type pbI64 int64

func (v *pbI64) UnmarshalJSON(b []byte) error {
	n, err := pbNumber(b, 64)
	*v = pbI64(n)
	return err
}

func pbNumber(b []byte, bits int) (int64, error) {
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

// pbEnum is an enum field whose names N lists: by name or by number; an unknown name throws.
// A test declares an enum as a type with a names method, e.g. statusCodes.
type pbEnum[N interface{ names() []string }] string

func (v *pbEnum[N]) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var n N
	names := n.names()
	var name string
	if err := json.Unmarshal(b, &name); err == nil {
		for _, x := range names {
			if x == name {
				*v = pbEnum[N](name)
				return nil
			}
		}
		return fmt.Errorf("invalid enum value %q (want one of %v)", name, names)
	}
	var i int
	if err := json.Unmarshal(b, &i); err != nil || i < 0 || i >= len(names) {
		return fmt.Errorf("invalid enum value %s", b)
	}
	*v = pbEnum[N](names[i])
	return nil
}

// statusCodes are plugNmeet's StatusCode names, by number.
type statusCodes struct{}

func (statusCodes) names() []string {
	return []string{"UNKNOWN_STATUS", "SUCCESS", "PERMISSION_DENIED", "NOT_FOUND", "CONFLICT",
		"INVALID_TOKEN_OR_SIGNATURE", "INVALID_API_KEY", "INTERNAL_SERVER_ERROR", "INVALID_PARAMETERS",
		"MISSING_REQUIRED_PARAMETER", "ROOM_NOT_FOUND", "USER_NOT_FOUND", "USER_BLOCKED", "USER_NOT_ACTIVE", "ROOM_NOT_ACTIVE"}
}

// pbEnvelope is CommonResponse's three fields, which every answer message starts with.
type pbEnvelope struct {
	Status     bool                `json:"status"`
	Msg        string              `json:"msg"`
	StatusCode pbEnum[statusCodes] `json:"status_code"`
}

// strictParse decodes body into v as the SDK-2 parsers do, and fails the test on a key outside
// the message or a scalar of the wrong type.
func strictParse(t testing.TB, body []byte, v any) {
	t.Helper()
	if err := strictDecode(body, v); err != nil {
		t.Fatalf("an SDK-2 parser refuses the answer: %v\n%s", err, body)
	}
}

func strictDecode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func TestStrictParserRefuses(t *testing.T) {
	type msg struct {
		pbEnvelope
		IsRunning pbI32 `json:"is_running"`
		Created   pbI64 `json:"created"`
	}
	ok := func(body string) error {
		var m msg
		return strictDecode([]byte(body), &m)
	}
	for _, body := range []string{
		`{"status":true,"msg":"","status_code":"SUCCESS","is_running":true}`,
		`{"status":true,"msg":"","status_code":"SUCCESS","extra":1}`,
		`{"status":1}`,
		`{"status_code":"SERVER_DRAINING"}`,
		`{"created":"ten"}`,
	} {
		if ok(body) == nil {
			t.Errorf("accepted %s", body)
		}
	}
	for _, body := range []string{
		`{"status":true,"msg":"","status_code":"SUCCESS","is_running":1,"created":"1700000000"}`,
		`{"status_code":10,"is_running":"0","created":1700000000}`,
	} {
		if err := ok(body); err != nil {
			t.Errorf("refused %s: %v", body, err)
		}
	}
}
