package meetd_test

// Tests that keep the architecture as doc/architecture.md describes it: which package may import
// LiveKit, what the product binary links, and that every package says what it is for. They read
// the packages with `go list`, as Tailscale's tstest/deptest does.

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// pkg is what these tests read of `go list -json`.
type pkg struct {
	ImportPath string
	Doc        string
	GoFiles    []string
	Imports    []string // of the non-test files: tests may use LiveKit (its webhook verifier, its SDK)
	Deps       []string
}

func goList(t *testing.T, args ...string) []pkg {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-json"}, args...)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v", args, err)
	}
	var list []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		list = append(list, p)
	}
	return list
}

// mediaOnly is the one package that may import LiveKit (doc/architecture.md).
const mediaOnly = "meetd/internal/media"

// liveKitAllowed are the other packages that import LiveKit, on purpose.
var liveKitAllowed = map[string]string{
	// Test bots: real WebRTC participants built with LiveKit's Go SDK, for the end-to-end tests
	// and the load tool. They stand where a browser would, so they speak LiveKit's client protocol.
	"meetd/internal/testbot": "test bots",
	// The load tool: it drives many test bots and reads LiveKit's room API; a separate binary, so
	// that the product does not link the bots.
	"meetd/cmd/meetbench": "load tool",
	// The SDK-2 test client: it checks the participants and tracks of answers and webhooks with
	// LiveKit's own generated message types, as a strict protobuf client would.
	"meetd/internal/sdk2client": "SDK-2 test client",
}

// benchMoved reports whether the load tool has left cmd/meetd for cmd/meetbench.
func benchMoved() bool {
	_, err := os.Stat("cmd/meetbench")
	return err == nil
}

// Only internal/media imports LiveKit (besides the allowed packages above); pion, a library of
// WebRTC pieces, is not LiveKit and the recorder uses it.
func TestOnlyMediaImportsLiveKit(t *testing.T) {
	allowed := liveKitAllowed
	if !benchMoved() {
		// TODO: remove once cmd/meetd/bench.go has moved to cmd/meetbench (this condition then
		// never holds).
		t.Log("cmd/meetbench does not exist yet: cmd/meetd (bench.go) is allowed to import LiveKit for now")
		allowed = map[string]string{"meetd/cmd/meetd": "bench.go, until it moves to cmd/meetbench"}
		for k, v := range liveKitAllowed {
			allowed[k] = v
		}
	}
	for _, p := range goList(t, "./...") {
		if p.ImportPath == mediaOnly || allowed[p.ImportPath] != "" {
			continue
		}
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, "github.com/livekit/") {
				t.Errorf("%s imports %s: only %s may import LiveKit (doc/architecture.md)", p.ImportPath, imp, mediaOnly)
			}
		}
	}
}

// The product binary does not link the test bots and test clients.
func TestMeetdDoesNotLinkTestBots(t *testing.T) {
	if !benchMoved() {
		t.Skip("TODO: cmd/meetbench does not exist yet; cmd/meetd links internal/testbot through bench.go until it moves")
	}
	for _, d := range goList(t, "-deps", "./cmd/meetd") {
		switch d.ImportPath {
		case "meetd/internal/testbot", "meetd/internal/sdk2client", "meetd/internal/meettest":
			t.Errorf("./cmd/meetd links %s: it belongs to the tests (and cmd/meetbench)", d.ImportPath)
		}
	}
}

// Every package has a package doc comment.
func TestPackageDocs(t *testing.T) {
	for _, p := range goList(t, "./...") {
		if len(p.GoFiles) == 0 {
			continue // tests only, like this root package
		}
		if strings.TrimSpace(p.Doc) == "" {
			t.Errorf("%s has no package doc comment", p.ImportPath)
		}
	}
}
