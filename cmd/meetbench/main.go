// Command meetbench measures a meetd: API throughput and latency, getActiveRoomInfo next to
// LiveKit's own ListParticipants, join time and audio load with real WebRTC bots. It starts its own
// meetd as a child process (the -meetd binary, or one it builds with `go build ./cmd/meetd`) or
// measures one at -url, and prints a table (or JSON). scripts/bench.sh writes its table to
// doc/performance.md; doc/performance-notes.md explains the figures.
//
// It is a command of its own so that the meetd binary does not link the test bots
// (internal/testbot) or LiveKit's server SDK.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "meetbench:", err)
		os.Exit(1)
	}
}

// buildMeetd builds ./cmd/meetd of the module around the working directory into out.
func buildMeetd(ctx context.Context, out string) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return errors.New("no -meetd binary given, and no `go` command on the PATH to build one: install Go or give -meetd PATH")
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	root, err := moduleRoot(wd)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", out, "./cmd/meetd")
	cmd.Dir = root
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/meetd in %s: %w\n%s", root, err, logs.String())
	}
	return nil
}

// moduleRoot returns dir or the nearest directory above it whose go.mod declares the module meetd.
func moduleRoot(dir string) (string, error) {
	for d := dir; ; {
		if f, err := os.Open(filepath.Join(d, "go.mod")); err == nil {
			module := ""
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
					module = strings.Trim(strings.TrimSpace(rest), `"`)
					break
				}
			}
			f.Close()
			if module == "meetd" {
				return d, nil
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod of the module meetd in %s or above it: run meetbench inside the meetd repository, or give -meetd PATH", dir)
		}
		d = parent
	}
}
