package bbb_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"meetd/internal/bbb"
	"meetd/internal/meet"
	"meetd/internal/meettest"
)

// node is a parsed XML answer.
type node struct {
	XMLName xml.Name
	Text    string `xml:",chardata"`
	Kids    []node `xml:",any"`
}

// Get is the text of the element at a path of names ("attendees/attendee/userID"), "" if absent.
func (n *node) Get(path string) string {
	if c := n.Find(path); c != nil {
		return c.Text
	}
	return ""
}

// Find is the first element at a path, nil if absent.
func (n *node) Find(path string) *node {
	cur := n
	for _, name := range strings.Split(path, "/") {
		var next *node
		for i := range cur.Kids {
			if cur.Kids[i].XMLName.Local == name {
				next = &cur.Kids[i]
				break
			}
		}
		if next == nil {
			return nil
		}
		cur = next
	}
	return cur
}

// All are the children named name of the element at path.
func (n *node) All(path, name string) []node {
	p := n
	if path != "" {
		p = n.Find(path)
	}
	if p == nil {
		return nil
	}
	var out []node
	for _, k := range p.Kids {
		if k.XMLName.Local == name {
			out = append(out, k)
		}
	}
	return out
}

// client calls the BBB API as a client does: a query string built by the client (its own
// encoding), the checksum appended.
type client struct {
	t      testing.TB
	srv    *meettest.Server
	base   string // http://host/bigbluebutton/api/
	secret string
	algo   string
}

func newClient(t testing.TB, srv *meettest.Server, algo string) *client {
	return &client{t: t, srv: srv, base: srv.URL + "/bigbluebutton/api/", secret: srv.Keys.APISecret, algo: algo}
}

// signed is the call's URL: query as given, checksum last.
func (c *client) signed(call, query string) string {
	sum := bbb.Checksum(c.algo, call, query, c.secret)
	if query == "" {
		return c.base + call + "?checksum=" + sum
	}
	return c.base + call + "?" + query + "&checksum=" + sum
}

// plusQuery encodes params in order as PHP's http_build_query and Ruby do (space as +).
func plusQuery(kv ...string) string {
	var parts []string
	for i := 0; i+1 < len(kv); i += 2 {
		parts = append(parts, url.QueryEscape(kv[i])+"="+url.QueryEscape(kv[i+1]))
	}
	return strings.Join(parts, "&")
}

// pctQuery encodes params in order as JS's querystring does (space as %20).
func pctQuery(kv ...string) string {
	return strings.ReplaceAll(plusQuery(kv...), "+", "%20")
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// getURL fetches a URL without following redirects; it returns the response and its parsed XML
// (nil when it is not XML).
func (c *client) getURL(u string) (*http.Response, *node) {
	c.t.Helper()
	res, err := noRedirect.Get(u)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.read(res)
}

func (c *client) read(res *http.Response) (*http.Response, *node) {
	c.t.Helper()
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/xml") {
		return res, nil
	}
	var n node
	if err := xml.Unmarshal(b, &n); err != nil {
		c.t.Fatalf("%s: not XML: %v: %s", res.Request.URL.Path, err, b)
	}
	if res.StatusCode != 200 || n.XMLName.Local != "response" || len(n.Kids) == 0 || n.Kids[0].XMLName.Local != "returncode" {
		c.t.Fatalf("%s: HTTP %d, %s", res.Request.URL.Path, res.StatusCode, b)
	}
	return res, &n
}

// call makes a GET call and returns its XML answer.
func (c *client) call(call, query string) *node {
	c.t.Helper()
	res, n := c.getURL(c.signed(call, query))
	if n == nil {
		c.t.Fatalf("%s: not an XML answer: HTTP %d %s", call, res.StatusCode, res.Header.Get("Content-Type"))
	}
	return n
}

// post makes a POST call with a body.
func (c *client) post(call, query, contentType string, body []byte) *node {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.signed(call, query), bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	res, err := noRedirect.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	_, n := c.read(res)
	if n == nil {
		c.t.Fatalf("%s: not XML", call)
	}
	return n
}

// wantOK fails unless the answer is SUCCESS (and, if key is given, has that messageKey).
func wantOK(t testing.TB, what string, n *node, key string) {
	t.Helper()
	if n.Get("returncode") != "SUCCESS" || n.Get("messageKey") != key {
		b, _ := xml.Marshal(n)
		t.Fatalf("%s: want SUCCESS %q, got %s", what, key, b)
	}
}

// wantFail fails unless the answer is FAILED with that messageKey.
func wantFail(t testing.TB, what string, n *node, key string) {
	t.Helper()
	if n.Get("returncode") != "FAILED" || n.Get("messageKey") != key || n.Get("message") == "" {
		b, _ := xml.Marshal(n)
		t.Fatalf("%s: want FAILED %s, got %s", what, key, b)
	}
}

// pageJoin exchanges a join token at /api/join as the meeting page does; it returns the answer.
func pageJoin(t testing.TB, srv *meettest.Server, token string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/join", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	_, b := srv.Do(t, req)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("/api/join: %v: %s", err, b)
	}
	return out
}

// follow takes a join's redirect to the meeting page, exchanges its token as the page does, and
// connects the user to the fake media when they are let in. It returns the /api/join answer.
func follow(t testing.TB, srv *meettest.Server, location string) map[string]any {
	t.Helper()
	u, err := url.Parse(location)
	if err != nil || u.Path != "/" || u.Query().Get("access_token") == "" {
		t.Fatalf("join redirects to %q, want the meeting page with an access_token", location)
	}
	j := pageJoin(t, srv, u.Query().Get("access_token"))
	if j["livekit_token"] != nil && j["livekit_token"] != "" {
		srv.Media.Join(t, j["room_id"].(string), meet.ParticipantInfo{Identity: j["user_id"].(string), Name: j["name"].(string)})
	}
	return j
}
