package httpapi

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"meetd/internal/store"
)

func TestBodyWire(t *testing.T) {
	for _, c := range []struct {
		body  string
		want  Wire
		shown bool
	}{
		{`{}`, WireDocs, false},
		{``, WireDocs, false},
		{`{"from":0,"limit":20}`, WireDocs, false},
		{`{"room_id":"r"}`, WireDocs, true},
		{`{"roomId":"r"}`, WireProto, true},
		{`{"roomId":"r","metadata":{"roomTitle":"t","extraData":{"plugin_version":"1","php-version":"8"}}}`, WireProto, true},
		{`{"room_id":"r","metadata":{"extra_data":{"pluginVersion":"1"}}}`, WireDocs, true},
		{`{"roomIds":["a"],"from":0}`, WireProto, true},
		{`{"room_id":"r","roomId":"r"}`, WireDocs, true}, // mixed: the documented dialect
		{`not json`, WireDocs, false},
	} {
		w, shown := bodyWire([]byte(c.body))
		if w != c.want || shown != c.shown {
			t.Errorf("bodyWire(%s) = %v, %v; want %v, %v", c.body, w, shown, c.want, c.shown)
		}
	}
}

func TestWiresRemembersPerKey(t *testing.T) {
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "meetd.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	log := slog.New(slog.DiscardHandler)
	var ws wires
	of := func(key, body string, def Wire) Wire { return ws.of(ctx, st, log, key, []byte(body), def) }
	if w := of("k", `{}`, WireDocs); w != WireDocs {
		t.Fatalf("nothing shown yet: %v", w)
	}
	if w := of("k", `{}`, WireProto); w != WireProto {
		t.Fatalf("configured default: %v", w)
	}
	of("k", `{"roomId":"r"}`, WireDocs)
	if w := of("k", `{}`, WireDocs); w != WireProto {
		t.Fatalf("after a protojson call: %v", w)
	}
	if w := of("other", `{}`, WireDocs); w != WireDocs {
		t.Fatalf("another key: %v", w)
	}
	ws = wires{} // a restart, or another meetd on the same database
	if w := of("k", `{}`, WireDocs); w != WireProto {
		t.Fatalf("after a restart: %v", w)
	}
	of("k", `{"room_id":"r"}`, WireProto)
	if w := of("k", `{}`, WireProto); w != WireDocs {
		t.Fatalf("after a documented call: %v", w)
	}
	ws = wires{}
	if w := of("k", `{}`, WireProto); w != WireDocs {
		t.Fatalf("after a documented call and a restart: %v", w)
	}
	var none wires // no store: memory only
	if w := none.of(ctx, nil, log, "k", []byte(`{}`), WireDocs); w != WireDocs {
		t.Fatalf("without a store: %v", w)
	}
}
