package store

import (
	"context"
	"testing"
	"time"

	"meetd/internal/meet"
)

// The BBB API's meeting data (migration 012), on both databases: the first write wins, the data
// round-trips, lookup by internalMeetingID, and BBBAdmit lets a user past the waiting room.
func TestBBBMeetings(t *testing.T) {
	onBoth(t, func(t *testing.T, newDB func(*testing.T) testDB) {
		st, err := newDB(t).open()
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		ctx := context.Background()
		at := time.UnixMilli(1_700_000_000_000)
		md := meet.RoomMetadata{RoomTitle: "R"}
		md.Fill()
		if _, _, err := st.CreateSession(ctx, &meet.Session{SID: "RM_bbb", RoomID: "bbb_x", Metadata: md, CreatedAt: at},
			func(*meet.Session) []meet.Event { return nil }); err != nil {
			t.Fatal(err)
		}
		if m, err := st.BBBMeeting(ctx, "RM_bbb"); err != nil || m != nil {
			t.Fatalf("before: %v %v", m, err)
		}
		first := &BBBMeeting{SID: "RM_bbb", RoomID: "bbb_x", MeetingID: "a[1]", InternalMeetingID: "abc-1700000000000", CreateTime: at.UnixMilli(),
			AttendeePW: "ap", ModeratorPW: "mp", Data: BBBMeetingData{Name: "N", Meta: map[string]string{"bbb-origin": "Moodle"}, Duration: 30}}
		got, added, err := st.PutBBBMeeting(ctx, first)
		if err != nil || !added || got.MeetingID != "a[1]" || got.Data.Meta["bbb-origin"] != "Moodle" || got.Data.Duration != 30 {
			t.Fatalf("first: %+v %v %v", got, added, err)
		}
		second := *first
		second.AttendeePW = "other"
		if got, added, err := st.PutBBBMeeting(ctx, &second); err != nil || added || got.AttendeePW != "ap" {
			t.Fatalf("second: %+v %v %v", got, added, err)
		}
		d := got.Data
		d.Documents = []string{"<modules/>"}
		if err := st.UpdateBBBMeetingData(ctx, "RM_bbb", d); err != nil {
			t.Fatal(err)
		}
		if m, err := st.BBBMeetingByInternalID(ctx, "abc-1700000000000"); err != nil || m == nil || len(m.Data.Documents) != 1 {
			t.Fatalf("by internal id: %+v %v", m, err)
		}
		if err := st.BBBAdmit(ctx, "RM_bbb", "u1", "U", at); err != nil {
			t.Fatal(err)
		}
		if err := st.BBBAdmit(ctx, "RM_bbb", "u1", "U", at); err != nil { // again: still admitted
			t.Fatal(err)
		}
		if w, err := st.Waiter(ctx, "RM_bbb", "u1"); err != nil || w == nil || w.State != meet.WaitingStateAdmitted {
			t.Fatalf("waiter: %+v %v", w, err)
		}
	})
}
