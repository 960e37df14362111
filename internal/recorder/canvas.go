package recorder

import (
	"fmt"
	"strconv"
)

// Canvas is the picture that recordings, broadcasts and merges compose: its size and frame rate,
// recording.size and recording.fps (doc/decisions/0012-live-composition.md, "The canvas"). A
// recording keeps the canvas it started with, in its manifest and live.json, so that a change of
// the configuration never mixes two sizes in one file.
type Canvas struct {
	W   int `json:"w"`
	H   int `json:"h"`
	FPS int `json:"fps"`
}

// DefaultCanvas is 720p at 25 frames per second.
var DefaultCanvas = Canvas{W: 1280, H: 720, FPS: 25}

// Limits of the canvas: from a thumbnail to 4K, 5 to 60 frames per second.
const (
	minCanvasW, maxCanvasW = 160, 3840
	minCanvasH, maxCanvasH = 90, 2160
	minFPS, maxFPS         = 5, 60
)

// Validate names what is wrong with a canvas.
func (c Canvas) Validate() error {
	switch {
	case c.W < minCanvasW || c.W > maxCanvasW || c.H < minCanvasH || c.H > maxCanvasH:
		return fmt.Errorf("recording.size: %dx%d is outside %dx%d to %dx%d", c.W, c.H, minCanvasW, minCanvasH, maxCanvasW, maxCanvasH)
	case c.W%2 != 0 || c.H%2 != 0:
		return fmt.Errorf("recording.size: %dx%d must have an even width and height (H.264 4:2:0)", c.W, c.H)
	case c.FPS < minFPS || c.FPS > maxFPS:
		return fmt.Errorf("recording.fps: %d is outside %d to %d", c.FPS, minFPS, maxFPS)
	}
	return nil
}

// orDefault is the canvas, or DefaultCanvas for none (a manifest written before the canvas was
// kept with it).
func (c Canvas) orDefault() Canvas {
	if c == (Canvas{}) {
		return DefaultCanvas
	}
	return c
}

// videoKbps is the video bit rate of live encodes: 2,500 kb/s at 720p25, in proportion to the
// pixels per second, between 300 and 12,000.
func (c Canvas) videoKbps() int {
	d := DefaultCanvas
	k := int(int64(2500) * int64(c.W*c.H*c.FPS) / int64(d.W*d.H*d.FPS))
	return min(max(k, 300), 12000)
}

// rate is the -maxrate/-b:v argument, bufsize twice it.
func (c Canvas) rate() (rate, bufsize string) {
	k := c.videoKbps()
	return strconv.Itoa(k) + "k", strconv.Itoa(2*k) + "k"
}
