package httpapi

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// A page call that panics is answered 500 with the allow-origin header, so the page reads it.
func TestPageCORSOnPanic(t *testing.T) {
	s := &Server{}
	h := s.pageCORS(newOrigins(nil), recoverPanics(slog.New(slog.NewTextHandler(io.Discard, nil)),
		http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") })))
	req := httptest.NewRequest("POST", "/api/join", nil)
	req.Header.Set("Origin", "https://cms.example.org")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 500 || rec.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("%d %v", rec.Code, rec.Header())
	}
}

func TestNormalOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://CMS.example.org:443": "https://cms.example.org",
		"http://localhost:80":         "http://localhost",
		"http://localhost:8080/":      "http://localhost:8080",
		"http://[::1]:8080":           "http://[::1]:8080",
		"null":                        "",
		"file://x":                    "",
		"https://a.example/path":      "",
		"https://user@a.example":      "",
	} {
		if got := normalOrigin(in); got != want {
			t.Errorf("normalOrigin(%q) = %q, want %q", in, got, want)
		}
	}
}
