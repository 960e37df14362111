package store_test

import (
	"context"
	"testing"
	"time"

	"meetd/internal/meet"
	"meetd/internal/rooms"
)

// TestDocumentsRestart: a document's updates, its rendering and a compaction outlive the store
// (a restart of meetd); the size limit refuses; nothing is appended once the session ended.
func TestDocumentsRestart(t *testing.T) {
	bothDatabases(t, func(t *testing.T, open reopener) {
		ctx := context.Background()
		at := time.UnixMilli(1_700_000_000_000)
		st := open()
		if _, _, err := st.CreateSession(ctx, &meet.Session{SID: "RM_docs", RoomID: "r1", CreatedAt: at},
			func(*meet.Session) []meet.Event { return nil }); err != nil {
			t.Fatal(err)
		}
		for i, u := range []string{"one", "two", "three"} {
			seq, err := st.AppendDocUpdate(ctx, "RM_docs", "r1", "notes", "ann", []byte(u), at, 100)
			if err != nil || seq != int64(i+1) {
				t.Fatalf("append %s: %d %v", u, seq, err)
			}
		}
		if _, err := st.AppendDocUpdate(ctx, "RM_docs", "r1", "notes", "ann", make([]byte, 90), at, 100); err == nil {
			t.Error("an update past the size limit was kept")
		}
		if kept, err := st.SetDocRendering(ctx, "RM_docs", "notes", 3, `{"ops":[{"insert":"x\n"}]}`); err != nil || !kept {
			t.Fatalf("rendering: %v %v", kept, err)
		}
		if kept, _ := st.SetDocRendering(ctx, "RM_docs", "notes", 2, `{"ops":[]}`); kept {
			t.Error("an older rendering replaced a later one")
		}
		st.Close()

		st = open() // a restart
		defer st.Close()
		d, err := st.Document(ctx, "RM_docs", "notes")
		if err != nil || d == nil || d.Seq != 3 || d.Size != 11 || d.RenderSeq != 3 || d.Rendering != `{"ops":[{"insert":"x\n"}]}` || d.UpdatedBy != "ann" {
			t.Fatalf("after a restart: %+v %v", d, err)
		}
		list := func(after int64) string {
			t.Helper()
			us, err := st.DocUpdates(ctx, "RM_docs", "notes", after)
			if err != nil {
				t.Fatal(err)
			}
			out := ""
			for _, u := range us {
				out += string(rune('0'+u.Seq)) + ":" + string(u.Data) + " "
			}
			return out
		}
		if got := list(0); got != "1:one 2:two 3:three " {
			t.Errorf("updates: %q", got)
		}
		if done, err := st.CompactDoc(ctx, "RM_docs", "notes", 2, []byte("onetwo")); err != nil || !done {
			t.Fatalf("compact: %v %v", done, err)
		}
		if got := list(0); got != "2:onetwo 3:three " {
			t.Errorf("after compaction: %q", got)
		}
		if n, _ := st.DocUpdateCount(ctx, "RM_docs", "notes"); n != 2 {
			t.Errorf("%d updates kept", n)
		}
		if d, _ := st.Document(ctx, "RM_docs", "notes"); d.Size != 11 {
			t.Errorf("size after compaction: %d", d.Size)
		}
		if _, err := st.EndSession(ctx, "RM_docs", at, "test", func(*meet.Session, []rooms.Presence) []meet.Event { return nil }); err != nil {
			t.Fatal(err)
		}
		if seq, err := st.AppendDocUpdate(ctx, "RM_docs", "r1", "notes", "ann", []byte("four"), at, 100); err != nil || seq != 0 {
			t.Errorf("an update after the end: %d %v", seq, err)
		}
		if d, _ := st.Document(ctx, "RM_docs", "other"); d != nil {
			t.Errorf("an unknown document: %+v", d)
		}
	})
}
