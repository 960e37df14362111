package store

import (
	"strings"
	"testing"
)

func TestPostgresRebind(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`SELECT 1`, `SELECT 1`},
		{`WHERE a = ? AND b = ?`, `WHERE a = $1 AND b = $2`},
		{`VALUES (?1, ?2, ?1, ?, ?10)`, `VALUES ($1, $2, $1, $3, $10)`},
		{`a = ?2 OR b = ?`, `a = $2 OR b = $3`},
		{`pg_advisory_xact_lock(?::int, ?::int)`, `pg_advisory_xact_lock($1::int, $2::int)`},
	} {
		if got := postgresRebind(c.in); got != c.want {
			t.Errorf("postgresRebind(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// The statements have no ? inside a string literal, where rebinding would break them: check
// the constant ones here (those built at run time are made of the same parts).
func TestNoQuestionMarkInLiterals(t *testing.T) {
	for name, q := range map[string]string{
		"sessionColumns": sessionColumns, "userColumns": userColumns,
		"claimSQLite": claimSQLiteSQL, "claimPostgres": claimPostgresSQL, "bodies": claimBodiesSQLite,
		"analyticsOn": postgres.analyticsOn, "roomTitle": postgres.roomTitle, "in": postgres.in("x"),
	} {
		for i, part := range strings.Split(q, "'") {
			if i%2 == 1 && strings.Contains(part, "?") {
				t.Errorf("%s: ? inside the literal '%s'", name, part)
			}
		}
	}
}
