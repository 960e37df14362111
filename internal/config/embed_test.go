package config

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestEmbedKeys(t *testing.T) {
	c, err := Load(nil, func(string) string { return "" }, io.Discard)
	if err != nil || !slices.Equal(c.Embed.AllowedOrigins, []string{"*"}) || c.Embed.AssetsURL != "" {
		t.Fatalf("defaults: %+v %v", c.Embed, err)
	}
	env := map[string]string{"MEETD_EMBED_ALLOWED_ORIGINS": "https://cms.example.org, http://localhost:8080",
		"MEETD_EMBED_ASSETS_URL": "https://cdn.example.org/meetd/assets"}
	c, err = Load(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil || !slices.Equal(c.Embed.AllowedOrigins, []string{"https://cms.example.org", "http://localhost:8080"}) ||
		c.Embed.AssetsURL != "https://cdn.example.org/meetd/assets" {
		t.Fatalf("env: %+v %v", c.Embed, err)
	}
	file := filepath.Join(t.TempDir(), "meetd.yaml")
	_ = os.WriteFile(file, []byte("embed:\n  allowed_origins: ['https://a.example', 'https://b.example:8443']\n"), 0o600)
	c, err = Load([]string{"-config", file}, func(string) string { return "" }, io.Discard)
	if err != nil || !slices.Equal(c.Embed.AllowedOrigins, []string{"https://a.example", "https://b.example:8443"}) {
		t.Fatalf("file: %+v %v", c.Embed, err)
	}
	for _, bad := range []map[string]string{
		{"MEETD_EMBED_ALLOWED_ORIGINS": "cms.example.org"},
		{"MEETD_EMBED_ALLOWED_ORIGINS": "https://cms.example.org/wp"},
		{"MEETD_EMBED_ALLOWED_ORIGINS": "null"},
		{"MEETD_EMBED_ASSETS_URL": "/assets"},
	} {
		if _, err := Load(nil, func(k string) string { return bad[k] }, io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
