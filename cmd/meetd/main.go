// Command meetd runs a complete video meeting server: the management API, the meeting page, an
// embedded LiveKit node for media and a SQLite store, all in one process (or several sharing a
// PostgreSQL store).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"meetd/internal/config"
	"meetd/internal/server"
)

// main runs meetd until SIGTERM or SIGINT: the first drains it (see server.Options.Drain), a
// second stops it at once.
func main() {
	ctx, drain, stop := onSignals()
	defer stop()
	if err := runDraining(ctx, drain, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "meetd:", err)
		os.Exit(1)
	}
}

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// run is meetd: it returns when ctx ends (after a clean shutdown) or on a start-up error.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return runDraining(ctx, nil, args, getenv, stdout, stderr)
}

// runDraining is run that also drains when drain is closed (see server.Options.Drain).
func runDraining(ctx context.Context, drain <-chan struct{}, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "serve":
			args = args[1:]
		case "version":
			fmt.Fprintln(stdout, versionLine())
			return nil
		}
	}
	cfg, err := config.Load(args, getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil // -h: the usage is written
	}
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if cfg.DebugAddr != "" {
		if err := serveDebug(ctx, cfg.DebugAddr, stderr); err != nil {
			return err
		}
	}
	return server.Run(ctx, cfg, server.Options{Version: version, Stdout: stdout, Stderr: stderr, Drain: drain})
}

// versionLine is what meetd version prints: the version, and the revision it was built from
// (with "+modified" when the tree had changes), from the build information.
func versionLine() string {
	line := "meetd " + version
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return line
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+modified"
			}
		}
	}
	if rev != "" {
		line += " (" + rev + modified + ")"
	}
	return line + " " + info.GoVersion
}

// onSignals turns SIGTERM and SIGINT into meetd's shutdown: the first closes drain (meetd stops
// taking new rooms and joins and lets running meetings finish), the second cancels ctx (meetd
// stops at once). stop releases the signals.
func onSignals() (ctx context.Context, drain <-chan struct{}, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	first := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			close(first)
		case <-ctx.Done():
			return
		}
		select {
		case <-sigs:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, first, func() {
		signal.Stop(sigs)
		cancel()
	}
}
