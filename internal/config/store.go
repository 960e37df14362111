package config

import (
	"errors"
	"fmt"
	"net/url"
)

// Store chooses where meetd keeps its state: SQLite in data_dir (the default, one process), or a
// PostgreSQL database that several meetd processes share.
type Store struct {
	// URL of the PostgreSQL database: postgres://user:password@host:port/database?sslmode=…
	// Empty: SQLite, <data_dir>/meetd.db.
	URL string `yaml:"url"`
}

// PostgreSQL reports whether the store is PostgreSQL.
func (s Store) PostgreSQL() bool { return s.URL != "" }

func (s Store) validate() error {
	if s.URL == "" {
		return nil
	}
	u, err := url.Parse(s.URL)
	if err != nil {
		// url.Error repeats the whole URL, password and all: keep only the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("store.url: not a URL: %v", err)
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return fmt.Errorf("store.url: must start with postgres:// or postgresql:// (a PostgreSQL database), not %q", u.Scheme+":")
	}
	return nil
}

// Redacted is the store with the URL's password hidden (user info, or a password parameter).
func (s Store) Redacted() Store {
	if s.URL == "" {
		return s
	}
	u, err := url.Parse(s.URL)
	if err != nil {
		s.URL = "[invalid URL]"
		return s
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	s.URL = u.String()
	return s
}
