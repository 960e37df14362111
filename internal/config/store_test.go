package config

import (
	"strings"
	"testing"
)

func TestStoreURL(t *testing.T) {
	c, err := load(nil, nil)
	if err != nil || c.Store.PostgreSQL() {
		t.Fatalf("default: %+v %v (want SQLite)", c.Store, err)
	}
	env := map[string]string{"MEETD_DATABASE_URL": "postgres://meetd:s3cret@db.internal:5432/meetd?sslmode=require"}
	c, err = load(nil, env)
	if err != nil || !c.Store.PostgreSQL() || c.Store.URL != env["MEETD_DATABASE_URL"] {
		t.Fatalf("from the environment: %+v %v", c.Store, err)
	}
	c, err = load([]string{"-store.url", "postgresql://other/meetd"}, env)
	if err != nil || c.Store.URL != "postgresql://other/meetd" {
		t.Fatalf("flag over environment: %+v %v", c.Store, err)
	}
	if got := c.Redacted().Store.URL; got != "postgresql://other/meetd" {
		t.Errorf("redacted URL without a password: %s", got)
	}
	for _, u := range []string{"postgres://meetd:s3cret@db.internal:5432/meetd", "postgres://db.internal/meetd?user=meetd&password=s3cret"} {
		c.Store.URL = u
		if got := c.Redacted().Store.URL; strings.Contains(got, "s3cret") || !strings.Contains(got, "db.internal") {
			t.Errorf("redacted %s: %s", u, got)
		}
	}
	for _, bad := range []string{"mysql://db/meetd", "db.internal:5432/meetd", "postgres://meetd:s3cret@db internal:%zz/meetd"} {
		_, err := load(nil, map[string]string{"MEETD_DATABASE_URL": bad})
		if err == nil || !strings.Contains(err.Error(), "store.url") || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: error %v, want one naming store.url without the password", bad, err)
		}
	}
}
