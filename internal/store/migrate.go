package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The schema is the numbered SQL files in migrations/ (see migrations/README.md), written once for
// both databases. migrate applies each file not yet recorded in schema_migrations, in order, each
// in a transaction of its own that also records it: a file that fails leaves nothing behind.
//
//go:embed migrations/*.sql
var embedded embed.FS

// migrationFiles is the folder migrations/ (fs.Sub fails only on an invalid name).
var migrationFiles, _ = fs.Sub(embedded, "migrations")

// migrationsTable records the files applied, by number.
const migrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL, -- the file's name
	applied_at {{BIGINT}} NOT NULL -- Unix ms
)`

// legacyColumns are the columns that databases made by meetd before presence.node and before
// sessions.users_rev lack: 001 creates only missing tables, so before it runs on a database
// that has tables, each column its table lacks is added. The list is closed: a new column is a
// new migration file.
var legacyColumns = []struct{ table, column, def string }{
	{"presence", "node", "TEXT NOT NULL DEFAULT ''"},
	{"sessions", "users_rev", "{{BIGINT}} NOT NULL DEFAULT 0"},
}

// migration is one file of migrations/.
type migration struct {
	version int    // NNN
	name    string // NNN_name.sql
	text    string // the statements, tokens not yet replaced
}

// migrate brings the database up to the last migration in files (migrationFiles but in tests).
func migrate(ctx context.Context, d dialect, w *sql.DB, files fs.FS) error {
	ms, err := readMigrations(files)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := applyMigration(ctx, d, w, m); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

// readMigrations reads the files NNN_name.sql of files in order, numbered from 001 without gaps.
func readMigrations(files fs.FS) ([]migration, error) {
	names, err := fs.Glob(files, "*.sql")
	if err != nil {
		return nil, err
	}
	slices.Sort(names) // three digits: in number order
	var ms []migration
	for _, name := range names {
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || len(num) != 3 {
			return nil, fmt.Errorf("migration file %s: the name must be NNN_name.sql", name)
		}
		if v != len(ms)+1 {
			return nil, fmt.Errorf("migration file %s: expected number %03d next", name, len(ms)+1)
		}
		b, err := fs.ReadFile(files, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, text: string(b)})
	}
	return ms, nil
}

// applyMigration applies m unless it is recorded, and records it, in one transaction. On
// PostgreSQL the transaction first takes the schema lock: processes starting together apply each
// file in turn (IF NOT EXISTS alone is not safe against a concurrent CREATE), and the later ones
// find it recorded.
func applyMigration(ctx context.Context, d dialect, w *sql.DB, m migration) error {
	text, err := d.expand(m.text)
	if err != nil {
		return err
	}
	table, err := d.expand(migrationsTable)
	if err != nil {
		return err
	}
	sqlTx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer sqlTx.Rollback()
	tx := &txn{sqlTx, d.rebind}
	if d.lockSchema != nil {
		if err := d.lockSchema(ctx, tx); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, table); err != nil {
		return err
	}
	var done int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&done); err != nil {
		return err
	}
	if done > 0 {
		return nil
	}
	if m.version == 1 {
		if err := addLegacyColumns(ctx, d, tx); err != nil {
			return err
		}
	}
	// Not rebound: a migration has no placeholders, and its comments may hold a "?".
	if _, err := tx.Tx.ExecContext(ctx, text); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
		m.version, m.name, time.Now().UnixMilli()); err != nil {
		return err
	}
	return tx.Commit()
}

// addLegacyColumns adds the legacyColumns missing from tables that exist.
func addLegacyColumns(ctx context.Context, d dialect, tx *txn) error {
	for _, c := range legacyColumns {
		rows, err := tx.QueryContext(ctx, d.columns, c.table)
		columns, err := scanRows(rows, err, scanString)
		if err != nil {
			return err
		}
		if len(columns) == 0 || slices.Contains(columns, c.column) {
			continue // no such table (001 makes it whole), or nothing missing
		}
		def, err := d.expand(c.def)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `ALTER TABLE `+c.table+` ADD COLUMN `+c.column+` `+def); err != nil {
			return err
		}
	}
	return nil
}

var token = regexp.MustCompile(`\{\{[A-Z]+\}\}`)

// expand replaces the tokens of a migration ({{BIGINT}} …) with the dialect's words.
func (d dialect) expand(text string) (string, error) {
	var unknown []string
	text = token.ReplaceAllStringFunc(text, func(t string) string {
		s, ok := d.tokens[t[2:len(t)-2]]
		if !ok {
			unknown = append(unknown, t)
		}
		return s
	})
	if unknown != nil {
		return "", fmt.Errorf("unknown tokens %v", unknown)
	}
	return text, nil
}
