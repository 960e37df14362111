package config

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// load is Load with the given flags and environment (nil: none), its warnings discarded.
func load(args []string, env map[string]string) (Config, error) {
	return Load(args, func(k string) string { return env[k] }, io.Discard)
}

// configFile writes text as meetd.yaml in a new temporary folder and returns its path.
func configFile(t *testing.T, text string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "meetd.yaml")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}
