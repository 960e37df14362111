package meet

// End-to-end encryption (doc/api.md, "End-to-end encryption"; doc/web.md): the pages encrypt their
// media (and, if asked, their chat) with a key the media server never sees. The server hands the
// key to the session's authenticated participants in the /api/join answer, or hands none when the
// participants type it themselves.

// E2EE is a room's end_to_end_encryption_features as meetd acts on them. plugNmeet's default of
// each switch is false: a group without is_enabled leaves the room unencrypted.
type E2EE struct {
	// Enabled: the pages encrypt their camera, microphone and screen.
	Enabled bool `json:"enabled"`
	// SelfInsertKey: the participants type the key on the pre-join step; the server hands none.
	SelfInsertKey bool `json:"self_insert_key"`
	// IncludeChat: chat messages are encrypted too, with a key derived from the same secret.
	IncludeChat bool `json:"include_chat"`
}

// E2EEOf reads the room's end_to_end_encryption_features.
func E2EEOf(f *RoomFeatures) E2EE {
	g := f.EndToEndEncryptionFeatures
	if g == nil || !flag(g, "is_enabled", false) {
		return E2EE{}
	}
	return E2EE{Enabled: true,
		SelfInsertKey: flag(g, "enabled_self_insert_encryption_key", false),
		IncludeChat:   flag(g, "included_chat_messages", false)}
}

// ErrE2EE refuses what needs the server to decode the room's media.
func ErrE2EE(what, roomID string) error {
	return Errorf(CodePermissionDenied, "%s is not possible in room %s: its media is end-to-end encrypted (end_to_end_encryption_features.is_enabled), so the server cannot decode it", what, roomID)
}
