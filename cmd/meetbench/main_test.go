package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func noEnv(string) string { return "" }

func TestHelpIsNotAnError(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"-h"}, noEnv, &stdout, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("run -h = %v, want flag.ErrHelp (main exits 0 on it)", err)
	}
	for _, want := range []string{"usage: meetbench", "-meetd", "-url", "-duration"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, stderr.String())
		}
	}
}

func TestURLNeedsKeys(t *testing.T) {
	err := run(context.Background(), []string{"-url", "http://127.0.0.1:1"}, noEnv, new(bytes.Buffer), new(bytes.Buffer))
	if err == nil || !strings.Contains(err.Error(), "-key and -secret") {
		t.Fatalf("run -url without keys = %v", err)
	}
}

func TestModuleRoot(t *testing.T) {
	wd, _ := os.Getwd()
	root, err := moduleRoot(wd)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := filepath.Abs("../.."); root != want {
		t.Errorf("moduleRoot(%s) = %s, want %s", wd, root, want)
	}
	if _, err := moduleRoot(t.TempDir()); err == nil || !strings.Contains(err.Error(), "-meetd") {
		t.Errorf("outside the module: %v", err)
	}
}

func TestBuildWithoutGo(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := buildMeetd(context.Background(), filepath.Join(t.TempDir(), "meetd"))
	if err == nil || !strings.Contains(err.Error(), "`go`") {
		t.Fatalf("buildMeetd without go = %v", err)
	}
}

func TestInts(t *testing.T) {
	got := ints("0, 10,x,50")
	if len(got) != 3 || got[0] != 0 || got[1] != 10 || got[2] != 50 {
		t.Errorf("ints = %v", got)
	}
	if got := ints(""); len(got) != 0 {
		t.Errorf(`ints("") = %v`, got)
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	if p := percentile(d, 0.5); p != 50 {
		t.Errorf("p50 = %v", p)
	}
	if p := percentile(d, 0.99); p != 99 {
		t.Errorf("p99 = %v", p)
	}
	if d[0] != 100*time.Millisecond {
		t.Error("percentile sorted its argument")
	}
	if p := percentile(nil, 0.5); p != 0 {
		t.Errorf("empty p50 = %v", p)
	}
}

func TestTable(t *testing.T) {
	b := &bench{rows: []benchRow{
		{Section: "api", Name: "room/create", Conc: 8, N: 1234, PerSec: 617.4, P50ms: 1.234, P99ms: 9.876},
		{Section: "media", Name: "10 audio participants", N: 10, Extra: "packets received 5000"},
	}}
	var out bytes.Buffer
	b.table(&out)
	want := "" +
		"section    measurement                             conc       n     per s   p50 ms   p95 ms   p99 ms  \n" +
		"api        room/create                                8    1234       617     1.23        -     9.88  \n" +
		"media      10 audio participants                      -      10         -        -        -        -  packets received 5000\n"
	if out.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestMorningSteps(t *testing.T) {
	got, err := morningSteps(" 5x5, 10x20 ,")
	if err != nil || len(got) != 2 || got[0] != (morningStep{5, 5}) || got[1] != (morningStep{10, 20}) {
		t.Errorf("morningSteps = %v %v", got, err)
	}
	for _, bad := range []string{"5", "5x", "x5", "0x5", "5x-1", "axb"} {
		if _, err := morningSteps(bad); err == nil || !strings.Contains(err.Error(), "-morning") {
			t.Errorf("morningSteps(%q) = %v, want an error naming -morning", bad, err)
		}
	}
}

func TestUnknownSection(t *testing.T) {
	err := run(context.Background(), []string{"-url", "http://127.0.0.1:1", "-key", "k", "-secret", "s", "-sections", "size,lunch"}, noEnv, new(bytes.Buffer), new(bytes.Buffer))
	if err == nil || !strings.Contains(err.Error(), `"lunch"`) {
		t.Fatalf("run -sections lunch = %v", err)
	}
}
