package edge

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// frame encodes one WebSocket frame as a client sends it (masked).
func frame(fin bool, op byte, payload []byte, key [4]byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	out := []byte{b0}
	switch n := len(payload); {
	case n < 126:
		out = append(out, 0x80|byte(n))
	case n < 1<<16:
		out = append(out, 0x80|126, 0, 0)
		binary.BigEndian.PutUint16(out[2:], uint16(n))
	default:
		out = append(out, 0x80|127)
		out = binary.BigEndian.AppendUint64(out, uint64(n))
	}
	out = append(out, key[:]...)
	for i, c := range payload {
		out = append(out, c^key[i%4])
	}
	return out
}

// The reader finds each whole message whatever the chunks the bytes come in: masked, fragmented
// with a ping between fragments, 16- and 64-bit lengths, empty messages, and text; too large
// messages are skipped.
func TestFrameReader(t *testing.T) {
	key := [4]byte{1, 2, 3, 4}
	big := bytes.Repeat([]byte("x"), 300)
	huge := bytes.Repeat([]byte("y"), maxWatched+1)
	var stream []byte
	stream = append(stream, frame(true, 2, []byte("leave"), key)...)
	stream = append(stream, frame(false, 2, []byte("frag"), key)...)
	stream = append(stream, frame(true, 9, []byte("ping"), key)...)
	stream = append(stream, frame(true, 0, []byte("mented"), [4]byte{9, 8, 7, 6})...)
	stream = append(stream, frame(true, 2, nil, key)...)
	stream = append(stream, frame(true, 2, big, key)...)
	stream = append(stream, frame(true, 2, huge, key)...)
	stream = append(stream, frame(true, 1, []byte(`{"leave":{}}`), key)...)
	stream = append(stream, frame(true, 8, []byte{3, 232}, key)...)
	want := []string{"b:leave", "b:fragmented", "b:", "b:" + string(big), `t:{"leave":{}}`}
	for _, chunk := range []int{1, 2, 3, 7, 100, len(stream)} {
		var got []string
		f := newFrameReader(func(text bool, msg []byte) {
			kind := "b:"
			if text {
				kind = "t:"
			}
			got = append(got, kind+string(msg))
		})
		for p := stream; len(p) > 0; {
			n := min(chunk, len(p))
			f.write(p[:n])
			p = p[n:]
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("chunks of %d: got %.200q, want %.200q", chunk, got, want)
		}
	}
}

// Through the proxy, the server gets the client's messages unchanged and the watcher is told
// each one.
func TestSignallingProxyWatches(t *testing.T) {
	got := make(chan string, 10)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			_, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			got <- "server:" + string(msg)
		}
	}))
	defer backend.Close()
	watched := make(chan string, 10)
	p, err := (&Edge{}).SignallingProxy(backend.URL, func(r *http.Request) func(bool, []byte) {
		who := r.URL.Query().Get("access_token")
		return func(text bool, msg []byte) { watched <- who + ":" + string(msg) }
	}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	defer srv.Close()
	c, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(srv.URL, "http")+"/rtc?access_token=tok", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	big := strings.Repeat("z", 70000)
	for _, m := range []string{"one", big, "two"} {
		if err := c.WriteMessage(websocket.BinaryMessage, []byte(m)); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"server:one", "server:" + big, "server:two"} {
		if g := <-got; g != want {
			t.Errorf("server got %.40q, want %.40q", g, want)
		}
	}
	for _, want := range []string{"tok:one", "tok:two"} { // the large one is not collected
		if g := <-watched; g != want {
			t.Errorf("watcher got %.40q, want %.40q", g, want)
		}
	}
}
