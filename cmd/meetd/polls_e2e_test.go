package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserPolls: a moderator and two guests in headless Chromium (doc/web.md, "Polls"). The
// moderator starts a poll from the page; all three vote, one guest changes her vote (the second
// replaces the first) and reloads her page (it shows her vote again); the moderator's page counts
// live; closing publishes the results to every page; the results are in the API and in the
// session's MEETING_ANALYTICS artifact.
//
// With MEETD_SCREENSHOTS=<folder>: poll-vote.png (a guest who voted, the poll open) and
// poll-results.png (a guest's page after the close).
func TestBrowserPolls(t *testing.T) {
	path := chromiumPath()
	if path == "" {
		t.Skip("the browser end-to-end test needs Chromium: apt-get install chromium (CI's .ci/run installs it)")
	}
	m := startIsolated(t, testEnv(t, nil))
	b := startBrowser(t, path)
	info := m.create("b-polls", map[string]any{"metadata": map[string]any{"room_title": "Poll meeting",
		"room_features": map[string]any{"polls_features": map[string]any{"is_allow": true}}}})

	host := b.open(t, "host", m.pageURL(m.joinToken("b-polls", "host", "Hanna Host", true)))
	ann := b.open(t, "ann", m.pageURL(m.joinToken("b-polls", "ann", "Ann Able", false)))
	bob := b.open(t, "bob", m.pageURL(m.joinToken("b-polls", "bob", "Bob Baker", false)))
	for _, p := range []*page{host, ann, bob} {
		p.join()
		p.waitTrue(10*time.Second, "the polls button", `!document.getElementById('polls-button').hidden`)
	}
	if !evalJS[bool](ann, `document.getElementById('poll-form').hidden`) {
		t.Error("a guest is offered to create polls")
	}

	// the moderator starts a poll from the page
	host.do(chromedp.Click(chromedp.ID("polls-button")))
	host.waitTrue(5*time.Second, "the poll form", `!document.getElementById('polls-panel').hidden && !document.getElementById('poll-form').hidden`)
	host.do(chromedp.SendKeys(chromedp.ID("poll-question"), "Which day suits you?"))
	evalJS[bool](host, `(document.getElementById('poll-options').value = "Monday\nTuesday\nWednesday", true)`)
	host.do(chromedp.Click(chromedp.ID("poll-create")))
	open := `.poll[data-state="open"]`
	for _, p := range []*page{host, ann, bob} {
		p.waitTrue(15*time.Second, "the open poll", `!document.getElementById('polls-panel').hidden && !!document.querySelector(`+jsString(open)+`)`)
	}

	vote := func(p *page, option int) {
		t.Helper()
		p.click(fmt.Sprintf(`%s button.poll-option[data-option="%d"]`, open, option))
		p.waitTrue(10*time.Second, fmt.Sprintf("option %d chosen", option),
			fmt.Sprintf(`!!document.querySelector('%s button.poll-option.chosen[data-option="%d"]') && document.querySelectorAll('.poll button.poll-option.chosen').length === 1`, open, option))
	}
	vote(ann, 1)
	host.waitTrue(15*time.Second, "the moderator counts ann's first vote", `document.querySelector('.poll .poll-total')?.dataset.total === '1'`)
	vote(ann, 2) // replaces her first vote
	vote(bob, 2)
	vote(host, 3)
	counts := func(p *page) string {
		return evalJS[string](p, `Array.from(document.querySelectorAll('.poll .poll-count')).map(c => c.textContent.split(' ')[0]).join(' ') + ' /' + (document.querySelector('.poll .poll-total')?.dataset.total ?? '')`)
	}
	host.waitTrue(15*time.Second, "live counts 0 2 1 of 3 at the moderator", `Array.from(document.querySelectorAll('.poll .poll-count')).map(c => c.textContent.split(' ')[0]).join(' ') === '0 2 1' && document.querySelector('.poll .poll-total').dataset.total === '3'`)
	if n := evalJS[int](ann, `document.querySelectorAll('.poll .poll-count').length`); n != 0 {
		t.Errorf("a guest sees %d counts of an open poll", n)
	}
	ann.screenshot("poll-vote.png")
	if !evalJS[bool](host, `document.querySelector('.poll-voters')?.textContent.includes('Ann Able: Tuesday')`) {
		t.Errorf("the moderator does not see who voted what: %q", evalJS[string](host, `document.querySelector('.poll-voters')?.textContent ?? ''`))
	}

	// a reloaded page shows the open poll and its own vote
	ann.do(chromedp.Reload())
	ann.join()
	ann.do(chromedp.Click(chromedp.ID("polls-button")))
	ann.waitTrue(15*time.Second, "ann's vote after a reload", `!!document.querySelector('`+open+` button.poll-option.chosen[data-option="2"]')`)

	// the API counts the same while the poll is open
	var list struct {
		envelope
		Polls []apiPoll `json:"polls"`
	}
	m.post("/auth/polls/list", map[string]any{"room_id": "b-polls"}, &list)
	if !list.Status || len(list.Polls) != 1 || list.Polls[0].counts() != "0 2 1 /3" || !list.Polls[0].IsRunning {
		t.Fatalf("polls/list: %+v", list)
	}
	pollID := list.Polls[0].ID

	// closing publishes the results to every page
	host.click(`.poll button.poll-close`)
	for _, p := range []*page{host, ann, bob} {
		p.waitTrue(15*time.Second, "the closed poll with its results",
			`!!document.querySelector('.poll[data-state="closed"]') && document.querySelector('.poll .poll-total')?.dataset.total === '3'`)
		if got := counts(p); got != "0 2 1 /3" {
			t.Errorf("%s: counts at close %q", p.name, got)
		}
	}
	if n := evalJS[int](bob, `document.querySelectorAll('.poll-voters').length`); n != 0 {
		t.Error("a guest sees who voted what")
	}
	bob.screenshot("poll-results.png")
	var res struct {
		envelope
		Poll apiPoll `json:"poll"`
	}
	m.post("/auth/polls/results", map[string]any{"room_id": "b-polls", "poll_id": pollID}, &res)
	if !res.Status || res.Poll.counts() != "0 2 1 /3" || res.Poll.IsRunning || len(res.Poll.Voters) != 3 {
		t.Errorf("polls/results: %+v", res)
	}

	// the session's analytics artifact holds the poll and each counted vote
	m.post("/auth/room/endRoom", map[string]any{"room_id": "b-polls"}, nil)
	m.waitEnded("b-polls", 20*time.Second)
	checkPollArtifact(t, m, info.SID, pollID)
}

type apiPoll struct {
	ID        string `json:"id"`
	IsRunning bool   `json:"is_running"`
	Options   []struct {
		ID        int `json:"id"`
		VoteCount int `json:"vote_count"`
	} `json:"options"`
	TotalResponses int `json:"total_responses"`
	Voters         []struct {
		UserID         string `json:"user_id"`
		SelectedOption int    `json:"selected_option"`
	} `json:"voters"`
}

func (p apiPoll) counts() string {
	var b strings.Builder
	for _, o := range p.Options {
		fmt.Fprintf(&b, "%d ", o.VoteCount)
	}
	return fmt.Sprintf("%s/%d", b.String(), p.TotalResponses)
}

// checkPollArtifact reads the session's MEETING_ANALYTICS artifact: poll_added with the counts,
// poll_ended, and one voted_poll per voter with the vote that counted.
func checkPollArtifact(t *testing.T, m *meetd, sid, pollID string) {
	t.Helper()
	var list struct {
		envelope
		Result struct {
			ArtifactsList []struct {
				ArtifactID string `json:"artifact_id"`
			} `json:"artifacts_list"`
		} `json:"result"`
	}
	eventually(t, 30*time.Second, "the MEETING_ANALYTICS artifact", func() bool {
		m.post("/auth/artifact/fetch", map[string]any{"room_sid": sid, "type": "MEETING_ANALYTICS"}, &list)
		return list.Status && len(list.Result.ArtifactsList) == 1
	})
	var tok struct {
		envelope
		Token string `json:"token"`
	}
	m.post("/auth/artifact/getDownloadToken", map[string]any{"artifact_id": list.Result.ArtifactsList[0].ArtifactID}, &tok)
	r, err := http.Get(m.base + "/download/artifact/" + tok.Token)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	r.Body.Close()
	type event struct {
		Name   string `json:"name"`
		Total  int    `json:"total"`
		Values []struct {
			Value string `json:"value"`
		} `json:"values"`
	}
	var result struct {
		Room struct {
			Events []event `json:"events"`
		} `json:"room"`
		Users []struct {
			UserID string  `json:"user_id"`
			Events []event `json:"events"`
		} `json:"users"`
	}
	if err := json.Unmarshal(body, &result); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	room := map[string]event{}
	for _, e := range result.Room.Events {
		room[e.Name] = e
	}
	var added struct {
		PollID         string `json:"poll_id"`
		TotalResponses int    `json:"total_responses"`
		Options        []struct {
			ID        int    `json:"id"`
			Text      string `json:"text"`
			VoteCount int    `json:"vote_count"`
		} `json:"options"`
	}
	if e := room["poll_added"]; e.Total != 1 || json.Unmarshal([]byte(e.Values[0].Value), &added) != nil ||
		added.PollID != pollID || added.TotalResponses != 3 || len(added.Options) != 3 || added.Options[1].Text != "Tuesday" || added.Options[1].VoteCount != 2 {
		t.Errorf("poll_added %+v\n%s", room["poll_added"], body)
	}
	if e := room["poll_ended"]; e.Total != 1 || e.Values[0].Value != pollID {
		t.Errorf("poll_ended %+v", e)
	}
	want := map[string]string{"host": `{"poll_id":"` + pollID + `","selected_option":3}`, "ann": `{"poll_id":"` + pollID + `","selected_option":2}`,
		"bob": `{"poll_id":"` + pollID + `","selected_option":2}`}
	for _, u := range result.Users {
		for _, e := range u.Events {
			if e.Name != "voted_poll" {
				continue
			}
			if e.Total != 1 || e.Values[0].Value != want[u.UserID] {
				t.Errorf("%s voted_poll %+v, want %s", u.UserID, e, want[u.UserID])
			}
			delete(want, u.UserID)
		}
	}
	if len(want) > 0 {
		t.Errorf("no voted_poll for %v\n%s", want, body)
	}
}
