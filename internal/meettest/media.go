package meettest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"meetd/internal/media"
	"meetd/internal/meet"
	"meetd/internal/rooms"
)

// FakeMedia stands in for LiveKit at the rooms.Media boundary: it holds, in memory, who is
// connected to which room, and records what meetd asked of it. The test connects and disconnects
// participants with Join and Leave, which also tell the room service, as LiveKit's webhooks do.
// Methods that meetd calls never fail.
type FakeMedia struct {
	rooms *rooms.Service // told of joins and departures

	mu      sync.Mutex
	live    map[string][]meet.ParticipantInfo // room_id → connected, in join order
	n       int                               // numbers participant sids
	closed  []string                          // room ids, in order
	removed []string                          // room_id/identity
	muted   []string                          // room_id/identity/track_sid
	updated []rooms.Grant
	attrs   []string // room_id/identity key=value
	data    []Data
}

// Data is a data message meetd sent to a room's participants.
type Data struct {
	RoomID, Topic string
	Payload       []byte
	Identities    []string // empty: everyone
}

var _ rooms.Media = (*FakeMedia)(nil)

// Join connects a participant to the room's media and tells the room service (participant_joined,
// and room_started for the first). An empty SID, State, Tracks or join time is filled in.
func (m *FakeMedia) Join(t testing.TB, roomID string, p meet.ParticipantInfo) meet.ParticipantInfo {
	t.Helper()
	now := time.Now()
	m.mu.Lock()
	m.n++
	if p.SID == "" {
		p.SID = fmt.Sprintf("PA_fake%d", m.n)
	}
	if p.State == "" {
		p.State = "ACTIVE"
	}
	if p.Tracks == nil {
		p.Tracks = []meet.Track{} // as LiveKit's participants have
	}
	if p.JoinedAt == 0 {
		p.JoinedAt, p.JoinedAtMs = now.Unix(), now.UnixMilli()
	}
	if m.live == nil {
		m.live = map[string][]meet.ParticipantInfo{}
	}
	m.live[roomID] = append(m.live[roomID], p)
	m.mu.Unlock()
	if err := m.rooms.ParticipantJoined(context.Background(), roomID, p); err != nil {
		t.Fatalf("meettest: %s joins %s: %v", p.Identity, roomID, err)
	}
	return p
}

// Leave disconnects a participant and tells the room service (participant_left).
func (m *FakeMedia) Leave(t testing.TB, roomID, identity string) {
	t.Helper()
	p, ok := m.drop(roomID, identity)
	if !ok {
		t.Fatalf("meettest: %s is not in %s", identity, roomID)
	}
	if err := m.rooms.ParticipantLeft(context.Background(), roomID, p); err != nil {
		t.Fatalf("meettest: %s leaves %s: %v", identity, roomID, err)
	}
}

// Publish adds a track to a connected participant and tells the room service (track_published).
// An empty track SID is filled in.
func (m *FakeMedia) Publish(t testing.TB, roomID, identity string, tr meet.Track) meet.Track {
	t.Helper()
	m.mu.Lock()
	m.n++
	if tr.SID == "" {
		tr.SID = fmt.Sprintf("TR_fake%d", m.n)
	}
	p, ok := m.update(roomID, identity, func(p *meet.ParticipantInfo) { p.Tracks = append(slices.Clone(p.Tracks), tr) })
	m.mu.Unlock()
	if !ok {
		t.Fatalf("meettest: %s is not in %s", identity, roomID)
	}
	if err := m.rooms.TrackChanged(context.Background(), roomID, true, p, tr); err != nil {
		t.Fatalf("meettest: %s publishes in %s: %v", identity, roomID, err)
	}
	return tr
}

// Activity tells the room service what the media node's observer would see (a participant
// speaking, a track muted) at the time a.At, for the attendance report and the MEETING_ANALYTICS
// artifact.
func (m *FakeMedia) Activity(t testing.TB, roomID string, a rooms.Activity) {
	t.Helper()
	if err := m.rooms.Activity(context.Background(), roomID, a); err != nil {
		t.Fatalf("meettest: activity in %s: %v", roomID, err)
	}
}

// Speaking says that a connected participant starts (on) or stops speaking at the time at, as
// LiveKit's speaker detection reports it to the observer.
func (m *FakeMedia) Speaking(t testing.TB, roomID, identity string, on bool, at time.Time) {
	t.Helper()
	m.mu.Lock()
	p, ok := m.update(roomID, identity, func(*meet.ParticipantInfo) {})
	m.mu.Unlock()
	if !ok {
		t.Fatalf("meettest: %s is not in %s", identity, roomID)
	}
	m.Activity(t, roomID, rooms.Activity{Kind: rooms.ActivityTalking, Item: p.SID, UserID: identity, On: on, At: at})
}

// update changes a connected participant (m.mu held) and returns it.
func (m *FakeMedia) update(roomID, identity string, change func(*meet.ParticipantInfo)) (meet.ParticipantInfo, bool) {
	for i, p := range m.live[roomID] {
		if p.Identity == identity {
			change(&p)
			m.live[roomID][i] = p
			return p, true
		}
	}
	return meet.ParticipantInfo{}, false
}

func (m *FakeMedia) drop(roomID, identity string) (meet.ParticipantInfo, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	list := m.live[roomID]
	i := slices.IndexFunc(list, func(p meet.ParticipantInfo) bool { return p.Identity == identity })
	if i < 0 {
		return meet.ParticipantInfo{}, false
	}
	p := list[i]
	m.live[roomID] = slices.Delete(list, i, i+1)
	return p, true
}

// Closed lists the rooms meetd closed, in order.
func (m *FakeMedia) Closed() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.closed)
}

// Removed lists the participants meetd removed, as room_id/identity.
func (m *FakeMedia) Removed() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.removed)
}

// Muted lists the tracks meetd muted, as room_id/identity/track_sid.
func (m *FakeMedia) Muted() []string { m.mu.Lock(); defer m.mu.Unlock(); return slices.Clone(m.muted) }

// Updated lists the grants meetd applied to connected participants.
func (m *FakeMedia) Updated() []rooms.Grant {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.updated)
}

// Attributes lists the attributes meetd set, as room_id/identity key=value.
func (m *FakeMedia) Attributes() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.attrs)
}

// Sent lists the data messages meetd sent.
func (m *FakeMedia) Sent() []Data { m.mu.Lock(); defer m.mu.Unlock(); return slices.Clone(m.data) }

// Participants lists who is connected to the room, in join order.
func (m *FakeMedia) Participants(_ context.Context, roomID string) ([]meet.ParticipantInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.live[roomID]), nil
}

// CloseRoom disconnects everyone from the room. The room service is not told of each departure:
// ending a session closes its connections in the store.
func (m *FakeMedia) CloseRoom(_ context.Context, roomID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.live, roomID)
	m.closed = append(m.closed, roomID)
	return nil
}

// RemoveParticipant disconnects one participant. As with LiveKit, whose participant_left webhook
// comes later, the room service is not told here: call Leave for that.
func (m *FakeMedia) RemoveParticipant(_ context.Context, roomID, identity string) error {
	m.drop(roomID, identity)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.removed = append(m.removed, roomID+"/"+identity)
	return nil
}

// UpdateParticipant records a changed grant.
func (m *FakeMedia) UpdateParticipant(_ context.Context, g rooms.Grant) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.updated = append(m.updated, g)
	return nil
}

// MuteTrack records a mute and marks the track muted.
func (m *FakeMedia) MuteTrack(_ context.Context, roomID, identity, trackSID string, muted bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.muted = append(m.muted, roomID+"/"+identity+"/"+trackSID)
	for i, p := range m.live[roomID] {
		if p.Identity != identity {
			continue
		}
		p.Tracks = slices.Clone(p.Tracks)
		for j := range p.Tracks {
			if p.Tracks[j].SID == trackSID {
				p.Tracks[j].Muted = muted
			}
		}
		m.live[roomID][i] = p
	}
	return nil
}

// SetAttributes records the attributes.
func (m *FakeMedia) SetAttributes(_ context.Context, roomID, identity string, attrs map[string]string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		m.attrs = append(m.attrs, roomID+"/"+identity+" "+k+"="+attrs[k])
	}
	return nil
}

// Grant returns a media token that names the room and the identity; it is not a JWT.
func (m *FakeMedia) Grant(g rooms.Grant) (string, error) {
	return "fake-media-token:" + g.RoomID + "/" + g.Identity, nil
}

// SendData records the message.
func (m *FakeMedia) SendData(_ context.Context, roomID, topic string, payload []byte, identities []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data = append(m.data, Data{RoomID: roomID, Topic: topic, Payload: slices.Clone(payload), Identities: slices.Clone(identities)})
	return nil
}

// ErrNoRecorder is why a recording or a broadcast cannot start on a test server: there is no
// media to record.
var ErrNoRecorder = errors.New("meettest: no media server to record from")

// noRecorder is the recorder's connection to the media server: there is none.
type noRecorder struct{}

func (noRecorder) Join(string, string, media.SubscriberEvents) (*media.Subscription, error) {
	return nil, ErrNoRecorder
}
