package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"meetd/internal/meet"
)

// The signed API's two schemes (doc/api.md, "Signatures"; doc/decisions/0011-signatures-v2.md):
//
//   - v1, plugNmeet's: API-KEY and HASH-SIGNATURE = hex HMAC-SHA256(secret, body). It binds no
//     route and no time: a captured request is valid on every route taking the same body, forever.
//   - v2, meetd's: API-KEY, X-Meetd-Timestamp (Unix seconds), X-Meetd-Nonce and X-Meetd-Signature
//     = hex HMAC-SHA256(secret, METHOD "\n" PATH "\n" TIMESTAMP "\n" NONCE "\n" BODY), valid within
//     Window of the server's clock, each nonce once.

// The headers of the v2 scheme.
const (
	HeaderTimestamp = "X-Meetd-Timestamp"
	HeaderNonce     = "X-Meetd-Nonce"
	HeaderSignature = "X-Meetd-Signature"
)

// Window is how far a v2 timestamp may be from the server's clock, either way.
const Window = 5 * time.Minute

// Scope says which routes an API key may call: ScopeRead only the routes that read, ScopeFull all.
type Scope string

// The scopes of API keys (config api.keys).
const (
	ScopeRead Scope = "read"
	ScopeFull Scope = "full"
)

// Credential is one API key of the signed API with its secret and scope.
type Credential struct {
	Key, Secret string
	Scope       Scope
}

// RequireV2 says where v1 signatures are refused (config api.require_v2).
type RequireV2 int

// Where v1 is refused: nowhere (the default), on the routes that need ScopeFull, everywhere.
const (
	V1Allowed RequireV2 = iota
	V1RefusedOnWrites
	V1Refused
)

// NonceStore remembers used v2 nonces. Use records nonce of apiKey until expires and reports
// whether it was unused (fresh).
type NonceStore interface {
	UseNonce(ctx context.Context, apiKey, nonce string, expires time.Time) (fresh bool, err error)
}

// Verifier checks the requests of the signed API.
type Verifier struct {
	Keys      []Credential // the main key first
	RequireV2 RequireV2
	Nonces    NonceStore // nil: an in-memory cache, good for one process only
	Now       func() time.Time
	once      sync.Once
}

// Verify checks r (whose body is body) for a route that needs scope, and returns the caller's
// credential. Every key is compared in constant time, and the nonce is spent only once the
// signature holds.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte, scope Scope) (Credential, error) {
	v.once.Do(func() {
		if v.Nonces == nil {
			v.Nonces = &MemoryNonces{}
		}
		if v.Now == nil {
			v.Now = time.Now
		}
	})
	key, sig := r.Header.Get("API-KEY"), r.Header.Get(HeaderSignature)
	v2 := sig != ""
	if !v2 {
		sig = r.Header.Get("HASH-SIGNATURE")
	}
	if key == "" || sig == "" {
		return Credential{}, meet.Errorf(meet.CodeMissingRequiredParameter, "API-KEY and HASH-SIGNATURE headers are required")
	}
	cred, found := Credential{}, 0
	for _, c := range v.Keys {
		if subtle.ConstantTimeCompare([]byte(key), []byte(c.Key)) == 1 {
			cred, found = c, 1
		}
	}
	if found != 1 {
		return Credential{}, meet.Errorf(meet.CodeInvalidAPIKey, "invalid API key")
	}
	if !v2 {
		if !Equal(strings.ToLower(sig), SignBody(cred.Secret, body)) {
			return cred, meet.Errorf(meet.CodeInvalidTokenOrSignature, "invalid request signature")
		}
		if v.RequireV2 == V1Refused || (v.RequireV2 == V1RefusedOnWrites && scope == ScopeFull) {
			return cred, meet.Errorf(meet.CodeInvalidTokenOrSignature,
				"HASH-SIGNATURE is refused on this route (api.require_v2): sign with X-Meetd-Timestamp, X-Meetd-Nonce and X-Meetd-Signature")
		}
	} else if err := v.verifyV2(ctx, r, body, cred, sig); err != nil {
		return cred, err
	}
	if scope == ScopeFull && cred.Scope != ScopeFull {
		return cred, meet.Errorf(meet.CodePermissionDenied, "this API key is read-only: %s needs a key with scope full", r.URL.Path)
	}
	return cred, nil
}

func (v *Verifier) verifyV2(ctx context.Context, r *http.Request, body []byte, cred Credential, sig string) error {
	ts, nonce := r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderNonce)
	if ts == "" || nonce == "" {
		return meet.Errorf(meet.CodeMissingRequiredParameter, "X-Meetd-Signature needs the X-Meetd-Timestamp and X-Meetd-Nonce headers")
	}
	if !Equal(strings.ToLower(sig), SignV2(cred.Secret, r.Method, r.URL.EscapedPath(), ts, nonce, body)) {
		return meet.Errorf(meet.CodeInvalidTokenOrSignature, "invalid request signature")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return meet.Errorf(meet.CodeInvalidTokenOrSignature, "X-Meetd-Timestamp must be Unix seconds")
	}
	if !validNonce(nonce) {
		return meet.Errorf(meet.CodeInvalidTokenOrSignature, "X-Meetd-Nonce must be 16 to 64 characters of A-Z, a-z, 0-9, - and _")
	}
	at, now := time.Unix(sec, 0), v.Now()
	if at.Before(now.Add(-Window)) || at.After(now.Add(Window)) {
		return meet.Errorf(meet.CodeInvalidTokenOrSignature, "X-Meetd-Timestamp is more than 5 minutes from the server's time (now %d)", now.Unix())
	}
	// a nonce is kept as long as its timestamp is in the window: a later replay is stale
	fresh, err := v.Nonces.UseNonce(ctx, cred.Key, nonce, at.Add(Window))
	if err != nil {
		return err
	}
	if !fresh {
		return meet.Errorf(meet.CodeInvalidTokenOrSignature, "X-Meetd-Nonce was used already: a request is accepted once")
	}
	return nil
}

func validNonce(s string) bool {
	if len(s) < 16 || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// SignV2 returns the X-Meetd-Signature of a request: lowercase hex HMAC-SHA256 keyed with secret
// of method, path (as sent, without the query), timestamp and nonce (as in their headers) and
// the body, joined with "\n".
func SignV2(secret, method, path, timestamp, nonce string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	for _, s := range []string{method, path, timestamp, nonce} {
		m.Write([]byte(s))
		m.Write([]byte{'\n'})
	}
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// SignRequestV2 sets the v2 headers of req, whose body is body, for key and secret at now, with a
// random nonce.
func SignRequestV2(req *http.Request, key, secret string, body []byte, now time.Time) {
	raw := make([]byte, 16)
	_, _ = rand.Read(raw) // never fails (crypto/rand)
	ts, nonce := strconv.FormatInt(now.Unix(), 10), hex.EncodeToString(raw)
	req.Header.Set("API-KEY", key)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderNonce, nonce)
	req.Header.Set(HeaderSignature, SignV2(secret, req.Method, req.URL.EscapedPath(), ts, nonce, body))
}

// MemoryNonces is a NonceStore in memory, for one process (and its lifetime).
type MemoryNonces struct {
	mu     sync.Mutex
	used   map[string]time.Time
	pruned time.Time
}

// UseNonce records nonce until expires; false if it is recorded already.
func (m *MemoryNonces) UseNonce(_ context.Context, apiKey, nonce string, expires time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	if m.used == nil {
		m.used = map[string]time.Time{}
	}
	if now.Sub(m.pruned) > time.Minute {
		for k, exp := range m.used {
			if exp.Before(now.Add(-Window)) { // kept a window longer: the clock of the caller may differ
				delete(m.used, k)
			}
		}
		m.pruned = now
	}
	k := apiKey + "\n" + nonce
	if _, ok := m.used[k]; ok {
		return false, nil
	}
	m.used[k] = expires
	return true, nil
}
