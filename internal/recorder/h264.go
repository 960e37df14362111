package recorder

import (
	"encoding/binary"
	"io"
	"strings"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/ivfwriter"
)

// newVideoWriter writes a video track of codec mime into w (a file or an ffmpeg's pipe) as IVF
// with the RTP timestamps as presentation times.
func newVideoWriter(w io.WriteCloser, mime string) (rtpWriter, error) {
	if strings.EqualFold(mime, webrtc.MimeTypeH264) {
		return newH264IVF(w)
	}
	return ivfwriter.NewWith(w, ivfwriter.WithCodec(mime), ivfwriter.WithFrameRate(1, 90000), ivfwriter.WithDirectPTS())
}

// h264IVF writes an H.264 track into an IVF container (fourcc H264, which ffmpeg reads) as Annex B
// access units, with the RTP timestamps as presentation times (90 kHz) from the first key frame:
// the same container and timing as the VP8/VP9/AV1 tracks (pion's ivfwriter, which does not
// take H.264). An access unit ends at the RTP marker bit.
type h264IVF struct {
	w       io.WriteCloser
	depack  codecs.H264Packet
	frame   []byte
	first   uint32
	started bool
}

func newH264IVF(w io.WriteCloser) (*h264IVF, error) {
	h := make([]byte, 32)
	copy(h, "DKIF")
	binary.LittleEndian.PutUint16(h[4:], 0)  // version
	binary.LittleEndian.PutUint16(h[6:], 32) // header size
	copy(h[8:], "H264")
	binary.LittleEndian.PutUint16(h[12:], 640) // size: ffmpeg takes it from the stream
	binary.LittleEndian.PutUint16(h[14:], 480)
	binary.LittleEndian.PutUint32(h[16:], 90000) // time base 1/90000
	binary.LittleEndian.PutUint32(h[20:], 1)
	if _, err := w.Write(h); err != nil {
		return nil, err
	}
	return &h264IVF{w: w}, nil
}

func (h *h264IVF) WriteRTP(p *rtp.Packet) error {
	nal, err := h.depack.Unmarshal(p.Payload)
	if err != nil {
		h.frame = h.frame[:0] // a lost fragment: drop the access unit
		return nil
	}
	h.frame = append(h.frame, nal...)
	if !p.Marker || len(h.frame) == 0 {
		return nil
	}
	frame := h.frame
	h.frame = nil
	if !h.started {
		if !h264KeyFrame(frame) {
			return nil
		}
		h.started, h.first = true, p.Timestamp
	}
	hdr := make([]byte, 12)
	binary.LittleEndian.PutUint32(hdr, uint32(len(frame)))
	binary.LittleEndian.PutUint64(hdr[4:], uint64(p.Timestamp-h.first))
	if _, err := h.w.Write(hdr); err != nil {
		return err
	}
	_, err = h.w.Write(frame)
	return err
}

func (h *h264IVF) Close() error { return h.w.Close() }

// h264KeyFrame says whether an Annex B access unit holds a sequence parameter set or an IDR
// slice: decoding can start there.
func h264KeyFrame(au []byte) bool {
	for i := 0; i+3 < len(au); i++ {
		if au[i] == 0 && au[i+1] == 0 && au[i+2] == 1 {
			if t := au[i+3] & 0x1f; t == 5 || t == 7 {
				return true
			}
			i += 2
		}
	}
	return false
}
