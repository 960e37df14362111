package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"meetd/internal/meet"
	"meetd/internal/rooms"
	"meetd/internal/store/pgtest"
)

// testDB is an empty database of one dialect: a plain handle on it, and the store.
type testDB struct {
	d     dialect
	raw   func(t *testing.T) *sql.DB
	open  func() (*Store, error)
	old   string // the schema of meetd before migrations (testdata)
	shape [2]string
}

func sqliteDB(t *testing.T) testDB {
	path := filepath.Join(t.TempDir(), "meetd.db")
	return testDB{
		d: sqlite,
		raw: func(t *testing.T) *sql.DB {
			db, err := sql.Open("sqlite", "file:"+path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db
		},
		open: func() (*Store, error) { return OpenSQLite(context.Background(), path) },
		old:  oldSchema(t, "sqlite"),
		shape: [2]string{
			`SELECT m.name, p.name, p.type, p."notnull", coalesce(p.dflt_value, ''), p.pk
				FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`,
			`SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex_%'`,
		},
	}
}

func postgresDB(t *testing.T) testDB {
	url := pgtest.NewDatabase(t)
	return testDB{
		d: postgres,
		raw: func(t *testing.T) *sql.DB {
			cfg, err := pgx.ParseConfig(url)
			if err != nil {
				t.Fatal(err)
			}
			db := stdlib.OpenDB(*cfg)
			t.Cleanup(func() { db.Close() })
			return db
		},
		open: func() (*Store, error) { return OpenPostgres(context.Background(), url) },
		old:  oldSchema(t, "postgres"),
		shape: [2]string{
			`SELECT table_name, column_name, data_type, is_nullable, coalesce(column_default, ''), is_identity
				FROM information_schema.columns WHERE table_schema = current_schema()`,
			`SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()`,
		},
	}
}

// onBoth runs test on SQLite and on PostgreSQL, with newDB making empty databases.
func onBoth(t *testing.T, test func(t *testing.T, newDB func(*testing.T) testDB)) {
	t.Run("SQLite", func(t *testing.T) { test(t, sqliteDB) })
	t.Run("PostgreSQL", func(t *testing.T) { test(t, postgresDB) })
}

// oldSchema is the schema that meetd created before numbered migrations (ab630ec), verbatim.
func oldSchema(t *testing.T, dialect string) string {
	b, err := os.ReadFile(filepath.Join("testdata", "schema_"+dialect+"_ab630ec.sql"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// beforeWebhooks is the part of the old schema made before the webhook outbox.
func beforeWebhooks(schema string) string {
	before, _, _ := strings.Cut(schema, "CREATE TABLE IF NOT EXISTS webhook_cursor")
	return before
}

func exec(t *testing.T, db *sql.DB, statements string) {
	t.Helper()
	if _, err := db.Exec(statements); err != nil {
		t.Fatal(err)
	}
}

// strings of reads query's rows, each row's columns joined by spaces, sorted.
func stringsOf(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		row := make([]string, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.Join(row, " "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// shape is every table's columns (name, type, null, default, key) and every index's name.
func shape(t *testing.T, db testDB) []string {
	h := db.raw(t)
	return append(stringsOf(t, h, db.shape[0]), stringsOf(t, h, db.shape[1])...)
}

// applied is the migrations recorded: "version name".
func applied(t *testing.T, db *sql.DB) []string {
	return stringsOf(t, db, `SELECT version, name FROM schema_migrations`)
}

// all is every migration file, as applied lists them.
func all(t *testing.T) []string {
	ms, err := readMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, strconv.Itoa(m.version)+" "+m.name)
	}
	slices.Sort(out)
	return out
}

// A database made by meetd before numbered migrations, and one older still (before presence.node
// and sessions.users_rev), opens, is brought to the schema of a new database, records the
// migrations, and works.
func TestUpgrade(t *testing.T) {
	for _, c := range []struct {
		name  string
		older string // what an older meetd lacked
	}{
		{"before migrations", ""},
		{"before presence.node and sessions.users_rev", `ALTER TABLE presence DROP COLUMN node; ALTER TABLE sessions DROP COLUMN users_rev`},
	} {
		t.Run(c.name, func(t *testing.T) {
			onBoth(t, func(t *testing.T, newDB func(*testing.T) testDB) {
				db, fresh := newDB(t), newDB(t)
				st, err := fresh.open()
				if err != nil {
					t.Fatal(err)
				}
				st.Close()

				raw := db.raw(t)
				exec(t, raw, db.old)
				if c.older != "" {
					exec(t, raw, c.older)
				}
				st, err = db.open()
				if err != nil {
					t.Fatalf("open the earlier database: %v", err)
				}
				defer st.Close()
				if got, want := applied(t, raw), all(t); !slices.Equal(got, want) {
					t.Errorf("migrations recorded %q, want %q", got, want)
				}
				if got, want := shape(t, db), shape(t, fresh); !slices.Equal(got, want) {
					t.Errorf("upgraded schema:\n%s\nwant, as a new database's:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
				upgraded(t, st)
			})
		})
	}
}

// Opening a database again applies nothing and records nothing.
func TestOpenTwice(t *testing.T) {
	onBoth(t, func(t *testing.T, newDB func(*testing.T) testDB) {
		db := newDB(t)
		when := `SELECT version, applied_at FROM schema_migrations`
		for range 2 {
			st, err := db.open()
			if err != nil {
				t.Fatal(err)
			}
			st.Close()
		}
		first := stringsOf(t, db.raw(t), when)
		st, err := db.open()
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if again := stringsOf(t, db.raw(t), when); !slices.Equal(again, first) || len(first) != len(all(t)) {
			t.Errorf("migrations after the first opening %q, after another %q", first, again)
		}
		upgraded(t, st)
	})
}

// Processes that start together on a new database each open it, and each migration is applied once.
func TestOpenTogether(t *testing.T) {
	onBoth(t, func(t *testing.T, newDB func(*testing.T) testDB) {
		db := newDB(t)
		errs := make(chan error, 4)
		for range cap(errs) {
			go func() {
				st, err := db.open()
				if err == nil {
					st.Close()
				}
				errs <- err
			}()
		}
		for range cap(errs) {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		if got, want := applied(t, db.raw(t)), all(t); !slices.Equal(got, want) {
			t.Errorf("migrations recorded %q, want %q", got, want)
		}
	})
}

// A migration that fails leaves nothing of itself, and is not recorded; fixed, it applies.
func TestMigrationFails(t *testing.T) {
	onBoth(t, func(t *testing.T, newDB func(*testing.T) testDB) {
		db := newDB(t)
		raw := db.raw(t)
		files := fstest.MapFS{
			"001_a.sql": {Data: []byte("CREATE TABLE a (n {{BIGINT}} NOT NULL, on_ {{BOOLEAN}} NOT NULL DEFAULT {{FALSE}});")},
			"002_b.sql": {Data: []byte("CREATE TABLE b (id {{IDENTITY}});\nINSERT INTO nowhere VALUES (1);")},
		}
		if err := migrate(context.Background(), db.d, raw, files); err == nil || !strings.Contains(err.Error(), "002_b.sql") {
			t.Fatalf("migrate: %v, want 002_b.sql's error", err)
		}
		if got := applied(t, raw); !slices.Equal(got, []string{"1 001_a.sql"}) {
			t.Errorf("recorded %q", got)
		}
		if _, err := raw.Exec(`SELECT count(*) FROM b`); err == nil {
			t.Error("002_b.sql failed, yet its table b is there")
		}
		files["002_b.sql"] = &fstest.MapFile{Data: []byte("CREATE TABLE b (id {{IDENTITY}});")}
		if err := migrate(context.Background(), db.d, raw, files); err != nil {
			t.Fatal(err)
		}
		if got := applied(t, raw); !slices.Equal(got, []string{"1 001_a.sql", "2 002_b.sql"}) {
			t.Errorf("recorded %q", got)
		}
	})
}

// A later migration is a plain file: adding a column takes one, valid on both databases.
func TestMigrationAddsColumn(t *testing.T) {
	onBoth(t, func(t *testing.T, newDB func(*testing.T) testDB) {
		db := newDB(t)
		files := fstest.MapFS{}
		ms, err := readMigrations(migrationFiles)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			files[m.name] = &fstest.MapFile{Data: []byte(m.text)}
		}
		next := fmt.Sprintf("%03d_test_column.sql", len(ms)+1)
		files[next] = &fstest.MapFile{Data: []byte("ALTER TABLE events ADD COLUMN test_column TEXT NOT NULL DEFAULT '';\n")}
		raw := db.raw(t)
		if err := migrate(context.Background(), db.d, raw, files); err != nil {
			t.Fatal(err)
		}
		if err := migrate(context.Background(), db.d, raw, files); err != nil {
			t.Fatal(err)
		}
		exec(t, raw, `INSERT INTO events (id, room_id, sid, name, body, created_at) VALUES ('EV_1', 'r', 'RM_r', 'room_created', '{}', 1)`)
		if got := stringsOf(t, raw, `SELECT id || ':' || test_column FROM events`); !slices.Equal(got, []string{"EV_1:"}) {
			t.Errorf("events: %q", got)
		}
	})
}

func TestReadMigrations(t *testing.T) {
	for _, names := range [][]string{{"1_a.sql"}, {"001a.sql"}, {"002_a.sql"}, {"001_a.sql", "001_b.sql"}, {"001_a.sql", "003_c.sql"}} {
		files := fstest.MapFS{}
		for _, n := range names {
			files[n] = &fstest.MapFile{Data: []byte("SELECT 1;")}
		}
		if _, err := readMigrations(files); err == nil {
			t.Errorf("%v: no error", names)
		}
	}
	if _, err := sqlite.expand("{{BIGINT}} {{NUMBER}}"); err == nil {
		t.Error("an unknown token expanded")
	}
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
