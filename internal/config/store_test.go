package config

import (
	"io"
	"strings"
	"testing"
)

func TestStoreURL(t *testing.T) {
	c, err := Load(nil, func(string) string { return "" }, io.Discard)
	if err != nil || c.Store.PostgreSQL() {
		t.Fatalf("default: %+v %v (want SQLite)", c.Store, err)
	}
	env := map[string]string{"MEETD_DATABASE_URL": "postgres://meetd:s3cret@db.internal:5432/meetd?sslmode=require"}
	c, err = Load(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil || !c.Store.PostgreSQL() || c.Store.URL != env["MEETD_DATABASE_URL"] {
		t.Fatalf("from the environment: %+v %v", c.Store, err)
	}
	c, err = Load([]string{"-store.url", "postgresql://other/meetd"}, func(k string) string { return env[k] }, io.Discard)
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
		_, err := Load(nil, func(k string) string {
			if k == "MEETD_DATABASE_URL" {
				return bad
			}
			return ""
		}, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "store.url") || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: error %v, want one naming store.url without the password", bad, err)
		}
	}
}
