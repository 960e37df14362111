package auth_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meet"
)

// The expected values below were computed outside Go, with OpenSSL and coreutils:
//
//	printf '%s' "$BODY" | openssl dgst -sha256 -hmac 'secret-0123456789'          # HASH-SIGNATURE
//	printf '%s' "$JSON" | basenc --base64url | tr -d '=\n'                            # a JWT part
//	printf '%s' "$H.$P" | openssl dgst -sha256 -hmac 'secret-0123456789' -binary \
//	    | basenc --base64url | tr -d '=\n'                                            # a JWT signature
//	printf '%s' "$BODY" | openssl dgst -sha256 -binary | base64                      # a webhook's sha256

var keys = auth.Keys{APIKey: "key1", APISecret: "secret-0123456789"}

// issued is when the vector tokens were made: nbf is 5 s before, exp 595 s after.
var issued = time.Unix(1700000005, 0)

const (
	jwtHeader = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9" // {"alg":"HS256","typ":"JWT"}
	// {"iss":"key1","nbf":1700000000,"exp":1700000600,"purpose":"events"}
	eventsToken = jwtHeader + ".eyJpc3MiOiJrZXkxIiwibmJmIjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDA2MDAsInB1cnBvc2UiOiJldmVudHMifQ" +
		".6bUnkEkUNXSIue2ferD8z0BUjBKbQAcuGdbIbYTKk_8"
	// {"iss":"key1","nbf":1700000000,"exp":1700000600,"sub":"ann","name":"Ann","room_id":"room1","room_sid":"RM_1","is_admin":true,"is_hidden":false}
	joinToken = jwtHeader + ".eyJpc3MiOiJrZXkxIiwibmJmIjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDA2MDAsInN1YiI6ImFubiIsIm5hbWUiOiJBbm4iLCJyb29tX2lkIjoicm9vbTEiLCJyb29tX3NpZCI6IlJNXzEiLCJpc19hZG1pbiI6dHJ1ZSwiaXNfaGlkZGVuIjpmYWxzZX0" +
		".yQBUt6AOmrQ9hN_igIorCmwTlTsSqEpLfkCkQ9B3WZY"
	// {"iss":"key1","nbf":1700000000,"exp":1700000305,"sha256":"w9NV0uLHjSON8P7eonnkKXDHY4ICORefbHDCviKIgX8="}
	// (a webhook token lasts 5 minutes; the sha256 is that of {"event":"room_started"})
	webhookToken = jwtHeader + ".eyJpc3MiOiJrZXkxIiwibmJmIjoxNzAwMDAwMDAwLCJleHAiOjE3MDAwMDAzMDUsInNoYTI1NiI6Inc5TlYwdUxIalNPTjhQN2Vvbm5rS1hESFk0SUNPUmVmYkhEQ3ZpS0lnWDg9In0" +
		".5DPAVY8CyxxEzWFtCbbr0eR7wA_7dOKY-n_gNk_BkJU"
)

func TestSignBodyVectors(t *testing.T) {
	for _, v := range []struct{ body, want string }{
		{`{"room_id":"room1"}`, "4b1c1232c9d9901863158e0f7c12864aa814a74f6e5e9f95c810f1bb4eca1ff0"},
		{``, "ff55633e326e6263cbf1840b841bc86f984762ddaa869e09665082f9c1b4c453"},
	} {
		if got := auth.SignBody(keys.APISecret, []byte(v.body)); got != v.want {
			t.Errorf("SignBody(%q) = %s, want %s", v.body, got, v.want)
		}
	}
}

func TestVerifyRequest(t *testing.T) {
	body := []byte(`{"room_id":"room1"}`)
	good := "4b1c1232c9d9901863158e0f7c12864aa814a74f6e5e9f95c810f1bb4eca1ff0"
	for _, c := range []struct {
		what, key, sig string
		body           []byte
		want           meet.Code // "" when accepted
	}{
		{"right", "key1", good, body, ""},
		{"upper-case hex", "key1", strings.ToUpper(good), body, ""},
		{"no key", "", good, body, meet.CodeMissingRequiredParameter},
		{"no signature", "key1", "", body, meet.CodeMissingRequiredParameter},
		{"wrong key", "key2", good, body, meet.CodeInvalidAPIKey},
		{"key prefix", "key", good, body, meet.CodeInvalidAPIKey},
		{"another body", "key1", good, []byte(`{"room_id":"room2"}`), meet.CodeInvalidTokenOrSignature},
		{"another secret", "key1", auth.SignBody("secret-other", body), body, meet.CodeInvalidTokenOrSignature},
		{"truncated", "key1", good[:63], body, meet.CodeInvalidTokenOrSignature},
	} {
		err := keys.VerifyRequest(c.key, c.sig, c.body)
		if got := meet.CodeOf(err); (err == nil) != (c.want == "") || (err != nil && got != c.want) {
			t.Errorf("%s: %v (%s), want %q", c.what, err, got, c.want)
		}
	}
}

func TestTokenVectors(t *testing.T) {
	events, err := keys.PurposeToken(auth.PurposeEvents, issued, 595*time.Second)
	if err != nil || events != eventsToken {
		t.Errorf("PurposeToken = %s, %v\nwant %s", events, err, eventsToken)
	}
	join, err := auth.Sign(keys.APISecret, auth.JoinClaims{
		Times:  auth.NewTimes("key1", issued, 595*time.Second),
		UserID: "ann", Name: "Ann", RoomID: "room1", SID: "RM_1", IsAdmin: true,
	})
	if err != nil || join != joinToken {
		t.Errorf("join token = %s, %v\nwant %s", join, err, joinToken)
	}
	hook, err := keys.WebhookToken([]byte(`{"event":"room_started"}`), issued)
	if err != nil || hook != webhookToken {
		t.Errorf("WebhookToken = %s, %v\nwant %s", hook, err, webhookToken)
	}
}

func TestParse(t *testing.T) {
	var c auth.JoinClaims
	if err := auth.Parse(keys.APISecret, joinToken, &c, issued); err != nil {
		t.Fatalf("the vector join token: %v", err)
	}
	if c.UserID != "ann" || c.RoomID != "room1" || c.SID != "RM_1" || !c.IsAdmin || c.Issuer != "key1" || c.ExpiresAt != 1700000600 {
		t.Errorf("claims %+v", c)
	}
	parts := strings.Split(joinToken, ".")
	for _, r := range []struct {
		what, secret, token string
		at                  time.Time
	}{
		{"wrong secret", "secret-other", joinToken, issued},
		{"expired", keys.APISecret, joinToken, time.Unix(1700000600, 0)},
		{"not yet valid", keys.APISecret, joinToken, time.Unix(1699999999, 0)},
		{"payload changed", keys.APISecret, parts[0] + "." + strings.Split(eventsToken, ".")[1] + "." + parts[2], issued},
		{"no signature", keys.APISecret, parts[0] + "." + parts[1] + ".", issued},
		{"two parts", keys.APISecret, parts[0] + "." + parts[1], issued},
		// {"alg":"none","typ":"JWT"}
		{"alg none", keys.APISecret, "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + "." + parts[2], issued},
		{"garbage", keys.APISecret, "a.b.c", issued},
	} {
		if err := auth.Parse(r.secret, r.token, &auth.JoinClaims{}, r.at); err == nil {
			t.Errorf("%s: accepted", r.what)
		}
	}
	// a token without exp never verifies
	noExp, _ := auth.Sign(keys.APISecret, map[string]any{"sub": "ann"})
	if err := auth.Parse(keys.APISecret, noExp, &auth.JoinClaims{}, issued); err == nil {
		t.Error("a token without exp: accepted")
	}
}

func TestCheckPurpose(t *testing.T) {
	if err := keys.CheckPurpose(eventsToken, auth.PurposeEvents, issued); err != nil {
		t.Errorf("the vector events token: %v", err)
	}
	for _, r := range []struct {
		what, token, purpose string
		keys                 auth.Keys
		at                   time.Time
	}{
		{"wrong purpose", eventsToken, auth.PurposeDashboard, keys, issued},
		{"a join token", joinToken, auth.PurposeEvents, keys, issued},
		{"expired", eventsToken, auth.PurposeEvents, keys, time.Unix(1700000600, 0)},
		{"wrong secret", eventsToken, auth.PurposeEvents, auth.Keys{APIKey: "key1", APISecret: "secret-other"}, issued},
	} {
		if err := r.keys.CheckPurpose(r.token, r.purpose, r.at); err == nil {
			t.Errorf("%s: accepted", r.what)
		}
	}
}

func TestEqual(t *testing.T) {
	if !auth.Equal("password", "password") || auth.Equal("password", "passwore") || auth.Equal("password", "pass") || auth.Equal("", "x") {
		t.Error("Equal compares wrongly")
	}
}

// Secrets are compared in constant time: the functions that compare a signature, a key or a
// password call crypto/subtle or hmac.Equal, and none compares them with ==.
func TestConstantTimeCompare(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "auth.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"VerifyRequest": "subtle.ConstantTimeCompare",
		"Parse":         "hmac.Equal",
		"Equal":         "subtle.ConstantTimeCompare",
	}
	for _, d := range f.Decls {
		fn, ok := d.(*ast.FuncDecl)
		if !ok || want[fn.Name.Name] == "" {
			continue
		}
		found := false
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name+"."+sel.Sel.Name == want[fn.Name.Name] {
					found = true
				}
			}
			return true
		})
		if !found {
			t.Errorf("%s does not call %s", fn.Name.Name, want[fn.Name.Name])
		}
		delete(want, fn.Name.Name)
	}
	for name := range want {
		t.Errorf("auth.go has no function %s", name)
	}
}
