package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The published bigbluebutton-js 0.2.0 from npm drives meetd's BBB API (doc/bbb.md) unchanged:
// version, hooks, create, join, getMeetingInfo, isMeetingRunning, end (compat/bbb-js/flow.mjs), then
// the package's own mocha suite (its test/index.js with the mocha and dotenv it was written for: a
// hook on https://mysite.com, created, listed and destroyed before any event, so never called; a
// meeting "42" with duration 1). .ci/run installs the packages when npm is there. Without Node.js
// it skips; with Node.js and without the packages it skips outside CI and fails in CI.
func TestBBBJS(t *testing.T) {
	dir, err := filepath.Abs("../../compat/bbb-js")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("needs Node.js (Debian package nodejs)") // as scripts/test.sh skips the page's unit tests
	}
	for _, p := range []string{"bigbluebutton-js", "mocha", "dotenv"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", p)); err != nil {
			why := "needs " + p + ": cd compat/bbb-js && npm ci --ignore-scripts (.ci/run does it)"
			if os.Getenv("CI") != "" {
				t.Fatal(why)
			}
			t.Skip(why)
		}
	}
	env := testEnv(t, nil) // testEnv allows the flow's loopback hook receiver
	m := startMeetd(t, env)
	node := func(t *testing.T, extra []string, args ...string) {
		cmd := exec.Command("node", args...)
		cmd.Dir = dir // no .env here: dotenv leaves the environment as given
		cmd.Env = append(append(os.Environ(), extra...), "NO_COLOR=1")
		out, err := cmd.CombinedOutput()
		t.Logf("%s", out)
		if err != nil {
			t.Fatalf("node %v failed: %v", args, err)
		}
	}
	t.Run("flow", func(t *testing.T) {
		node(t, []string{"MEETD_URL=" + m.base, "MEETD_API_SECRET=" + env["MEETD_API_SECRET"]}, "flow.mjs")
	})
	t.Run("mocha", func(t *testing.T) {
		node(t, []string{"BBB_URL=" + m.base + "/bigbluebutton/", "BBB_SECRET=" + env["MEETD_API_SECRET"]},
			"node_modules/mocha/bin/mocha", "--no-colors", "node_modules/bigbluebutton-js/test/index.js")
	})
}
