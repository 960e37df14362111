package config

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestRecordingKeys(t *testing.T) {
	c, err := Load(nil, func(string) string { return "" }, io.Discard)
	if err != nil || len(c.RTMP.AllowedHosts) != 0 || c.Recording.MinFreeMB != 1024 {
		t.Fatalf("defaults: %+v %+v %v", c.RTMP, c.Recording, err)
	}
	env := map[string]string{"MEETD_RTMP_ALLOWED_HOSTS": "127.0.0.1, rtmp.lab.example, 10.1.0.0/16,[::1]", "MEETD_RECORDING_MIN_FREE_MB": "0"}
	c, err = Load(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil || !slices.Equal(c.RTMP.AllowedHosts, []string{"127.0.0.1", "rtmp.lab.example", "10.1.0.0/16", "[::1]"}) || c.Recording.MinFreeMB != 0 {
		t.Fatalf("env: %+v %+v %v", c.RTMP, c.Recording, err)
	}
	file := filepath.Join(t.TempDir(), "meetd.yaml")
	_ = os.WriteFile(file, []byte("rtmp:\n  allowed_hosts: ['*']\nrecording:\n  min_free_mb: 200\n"), 0o600)
	c, err = Load([]string{"-config", file}, func(string) string { return "" }, io.Discard)
	if err != nil || !slices.Equal(c.RTMP.AllowedHosts, []string{"*"}) || c.Recording.MinFreeMB != 200 {
		t.Fatalf("file: %+v %+v %v", c.RTMP, c.Recording, err)
	}
	for _, bad := range []map[string]string{
		{"MEETD_RTMP_ALLOWED_HOSTS": "rtmp://host/live"},
		{"MEETD_RTMP_ALLOWED_HOSTS": "10.0.0.0/33"},
		{"MEETD_RTMP_ALLOWED_HOSTS": "a host"},
		{"MEETD_RECORDING_MIN_FREE_MB": "-1"},
	} {
		_, err := Load(nil, func(k string) string { return bad[k] }, io.Discard)
		if err == nil || (!strings.Contains(err.Error(), "rtmp.allowed_hosts") && !strings.Contains(err.Error(), "recording.min_free_mb")) {
			t.Errorf("%v: %v", bad, err)
		}
	}
}
