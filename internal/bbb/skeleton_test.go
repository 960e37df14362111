package bbb_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"meetd/internal/meettest"
)

func TestVersionAnswers(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{})
	for _, path := range []string{"/bigbluebutton/api", "/bigbluebutton/api/", "/bigbluebutton/api/?&checksum=x", "/" + srv.Keys.APIKey + "/bigbluebutton/api/"} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !strings.Contains(string(b), "<version>2.0</version>") || res.Header.Get("Content-Type") != "text/xml; charset=utf-8" {
			t.Errorf("%s: %d %s %q", path, res.StatusCode, res.Header.Get("Content-Type"), b)
		}
	}
	res, err := http.Get(srv.URL + "/bigbluebutton/api/noSuchCall")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Errorf("unknown call: %d, want 404", res.StatusCode)
	}
}
