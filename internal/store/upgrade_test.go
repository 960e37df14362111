package store_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver

	"meetd/internal/meet"
	"meetd/internal/rooms"
	"meetd/internal/store"
	"meetd/internal/store/pgtest"
)

// A database made by an earlier meetd (before presence.node and sessions.users_rev) opens, gains
// the columns, and works.
func TestUpgradeSQLite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "meetd.db")
	st, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `ALTER TABLE presence DROP COLUMN node; ALTER TABLE sessions DROP COLUMN users_rev`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	st, err = store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatalf("open the earlier database: %v", err)
	}
	defer st.Close()
	upgraded(t, st)
}

func TestUpgradePostgres(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	st, err := store.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `ALTER TABLE sessions DROP COLUMN users_rev`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	st, err = store.OpenPostgres(ctx, url)
	if err != nil {
		t.Fatalf("open the earlier database: %v", err)
	}
	defer st.Close()
	upgraded(t, st)
}

func upgraded(t *testing.T, st rooms.Store) {
	t.Helper()
	ctx := context.Background()
	at := time.UnixMilli(1_700_000_000_000)
	md := meet.RoomMetadata{RoomTitle: "Upgraded"}
	md.Fill()
	sess, _, err := st.CreateSession(ctx, &meet.Session{SID: "RM_upgraded", RoomID: "upgraded", Metadata: md, MaxParticipants: 5, EmptyTimeout: 60, CreatedAt: at},
		func(*meet.Session) []meet.Event { return nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := st.PutUser(ctx, sess.SID, &meet.User{UserID: "u1", Name: "One"}); err != nil {
		t.Fatal(err)
	}
	if err := st.ParticipantJoined(ctx, sess.SID, rooms.Presence{ParticipantSID: "PA_1", UserID: "u1", Name: "One", At: at, Node: "node-a"},
		func(*meet.Session, rooms.JoinFacts) []meet.Event { return nil }); err != nil {
		t.Fatal(err)
	}
	got, err := st.SessionBySID(ctx, sess.SID)
	if err != nil || got == nil || got.UsersRev != 2 || got.Connected != 1 {
		t.Fatalf("session after upgrade: %+v %v", got, err)
	}
}
