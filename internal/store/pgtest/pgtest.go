// Package pgtest gives each test a PostgreSQL database of its own, on the server that the
// environment variable MEETD_TEST_DATABASE_URL names (scripts/services.sh starts one and prints it).
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Env names the server: a postgres:// URL of a role that may create databases.
const Env = "MEETD_TEST_DATABASE_URL"

// NewDatabase creates a new, empty database with a random name and returns its URL; the database
// is dropped when the test ends. Without a server the test is skipped, unless it runs in CI
// (CI is set), where PostgreSQL is installed and started: there it fails.
func NewDatabase(t testing.TB) string {
	t.Helper()
	server := os.Getenv(Env)
	if server == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: CI must start PostgreSQL (eval \"$(scripts/services.sh)\")", Env)
		}
		t.Skipf("no PostgreSQL: set %s (eval \"$(scripts/services.sh)\" starts one and prints it)", Env)
	}
	u, err := url.Parse(server)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL", Env)
	}
	admin, err := connect(server)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	defer admin.Close()
	raw := make([]byte, 8)
	_, _ = rand.Read(raw)
	name := "meetd_test_" + hex.EncodeToString(raw)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := connect(server)
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
			return
		}
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// FORCE: a store the test left open does not keep the database. It may still fail for a
		// moment: PostgreSQL 15 will not terminate a backend of another role on the database, such
		// as an autovacuum worker that happens to visit it ("must be a member of the role whose
		// process is being terminated"), so try again shortly; such a visit is soon over.
		for range 10 {
			if _, err = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err == nil {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}

func connect(server string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(server)
	if err != nil {
		return nil, err
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(1)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}
