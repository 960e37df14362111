package rooms

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"meetd/internal/meet"
)

// JoinE2EE is what /api/join tells a page about end-to-end encryption (doc/api.md, "End-to-end
// encryption"): the room's switches, and the key unless the participants type it themselves.
type JoinE2EE struct {
	meet.E2EE
	// Key is the shared secret the pages derive the media (and chat) keys from; "" when the
	// room is not encrypted or the key is self-inserted.
	Key string `json:"key,omitempty"`
}

// e2eeKeyBytes is the strength of a generated key: 256 random bits.
const e2eeKeyBytes = 32

// newE2EEKey is a fresh key, base64url without padding (43 characters).
func newE2EEKey() (string, error) {
	b := make([]byte, e2eeKeyBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// e2eeKey is the session's key, made on first use and stored with the session (never in its
// metadata, which room info and webhooks echo). Every participant of the session gets the same.
func (s *Service) e2eeKey(ctx context.Context, sid string) (string, error) {
	key, err := s.store.E2EEKey(ctx, sid)
	if err != nil || key != "" {
		return key, err
	}
	if key, err = newE2EEKey(); err != nil {
		return "", err
	}
	return s.store.PutE2EEKey(ctx, sid, key, s.now())
}

// joinE2EE is the /api/join part for a participant of sess (already checked to be a member).
func (s *Service) joinE2EE(ctx context.Context, sess *meet.Session) (JoinE2EE, error) {
	e := meet.E2EEOf(&sess.Metadata.RoomFeatures)
	if !e.Enabled || e.SelfInsertKey {
		return JoinE2EE{E2EE: e}, nil
	}
	key, err := s.e2eeKey(ctx, sess.SID)
	if err != nil {
		return JoinE2EE{}, fmt.Errorf("e2ee key of %s: %w", sess.SID, err)
	}
	return JoinE2EE{E2EE: e, Key: key}, nil
}

// ShareE2EEKey gives the session childSID the key of parentSID (making the parent's if it has
// none yet), so that people moving between the two rooms decrypt each other with the key they
// have. A room made from another (breakout rooms) copies the parent's
// end_to_end_encryption_features into its metadata and calls this before anyone joins it. It does
// nothing when the parent is not encrypted with a server key.
func (s *Service) ShareE2EEKey(ctx context.Context, parentSID, childSID string) error {
	parent, err := s.store.SessionBySID(ctx, parentSID)
	if err != nil {
		return fmt.Errorf("load session %s: %w", parentSID, err)
	}
	if parent == nil {
		return meet.Errorf(meet.CodeRoomNotFound, "no session %s", parentSID)
	}
	if e := meet.E2EEOf(&parent.Metadata.RoomFeatures); !e.Enabled || e.SelfInsertKey {
		return nil
	}
	key, err := s.e2eeKey(ctx, parentSID)
	if err != nil {
		return fmt.Errorf("e2ee key of %s: %w", parentSID, err)
	}
	got, err := s.store.PutE2EEKey(ctx, childSID, key, s.now())
	if err != nil {
		return fmt.Errorf("e2ee key of %s: %w", childSID, err)
	}
	if got != key {
		return meet.Errorf(meet.CodeConflict, "session %s already has another end-to-end encryption key", childSID)
	}
	return nil
}
