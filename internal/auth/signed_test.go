package auth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meet"
)

// The v2 vector was computed with OpenSSL:
//
//	printf 'POST\n/auth/room/endRoom\n1700000000\nnonce-0123456789abcdef\n{"room_id":"room1"}' \
//	    | openssl dgst -sha256 -hmac 'secret-0123456789'
const v2Vector = "f21d138b7d5e971ba95513a561dbd2918e7aedca950a0f9307b459f2c387658a"

func TestSignV2(t *testing.T) {
	got := auth.SignV2("secret-0123456789", "POST", "/auth/room/endRoom", "1700000000", "nonce-0123456789abcdef", []byte(`{"room_id":"room1"}`))
	if got != v2Vector {
		t.Errorf("SignV2 = %s, want %s", got, v2Vector)
	}
}

func TestVerifier(t *testing.T) {
	now := time.Unix(1700000000, 0)
	v := &auth.Verifier{
		Keys: []auth.Credential{{Key: "key1", Secret: "secret-0123456789", Scope: auth.ScopeFull},
			{Key: "ro", Secret: "read-secret-0123456789", Scope: auth.ScopeRead}},
		Now: func() time.Time { return now },
	}
	body := `{"room_id":"room1"}`
	request := func(path string, h map[string]string) *http.Request {
		r := httptest.NewRequest("POST", path, strings.NewReader(body))
		for k, val := range h {
			r.Header.Set(k, val)
		}
		return r
	}
	v2 := map[string]string{"API-KEY": "key1", auth.HeaderTimestamp: "1700000000",
		auth.HeaderNonce: "nonce-0123456789abcdef", auth.HeaderSignature: strings.ToUpper(v2Vector)}
	v1 := map[string]string{"API-KEY": "key1", "HASH-SIGNATURE": auth.SignBody("secret-0123456789", []byte(body))}
	check := func(name string, r *http.Request, scope auth.Scope, want meet.Code) {
		t.Helper()
		_, err := v.Verify(context.Background(), r, []byte(body), scope)
		if got := meet.CodeOf(err); err == nil && want != meet.CodeSuccess || err != nil && got != want {
			t.Errorf("%s: %v, want %s", name, err, want)
		}
	}
	check("v2", request("/auth/room/endRoom", v2), auth.ScopeFull, meet.CodeSuccess)
	check("v2 again", request("/auth/room/endRoom", v2), auth.ScopeFull, meet.CodeInvalidTokenOrSignature)
	v2["X-Meetd-Nonce"] = "nonce-fedcba9876543210"
	check("v2 on another path", request("/auth/room/getActiveRoomInfo", v2), auth.ScopeRead, meet.CodeInvalidTokenOrSignature)
	check("v1", request("/auth/room/endRoom", v1), auth.ScopeFull, meet.CodeSuccess)

	now = now.Add(auth.Window + time.Second) // the v2 request is stale now
	v2[auth.HeaderSignature] = auth.SignV2("secret-0123456789", "POST", "/auth/room/endRoom", "1700000000", v2[auth.HeaderNonce], []byte(body))
	check("v2 stale", request("/auth/room/endRoom", v2), auth.ScopeFull, meet.CodeInvalidTokenOrSignature)

	v.RequireV2 = auth.V1RefusedOnWrites
	check("v1 on a write, writes refused", request("/auth/room/endRoom", v1), auth.ScopeFull, meet.CodeInvalidTokenOrSignature)
	check("v1 on a read, writes refused", request("/auth/room/isRoomActive", v1), auth.ScopeRead, meet.CodeSuccess)
	ro := map[string]string{"API-KEY": "ro", "HASH-SIGNATURE": auth.SignBody("read-secret-0123456789", []byte(body))}
	check("read key on a read", request("/auth/room/isRoomActive", ro), auth.ScopeRead, meet.CodeSuccess)
	v.RequireV2 = auth.V1Refused
	check("v1 on a read, all refused", request("/auth/room/isRoomActive", v1), auth.ScopeRead, meet.CodeInvalidTokenOrSignature)
	v.RequireV2 = auth.V1Allowed
	check("read key on a write", request("/auth/room/endRoom", ro), auth.ScopeFull, meet.CodePermissionDenied)
	check("unknown key", request("/auth/room/endRoom", map[string]string{"API-KEY": "nope", "HASH-SIGNATURE": "00"}), auth.ScopeRead, meet.CodeInvalidAPIKey)
	check("no signature", request("/auth/room/endRoom", map[string]string{"API-KEY": "key1"}), auth.ScopeRead, meet.CodeMissingRequiredParameter)
}
