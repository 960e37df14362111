package bbb_test

import (
	"net/http"
	"strings"
	"testing"

	"meetd/internal/bbb"
	"meetd/internal/meettest"
)

// TestChecksumOverHTTP: the checksum as BBB checks it, each way clients build it (doc/bbb.md,
// "Checksum"); every refused request answers checksumError and changes nothing.
func TestChecksumOverHTTP(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{})
	c := newClient(t, srv, "sha1")
	secret := srv.Keys.APISecret
	running := func(id string) bool {
		return newClient(t, srv, "sha1").call("getMeetingInfo", "meetingID="+id).Get("returncode") == "SUCCESS"
	}

	t.Run("four algorithms, upper case", func(t *testing.T) {
		for i, algo := range bbb.AllAlgorithms {
			id := "algo-" + algo
			q := plusQuery("name", "Test Meeting", "meetingID", id, "attendeePW", "111222", "moderatorPW", "333444")
			sum := bbb.Checksum(algo, "create", q, secret)
			if i%2 == 1 {
				sum = strings.ToUpper(sum)
			}
			_, n := c.getURL(c.base + "create?" + q + "&checksum=" + sum)
			wantOK(t, algo, n, "")
			if n.Get("meetingID") != id || n.Get("moderatorPW") != "333444" {
				t.Errorf("%s: %s %s", algo, n.Get("meetingID"), n.Get("moderatorPW"))
			}
		}
	})
	t.Run("%20 and + encodings", func(t *testing.T) {
		for _, q := range []string{
			pctQuery("meetingID", "enc-pct", "name", "Space Name (JS)!"),
			plusQuery("meetingID", "enc-plus", "name", "Space Name (PHP)!"),
			"meetingID=enc-raw&name=A%2Bb%20c+d", // mixed, as received
		} {
			n := c.call("create", q)
			wantOK(t, q, n, "")
		}
		n := c.call("getMeetingInfo", "meetingID=enc-pct")
		if n.Get("meetingName") != "Space Name (JS)!" {
			t.Errorf("name %q", n.Get("meetingName"))
		}
	})
	t.Run("checksum first, middle, last", func(t *testing.T) {
		q1, q2 := "meetingID=pos-1", "name=Pos"
		sum := bbb.Checksum("sha256", "create", q1+"&"+q2, secret)
		for i, raw := range []string{"checksum=" + sum + "&" + q1 + "&" + q2, q1 + "&checksum=" + sum + "&" + q2, q1 + "&" + q2 + "&checksum=" + sum} {
			_, n := c.getURL(c.base + "create?" + raw)
			if i == 0 {
				wantOK(t, raw, n, "")
			} else {
				wantOK(t, raw, n, "duplicateWarning")
			}
		}
	})
	t.Run("refused", func(t *testing.T) {
		q := "meetingID=refused&name=R"
		good := bbb.Checksum("sha1", "create", q, secret)
		for what, raw := range map[string]string{
			"wrong":      q + "&checksum=" + bbb.Checksum("sha1", "create", q, "another-secret"),
			"other call": q + "&checksum=" + bbb.Checksum("sha1", "join", q, secret),
			"missing":    q,
			"empty":      q + "&checksum=",
			"duplicated": q + "&checksum=" + good + "&checksum=" + good,
			"bad length": q + "&checksum=" + good[:39],
			"not hex":    q + "&checksum=" + strings.Repeat("z", 40),
			"param left": q + "&x=1&checksum=" + good,
		} {
			_, n := c.getURL(c.base + "create?" + raw)
			wantFail(t, what, n, "checksumError")
		}
		if running("refused") {
			t.Error("a refused create made the meeting")
		}
	})
	t.Run("version without checksum", func(t *testing.T) {
		for _, p := range []string{"/bigbluebutton/api", "/bigbluebutton/api/", "/bigbluebutton/api/?&checksum=x", "/" + srv.Keys.APIKey + "/bigbluebutton/api/"} {
			res, n := c.getURL(srv.URL + p)
			if n == nil || n.Get("version") != "2.0" || n.Get("apiVersion") != "2.0" || res.Header.Get("Cache-Control") != "no-cache" {
				t.Errorf("%s: %v", p, n)
			}
		}
		res, _ := c.getURL(c.base + "noSuchCall?checksum=x")
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("unknown call: HTTP %d, want 404", res.StatusCode)
		}
	})
	t.Run("under the API key", func(t *testing.T) {
		k := newClient(t, srv, "sha256")
		k.base = srv.URL + "/" + srv.Keys.APIKey + "/bigbluebutton/api/"
		wantOK(t, "create under the key", k.call("create", "meetingID=keyed&name=K"), "")
		k.base = srv.URL + "/other-key/bigbluebutton/api/"
		if res, _ := k.getURL(k.signed("getMeetings", "")); res.StatusCode == 200 && strings.HasPrefix(res.Header.Get("Content-Type"), "text/xml") {
			t.Error("another key's path answers the BBB API")
		}
	})
}

// TestChecksumConfigured: bbb.secrets (any of them; the API secret no more) and
// bbb.checksum_algorithms.
func TestChecksumConfigured(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{BBB: bbb.Config{Secrets: []string{"first-secret-123", "second-secret-456"}, Algorithms: []string{"sha256", "sha512"}}})
	c := newClient(t, srv, "sha256")
	for _, secret := range []string{"first-secret-123", "second-secret-456"} {
		c.secret = secret
		wantOK(t, secret, c.call("getMeetings", ""), "noMeetings")
	}
	c.secret = srv.Keys.APISecret
	wantFail(t, "API secret", c.call("getMeetings", ""), "checksumError")
	c.secret, c.algo = "first-secret-123", "sha1"
	wantFail(t, "sha1 not allowed", c.call("getMeetings", ""), "checksumError")
	c.algo = "sha384"
	wantFail(t, "sha384 not allowed", c.call("getMeetings", ""), "checksumError")
	c.algo = "sha512"
	wantOK(t, "sha512", c.call("getMeetings", ""), "noMeetings")
}

// TestFormPost: create, getMeetingInfo and end by POST with a form body: the checksum over the
// query string (empty when every parameter is in the body, BBB 2.6+), or, as older bbb-web,
// over the body; a parameter both in the query and the body is refused.
func TestFormPost(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{})
	c := newClient(t, srv, "sha256")
	form := func(call, query, body string) *node {
		req, _ := http.NewRequest(http.MethodPost, c.base+call+"?"+query, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, n := c.read(res)
		return n
	}
	body := plusQuery("meetingID", "form-room", "name", "Form room")
	// BBB 2.6+: checksum of the empty query string, in the query
	wantOK(t, "create, checksum over the empty query", form("create", "checksum="+bbb.Checksum("sha256", "create", "", c.secret), body), "")
	// older bbb-web: checksum over the body, in the body
	info := plusQuery("meetingID", "form-room")
	n := form("getMeetingInfo", "", info+"&checksum="+bbb.Checksum("sha256", "getMeetingInfo", info, c.secret))
	wantOK(t, "getMeetingInfo, checksum in the body", n, "")
	if n.Get("meetingName") != "Form room" {
		t.Errorf("name %q", n.Get("meetingName"))
	}
	// a parameter in both
	q := "meetingID=form-room"
	wantFail(t, "meetingID twice", form("end", q+"&checksum="+bbb.Checksum("sha256", "end", q, c.secret), "meetingID=other-room"), "checksumError")
	wantFail(t, "wrong body checksum", form("end", "", info+"&checksum="+bbb.Checksum("sha256", "end", info, "wrong-secret")), "checksumError")
	wantOK(t, "end", form("end", "", info+"&checksum="+bbb.Checksum("sha256", "end", info, c.secret)), "sentEndMeetingRequest")
}
