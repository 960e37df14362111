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

// recording.size and recording.fps: the composed picture, 1280x720 at 25 by default.
func TestRecordingCanvas(t *testing.T) {
	c, err := load(nil, nil)
	if err != nil || c.Recording.Size != "1280x720" || c.Recording.FPS != 25 {
		t.Fatalf("defaults: %+v %v", c.Recording, err)
	}
	c, err = load(nil, map[string]string{"MEETD_RECORDING_SIZE": "640X360", "MEETD_RECORDING_FPS": "15"})
	if w, h, _ := c.Recording.CanvasSize(); err != nil || w != 640 || h != 360 || c.Recording.FPS != 15 {
		t.Fatalf("env: %+v %v", c.Recording, err)
	}
	c, err = load([]string{"-config", configFile(t, "recording:\n  size: 1920x1080\n  fps: 30\n")}, nil)
	if w, h, _ := c.Recording.CanvasSize(); err != nil || w != 1920 || h != 1080 || c.Recording.FPS != 30 {
		t.Fatalf("file: %+v %v", c.Recording, err)
	}
	for _, bad := range []map[string]string{
		{"MEETD_RECORDING_SIZE": "720p"},
		{"MEETD_RECORDING_SIZE": "1280x"},
		{"MEETD_RECORDING_SIZE": "1281x720"},
		{"MEETD_RECORDING_SIZE": "100x100"},
		{"MEETD_RECORDING_SIZE": "7680x4320"},
		{"MEETD_RECORDING_SIZE": "-1280x720"},
		{"MEETD_RECORDING_FPS": "0"},
		{"MEETD_RECORDING_FPS": "120"},
	} {
		_, err := load(nil, bad)
		if err == nil || (!strings.Contains(err.Error(), "recording.size") && !strings.Contains(err.Error(), "recording.fps")) {
			t.Errorf("%v: %v", bad, err)
		}
	}
}
