package store_test

import (
	"context"
	"testing"
	"time"
)

// The dialect each API key last showed (migration 005) on both databases: kept across a reopen,
// the newer one wins, an older write does not undo it.

func TestAPIWires(t *testing.T) { bothDatabases(t, apiWires) }

func apiWires(t *testing.T, open reopener) {
	ctx := context.Background()
	st := open()
	if w, err := st.APIWire(ctx, "key"); err != nil || w != "" {
		t.Fatalf("nothing stored: %q, %v", w, err)
	}
	t0 := time.Now()
	must(t, st.SetAPIWire(ctx, "key", "protojson", t0))
	must(t, st.SetAPIWire(ctx, "other", "docs", t0))
	must(t, st.SetAPIWire(ctx, "key", "docs", t0.Add(-time.Second))) // late: ignored
	st.Close()

	st = open()
	defer st.Close()
	for key, want := range map[string]string{"key": "protojson", "other": "docs"} {
		if w, err := st.APIWire(ctx, key); err != nil || w != want {
			t.Errorf("%s after reopen: %q, %v; want %q", key, w, err, want)
		}
	}
	must(t, st.SetAPIWire(ctx, "key", "docs", t0.Add(time.Second)))
	if w, _ := st.APIWire(ctx, "key"); w != "docs" {
		t.Errorf("after a newer write: %q", w)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
