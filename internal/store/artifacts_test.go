package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"meetd/internal/analytics"
	"meetd/internal/meet"
	"meetd/internal/rooms"
	"meetd/internal/store"
	"meetd/internal/store/pgtest"
)

// The artifacts (migration 003) on both databases: written with the attendance report and its
// events in one transaction, listed by rooms, session and type, and deleted.

func TestArtifactsSQLite(t *testing.T) {
	st, err := store.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "meetd.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	artifacts(t, st)
}

func TestArtifactsPostgres(t *testing.T) {
	st, err := store.OpenPostgres(context.Background(), pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	artifacts(t, st)
}

func artifacts(t *testing.T, st *store.Store) {
	ctx := context.Background()
	t0 := time.UnixMilli(1_800_000_000_000)
	var sids []string
	// three sessions: two of room a, one of room b, each with its report and artifact
	for i, roomID := range []string{"a", "a", "b"} {
		md := meet.RoomMetadata{RoomTitle: "Room " + roomID}
		md.Fill()
		sess, _, err := st.CreateSession(ctx, &meet.Session{SID: fmt.Sprintf("RM_art%d", i), RoomID: roomID, Metadata: md,
			MaxParticipants: 5, EmptyTimeout: 60, CreatedAt: t0.Add(time.Duration(i) * time.Minute)},
			func(*meet.Session) []meet.Event { return nil })
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.EndSession(ctx, sess.SID, t0.Add(time.Duration(i)*time.Minute+time.Second), meet.EndByAPI,
			func(*meet.Session, []rooms.Presence) []meet.Event { return nil }); err != nil {
			t.Fatal(err)
		}
		sids = append(sids, sess.SID)
		at := t0.Add(time.Duration(i)*time.Minute + 2*time.Second)
		f := analytics.File{FileID: fmt.Sprintf("AN_%d", i), SID: sess.SID, RoomID: roomID, FileName: "f.json", FileSize: 10, CreatedAt: at, RoomCreationTime: sess.CreatedAt}
		a := analytics.Artifact{ArtifactID: fmt.Sprintf("AR_%d", i), SID: sess.SID, RoomID: roomID, Type: analytics.TypeMeetingAnalytics,
			FileName: fmt.Sprintf("AR_%d.json", i), FileSize: 100 + int64(i), MimeType: "application/json", CreatedAt: at}
		if err := st.SaveReport(ctx, f, a, func(s *meet.Session) []meet.Event {
			return []meet.Event{meet.NewEvent(meet.EventAnalyticsProceeded, s, at), analytics.ArtifactEvent(a, s, at)}
		}); err != nil {
			t.Fatal(err)
		}
	}
	// a second report of a session: nothing written, no second artifact
	dup := analytics.Artifact{ArtifactID: "AR_dup", SID: sids[0], RoomID: "a", Type: analytics.TypeMeetingAnalytics, FileName: "x", MimeType: "application/json", CreatedAt: t0}
	err := st.SaveReport(ctx, analytics.File{FileID: "AN_dup", SID: sids[0], RoomID: "a", CreatedAt: t0, RoomCreationTime: t0}, dup,
		func(s *meet.Session) []meet.Event {
			return []meet.Event{meet.NewEvent(meet.EventArtifactCreated, s, t0)}
		})
	if !errors.Is(err, analytics.ErrExists) {
		t.Fatalf("second report: %v", err)
	}
	if a, err := st.Artifact(ctx, "AR_dup"); err != nil || a != nil {
		t.Fatalf("the second report's artifact: %+v %v", a, err)
	}

	// the events, in their transaction's order: analytics_proceeded, artifact_created
	stored, err := st.Events(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var created []string
	for i, e := range stored {
		if e.Event.Event == meet.EventArtifactCreated {
			created = append(created, e.Event.RoomArtifact.ArtifactID)
			if i == 0 || stored[i-1].Event.Event != meet.EventAnalyticsProceeded || e.Event.Room.SID != stored[i-1].Event.Room.SID {
				t.Errorf("artifact_created %d does not follow its analytics_proceeded", i)
			}
		}
	}
	if !slices.Equal(created, []string{"AR_0", "AR_1", "AR_2"}) {
		t.Errorf("artifact_created for %v", created)
	}

	a, err := st.Artifact(ctx, "AR_1")
	if err != nil || a == nil || a.SID != sids[1] || a.RoomID != "a" || a.Type != analytics.TypeMeetingAnalytics ||
		a.FileName != "AR_1.json" || a.FileSize != 101 || a.MimeType != "application/json" || !a.CreatedAt.Equal(t0.Add(time.Minute+2*time.Second)) {
		t.Fatalf("AR_1: %+v %v", a, err)
	}
	if a, err := st.Artifact(ctx, "AR_nope"); err != nil || a != nil {
		t.Fatalf("unknown artifact: %+v %v", a, err)
	}

	list := func(f analytics.ArtifactFilter) ([]string, int) {
		t.Helper()
		if f.Limit == 0 {
			f.Limit = 20
		}
		got, total, err := st.Artifacts(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, a := range got {
			ids = append(ids, a.ArtifactID)
		}
		return ids, total
	}
	for _, c := range []struct {
		name  string
		f     analytics.ArtifactFilter
		want  []string
		total int
	}{
		{"all, newest first", analytics.ArtifactFilter{}, []string{"AR_2", "AR_1", "AR_0"}, 3},
		{"room a, oldest first", analytics.ArtifactFilter{SessionFilter: meet.SessionFilter{RoomIDs: []string{"a"}, Ascending: true}}, []string{"AR_0", "AR_1"}, 2},
		{"a session", analytics.ArtifactFilter{RoomSID: sids[1]}, []string{"AR_1"}, 1},
		{"a session and type", analytics.ArtifactFilter{RoomSID: sids[2], Type: analytics.TypeMeetingAnalytics}, []string{"AR_2"}, 1},
		{"another type", analytics.ArtifactFilter{Type: "MEETING_SUMMARY"}, nil, 0},
		{"a room and another's session", analytics.ArtifactFilter{SessionFilter: meet.SessionFilter{RoomIDs: []string{"b"}}, RoomSID: sids[0]}, nil, 0},
		{"paged", analytics.ArtifactFilter{SessionFilter: meet.SessionFilter{From: 1, Limit: 1}}, []string{"AR_1"}, 3},
	} {
		if ids, total := list(c.f); !slices.Equal(ids, c.want) || total != c.total {
			t.Errorf("%s: %v (total %d), want %v (%d)", c.name, ids, total, c.want, c.total)
		}
	}

	if ok, err := st.DeleteArtifact(ctx, "AR_1", t0.Add(time.Hour)); err != nil || !ok {
		t.Fatalf("delete: %v %v", ok, err)
	}
	if ok, err := st.DeleteArtifact(ctx, "AR_1", t0.Add(time.Hour)); err != nil || ok {
		t.Fatalf("delete again: %v %v", ok, err)
	}
	if a, err := st.Artifact(ctx, "AR_1"); err != nil || a != nil {
		t.Fatalf("deleted artifact: %+v %v", a, err)
	}
	if ids, total := list(analytics.ArtifactFilter{}); !slices.Equal(ids, []string{"AR_2", "AR_0"}) || total != 2 {
		t.Errorf("after the delete: %v (total %d)", ids, total)
	}
	// the report of the session stays
	if f, err := st.Report(ctx, "AN_1"); err != nil || f == nil {
		t.Errorf("the report went with the artifact: %+v %v", f, err)
	}
}
