package bbb

import "context"

// The hooks API (doc/bbb.md, "Hooks").

// hookStore is the hooks' part of the store.
type hookStore interface{}

func (s *Server) hooksCreate(ctx context.Context, r *Request) *Response {
	return notImplemented(s, ctx, r)
}

func (s *Server) hooksDestroy(ctx context.Context, r *Request) *Response {
	return notImplemented(s, ctx, r)
}

func (s *Server) hooksList(ctx context.Context, r *Request) *Response {
	return notImplemented(s, ctx, r)
}
