package meet

import (
	"errors"
	"fmt"
)

// Code is a status_code of the management API (doc/api.md, "Status codes").
type Code string

// The status codes of the API. The codes an answer carries form a closed list: a client can switch
// on it. A few codes are meetd's own names for a transport failure (a body too large, an unknown
// route): they pick the HTTP status, and the answer carries the code in their row's Sent.
const (
	CodeSuccess                  Code = "SUCCESS"
	CodePermissionDenied         Code = "PERMISSION_DENIED"
	CodeNotFound                 Code = "NOT_FOUND"
	CodeConflict                 Code = "CONFLICT"
	CodeInvalidTokenOrSignature  Code = "INVALID_TOKEN_OR_SIGNATURE"
	CodeInvalidAPIKey            Code = "INVALID_API_KEY"
	CodeInternalServerError      Code = "INTERNAL_SERVER_ERROR"
	CodeInvalidParameters        Code = "INVALID_PARAMETERS"
	CodeMissingRequiredParameter Code = "MISSING_REQUIRED_PARAMETER"
	CodeRoomNotFound             Code = "ROOM_NOT_FOUND"
	CodeUserNotFound             Code = "USER_NOT_FOUND"
	CodeUserBlocked              Code = "USER_BLOCKED"
	CodeRoomNotActive            Code = "ROOM_NOT_ACTIVE"
	// CodeServerDraining [meetd] answers new rooms and joins (HTTP 503) while meetd shuts down
	// gracefully: running meetings go on, new ones go to another server or wait for the restart.
	CodeServerDraining Code = "SERVER_DRAINING"
	// CodeTooManyStreams [meetd] refuses an event stream over the caps (HTTP 429)
	CodeTooManyStreams Code = "TOO_MANY_STREAMS"

	// CodeTooManyAttempts [meetd] answers the dashboard's sign-in while it backs off after
	// repeated wrong credentials (HTTP 429; doc/security.md).
	CodeTooManyAttempts Code = "TOO_MANY_ATTEMPTS"
	// CodeTooManyRequests [meetd] refuses a page's call over its rate (reactions, shared notes' updates; HTTP 429).
	CodeTooManyRequests Code = "TOO_MANY_REQUESTS"

	// meetd's names for transport failures; the answer carries another code (see Codes).
	CodeRouteNotFound  Code = "ROUTE_NOT_FOUND"
	CodeBodyTooLarge   Code = "BODY_TOO_LARGE"
	CodeBodyUnreadable Code = "BODY_UNREADABLE"
	CodeNotReady       Code = "NOT_READY"
)

// Door is an entry point of the HTTP API. The same code can answer a different HTTP status at
// each door: the plugNmeet contract of the signed API is not the download link's.
type Door int

// The doors, in the order of the columns of Codes.
const (
	DoorAPI       Door = iota // POST /auth/…: the signed management API (API-KEY, HASH-SIGNATURE)
	DoorDashboard             // /dashboard/login, /logout, /api/session, /api/<API path>: the dashboard's cookie
	DoorPage                  // POST /api/join, /api/moderate, /api/hand: the meeting page's bearer token
	DoorDownload              // GET /download/…/<token>: a file for a download token; errors as text
	DoorStream                // GET /auth/events, /dashboard/api/events: Server-Sent Events
	DoorProbe                 // GET /healthz, /metrics: load balancers and Prometheus; answers as text
	NumDoors
)

// ___ in a column of Codes: the code is never answered at that door.
const ___ = 0

// PerDoor holds one HTTP status per door, in the order of the Door constants.
type PerDoor [NumDoors]int

// CodeInfo is one row of the catalogue: a code, what it answers at each door, and what it means.
type CodeInfo struct {
	Code Code
	// Sent is the status_code the answer carries when it is not Code (meetd's transport codes).
	Sent Code
	// Status is the HTTP status at each door; ___ (0) where the code is never answered.
	Status PerDoor
	Doc    string
}

// Codes is the catalogue: every code, one row each, with its HTTP status at each door. It is the
// only place that decides the HTTP status of an answer; doc/api.md ("Status codes") lists the same
// table, and a test keeps the two equal.
//
// The signed API and the dashboard answer domain outcomes with HTTP 200 and status:false, as
// plugNmeet does; only authentication (401), bodies (413, 400), unknown routes (404), draining (503)
// and crashes (500) use other statuses. The download door answers plain text with the status a
// browser understands.
//
// The columns of Status: API, dashboard, page, download, stream.
var Codes = []CodeInfo{
	{Code: CodeSuccess, Status: PerDoor{200, 200, 200, 200, 200, 200},
		Doc: "the request did what was asked"},
	{Code: CodePermissionDenied, Status: PerDoor{200, 200, 200, ___, ___, ___},
		Doc: "the room's settings or the caller's role forbid it: a full room, not a moderator, hands, recording or RTMP off, recording or RTMP (also automatic recording at room/create) in an end-to-end encrypted room, muted:false; a read-only API key on a route that changes state"},
	{Code: CodeNotFound, Status: PerDoor{200, 200, 200, 404, ___, ___},
		Doc: "nothing matches: an empty list, an unknown event, recording, report or track, no recording to stop; a download whose file is gone"},
	{Code: CodeConflict, Status: PerDoor{200, 200, 200, ___, ___, ___},
		Doc: "the state forbids it now: already recording or broadcasting, no failed delivery to redeliver, no ffmpeg, shutting down"},
	{Code: CodeInvalidTokenOrSignature, Status: PerDoor{401, 401, 401, 401, 401, 401},
		Doc: "a wrong HASH-SIGNATURE or X-Meetd-Signature, a stale X-Meetd-Timestamp, a used X-Meetd-Nonce, HASH-SIGNATURE where api.require_v2 refuses it; an invalid or expired join, page, download, stream or dashboard token"},
	{Code: CodeInvalidAPIKey, Status: PerDoor{401, 401, 401, ___, ___, ___},
		Doc: "an unknown API-KEY, or wrong credentials at the dashboard's sign-in"},
	{Code: CodeInternalServerError, Status: PerDoor{500, 500, 500, 500, 500, 500},
		Doc: "meetd failed; the cause goes to its log, never to the answer"},
	{Code: CodeInvalidParameters, Status: PerDoor{200, 200, 200, 400, 200, ___},
		Doc: "the body is not valid JSON or a field fails validation (the message names it); a bad download format; a bad Last-Event-ID"},
	{Code: CodeMissingRequiredParameter, Status: PerDoor{401, 401, 401, ___, ___, ___},
		Doc: "the credentials are missing: API-KEY or HASH-SIGNATURE (X-Meetd-Timestamp or X-Meetd-Nonce beside X-Meetd-Signature), X-Meetd-Dashboard, Authorization: Bearer"},
	{Code: CodeRoomNotFound, Status: PerDoor{200, 200, 200, ___, ___, ___},
		Doc: "no room with this room_id (never created, or long gone)"},
	{Code: CodeUserNotFound, Status: PerDoor{200, 200, 200, ___, ___, ___},
		Doc: "the user is not in the meeting (not connected, or not of this session)"},
	{Code: CodeUserBlocked, Status: PerDoor{200, 200, 200, ___, ___, ___},
		Doc: "the user was removed with block_user and cannot join this session again"},
	{Code: CodeRoomNotActive, Status: PerDoor{200, 200, 200, ___, ___, ___},
		Doc: "the room exists but has no running session (ended), or the token is of an ended session"},
	{Code: CodeServerDraining, Status: PerDoor{503, 503, 503, ___, ___, 503},
		Doc: "[meetd] new rooms and joins are refused during a graceful shutdown (with Retry-After: 30)"},
	{Code: CodeTooManyStreams, Status: PerDoor{___, ___, ___, ___, 429, ___},
		Doc: "[meetd] too many event streams open: 4 per stream token or dashboard session, 256 in all"},
	{Code: CodeTooManyAttempts, Status: PerDoor{___, 429, ___, ___, ___, ___},
		Doc: "[meetd] the dashboard's sign-in backs off after repeated wrong credentials, the right ones included"},
	{Code: CodeTooManyRequests, Status: PerDoor{___, ___, 429, ___, ___, ___},
		Doc: "[meetd] a page sends reactions (a burst of 5, then one a second) or shared notes' updates (a burst of 60, then 20 a second) faster than their rate"},
	{Code: CodeRouteNotFound, Sent: CodeNotFound, Status: PerDoor{404, ___, ___, ___, ___, ___},
		Doc: "[meetd] no such API route under /auth/"},
	{Code: CodeBodyTooLarge, Sent: CodeInvalidParameters, Status: PerDoor{413, 413, 413, ___, ___, ___},
		Doc: "[meetd] the request body is larger than 1 MiB (4 KiB at the page's calls and the dashboard's sign-in; the shared notes' calls: doc/api.md)"},
	{Code: CodeBodyUnreadable, Sent: CodeInvalidParameters, Status: PerDoor{400, 400, 400, ___, ___, ___},
		Doc: "[meetd] the request body could not be read (the connection broke)"},
	{Code: CodeNotReady, Status: PerDoor{___, ___, ___, ___, ___, 503},
		Doc: "[meetd] /healthz: the store does not answer or the media node is still starting"},
}

// info is the row of code, or nil.
func info(code Code) *CodeInfo {
	for i := range Codes {
		if Codes[i].Code == code {
			return &Codes[i]
		}
	}
	return nil
}

// Status is the HTTP status of code at door; false when the catalogue does not answer the code
// there (a bug: the caller answers an internal error).
func Status(door Door, code Code) (int, bool) {
	c := info(code)
	if c == nil || door < 0 || door >= NumDoors || c.Status[door] == ___ {
		return 0, false
	}
	return c.Status[door], true
}

// Sent is the status_code an answer with code carries.
func (c Code) Sent() Code {
	if i := info(c); i != nil && i.Sent != "" {
		return i.Sent
	}
	return c
}

// Error is an outcome the client is told about: a status code and a message that is safe to show.
// The internal cause, if any, stays in Err and goes only to the log.
type Error struct {
	Code Code
	Msg  string
	Err  error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Msg, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Msg)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// CodeOf returns the status code carried by err, or CodeInternalServerError.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternalServerError
}

// Common errors.
var (
	ErrRoomNotFound  = &Error{Code: CodeRoomNotFound, Msg: "room not found"}
	ErrRoomNotActive = &Error{Code: CodeRoomNotActive, Msg: "room is not active"}
	ErrUserBlocked   = &Error{Code: CodeUserBlocked, Msg: "user is blocked from this room"}
)
