package store

import (
	"context"
	"testing"
	"time"

	"meetd/internal/meet"
	"meetd/internal/recorder"
	"meetd/internal/rooms"
)

// Recordings by session, and their metadata, on both databases.
func TestRecordingsBySessionAndMetadata(t *testing.T) {
	onBoth(t, func(t *testing.T, newDB func(*testing.T) testDB) {
		st, err := newDB(t).open()
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		ctx := context.Background()
		at := time.UnixMilli(1_700_000_000_000)
		for _, sid := range []string{"RM_one", "RM_two"} {
			md := meet.RoomMetadata{RoomTitle: "R"}
			md.Fill()
			if _, _, err := st.CreateSession(ctx, &meet.Session{SID: sid, RoomID: "r1", Metadata: md, CreatedAt: at},
				func(*meet.Session) []meet.Event { return nil }); err != nil {
				t.Fatal(err)
			}
			if _, err := st.EndSession(ctx, sid, at, "test", func(*meet.Session, []rooms.Presence) []meet.Event { return nil }); err != nil {
				t.Fatal(err)
			}
		}
		title := "Week 1"
		for i, f := range []recorder.File{
			{RecordID: "REC_a", SID: "RM_one", RoomID: "r1", FileName: "a.mp4", CreatedAt: at, RoomCreationTime: at},
			{RecordID: "REC_b", SID: "RM_two", RoomID: "r1", FileName: "b.mp4", CreatedAt: at.Add(time.Second), RoomCreationTime: at},
			{RecordID: "REC_c", SID: "RM_two", RoomID: "r1", FileName: "c.mp4", CreatedAt: at.Add(2 * time.Second), RoomCreationTime: at,
				Metadata: recorder.Metadata{Title: &title}},
		} {
			if err := st.SaveRecording(ctx, f, func(s *meet.Session) meet.Event { return meet.NewEvent(meet.EventRecordingProceeded, s, at) }); err != nil {
				t.Fatalf("recording %d: %v", i, err)
			}
		}
		list, total, err := st.Recordings(ctx, recorder.Filter{SID: "RM_two", SessionFilter: meet.SessionFilter{Limit: 10, Ascending: true}})
		if err != nil || total != 2 || len(list) != 2 || list[0].RecordID != "REC_b" || list[1].RecordID != "REC_c" {
			t.Fatalf("session RM_two: %d %+v %v", total, list, err)
		}
		if list[1].Metadata.Title == nil || *list[1].Metadata.Title != title || list[0].Metadata.Title != nil || list[0].Metadata.ExtraData == nil {
			t.Errorf("metadata as saved: %+v, %+v", list[0].Metadata, list[1].Metadata)
		}
		md := `{"title":"T","subtitles":{"en-US":{"label":"English","url":"u"}},"extra_data":{"k":"v"}}`
		if ok, err := st.SetRecordingMetadata(ctx, "REC_a", md); !ok || err != nil {
			t.Fatalf("set metadata: %v %v", ok, err)
		}
		if ok, err := st.SetRecordingMetadata(ctx, "REC_nope", md); ok || err != nil {
			t.Errorf("set metadata of no recording: %v %v", ok, err)
		}
		f, err := st.Recording(ctx, "REC_a")
		if err != nil || f == nil || *f.Metadata.Title != "T" || f.Metadata.Subtitles["en-US"].URL != "u" || f.Metadata.ExtraData["k"] != "v" {
			t.Errorf("recording after set: %+v %v", f, err)
		}
	})
}
