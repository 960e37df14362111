package config

import (
	"slices"
	"strings"
	"testing"
)

func TestRecordingKeys(t *testing.T) {
	c, err := load(nil, nil)
	if err != nil || len(c.RTMP.AllowedHosts) != 0 || c.Recording.MinFreeMB != 1024 || c.Recording.MaxConcurrent != 4 {
		t.Fatalf("defaults: %+v %+v %v", c.RTMP, c.Recording, err)
	}
	env := map[string]string{"MEETD_RTMP_ALLOWED_HOSTS": "127.0.0.1, rtmp.lab.example, 10.1.0.0/16,[::1]", "MEETD_RECORDING_MIN_FREE_MB": "0", "MEETD_RECORDING_MAX_CONCURRENT": "0"}
	c, err = load(nil, env)
	if err != nil || !slices.Equal(c.RTMP.AllowedHosts, []string{"127.0.0.1", "rtmp.lab.example", "10.1.0.0/16", "[::1]"}) || c.Recording.MinFreeMB != 0 || c.Recording.MaxConcurrent != 0 {
		t.Fatalf("env: %+v %+v %v", c.RTMP, c.Recording, err)
	}
	file := configFile(t, "rtmp:\n  allowed_hosts: ['*']\nrecording:\n  min_free_mb: 200\n  max_concurrent: 2\n")
	c, err = load([]string{"-config", file}, nil)
	if err != nil || !slices.Equal(c.RTMP.AllowedHosts, []string{"*"}) || c.Recording.MinFreeMB != 200 || c.Recording.MaxConcurrent != 2 {
		t.Fatalf("file: %+v %+v %v", c.RTMP, c.Recording, err)
	}
	for _, bad := range []map[string]string{
		{"MEETD_RTMP_ALLOWED_HOSTS": "rtmp://host/live"},
		{"MEETD_RTMP_ALLOWED_HOSTS": "10.0.0.0/33"},
		{"MEETD_RTMP_ALLOWED_HOSTS": "a host"},
		{"MEETD_RECORDING_MIN_FREE_MB": "-1"},
		{"MEETD_RECORDING_MAX_CONCURRENT": "-1"},
	} {
		_, err := load(nil, bad)
		if err == nil || (!strings.Contains(err.Error(), "rtmp.allowed_hosts") && !strings.Contains(err.Error(), "recording.min_free_mb") && !strings.Contains(err.Error(), "recording.max_concurrent")) {
			t.Errorf("%v: %v", bad, err)
		}
	}
}
