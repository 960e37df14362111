package meet

import "time"

// Shared documents (doc/api.md, "Shared notes"): a session's collaborative documents, kept as
// the updates the pages send (Yjs updates, which meetd stores and forwards but never merges) and
// the latest rendering a page posted.

// Document is one document of a session.
type Document struct {
	SID    string
	RoomID string
	Name   string
	// Seq is the seq of the latest update (0: none yet); Size the bytes of the updates kept.
	Seq  int64
	Size int64
	// Rendering is the latest rendering a page posted (for notes: a Quill delta, JSON), showing
	// the updates up to RenderSeq.
	Rendering string
	RenderSeq int64
	CreatedAt time.Time
	UpdatedAt time.Time
	UpdatedBy string
}

// DocUpdate is one stored update (or, after a compaction, the snapshot of every update up to Seq).
type DocUpdate struct {
	Seq    int64  `json:"seq"`
	Data   []byte `json:"data"` // base64 in JSON
	UserID string `json:"-"`
}

// Limits of the shared documents (doc/api.md, "Shared notes").
const (
	// DocMaxUpdate is the largest update a page may send, in bytes.
	DocMaxUpdate = 64 << 10
	// DocMaxSize is the most bytes of updates a document keeps; past it, updates are refused
	// until a page compacts it.
	DocMaxSize = 4 << 20
	// DocMaxRendering is the largest rendering a page may post, in bytes.
	DocMaxRendering = 512 << 10
	// DocCompactAfter is the number of kept updates past which the pages are asked to compact.
	DocCompactAfter = 500
)

// Limits of the whiteboard (doc/api.md, "Whiteboard").
const (
	// WhiteboardMaxRendering is the largest rendering of the board a page may post (its SVG and
	// its scene), in bytes.
	WhiteboardMaxRendering = 4 << 20
	// WhiteboardMaxFile is the largest image a page may put on the board, in bytes.
	WhiteboardMaxFile = 4 << 20
	// WhiteboardMaxFiles is the most images a session's board keeps.
	WhiteboardMaxFiles = 100
)

// EventDocument is a session's shared document as document_saved carries it: its name, the seq
// of its latest update and of the update its rendering shows (the text the download gives), the
// bytes of updates kept, and who wrote last, when (Unix s).
type EventDocument struct {
	Name        string `json:"name"`
	Seq         int64  `json:"seq"`
	RenderedSeq int64  `json:"rendered_seq"`
	Size        int64  `json:"size"`
	UpdatedAt   int64  `json:"updated_at"`
	UpdatedBy   string `json:"updated_by"`
}
