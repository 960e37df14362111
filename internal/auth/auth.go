// Package auth holds meetd's signatures: the HMAC of management API requests, the HS256 tokens
// handed to people (join tokens, download tokens) and the webhook signature.
package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"meetd/internal/meet"
)

// Keys are the API key and secret the server was configured with.
type Keys struct {
	APIKey    string
	APISecret string
}

// SignBody returns the HASH-SIGNATURE of a request body: lowercase hex HMAC-SHA256 keyed with secret.
func SignBody(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// VerifyRequest checks the API-KEY and HASH-SIGNATURE headers of a request with the given body
// (doc/api.md). Both comparisons take constant time.
func (k Keys) VerifyRequest(apiKey, signature string, body []byte) error {
	if apiKey == "" || signature == "" {
		return meet.Errorf(meet.CodeMissingRequiredParameter, "API-KEY and HASH-SIGNATURE headers are required")
	}
	if subtle.ConstantTimeCompare([]byte(apiKey), []byte(k.APIKey)) != 1 {
		return meet.Errorf(meet.CodeInvalidAPIKey, "invalid API key")
	}
	want := SignBody(k.APISecret, body)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(signature)), []byte(want)) != 1 {
		return meet.Errorf(meet.CodeInvalidTokenOrSignature, "invalid request signature")
	}
	return nil
}

// Times of a token, in the registered claim names of RFC 7519.
type Times struct {
	Issuer    string `json:"iss,omitempty"`
	NotBefore int64  `json:"nbf,omitempty"`
	ExpiresAt int64  `json:"exp"`
}

// NewTimes makes token times valid from now for ttl.
func NewTimes(issuer string, now time.Time, ttl time.Duration) Times {
	return Times{Issuer: issuer, NotBefore: now.Add(-5 * time.Second).Unix(), ExpiresAt: now.Add(ttl).Unix()}
}

func (t Times) check(now time.Time) error {
	if t.ExpiresAt == 0 || now.Unix() >= t.ExpiresAt {
		return errors.New("token expired")
	}
	if t.NotBefore != 0 && now.Unix() < t.NotBefore {
		return errors.New("token not valid yet")
	}
	return nil
}

// claims is what every token's payload has.
type claims interface{ times() Times }

func (t Times) times() Times { return t }

var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))

// Sign makes an HS256 JWT of the claims.
func Sign(secret string, c any) (string, error) {
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	signing := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	return signing + "." + mac(secret, signing), nil
}

func mac(secret, s string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(s))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// ErrBadToken is any token that does not verify: forged, malformed, expired.
var ErrBadToken = errors.New("invalid token")

// Parse verifies an HS256 JWT with secret and decodes its payload into c, then checks its times.
func Parse(secret, token string, c claims, now time.Time) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ErrBadToken
	}
	header, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return ErrBadToken
	}
	var h struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(header, &h) != nil || h.Alg != "HS256" {
		return ErrBadToken
	}
	if !hmac.Equal([]byte(parts[2]), []byte(mac(secret, parts[0]+"."+parts[1]))) {
		return ErrBadToken
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(payload, c) != nil {
		return ErrBadToken
	}
	if err := c.times().check(now); err != nil {
		return errors.Join(ErrBadToken, err)
	}
	return nil
}

// JoinClaims are the payload of a join token: who joins which session in which role.
type JoinClaims struct {
	Times
	UserID   string `json:"sub"`
	Name     string `json:"name"`
	RoomID   string `json:"room_id"`
	SID      string `json:"room_sid"`
	IsAdmin  bool   `json:"is_admin"`
	IsHidden bool   `json:"is_hidden"`
	// Use is "" for a join token (getJoinToken: joins, short-lived) and UsePage for the token a
	// meeting page gets at its join, for its later calls while in the meeting (never to join).
	Use string `json:"use,omitempty"`
	// Gen is, in a page token, the user's token generation when it was made (meet.User.Generation).
	Gen int64 `json:"gen,omitempty"`
}

// UsePage marks the token of a meeting page that has joined (JoinClaims.Use).
const UsePage = "page"

// WebhookClaims are LiveKit's webhook token claims: the issuer and the body's SHA-256.
type WebhookClaims struct {
	Times
	SHA256 string `json:"sha256"`
}

// WebhookToken signs a webhook body as LiveKit does (doc/api.md).
func (k Keys) WebhookToken(body []byte, now time.Time) (string, error) {
	sum := sha256.Sum256(body)
	return Sign(k.APISecret, WebhookClaims{
		Times:  NewTimes(k.APIKey, now, 5*time.Minute),
		SHA256: base64.StdEncoding.EncodeToString(sum[:]),
	})
}

// PurposeClaims are a short-lived token good for one thing only: an event stream, a dashboard session.
type PurposeClaims struct {
	Times
	Purpose string `json:"purpose"`
}

// Token purposes.
const (
	PurposeEvents    = "events"
	PurposeDashboard = "dashboard"
)

// PurposeToken signs a token for purpose, valid for ttl.
func (k Keys) PurposeToken(purpose string, now time.Time, ttl time.Duration) (string, error) {
	return Sign(k.APISecret, PurposeClaims{Times: NewTimes(k.APIKey, now, ttl), Purpose: purpose})
}

// CheckPurpose verifies a token made by PurposeToken for purpose.
func (k Keys) CheckPurpose(token, purpose string, now time.Time) error {
	var c PurposeClaims
	if err := Parse(k.APISecret, token, &c, now); err != nil {
		return err
	}
	if c.Purpose != purpose {
		return ErrBadToken
	}
	return nil
}

// Equal compares two secrets in constant time (for their length).
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// MediaKeys are the embedded media node's own key pair, derived from the API secret: LiveKit's
// tokens, its room service calls and its webhooks to meetd use it, never the API secret itself.
// A webhook meetd signed for its receivers (with the API secret) therefore fails at meetd's
// LiveKit webhook input (doc/security.md). Every meetd sharing the API secret derives the same
// pair, so a cluster's nodes accept each other's tokens, and tokens survive a restart.
func (k Keys) MediaKeys() Keys {
	return Keys{APIKey: k.APIKey + "_media", APISecret: mac(k.APISecret, "meetd media node key")}
}
