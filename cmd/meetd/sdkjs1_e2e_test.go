package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// The published plugNmeet JS SDK 1.4.1 from npm runs its whole flow against meetd, unchanged
// (compat/sdk-js-1/flow.mjs; .ci/run installs the package). It reads the documented dialect.
func TestSDKJS1Flow(t *testing.T) {
	dir, err := filepath.Abs("../../compat/sdk-js-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("needs Node.js (Debian package nodejs)")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "plugnmeet-sdk-js")); err != nil {
		t.Skip("needs the SDK: cd compat/sdk-js-1 && npm ci --ignore-scripts (.ci/run does it)")
	}
	env := testEnv(t, nil)
	m := startMeetd(t, env)
	cmd := exec.Command("node", "flow.mjs")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "MEETD_URL="+m.base, "MEETD_API_KEY="+env["MEETD_API_KEY"], "MEETD_API_SECRET="+env["MEETD_API_SECRET"])
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("the SDK's flow failed: %v", err)
	}
}
