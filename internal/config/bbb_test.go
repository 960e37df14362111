package config

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestBBBKeys(t *testing.T) {
	c, err := Load(nil, func(string) string { return "" }, io.Discard)
	if err != nil || !c.BBB.Enabled || c.BBB.Secrets != nil || c.BBB.ChecksumAlgorithms != nil {
		t.Fatalf("defaults: %+v %v", c.BBB, err)
	}
	env := map[string]string{"MEETD_BBB_ENABLED": "false", "MEETD_BBB_SECRETS": "first-secret,second-secret",
		"MEETD_BBB_CHECKSUM_ALGORITHMS": "sha256,SHA512"}
	c, err = Load(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil || c.BBB.Enabled || !slices.Equal(c.BBB.Secrets, []string{"first-secret", "second-secret"}) ||
		!slices.Equal(c.BBB.ChecksumAlgorithms, []string{"sha256", "SHA512"}) {
		t.Fatalf("env: %+v %v", c.BBB, err)
	}
	if strings.Contains(strings.Join(c.Redacted().BBB.Secrets, ","), "first-secret") {
		t.Error("Redacted shows a BBB secret")
	}
	file := filepath.Join(t.TempDir(), "meetd.yaml")
	_ = os.WriteFile(file, []byte("bbb:\n  secrets: ['a-long-secret']\n  checksum_algorithms: [sha1]\n"), 0o600)
	c, err = Load([]string{"-config", file}, func(string) string { return "" }, io.Discard)
	if err != nil || !c.BBB.Enabled || !slices.Equal(c.BBB.Secrets, []string{"a-long-secret"}) || !slices.Equal(c.BBB.ChecksumAlgorithms, []string{"sha1"}) {
		t.Fatalf("file: %+v %v", c.BBB, err)
	}
	for _, bad := range []map[string]string{
		{"MEETD_BBB_SECRETS": "short"},
		{"MEETD_BBB_CHECKSUM_ALGORITHMS": "md5"},
		{"MEETD_BBB_ENABLED": "perhaps"},
	} {
		if _, err := Load(nil, func(k string) string { return bad[k] }, io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
