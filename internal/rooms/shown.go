package rooms

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"meetd/internal/meet"
)

// shownUser is what room info shows of a participant besides what the media node knows: the role
// and the participant metadata the backend gave with their join token.
type shownUser struct {
	isAdmin, isHidden bool
	metadata          string // participant metadata, JSON
	quoted            string // the metadata as a JSON string, for the answer
}

// shownUsers is a session's users as room info shows them, at one users_rev of the session.
type shownUsers struct {
	rev  int64
	byID map[string]shownUser // never changed once made: readers share it
}

// userCache keeps each running session's shownUsers, good while the session's UsersRev (read with
// the session on every call, from the store every process writes) has not moved: getActiveRoomInfo
// of a large room then reads no users and encodes no metadata.
type userCache struct {
	mu    sync.Mutex
	bySID map[string]*shownUsers
}

// maxCachedSessions bounds the cache; when full it starts again empty (sessions that ended in
// another process are never forgotten otherwise).
const maxCachedSessions = 4096

func (c *userCache) get(sid string, rev int64) map[string]shownUser {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.bySID[sid]; e != nil && e.rev == rev {
		return e.byID
	}
	return nil
}

func (c *userCache) put(sid string, e *shownUsers) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bySID == nil || len(c.bySID) >= maxCachedSessions {
		c.bySID = map[string]*shownUsers{}
	}
	if old := c.bySID[sid]; old == nil || old.rev <= e.rev {
		c.bySID[sid] = e
	}
}

func (c *userCache) forget(sid string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.bySID, sid)
}

// shown returns the session's users as room info shows them, by user_id, with every one of live
// that the store knows (a user added since the users were kept is not there yet: the users are read
// again).
func (s *Service) shown(ctx context.Context, sess *meet.Session, live []meet.ParticipantInfo) (map[string]shownUser, error) {
	if byID := s.users.get(sess.SID, sess.UsersRev); byID != nil {
		all := true
		for _, p := range live {
			if _, ok := byID[p.Identity]; !ok && !strings.HasPrefix(p.Identity, meet.InternalPrefix) {
				all = false
				break
			}
		}
		if all {
			return byID, nil
		}
	}
	users, err := s.store.Users(ctx, sess.SID)
	if err != nil {
		return nil, fmt.Errorf("users of %s: %w", sess.SID, err)
	}
	byID := make(map[string]shownUser, len(users))
	for id, u := range users {
		md := meet.JSON(u.ParticipantMetadata(&sess.Metadata))
		byID[id] = shownUser{isAdmin: u.IsAdmin, isHidden: u.IsHidden, metadata: md, quoted: string(meet.AppendString(nil, md))}
	}
	s.users.put(sess.SID, &shownUsers{rev: sess.UsersRev, byID: byID})
	return byID, nil
}

// keptMetadata is a session's metadata as last parsed for room info, with the stored JSON text it
// was parsed from and its JSON as the answer shows it.
type keptMetadata struct {
	text   string
	md     meet.RoomMetadata // shared by the callers: only read
	json   string
	quoted string // json as a JSON string, for the answers
}

// metadataCache keeps, per session, its metadata parsed from the text the store holds: a call
// whose text is the same (byte for byte) parses and encodes nothing (doc/decisions/0008).
type metadataCache struct {
	mu    sync.Mutex
	bySID map[string]*keptMetadata
}

// of returns the metadata of sid parsed from text, that metadata as JSON and as a JSON string.
func (c *metadataCache) of(sid, text string) (*keptMetadata, error) {
	c.mu.Lock()
	e := c.bySID[sid]
	c.mu.Unlock()
	if e != nil && e.text == text {
		return e, nil
	}
	e = &keptMetadata{text: text}
	if err := json.Unmarshal([]byte(text), &e.md); err != nil {
		return nil, fmt.Errorf("session %s metadata: %w", sid, err)
	}
	e.json = meet.JSON(e.md)
	e.quoted = string(meet.AppendString(nil, e.json))
	c.mu.Lock()
	if c.bySID == nil || len(c.bySID) >= maxCachedSessions {
		c.bySID = map[string]*keptMetadata{}
	}
	c.bySID[sid] = e
	c.mu.Unlock()
	return e, nil
}
