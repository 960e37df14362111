package rooms

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meet"
)

// UserInfo is the user of getJoinToken.
type UserInfo struct {
	UserID   string
	Name     string
	IsAdmin  bool
	IsHidden bool
	Metadata meet.UserMetadata
}

// JoinToken is getJoinToken: it records the user for the session and returns their signed join token.
func (s *Service) JoinToken(ctx context.Context, roomID string, u UserInfo) (string, error) {
	if err := meet.CheckID("room_id", roomID); err != nil {
		return "", err
	}
	switch {
	case u.Name == "":
		return "", meet.Errorf(meet.CodeInvalidParameters, "user_info.name is required")
	case len(u.Name) > meet.MaxNameBytes:
		return "", meet.Errorf(meet.CodeInvalidParameters, "user_info.name is longer than %d bytes", meet.MaxNameBytes)
	case len(u.UserID) > meet.MaxNameBytes:
		return "", meet.Errorf(meet.CodeInvalidParameters, "user_info.user_id is longer than %d bytes", meet.MaxNameBytes)
	}
	if err := u.Metadata.Validate(); err != nil {
		return "", err
	}
	sess, err := s.running(ctx, roomID)
	if err != nil {
		return "", err
	}
	if meet.Bool(sess.Metadata.RoomFeatures.AutoGenUserID) {
		// As in plugNmeet, the room's users get generated IDs whatever user_id the backend gave:
		// that one is no identity here, only the ex_user_id the metadata carries when the
		// backend gave none (doc/api.md). The token holds the generated ID, so everything that
		// keys on the user (rejoining with the token, the admin role, moderation) uses it.
		if u.Metadata.ExUserID == "" {
			u.Metadata.ExUserID = u.UserID
		}
		u.UserID = meet.NewID("U_")
	} else if err := meet.CheckID("user_info.user_id", u.UserID); err != nil {
		return "", err
	}
	if strings.HasPrefix(u.UserID, meet.InternalPrefix) {
		return "", meet.Errorf(meet.CodeInvalidParameters, "user_info.user_id must not start with %s", meet.InternalPrefix)
	}
	old, err := s.store.User(ctx, sess.SID, u.UserID)
	if err != nil {
		return "", fmt.Errorf("load user %s: %w", u.UserID, err)
	}
	if old != nil && old.Blocked {
		return "", meet.ErrUserBlocked
	}
	user := &meet.User{UserID: u.UserID, Name: u.Name, IsAdmin: u.IsAdmin, IsHidden: u.IsHidden, Metadata: u.Metadata}
	if err := s.putUser(ctx, sess.SID, old, user); err != nil {
		return "", fmt.Errorf("store user %s: %w", u.UserID, err)
	}
	return auth.Sign(s.cfg.Keys.APISecret, auth.JoinClaims{
		Times:    auth.NewTimes(s.cfg.Keys.APIKey, s.now(), s.cfg.JoinTokenTTL),
		UserID:   u.UserID,
		Name:     u.Name,
		RoomID:   sess.RoomID,
		SID:      sess.SID,
		IsAdmin:  u.IsAdmin,
		IsHidden: u.IsHidden,
	})
}

// putUser records what the backend says about a user now; old is what the store knew (nil:
// nothing). A new user is added, a changed one replaced, an unchanged one not written again.
func (s *Service) putUser(ctx context.Context, sid string, old, u *meet.User) error {
	if old == nil {
		added, err := s.store.AddUser(ctx, sid, u)
		if err != nil || added {
			return err
		}
		// another request added them first: replace what it wrote
	} else if old.Name == u.Name && old.IsAdmin == u.IsAdmin && old.IsHidden == u.IsHidden && meet.JSON(old.Metadata) == meet.JSON(u.Metadata) {
		return nil
	}
	return s.store.PutUser(ctx, sid, u)
}

// Joined is the answer of the join exchange (/api/join): where and how to connect to the media.
type Joined struct {
	Session      *meet.Session
	User         *meet.User
	MediaToken   string
	LockSettings meet.LockSettings
	// PageToken is for the page's later calls in the meeting (moderation, hands): the join token
	// lives minutes, a meeting hours. It cannot join.
	PageToken string
	// Waiting, when set, is the user's place in the waiting room (waiting or rejected): no
	// MediaToken then (waiting.go).
	Waiting *meet.Waiter
	// E2EE: end-to-end encryption, with the session's key (e2ee.go).
	E2EE JoinE2EE
}

// PageTokenTTL is how long a meeting page's token lasts.
const PageTokenTTL = 24 * time.Hour

// member checks a join token: a running session, the one the token was made for, and a user
// of it who is not blocked.
func (s *Service) member(ctx context.Context, token string, uses ...string) (*meet.Session, *meet.User, error) {
	var c auth.JoinClaims
	if err := auth.Parse(s.cfg.Keys.APISecret, token, &c, s.now()); err != nil {
		return nil, nil, &meet.Error{Code: meet.CodeInvalidTokenOrSignature, Msg: "invalid or expired access token", Err: err}
	}
	if c.Use != "" && !slices.Contains(uses, c.Use) {
		return nil, nil, meet.Errorf(meet.CodeInvalidTokenOrSignature, "this token cannot be used here")
	}
	sess, err := s.running(ctx, c.RoomID)
	if err != nil {
		return nil, nil, err
	}
	if sess.SID != c.SID {
		return nil, nil, meet.Errorf(meet.CodeRoomNotActive, "the meeting this token was made for has ended")
	}
	u, err := s.store.User(ctx, sess.SID, c.UserID)
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("load user %s: %w", c.UserID, err)
	case u == nil:
		return nil, nil, meet.Errorf(meet.CodeUserNotFound, "user not found in this meeting")
	case u.Blocked:
		return nil, nil, meet.ErrUserBlocked
	case c.Use == auth.UsePage && c.Gen != u.Generation:
		// removed since the page joined (RemoveParticipant): it joins again for a new token
		return nil, nil, meet.Errorf(meet.CodeInvalidTokenOrSignature, "this token was revoked: the participant was removed")
	}
	return sess, u, nil
}

// Moderator checks that a join token is an admin's of a running session, and returns the session.
func (s *Service) Moderator(ctx context.Context, token string) (*meet.Session, error) {
	sess, u, err := s.member(ctx, token, auth.UsePage)
	if err != nil {
		return nil, err
	}
	if !u.IsAdmin {
		return nil, meet.Errorf(meet.CodePermissionDenied, "only a moderator can do this")
	}
	return sess, nil
}

// Join exchanges a join token for a media token, checking the session, the user and the room's limit.
func (s *Service) Join(ctx context.Context, token string) (*Joined, error) {
	sess, u, err := s.member(ctx, token)
	if err != nil {
		return nil, err
	}
	return s.enter(ctx, sess, u)
}

// admit signs the media token of a member who may enter the media room.
func (s *Service) admit(ctx context.Context, sess *meet.Session, u *meet.User) (*Joined, error) {
	if sess.MaxParticipants > 0 {
		live, err := s.media.Participants(ctx, sess.RoomID)
		if err != nil {
			return nil, fmt.Errorf("participants of %s: %w", sess.RoomID, err)
		}
		n := 0
		for _, p := range live {
			if p.Identity != u.UserID && !strings.HasPrefix(p.Identity, meet.InternalPrefix) && p.State != "DISCONNECTED" {
				n++
			}
		}
		if n >= sess.MaxParticipants {
			return nil, meet.Errorf(meet.CodePermissionDenied, "the room is full: it allows %d participants", sess.MaxParticipants)
		}
	}
	g := s.grant(sess, u)
	mt, err := s.media.Grant(g)
	if err != nil {
		return nil, fmt.Errorf("media token for %s: %w", u.UserID, err)
	}
	page, err := s.pageToken(sess, u)
	if err != nil {
		return nil, err
	}
	e2ee, err := s.joinE2EE(ctx, sess)
	if err != nil {
		return nil, err
	}
	return &Joined{Session: sess, User: u, MediaToken: mt, LockSettings: u.ParticipantMetadata(&sess.Metadata).LockSettings, PageToken: page, E2EE: e2ee}, nil
}

// pageToken signs the token of a member's meeting (or waiting) page.
func (s *Service) pageToken(sess *meet.Session, u *meet.User) (string, error) {
	page, err := auth.Sign(s.cfg.Keys.APISecret, auth.JoinClaims{
		Times:  auth.NewTimes(s.cfg.Keys.APIKey, s.now(), PageTokenTTL),
		UserID: u.UserID, Name: u.Name, RoomID: sess.RoomID, SID: sess.SID, IsAdmin: u.IsAdmin, IsHidden: u.IsHidden,
		Use: auth.UsePage, Gen: u.Generation,
	})
	if err != nil {
		return "", fmt.Errorf("page token for %s: %w", u.UserID, err)
	}
	return page, nil
}

// grant is what the user may do in the session's media room: the room features and their locks.
func (s *Service) grant(sess *meet.Session, u *meet.User) Grant {
	md := u.ParticipantMetadata(&sess.Metadata)
	return Grant{
		RoomID:          sess.RoomID,
		Identity:        u.UserID,
		Name:            u.Name,
		Metadata:        meet.JSON(md),
		IsAdmin:         u.IsAdmin,
		Hidden:          u.IsHidden,
		PublishSources:  publishSources(&sess.Metadata.RoomFeatures, u.IsAdmin, md.LockSettings),
		PublishData:     mayChat(&sess.Metadata.RoomFeatures, md.LockSettings), // data carries the chat (hands go through the server)
		TTL:             s.cfg.JoinTokenTTL,
		MaxParticipants: sess.MaxParticipants,
	}
}

// mayChat says whether a user may send chat messages: the room allows chat and their locks do not
// take it away (an admin's locks are all off). The grant's data permission carries it, so LiveKit
// refuses a locked user's messages whatever their page does.
func mayChat(f *meet.RoomFeatures, locks meet.LockSettings) bool {
	return meet.Bool(f.ChatFeatures.AllowChat) && !meet.Bool(locks.LockChat) && !meet.Bool(locks.LockChatSendMsg)
}

// publishSources applies the room features and the user's locks to what they may publish.
func publishSources(f *meet.RoomFeatures, isAdmin bool, locks meet.LockSettings) []string {
	var out []string
	if !meet.Bool(locks.LockMicrophone) {
		out = append(out, "MICROPHONE")
	}
	if meet.Bool(f.AllowWebcams) && (isAdmin || !meet.Bool(f.AdminOnlyWebcams)) && !meet.Bool(locks.LockWebcam) {
		out = append(out, "CAMERA")
	}
	if meet.Bool(f.AllowScreenShare) && !meet.Bool(locks.LockScreenSharing) {
		out = append(out, "SCREEN_SHARE", "SCREEN_SHARE_AUDIO")
	}
	return out
}
