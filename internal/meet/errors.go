package meet

import (
	"errors"
	"fmt"
)

// Code is a status_code of the management API (spec §1).
type Code string

// The status codes of the API. The list is closed: a client can switch on it.
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
	CodeUserNotActive            Code = "USER_NOT_ACTIVE"
	CodeRoomNotActive            Code = "ROOM_NOT_ACTIVE"
	// CodeServerDraining [meetd] answers new rooms and joins (HTTP 503) while meetd shuts down
	// gracefully: running meetings go on, new ones go to another server or wait for the restart.
	CodeServerDraining Code = "SERVER_DRAINING"
)

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
