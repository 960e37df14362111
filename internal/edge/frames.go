package edge

import (
	"bufio"
	"encoding/binary"
	"net"
	"net/http"
)

// ClientMessages is told the client's messages on a signalling WebSocket: called once per
// upgrade request, it returns the function that gets each whole data message the client sends
// (unmasked and reassembled; text or binary), in order, or nil to watch nothing. The proxy
// passes the bytes unchanged whatever the function does; it must not keep msg.
type ClientMessages func(r *http.Request) func(text bool, msg []byte)

// maxWatched is the largest client message handed on; larger ones (an SDP offer, say) pass
// without being collected.
const maxWatched = 64 << 10

// frameReader follows the WebSocket framing (RFC 6455 section 5) of the bytes a client sends,
// without changing them: frame headers, masking, fragmentation and control frames between
// fragments. A framing it does not understand stops the watching, not the connection.
type frameReader struct {
	on func(text bool, msg []byte)

	hdr     []byte // the current frame's header so far
	need    int    // header bytes needed (grows once the length and mask bits are known)
	left    uint64 // payload bytes left in the current frame
	mask    [4]byte
	masked  bool
	control bool   // the current frame is a control frame (its payload is not collected)
	pos     uint64 // payload bytes of the current frame seen, for the mask
	text    bool   // the message being collected is text
	msg     []byte // the message being collected
	over    bool   // the message is too large: dropped
	fin     bool   // the current data frame ends its message
	broken  bool
}

func newFrameReader(on func(text bool, msg []byte)) *frameReader {
	return &frameReader{on: on, need: 2}
}

// write follows p, the next bytes from the client.
func (f *frameReader) write(p []byte) {
	for len(p) > 0 && !f.broken {
		if f.left == 0 {
			f.header(&p)
			continue
		}
		n := uint64(len(p))
		if n > f.left {
			n = f.left
		}
		if !f.control && !f.over {
			if uint64(len(f.msg))+n > maxWatched {
				f.over, f.msg = true, nil
			} else {
				start := len(f.msg)
				f.msg = append(f.msg, p[:n]...)
				if f.masked {
					for i := start; i < len(f.msg); i++ {
						f.msg[i] ^= f.mask[(f.pos+uint64(i-start))%4]
					}
				}
			}
		}
		f.pos += n
		f.left -= n
		p = p[n:]
		if f.left == 0 {
			f.frameDone()
		}
	}
}

// header takes header bytes from p; once the header is whole it starts the frame.
func (f *frameReader) header(p *[]byte) {
	for len(*p) > 0 && len(f.hdr) < f.need {
		f.hdr = append(f.hdr, (*p)[0])
		*p = (*p)[1:]
		if len(f.hdr) == 2 {
			f.need = 2
			switch f.hdr[1] & 0x7f {
			case 126:
				f.need += 2
			case 127:
				f.need += 8
			}
			if f.hdr[1]&0x80 != 0 {
				f.need += 4
			}
		}
	}
	if len(f.hdr) < f.need {
		return
	}
	h := f.hdr
	fin, op := h[0]&0x80 != 0, h[0]&0x0f
	f.masked = h[1]&0x80 != 0
	length, rest := uint64(h[1]&0x7f), h[2:]
	switch length {
	case 126:
		length, rest = uint64(binary.BigEndian.Uint16(rest)), rest[2:]
	case 127:
		length, rest = binary.BigEndian.Uint64(rest), rest[8:]
	}
	if f.masked {
		copy(f.mask[:], rest)
	}
	f.hdr, f.need, f.left, f.pos = f.hdr[:0], 2, length, 0
	f.control = op >= 8
	switch {
	case f.control:
	case op == 0: // continuation
	case op == 1 || op == 2:
		f.text, f.msg, f.over = op == 1, f.msg[:0], false
	default:
		f.broken = true // a reserved opcode: the server will close the connection
		return
	}
	if !f.control {
		f.fin = fin
	}
	if length == 0 {
		f.frameDone()
	}
}

func (f *frameReader) frameDone() {
	if f.control || !f.fin {
		return
	}
	if !f.over {
		f.on(f.text, f.msg)
	}
	f.msg, f.over, f.fin = f.msg[:0], false, false
}

// watchedWriter hands the proxy a connection whose reads are followed by a frameReader when it
// hijacks the client's connection for the WebSocket.
type watchedWriter struct {
	http.ResponseWriter
	on func(text bool, msg []byte)
}

func (w watchedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w watchedWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	return &watchedConn{Conn: c, frames: newFrameReader(w.on)}, brw, nil
}

// Flush lets the proxy flush as it would without the watcher.
func (w watchedWriter) Flush() {
	if fl, ok := w.ResponseWriter.(http.Flusher); ok {
		fl.Flush()
	}
}

type watchedConn struct {
	net.Conn
	frames *frameReader
}

func (c *watchedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.frames.write(p[:n])
	}
	return n, err
}
