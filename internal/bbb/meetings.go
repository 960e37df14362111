package bbb

import "context"

// The meeting calls (doc/bbb.md, "Calls").

func (s *Server) create(ctx context.Context, r *Request) *Response { return notImplemented(s, ctx, r) }
func (s *Server) join(ctx context.Context, r *Request) *Response   { return notImplemented(s, ctx, r) }
func (s *Server) isMeetingRunning(ctx context.Context, r *Request) *Response {
	return notImplemented(s, ctx, r)
}
func (s *Server) end(ctx context.Context, r *Request) *Response { return notImplemented(s, ctx, r) }
func (s *Server) getMeetingInfo(ctx context.Context, r *Request) *Response {
	return notImplemented(s, ctx, r)
}
func (s *Server) getMeetings(ctx context.Context, r *Request) *Response {
	return notImplemented(s, ctx, r)
}
func (s *Server) sendChatMessage(ctx context.Context, r *Request) *Response {
	return notImplemented(s, ctx, r)
}
func (s *Server) insertDocument(ctx context.Context, r *Request) *Response {
	return notImplemented(s, ctx, r)
}
func (s *Server) getSessions(ctx context.Context, r *Request) *Response {
	return notImplemented(s, ctx, r)
}
