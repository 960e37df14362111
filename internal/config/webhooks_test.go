package config

import (
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestWebhookConfig(t *testing.T) {
	c, err := load(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := c.Webhooks; len(w.URLs) != 0 || time.Duration(w.MaxAge) != 24*time.Hour ||
		time.Duration(w.BackoffBase) != time.Second || time.Duration(w.BackoffMax) != 10*time.Minute {
		t.Fatalf("defaults: %+v", w)
	}

	list := configFile(t, "webhooks:\n  urls:\n    - https://a.example/hook\n    - http://b.example:8080/x\n  max_age: 2h\n")
	scalar := configFile(t, "webhooks:\n  urls: https://a.example/hook, http://c.example/\n")

	c, err = load([]string{"-config", list}, nil)
	if err != nil || !slices.Equal(c.Webhooks.URLs, []string{"https://a.example/hook", "http://b.example:8080/x"}) ||
		time.Duration(c.Webhooks.MaxAge) != 2*time.Hour {
		t.Fatalf("YAML list: %+v %v", c.Webhooks, err)
	}
	c, err = load([]string{"-config", scalar}, nil)
	if err != nil || !slices.Equal(c.Webhooks.URLs, []string{"https://a.example/hook", "http://c.example/"}) {
		t.Fatalf("YAML string: %+v %v", c.Webhooks, err)
	}
	env := map[string]string{
		"MEETD_WEBHOOK_URLS":         " https://x.example/a ,https://y.example/b,",
		"MEETD_WEBHOOK_MAX_AGE":      "90m",
		"MEETD_WEBHOOK_BACKOFF_BASE": "250ms",
		"MEETD_WEBHOOK_BACKOFF_MAX":  "30s",
	}
	c, err = load([]string{"-config", list, "-webhooks.backoff_max", "45s"}, env)
	if err != nil || !slices.Equal(c.Webhooks.URLs, []string{"https://x.example/a", "https://y.example/b"}) ||
		time.Duration(c.Webhooks.MaxAge) != 90*time.Minute || time.Duration(c.Webhooks.BackoffBase) != 250*time.Millisecond ||
		time.Duration(c.Webhooks.BackoffMax) != 45*time.Second {
		t.Fatalf("env and flags: %+v %v", c.Webhooks, err)
	}

	for _, bad := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"MEETD_WEBHOOK_URLS": "https://ok.example/,ftp://x.example/"}, "webhooks.urls"},
		{map[string]string{"MEETD_WEBHOOK_URLS": "/relative/path"}, "webhooks.urls"},
		{map[string]string{"MEETD_WEBHOOK_URLS": "http://"}, "webhooks.urls"},
		{map[string]string{"MEETD_WEBHOOK_MAX_AGE": "a day"}, "MEETD_WEBHOOK_MAX_AGE (webhooks.max_age)"},
		{map[string]string{"MEETD_WEBHOOK_MAX_AGE": "0s"}, "webhooks.max_age"},
		{map[string]string{"MEETD_WEBHOOK_BACKOFF_BASE": "-1s"}, "webhooks.backoff_base"},
		{map[string]string{"MEETD_WEBHOOK_BACKOFF_BASE": "1m", "MEETD_WEBHOOK_BACKOFF_MAX": "10s"}, "webhooks.backoff_max"},
	} {
		_, err := load(nil, bad.env)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("env %v: error %v, want one naming %q", bad.env, err, bad.want)
		}
	}
}

func TestDurationsPrintAsRead(t *testing.T) {
	out, err := yaml.Marshal(Default().Redacted())
	if err != nil || !strings.Contains(string(out), "max_age: 24h0m0s") || !strings.Contains(string(out), "timer_interval: 1s") {
		t.Errorf("effective configuration:\n%s\n%v", out, err)
	}
}
