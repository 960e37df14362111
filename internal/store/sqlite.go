package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"time"

	msqlite "modernc.org/sqlite" // registers the "sqlite" driver
)

// sqlite is the SQLite dialect. Its one writer connection runs the transactions one at a time,
// which makes the row and advisory locks of PostgreSQL needless.
var sqlite = dialect{
	in:            func(column string) string { return column + " IN (SELECT value FROM json_each(?))" },
	list:          func(ids []string) any { b, _ := json.Marshal(ids); return string(b) },
	analyticsOn:   `json_extract(s.metadata, '$.room_features.enable_analytics') = 1`,
	roomTitle:     `json_extract(s.metadata, '$.room_title')`,
	indexedByDue:  " INDEXED BY deliveries_due",
	claimSQL:      claimSQLiteSQL,
	bodiesSQL:     claimBodiesSQLite,
	claim:         claimSQLite,
	releaseLeases: true,
	tokens: map[string]string{
		"BIGINT":   "INTEGER",
		"BOOLEAN":  "INTEGER",
		"FALSE":    "0",
		"IDENTITY": "INTEGER PRIMARY KEY AUTOINCREMENT", // the rowid, never reused
	},
	columns: `SELECT name FROM pragma_table_info(?)`,
}

// OpenSQLite opens (and creates) the database file at path and applies the migrations it lacks.
func OpenSQLite(ctx context.Context, path string, opts ...Option) (*Store, error) {
	dsn := func(pragmas ...string) string {
		q := url.Values{}
		// busy_timeout first: the pragmas after it (journal_mode) may wait for another process
		for _, p := range append(append([]string{"busy_timeout(10000)"}, pragmas...), "synchronous(NORMAL)") {
			q.Add("_pragma", p)
		}
		q.Set("_txlock", "immediate")
		return "file:" + path + "?" + q.Encode()
	}
	if err := ownerOnly(path); err != nil {
		return nil, err
	}
	// Only the writer sets the journal mode: WAL is a property of the file, and switching it
	// takes a lock that would make concurrent readers wait.
	w, err := sql.Open("sqlite", dsn("journal_mode(WAL)"))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	if err := migrateSQLite(ctx, w); err != nil {
		w.Close()
		return nil, fmt.Errorf("schema of %s: %w", path, err)
	}
	if err := ownerOnly(path); err != nil { // the -wal and -shm files the migration made
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn("query_only(1)"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(max(4, runtime.NumCPU()))
	s, err := open(ctx, sqlite, w, r)
	if err != nil {
		return nil, err
	}
	return s.with(opts), nil
}

// ownerOnly makes the database file and its -wal and -shm files readable by their owner only
// (0600), whatever mode they had and whatever the umask: they hold names, webhook URLs with their
// tokens and events (doc/security.md). The file is created if missing; SQLite gives the -wal and
// -shm files it creates the mode of the database file.
func ownerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("restrict %s to its owner: %w", p, err)
		}
	}
	return nil
}

// migrateSQLite applies the migrations. Processes that open a new file together can find it
// busy at once, without the busy timeout's wait (while one of them switches the file to WAL):
// the migration is then tried again, for up to 10 s.
func migrateSQLite(ctx context.Context, w *sql.DB) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := migrate(ctx, sqlite, w, migrationFiles)
		var se *msqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != 5 || time.Now().After(deadline) { // 5: SQLITE_BUSY
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}
