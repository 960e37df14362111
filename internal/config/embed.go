package config

import (
	"fmt"
	"net/url"
	"strings"
)

// Embed configures meetings embedded in other sites' pages (doc/web.md, "Embedding").
type Embed struct {
	// AllowedOrigins are the origins (scheme://host[:port]) whose pages may call the meeting
	// page's API from the browser; "*" (the default) allows every origin: the calls take a
	// bearer token and no cookie.
	AllowedOrigins URLList `yaml:"allowed_origins"`
	// AssetsURL, if set, is where CMS plugins load the meeting's files from instead of
	// <server>/assets (getClientFiles' static_assets_path): a CDN that mirrors /assets/.
	AssetsURL string `yaml:"assets_url"`
}

func (e Embed) validate() error {
	for _, o := range e.AllowedOrigins {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			strings.TrimSuffix(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("embed.allowed_origins: %q is not * or an origin like https://cms.example.org", o)
		}
	}
	if e.AssetsURL != "" {
		if u, err := url.Parse(e.AssetsURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("embed.assets_url: %q is not an absolute http(s) URL", e.AssetsURL)
		}
	}
	return nil
}
