package httpapi

import "testing"

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
	var ws wires
	if w := ws.of("k", []byte(`{}`), WireDocs); w != WireDocs {
		t.Fatalf("nothing shown yet: %v", w)
	}
	if w := ws.of("k", []byte(`{}`), WireProto); w != WireProto {
		t.Fatalf("configured default: %v", w)
	}
	ws.of("k", []byte(`{"roomId":"r"}`), WireDocs)
	if w := ws.of("k", []byte(`{}`), WireDocs); w != WireProto {
		t.Fatalf("after a protojson call: %v", w)
	}
	if w := ws.of("other", []byte(`{}`), WireDocs); w != WireDocs {
		t.Fatalf("another key: %v", w)
	}
	ws.of("k", []byte(`{"room_id":"r"}`), WireProto)
	if w := ws.of("k", []byte(`{}`), WireProto); w != WireDocs {
		t.Fatalf("after a documented call: %v", w)
	}
}
