package bbb_test

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"meetd/internal/meettest"
)

// hookCall is one hook call as a receiver checks it.
type hookCall struct {
	id       string // the BBB event id
	meeting  string // external-meeting-id
	user     string // external-user-id, if any
	attrs    map[string]any
	checksum bool // sha1(callbackURL + body + secret) matched
}

// hookCalls parses the calls a receiver got (2xx only), checking each one's checksum against
// the hook's callback URL.
func hookCalls(t testing.TB, rc *receiver, callbackURL, secret string) []hookCall {
	t.Helper()
	var out []hookCall
	for _, r := range rc.requests(true) {
		if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			t.Fatalf("hook call %s %s %s", r.Method, r.URL, r.Header.Get("Content-Type"))
		}
		u, _ := url.Parse(r.URL)
		sum := sha1.Sum([]byte(callbackURL + r.Body + secret))
		form, err := url.ParseQuery(r.Body)
		if err != nil || form.Get("domain") == "" || form.Get("timestamp") == "" {
			t.Fatalf("hook body %q: %v", r.Body, err)
		}
		if keys := strings.Split(r.Body, "&"); len(keys) != 3 || !strings.HasPrefix(keys[0], "domain=") || !strings.HasPrefix(keys[1], "event=") ||
			!strings.HasPrefix(keys[2], "timestamp=") {
			t.Errorf("hook body's keys: %q", r.Body)
		}
		var events []struct {
			Data struct {
				Type       string         `json:"type"`
				ID         string         `json:"id"`
				Attributes map[string]any `json:"attributes"`
				Event      struct {
					TS int64 `json:"ts"`
				} `json:"event"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(form.Get("event")), &events); err != nil || len(events) != 1 || events[0].Data.Type != "event" || events[0].Data.Event.TS == 0 {
			t.Fatalf("hook event %q: %v", form.Get("event"), err)
		}
		d := events[0].Data
		c := hookCall{id: d.ID, attrs: d.Attributes, checksum: u.Query().Get("checksum") == hex.EncodeToString(sum[:])}
		if m, _ := d.Attributes["meeting"].(map[string]any); m != nil {
			c.meeting, _ = m["external-meeting-id"].(string)
		}
		if u, _ := d.Attributes["user"].(map[string]any); u != nil {
			c.user, _ = u["external-user-id"].(string)
		}
		out = append(out, c)
	}
	return out
}

// ids are the event ids of the calls of one meeting, without those not in keep (if given).
func ids(calls []hookCall, meeting string, keep ...string) []string {
	var out []string
	for _, c := range calls {
		if c.meeting == meeting && (len(keep) == 0 || slices.Contains(keep, c.id)) {
			out = append(out, c.id)
		}
	}
	return out
}

// TestHooksAPI: hooks/create, duplicate, list (all, per meeting), destroy, and their errors, as
// bbb-webhooks answers them; errors change nothing (doc/bbb.md, "Hooks").
func TestHooksAPI(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{})
	c := newClient(t, srv, "sha1")
	wantFail(t, "create without callbackURL", c.call("hooks/create", ""), "missingParamCallbackURL")
	wantFail(t, "create with a bad URL", c.call("hooks/create", pctQuery("callbackURL", "not a url")), "createHookError")
	wantFail(t, "destroy without hookID", c.call("hooks/destroy", ""), "missingParamHookID")
	wantFail(t, "destroy unknown", c.call("hooks/destroy", pctQuery("hookID", "999")), "destroyMissingHook")
	wantFail(t, "destroy not a number", c.call("hooks/destroy", pctQuery("hookID", "x")), "destroyMissingHook")
	if n := c.call("hooks/list", ""); n.Get("returncode") != "SUCCESS" || n.Find("hooks") == nil || len(n.Find("hooks").Kids) != 0 {
		t.Fatalf("list after the errors: %+v", n)
	}

	n := c.call("hooks/create", pctQuery("callbackURL", "https://hooks.example.org/bbb?token=a b"))
	wantOK(t, "create", n, "")
	id := n.Get("hookID")
	if id == "" || n.Get("permanentHook") != "false" || n.Get("rawData") != "false" {
		t.Fatalf("create: %+v", n)
	}
	n = c.call("hooks/create", pctQuery("callbackURL", "https://hooks.example.org/bbb?token=a b", "meetingID", "other"))
	wantOK(t, "create again", n, "duplicateWarning")
	if n.Get("hookID") != id || n.Get("message") == "" {
		t.Errorf("duplicate: %+v", n)
	}
	n = c.call("hooks/create", pctQuery("callbackURL", "https://hooks.example.org/one", "meetingID", "room[1]", "eventID", "User-Joined,meeting-ended", "getRaw", "false"))
	wantOK(t, "create for a meeting", n, "")
	id2 := n.Get("hookID")

	list := func(query string) []node {
		t.Helper()
		n := c.call("hooks/list", query)
		wantOK(t, "list", n, "")
		return n.All("hooks", "hook")
	}
	all := list("")
	if len(all) != 2 || all[0].Get("hookID") != id || all[0].Get("callbackURL") != "https://hooks.example.org/bbb?token=a b" || all[0].Find("meetingID") != nil ||
		all[0].Find("eventID") != nil || all[1].Get("meetingID") != "room[1]" || all[1].Get("eventID") != "user-joined,meeting-ended" ||
		all[1].Get("permanentHook") != "false" || all[1].Get("rawData") != "false" {
		t.Fatalf("list: %+v", all)
	}
	if l := list(pctQuery("meetingID", "room[1]")); len(l) != 2 {
		t.Errorf("list of room[1]: %+v", l)
	}
	if l := list(pctQuery("meetingID", "another")); len(l) != 1 || l[0].Get("hookID") != id {
		t.Errorf("list of another meeting: %+v", l)
	}
	n = c.call("hooks/destroy", pctQuery("hookID", id2))
	wantOK(t, "destroy", n, "")
	if n.Get("removed") != "true" {
		t.Errorf("destroy: %+v", n)
	}
	wantFail(t, "destroy again", c.call("hooks/destroy", pctQuery("hookID", id2)), "destroyMissingHook")
	if l := list(""); len(l) != 1 || l[0].Get("hookID") != id {
		t.Errorf("after destroy: %+v", l)
	}
	// another algorithm's checksum works for hooks too
	wantOK(t, "list with sha256", newClient(t, srv, "sha256").call("hooks/list", ""), "")
}

// TestHooksDelivery: a hook gets the meetings' events made after it, as bbb-webhooks posts them
// (checksum sha1(url+body+secret), form body domain/event/timestamp): meeting-created …
// user-joined … meeting-ended in order, though its receiver answered 500 once; a hook with a
// meetingID and eventID gets only those.
func TestHooksDelivery(t *testing.T) {
	srv := meettest.Start(t, meettest.Options{})
	c := newClient(t, srv, "sha1")
	// a meeting made before the hooks: its creation is not sent
	const early = "early-meeting"
	wantOK(t, "create early", c.call("create", plusQuery("meetingID", early, "name", "Early")), "")

	rc, only := newReceiver(t), newReceiver(t)
	var failed atomic.Bool
	rc.setAnswer(func(r received) int {
		if strings.Contains(r.Body, "user-joined") && !failed.Swap(true) {
			return 500 // once
		}
		return 200
	})
	only.setAnswer(func(r received) int {
		if strings.Contains(r.Body, "user-joined") {
			return 401
		}
		return 200
	})
	hookURL := rc.URL + "/bbb/hook"
	wantOK(t, "hook", c.call("hooks/create", plusQuery("callbackURL", hookURL)), "")
	const meetingID = "hooked meeting [7]"
	onlyURL := only.URL + "/only?x=1"
	wantOK(t, "hook 2", c.call("hooks/create", plusQuery("callbackURL", onlyURL, "meetingID", meetingID, "eventID", "user-joined,meeting-ended")), "")

	n := c.call("create", plusQuery("meetingID", meetingID, "name", "Hooked", "moderatorPW", "mp", "attendeePW", "ap", "meta_bbb-origin", "test"))
	wantOK(t, "create", n, "")
	internal := n.Get("internalMeetingID")
	res, _ := c.getURL(c.signed("join", plusQuery("meetingID", meetingID, "fullName", "Grace Hopper", "role", "MODERATOR", "userID", "u-42")))
	j := follow(t, srv, res.Header.Get("Location"))
	// a poll of the moderator, made with the plugNmeet API on the same room
	if code, body := srv.Signed(t, "/auth/polls/create", map[string]any{"room_id": j["room_id"], "user_id": j["user_id"],
		"question": "Tea or coffee?", "options": []string{"Tea", "Coffee"}}); code != 200 || !strings.Contains(string(body), `"status":true`) {
		t.Fatalf("polls/create: %d %s", code, body)
	}
	srv.Media.Leave(t, j["room_id"].(string), j["user_id"].(string))
	wantOK(t, "end", c.call("end", plusQuery("meetingID", meetingID)), "sentEndMeetingRequest")
	wantOK(t, "end early", c.call("end", plusQuery("meetingID", early)), "sentEndMeetingRequest")

	meettest.Eventually(t, 20*time.Second, "meeting-ended of both meetings", func() bool {
		calls := hookCalls(t, rc, hookURL, c.secret)
		return len(ids(calls, meetingID, "meeting-ended")) == 1 && len(ids(calls, early, "meeting-ended")) == 1
	})
	calls := hookCalls(t, rc, hookURL, c.secret)
	for _, call := range calls {
		if !call.checksum {
			t.Errorf("%s: the checksum does not verify", call.id)
		}
	}
	if got := ids(calls, meetingID); !slices.Equal(got, []string{"meeting-created", "user-joined", "poll-started", "user-left", "meeting-ended"}) {
		t.Errorf("events of the meeting: %v", got)
	}
	if got := ids(calls, early); !slices.Equal(got, []string{"meeting-ended"}) {
		t.Errorf("events of the meeting made before the hook: %v", got)
	}
	if !failed.Load() || len(rc.requests(false)) != len(calls)+1 {
		t.Errorf("the receiver's 500: %v, %d requests for %d calls", failed.Load(), len(rc.requests(false)), len(calls))
	}
	for _, call := range calls {
		switch call.id {
		case "meeting-created":
			m := call.attrs["meeting"].(map[string]any)
			if m["internal-meeting-id"] != internal || m["name"] != "Hooked" || m["moderator-pass"] != "mp" ||
				m["metadata"].(map[string]any)["bbb-origin"] != "test" {
				t.Errorf("meeting-created: %v", m)
			}
		case "user-joined":
			u := call.attrs["user"].(map[string]any)
			if call.user != "u-42" || u["name"] != "Grace Hopper" || u["role"] != "MODERATOR" {
				t.Errorf("user-joined: %v", u)
			}
		case "poll-started": // bbb-webhooks' shape: poll {id, question, answers [{id, key}]}, the user who asked
			p, _ := call.attrs["poll"].(map[string]any)
			answers, _ := p["answers"].([]any)
			if call.user != "u-42" || p["question"] != "Tea or coffee?" || len(answers) != 2 ||
				answers[1].(map[string]any)["key"] != "Coffee" || p["id"] == "" {
				t.Errorf("poll-started: %v (user %q)", call.attrs, call.user)
			}
		}
	}
	// the hook of one meeting and two events; its 401 counts as delivered (bbb-webhooks' rule):
	// user-joined is not sent again, meeting-ended follows
	meettest.Eventually(t, 20*time.Second, "the filtered hook", func() bool { return len(only.requests(true)) >= 1 })
	all := only.requests(false)
	if len(all) != 2 || all[0].Status != 401 || !strings.Contains(all[0].Body, "user-joined") || !strings.Contains(all[1].Body, "meeting-ended") {
		t.Errorf("filtered hook: %+v", all)
	}
	if _, b := srv.Signed(t, "webhook/deliveries", `{"status":"failed"}`); !strings.Contains(string(b), `"total":0`) {
		t.Errorf("a hook call answered 401 is not delivered: %s", b)
	}
	if got := hookCalls(t, only, onlyURL, c.secret); len(got) != 1 || !got[0].checksum || got[0].meeting != meetingID ||
		!strings.Contains(only.requests(true)[0].URL, "/only?x=1&checksum=") {
		t.Errorf("filtered hook's calls: %+v", got)
	}
}

// TestHooksAcrossRestart: a hook's call that its receiver refused is still delivered after meetd
// restarts, and the events after the restart follow it in order.
func TestHooksAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	srv := meettest.Start(t, meettest.Options{Dir: dir})
	c := newClient(t, srv, "sha1")
	rc := newReceiver(t)
	var refusals atomic.Int32
	rc.setAnswer(func(r received) int {
		if strings.Contains(r.Body, "user-joined") {
			refusals.Add(1)
			return 500
		}
		return 200
	})
	hookURL := rc.URL + "/hook"
	wantOK(t, "hook", c.call("hooks/create", plusQuery("callbackURL", hookURL)), "")
	const meetingID = "restarted-meeting"
	wantOK(t, "create", c.call("create", plusQuery("meetingID", meetingID, "name", "R")), "")
	res, _ := c.getURL(c.signed("join", plusQuery("meetingID", meetingID, "fullName", "Alan", "role", "MODERATOR", "userID", "alan")))
	follow(t, srv, res.Header.Get("Location"))
	meettest.Eventually(t, 20*time.Second, "user-joined refused", func() bool { return refusals.Load() >= 1 })
	srv.Stop()

	rc.setAnswer(nil)
	srv2 := meettest.Start(t, meettest.Options{Dir: dir})
	c2 := newClient(t, srv2, "sha1")
	wantOK(t, "end after the restart", c2.call("end", plusQuery("meetingID", meetingID)), "sentEndMeetingRequest")
	meettest.Eventually(t, 20*time.Second, "meeting-ended", func() bool {
		return len(ids(hookCalls(t, rc, hookURL, c.secret), meetingID, "meeting-ended")) == 1
	})
	got := ids(hookCalls(t, rc, hookURL, c.secret), meetingID, "meeting-created", "user-joined", "meeting-ended")
	if !slices.Equal(got, []string{"meeting-created", "user-joined", "meeting-ended"}) {
		t.Errorf("across the restart: %v", got)
	}
}
