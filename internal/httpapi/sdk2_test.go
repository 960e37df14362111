package httpapi

import (
	"testing"

	"meetd/internal/sdk2client"
)

// The SDK-2 generation's parsers, imitated by sdk2client (doc/api.md, "Two dialects"):
// plugnmeet-sdk-js 2.x parses every answer with protobuf-es fromJsonString and its defaults,
// which throws on a key outside the message and on a wrong scalar type. strictParse does both
// checks: a test declares a message sdk2client lacks as a Go struct with exactly the message's
// fields, typed with the pb* types below (sdk2client's own tests check what they refuse).

type (
	pbI32                      = sdk2client.I32
	pbI64                      = sdk2client.I64
	pbEnvelope                 = sdk2client.Envelope
	pbEnum[N sdk2client.Names] = sdk2client.Enum[N]
	statusCodes                = sdk2client.StatusCodes
)

// strictParse decodes body into v as the SDK-2 parsers do, and fails the test on a key outside
// the message or a scalar of the wrong type.
func strictParse(t testing.TB, body []byte, v any) {
	t.Helper()
	if err := sdk2client.Strict(body, v); err != nil {
		t.Fatalf("an SDK-2 parser refuses the answer: %v\n%s", err, body)
	}
}
