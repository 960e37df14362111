package edge

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
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
