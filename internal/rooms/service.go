// Package rooms is the room service: the rules of meetd's sessions and their lifecycle. The API,
// the media adapter and the timers all change rooms through it, and nothing else does.
package rooms

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meet"
)

// Media is what the room service needs of the media server (LiveKit).
type Media interface {
	// Participants lists who is connected to the room now, in join order; none if the media room does not exist.
	Participants(ctx context.Context, roomID string) ([]meet.ParticipantInfo, error)
	// CloseRoom disconnects everyone and closes the media room; it returns once they are gone.
	CloseRoom(ctx context.Context, roomID string) error
	// RemoveParticipant disconnects one participant.
	RemoveParticipant(ctx context.Context, roomID, identity string) error
	// UpdateParticipant applies a changed grant (metadata, permissions) to a connected participant.
	UpdateParticipant(ctx context.Context, g Grant) error
	// MuteTrack mutes or unmutes one published track.
	MuteTrack(ctx context.Context, roomID, identity, trackSID string, muted bool) error
	// SetAttributes sets attributes of a connected participant, which every participant sees; an
	// empty value removes one.
	SetAttributes(ctx context.Context, roomID, identity string, attrs map[string]string) error
	// Grant makes the media server's access token for a participant.
	Grant(g Grant) (token string, err error)
	// SendData delivers a data message to the room's participants (all if identities is empty).
	SendData(ctx context.Context, roomID, topic string, payload []byte, identities []string) error
}

// Grant is what a participant may do in the media room.
type Grant struct {
	RoomID         string
	Identity       string
	Name           string
	Metadata       string
	IsAdmin        bool
	Hidden         bool
	PublishSources []string // CAMERA, MICROPHONE, SCREEN_SHARE, SCREEN_SHARE_AUDIO
	PublishData    bool
	TTL            time.Duration
}

// Config holds the service's settings.
type Config struct {
	Keys                auth.Keys
	DepartureTimeout    time.Duration // how long a room stays open after the last participant left
	DefaultEmptyTimeout int           // seconds, when room/create gives none
	JoinTokenTTL        time.Duration
	Now                 func() time.Time

	// Node names the media node this process's participants connect to; the store keeps it with
	// each connection. Several meetd sharing one store each have their own.
	Node string
	// NodeTimeout is how long a node may go without a heartbeat (one per sweep) before the other
	// processes count its connections as gone (default 30 s).
	NodeTimeout time.Duration
}

// Service is the room service.
type Service struct {
	store Store
	media Media
	cfg   Config
	hooks Hooks
	log   *slog.Logger

	ending sync.Map // sid → *sync.Mutex: one ending at a time per session
	users  userCache
}

// Hooks are the other services' work at fixed points of a session's life, given to New. A nil
// hook does nothing.
type Hooks struct {
	// Started runs when a session's first participant joined: automatic recording starts here.
	// It must not block.
	Started func(ctx context.Context, sess *meet.Session)
	// Ending runs before a session's media room closes, while it is still open: the recording
	// stops here, so that its file is complete.
	Ending func(ctx context.Context, sess *meet.Session)
	// Ended runs after a session ended: the attendance report is written here. A failure is
	// logged; the work must be safe to redo, since a crash can come between the end and the work.
	Ended func(ctx context.Context, sid string) error
}

// New makes the room service.
func New(store Store, media Media, cfg Config, hooks Hooks, log *slog.Logger) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.JoinTokenTTL == 0 {
		cfg.JoinTokenTTL = 10 * time.Minute
	}
	if cfg.DefaultEmptyTimeout == 0 {
		cfg.DefaultEmptyTimeout = 1800
	}
	if hooks.Started == nil {
		hooks.Started = func(context.Context, *meet.Session) {}
	}
	if hooks.Ending == nil {
		hooks.Ending = func(context.Context, *meet.Session) {}
	}
	if hooks.Ended == nil {
		hooks.Ended = func(context.Context, string) error { return nil }
	}
	return &Service{store: store, media: media, cfg: cfg, hooks: hooks, log: log}
}

func (s *Service) now() time.Time { return s.cfg.Now() }

// CreateRequest is room/create.
type CreateRequest struct {
	RoomID          string
	MaxParticipants int
	EmptyTimeout    int
	Metadata        meet.RoomMetadata
}

// Create starts a session for the room, or returns the running one unchanged.
func (s *Service) Create(ctx context.Context, req CreateRequest) (*meet.Session, error) {
	if err := meet.CheckID("room_id", req.RoomID); err != nil {
		return nil, err
	}
	if req.MaxParticipants < 0 {
		return nil, meet.Errorf(meet.CodeInvalidParameters, "max_participants must not be negative")
	}
	if req.EmptyTimeout < 0 {
		return nil, meet.Errorf(meet.CodeInvalidParameters, "empty_timeout must not be negative")
	}
	if err := req.Metadata.Validate(); err != nil {
		return nil, err
	}
	req.Metadata.Fill()
	if req.EmptyTimeout == 0 {
		req.EmptyTimeout = s.cfg.DefaultEmptyTimeout
	}
	now := s.now()
	sess := &meet.Session{
		SID:             meet.NewID("RM_"),
		RoomID:          req.RoomID,
		Metadata:        req.Metadata,
		MaxParticipants: req.MaxParticipants,
		EmptyTimeout:    req.EmptyTimeout,
		CreatedAt:       now.Truncate(time.Millisecond),
	}
	got, created, err := s.store.CreateSession(ctx, sess, func(sess *meet.Session) []meet.Event {
		return []meet.Event{meet.NewEvent(meet.EventRoomCreated, sess, now)}
	})
	if err != nil {
		return nil, err
	}
	if created {
		s.log.Info("room created", "room_id", got.RoomID, "sid", got.SID)
	}
	return got, nil
}

// running returns the room's running session, or ROOM_NOT_FOUND / ROOM_NOT_ACTIVE.
func (s *Service) running(ctx context.Context, roomID string) (*meet.Session, error) {
	if err := meet.CheckID("room_id", roomID); err != nil {
		return nil, err
	}
	sess, err := s.store.Session(ctx, roomID)
	switch {
	case err != nil:
		return nil, fmt.Errorf("load room %s: %w", roomID, err)
	case sess == nil:
		return nil, meet.ErrRoomNotFound
	case !sess.Running():
		return nil, meet.ErrRoomNotActive
	}
	return sess, nil
}

// IsActive reports whether the room has a running session; the code says why not.
func (s *Service) IsActive(ctx context.Context, roomID string) (bool, meet.Code, error) {
	_, err := s.running(ctx, roomID)
	switch c := meet.CodeOf(err); {
	case err == nil:
		return true, meet.CodeSuccess, nil
	case c == meet.CodeRoomNotFound || c == meet.CodeRoomNotActive:
		return false, c, nil
	default:
		return false, c, err
	}
}

// ActiveRoom is getActiveRoomInfo: the running session and who is connected now.
func (s *Service) ActiveRoom(ctx context.Context, roomID string) (*meet.Room, error) {
	sess, err := s.running(ctx, roomID)
	if err != nil {
		return nil, err
	}
	return s.roomOf(ctx, sess)
}

// ActiveRooms is getActiveRoomsInfo.
func (s *Service) ActiveRooms(ctx context.Context) ([]meet.Room, error) {
	list, err := s.store.RunningSessions(ctx)
	if err != nil {
		return nil, fmt.Errorf("list running sessions: %w", err)
	}
	out := make([]meet.Room, 0, len(list))
	for _, sess := range list {
		r, err := s.roomOf(ctx, sess)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, nil
}

func (s *Service) roomOf(ctx context.Context, sess *meet.Session) (*meet.Room, error) {
	live, err := s.media.Participants(ctx, sess.RoomID)
	if err != nil {
		return nil, fmt.Errorf("participants of %s: %w", sess.RoomID, err)
	}
	users, err := s.shown(ctx, sess, live)
	if err != nil {
		return nil, err
	}
	// join order (LiveKit lists them in no particular order)
	slices.SortStableFunc(live, func(a, b meet.ParticipantInfo) int {
		return cmp.Or(cmp.Compare(joinedMs(a), joinedMs(b)), cmp.Compare(a.SID, b.SID))
	})
	room := &meet.Room{RoomInfo: sess.Info(), ParticipantsInfo: make([]meet.ParticipantInfo, 0, len(live))}
	for _, p := range live {
		// the server's own participants are never listed; one that LiveKit already counts as
		// gone (DISCONNECTED, waiting to be cleaned up) is not connected now
		if strings.HasPrefix(p.Identity, meet.InternalPrefix) || p.State == "DISCONNECTED" {
			continue
		}
		if u, ok := users[p.Identity]; ok {
			p.IsAdmin, p.IsHidden = u.isAdmin, u.isHidden
			p.SetMetadata(u.metadata, u.quoted)
		}
		room.ParticipantsInfo = append(room.ParticipantsInfo, p)
	}
	return room, nil
}

func joinedMs(p meet.ParticipantInfo) int64 {
	if p.JoinedAtMs > 0 {
		return p.JoinedAtMs
	}
	return p.JoinedAt * 1000
}

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
	case u.UserID != "" && !meet.ValidID(u.UserID):
		return "", meet.BadID("user_info.user_id")
	}
	if err := u.Metadata.Validate(); err != nil {
		return "", err
	}
	sess, err := s.running(ctx, roomID)
	if err != nil {
		return "", err
	}
	if u.UserID == "" {
		if !meet.Bool(sess.Metadata.RoomFeatures.AutoGenUserID) {
			return "", meet.Errorf(meet.CodeInvalidParameters, "user_info.user_id is required")
		}
		u.UserID = meet.NewID("U_")
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
	page, err := auth.Sign(s.cfg.Keys.APISecret, auth.JoinClaims{
		Times:  auth.NewTimes(s.cfg.Keys.APIKey, s.now(), PageTokenTTL),
		UserID: u.UserID, Name: u.Name, RoomID: sess.RoomID, SID: sess.SID, IsAdmin: u.IsAdmin, IsHidden: u.IsHidden,
		Use: auth.UsePage,
	})
	if err != nil {
		return nil, fmt.Errorf("page token for %s: %w", u.UserID, err)
	}
	return &Joined{Session: sess, User: u, MediaToken: mt, LockSettings: u.ParticipantMetadata(&sess.Metadata).LockSettings, PageToken: page}, nil
}

// grant is what the user may do in the session's media room: the room features and their locks.
func (s *Service) grant(sess *meet.Session, u *meet.User) Grant {
	md := u.ParticipantMetadata(&sess.Metadata)
	return Grant{
		RoomID:         sess.RoomID,
		Identity:       u.UserID,
		Name:           u.Name,
		Metadata:       meet.JSON(md),
		IsAdmin:        u.IsAdmin,
		Hidden:         u.IsHidden,
		PublishSources: publishSources(&sess.Metadata.RoomFeatures, u.IsAdmin, md.LockSettings),
		PublishData:    mayChat(&sess.Metadata.RoomFeatures, md.LockSettings), // data carries the chat (hands go through the server)
		TTL:            s.cfg.JoinTokenTTL,
	}
}

// publishSources applies the room features and the user's locks to what they may publish.
// mayChat says whether a user may send chat messages: the room allows chat and their locks do not
// take it away (an admin's locks are all off). The grant's data permission carries it, so LiveKit
// refuses a locked user's messages whatever their page does.
func mayChat(f *meet.RoomFeatures, locks meet.LockSettings) bool {
	return meet.Bool(f.ChatFeatures.AllowChat) && !meet.Bool(locks.LockChat) && !meet.Bool(locks.LockChatSendMsg)
}

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

// End ends the room's running session (endRoom).
func (s *Service) End(ctx context.Context, roomID, reason string) error {
	sess, err := s.running(ctx, roomID)
	if err != nil {
		return err
	}
	return s.end(ctx, sess, reason)
}

// end is the one ending path, whatever the cause: disconnect everyone, then mark the session
// ended and write participant_left for whoever was still connected, then room_finished.
func (s *Service) end(ctx context.Context, sess *meet.Session, reason string) error {
	mu, _ := s.ending.LoadOrStore(sess.SID, &sync.Mutex{})
	mu.(*sync.Mutex).Lock()
	defer mu.(*sync.Mutex).Unlock()
	s.hooks.Ending(ctx, sess) // the recording stops, its file complete, before the media room closes
	if err := s.media.CloseRoom(ctx, sess.RoomID); err != nil {
		// A media room whose node is gone (a meetd that crashed, in a cluster) cannot be closed,
		// and holds nobody: when the store knows of no open connection, the session ends anyway.
		cur, serr := s.store.SessionBySID(ctx, sess.SID)
		if serr != nil || cur == nil || cur.Connected > 0 {
			return fmt.Errorf("end room %s: close media room: %w", sess.RoomID, err)
		}
		s.log.Warn("media room could not be closed; nobody is connected to it: the session ends", "room_id", sess.RoomID, "err", err)
	}
	now := s.now()
	ended, err := s.store.EndSession(ctx, sess.SID, now, reason, func(sess *meet.Session, open []Presence) []meet.Event {
		var events []meet.Event
		for _, p := range open {
			e := meet.NewEvent(meet.EventParticipantLeft, sess, now)
			e.Participant = &meet.ParticipantInfo{SID: p.ParticipantSID, Identity: p.UserID, Name: p.Name, State: "DISCONNECTED", JoinedAt: p.At.Unix()}
			events = append(events, e)
		}
		return append(events, meet.NewEvent(meet.EventRoomFinished, sess, now))
	})
	if err != nil {
		return err
	}
	s.ending.Delete(sess.SID)
	s.users.forget(sess.SID)
	if ended {
		s.log.Info("room ended", "room_id", sess.RoomID, "sid", sess.SID, "reason", reason)
		if err := s.hooks.Ended(ctx, sess.SID); err != nil { // the attendance report
			s.log.Error("after room end", "room_id", sess.RoomID, "sid", sess.SID, "err", err)
		}
	}
	return nil
}

// PastRooms is fetchPastRooms; the filter comes checked and with its defaults.
func (s *Service) PastRooms(ctx context.Context, f meet.SessionFilter) ([]*meet.Session, int, error) {
	return s.store.Sessions(ctx, f)
}

// Deadline is when the session must end by its timers, and why; zero if it has no deadline now.
func (s *Service) Deadline(sess *meet.Session) (time.Time, string) {
	var at time.Time
	reason := ""
	consider := func(t time.Time, why string) {
		if at.IsZero() || t.Before(at) {
			at, reason = t, why
		}
	}
	switch {
	case sess.FirstJoinAt.IsZero():
		consider(sess.CreatedAt.Add(time.Duration(sess.EmptyTimeout)*time.Second), meet.EndEmpty)
	case sess.Connected == 0:
		consider(sess.LastLeftAt.Add(s.cfg.DepartureTimeout), meet.EndDeparture)
	}
	if d := sess.Metadata.RoomFeatures.RoomDuration; d != nil && *d > 0 {
		consider(sess.CreatedAt.Add(time.Duration(*d)*time.Minute), meet.EndDuration)
	}
	return at, reason
}

// Sweep ends every running session whose deadline has passed. It reads the deadlines from the
// store, so timers survive restarts, and ending is conditional, so two processes sweeping end a
// room once.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.now()
	var errs []error
	if err := s.checkNodes(ctx, now); err != nil {
		errs = append(errs, err)
	}
	list, err := s.store.RunningSessions(ctx)
	if err != nil {
		return fmt.Errorf("sweep: %w", errors.Join(append(errs, err)...))
	}
	for _, sess := range list {
		at, reason := s.Deadline(sess)
		if at.IsZero() || now.Before(at) {
			continue
		}
		if err := s.end(ctx, sess, reason); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// checkNodes beats this process's node, and closes the connections of nodes that stopped beating
// (a meetd that crashed or lost its network): their rooms then follow the departure path.
func (s *Service) checkNodes(ctx context.Context, now time.Time) error {
	if err := s.store.Heartbeat(ctx, s.cfg.Node, now); err != nil {
		return fmt.Errorf("heartbeat: %w", err)
	}
	timeout := s.cfg.NodeTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	stale, err := s.store.StaleNodes(ctx, now.Add(-timeout))
	if err != nil {
		return fmt.Errorf("stale nodes: %w", err)
	}
	for _, node := range stale {
		if node == s.cfg.Node {
			continue
		}
		s.log.Warn("media node stopped beating: its connections are closed", "node", node, "timeout", timeout)
		if err := s.store.CloseNodePresence(ctx, node, now); err != nil {
			return fmt.Errorf("close the connections of node %s: %w", node, err)
		}
	}
	return nil
}

// RunTimers sweeps every interval until ctx ends.
func (s *Service) RunTimers(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("room timers", "err", err)
			}
		}
	}
}

// MediaRestarted is called when this process's media node starts afresh: nobody is connected to
// it any more, and its sessions wait for their participants to come back for the departure timeout.
func (s *Service) MediaRestarted(ctx context.Context) error {
	return s.store.CloseNodePresence(ctx, s.cfg.Node, s.now())
}

// Events returns the events after seq, in order, at most limit.
func (s *Service) Events(ctx context.Context, afterSeq int64, limit int) ([]StoredEvent, error) {
	return s.store.Events(ctx, afterSeq, limit)
}

// OldestEventSeq is the sequence number of the oldest event kept, 0 if none.
func (s *Service) OldestEventSeq(ctx context.Context) (int64, error) {
	return s.store.OldestEventSeq(ctx)
}

// LastEventSeq is the sequence number of the newest event, 0 if none.
func (s *Service) LastEventSeq(ctx context.Context) (int64, error) {
	return s.store.LastEventSeq(ctx)
}
