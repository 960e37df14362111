package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"meetd/internal/meet"
	"meetd/internal/outbox"
	"meetd/internal/storetest"
)

// TestOutboxStoreSQLite runs the store suite's outbox part on SQLite.
func TestOutboxStoreSQLite(t *testing.T) {
	storetest.RunOutbox(t, func(t *testing.T) storetest.OutboxStore {
		s, _ := openSQLiteOutboxStore(t)
		return s
	})
}

func openSQLiteOutboxStore(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "meetd.db")
	s, err := OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func roomEvent(roomID, name, id string) meet.Event {
	sess := &meet.Session{SID: "RM_" + roomID, RoomID: roomID}
	e := meet.NewEvent(name, sess, time.Now())
	e.ID = id
	return e
}

// fanOut fans the new events out to one URL and returns their ids.
func fanOut(t *testing.T, s *Store) []string {
	t.Helper()
	if _, err := s.FanOut(context.Background(), time.Now(), 10, []string{"http://r"}); err != nil {
		t.Fatal(err)
	}
	list, _, err := s.Deliveries(context.Background(), outbox.Filter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range list {
		ids = append(ids, d.EventID)
	}
	return ids
}

// On a database that had events before webhooks existed, they are not sent.
func TestOutboxCursorStartsAfterOldEventsSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(beforeWebhooks(oldSchema(t, "sqlite"))); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO events (id, room_id, sid, name, body, created_at) VALUES ('EV_old', 'r', 'RM_r', 'room_created', '{}', 1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := OpenSQLite(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.AddEvents(context.Background(), roomEvent("r", "room_finished", "EV_new")); err != nil {
		t.Fatal(err)
	}
	if got := fanOut(t, s); len(got) != 1 || got[0] != "EV_new" {
		t.Fatalf("fanned out %v", got)
	}
}
