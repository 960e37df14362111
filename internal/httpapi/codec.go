package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"meetd/internal/meet"
)

// maxBody is the largest request body of the JSON routes: 1 MiB (doc/api.md, "Status codes").
const maxBody = 1 << 20

// Envelope starts every JSON answer: status, msg, status_code (doc/api.md, "Status codes").
type Envelope struct {
	Status     bool      `json:"status"`
	Msg        string    `json:"msg"`
	StatusCode meet.Code `json:"status_code"`
}

// OK is the envelope of a success.
func OK() Envelope { return Envelope{Status: true, Msg: "success", StatusCode: meet.CodeSuccess} }

func failure(e *meet.Error) Envelope { return Envelope{Msg: e.Msg, StatusCode: e.Code.Sent()} }

// asFailure turns a client-facing error into its envelope; anything else stays an error (a 500).
func asFailure(err error) (Envelope, error) {
	var e *meet.Error
	if errors.As(err, &e) && e.Code != meet.CodeInternalServerError {
		return failure(e), nil
	}
	return Envelope{}, err
}

// buffers holds the appenders' output buffers: the answer for a large room is tens of KB, which
// would otherwise be allocated (and grown) on every call.
var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 16<<10); return &b }}

// maxPooled is the largest buffer kept for reuse (a room of several hundred participants).
const maxPooled = 1 << 20

// appender is an answer that writes its own JSON (as encoding/json would), for the hot answers.
type appender interface{ AppendJSON(b []byte) []byte }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if a, ok := v.(appender); ok {
		buf := buffers.Get().(*[]byte)
		b := append(a.AppendJSON((*buf)[:0]), '\n')
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(status)
		_, _ = w.Write(b)
		if cap(b) <= maxPooled {
			*buf = b
			buffers.Put(buf)
		}
		return
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// appendEnvelope appends the envelope as JSON without its closing brace, for an answer to add its
// fields.
func appendEnvelope(b []byte, e Envelope) []byte {
	b = append(b, `{"status":`...)
	b = strconv.AppendBool(b, e.Status)
	b = append(b, `,"msg":`...)
	b = meet.AppendString(b, e.Msg)
	b = append(b, `,"status_code":`...)
	return meet.AppendString(b, string(e.StatusCode))
}

// readBody reads the request body, which serve limits to maxBody bytes.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err == nil {
		return body, nil
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, meet.Errorf(meet.CodeBodyTooLarge, "request body is larger than 1 MiB")
	}
	return nil, &meet.Error{Code: meet.CodeBodyUnreadable, Msg: "could not read request body", Err: err}
}

// decode reads the request body, a JSON object, into v (see decodeJSON).
func decode(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeJSON(body, v)
}

// decodeJSON reads a JSON object into v. Field names may be snake_case or lowerCamelCase; unknown
// fields are ignored. Errors name what is wrong.
func decodeJSON(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return meet.Errorf(meet.CodeInvalidParameters, "request body is not valid JSON")
	}
	if dec.More() {
		return meet.Errorf(meet.CodeInvalidParameters, "request body has data after the JSON object")
	}
	obj, ok := raw.(map[string]any)
	if !ok {
		return meet.Errorf(meet.CodeInvalidParameters, "request body must be a JSON object")
	}
	norm, err := json.Marshal(snakeKeys(obj))
	if err != nil {
		return meet.Errorf(meet.CodeInvalidParameters, "request body is not valid JSON")
	}
	if err := json.Unmarshal(norm, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return meet.Errorf(meet.CodeInvalidParameters, "%s must be %s, not %s", te.Field, typeName(te.Type.Kind().String()), te.Value)
		}
		return meet.Errorf(meet.CodeInvalidParameters, "invalid request body: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}

func typeName(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"), strings.HasPrefix(kind, "float"):
		return "a number"
	case kind == "bool":
		return "a boolean"
	case kind == "string":
		return "a string"
	case kind == "slice":
		return "an array"
	case kind == "struct", kind == "map", kind == "ptr":
		return "an object"
	}
	return fmt.Sprintf("of type %s", kind)
}

// snakeKeys rewrites the keys of every object in v from lowerCamelCase to snake_case.
func snakeKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			sk := snake(k)
			if _, taken := out[sk]; taken && sk != k {
				continue // the snake_case spelling wins over the camelCase one
			}
			out[sk] = snakeKeys(val)
		}
		return out
	case []any:
		for i := range x {
			x[i] = snakeKeys(x[i])
		}
		return x
	}
	return v
}

func snake(s string) string {
	if strings.IndexFunc(s, unicode.IsUpper) < 0 {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('_')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// tokenAnswer is the answer of the calls that hand out a token.
func tokenAnswer(token string) any {
	return struct {
		Envelope
		Token string `json:"token"`
	}{OK(), token}
}
