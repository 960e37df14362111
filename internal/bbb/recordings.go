package bbb

import "context"

// The recording calls (doc/bbb.md, "Recordings").

// recordingStore is the recordings' part of the store.
type recordingStore interface{}

func (s *Server) getRecordings(ctx context.Context, r *Request) *Response {
	return notImplemented(s, ctx, r)
}

func (s *Server) publishRecordings(ctx context.Context, r *Request) *Response {
	return notImplemented(s, ctx, r)
}

func (s *Server) updateRecordings(ctx context.Context, r *Request) *Response {
	return notImplemented(s, ctx, r)
}

func (s *Server) deleteRecordings(ctx context.Context, r *Request) *Response {
	return notImplemented(s, ctx, r)
}

func (s *Server) getRecordingTextTracks(ctx context.Context, r *Request) *Response {
	return notImplemented(s, ctx, r)
}

func (s *Server) putRecordingTextTrack(ctx context.Context, r *Request) *Response {
	return notImplemented(s, ctx, r)
}
