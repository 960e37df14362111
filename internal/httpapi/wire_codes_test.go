package httpapi

import (
	"slices"
	"testing"

	"meetd/internal/meet"
)

// Every status_code that a signed call answers with HTTP 200 is one of plugNmeet's StatusCode
// names: SDK 2.x parses those bodies, and an unknown enum name throws (doc/api.md, "Two dialects").
func TestAPICodesArePlugNmeetNames(t *testing.T) {
	names := statusCodes{}.Names()
	for _, c := range meet.Codes {
		if c.Status[meet.DoorAPI] != 200 {
			continue
		}
		sent := c.Code
		if c.Sent != "" {
			sent = c.Sent
		}
		if !slices.Contains(names, string(sent)) {
			t.Errorf("%s answers HTTP 200 at the signed API with status_code %s, not a plugNmeet name", c.Code, sent)
		}
	}
}
