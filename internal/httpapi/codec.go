package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"meetd/internal/meet"
)

// maxBody is the largest request body of the JSON routes: 1 MiB (doc/api.md, "Status codes").
const maxBody = 1 << 20

// smallBody is the largest body of the meeting page's calls and the dashboard sign-in, which
// strangers reach: 4 KiB (doc/api.md, "Status codes"; doc/security.md).
const smallBody = 4 << 10

// maxKeys is the most keys one JSON object of a request may have (doc/api.md, "Status codes"):
// the largest real one (extra_data, an object of strings) has tens.
const maxKeys = 1000

// maxDepth is encoding/json's own nesting limit, where tooManyKeys stops counting.
const maxDepth = 10000

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
		return nil, meet.Errorf(meet.CodeBodyTooLarge, "request body is larger than %s", sizeText(tooBig.Limit))
	}
	return nil, &meet.Error{Code: meet.CodeBodyUnreadable, Msg: "could not read request body", Err: err}
}

// sizeText is a body limit as the error message says it: "1 MiB", "4 KiB", else in bytes.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// decode reads the request body, a JSON object, into v (see decodeJSON).
func decode(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeJSON(body, v)
}

// decodeSmall reads a small request body (the meeting page's calls, the dashboard sign-in), a
// JSON object with snake_case names, straight into the struct v: no dialects, no coercion.
func decodeSmall(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return meet.Errorf(meet.CodeInvalidParameters, "request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return meet.Errorf(meet.CodeInvalidParameters, "%s must be %s, not %s", te.Field, typeName(te.Type.Kind().String()), te.Value)
		}
		return meet.Errorf(meet.CodeInvalidParameters, "request body is not valid JSON")
	}
	if dec.More() {
		return meet.Errorf(meet.CodeInvalidParameters, "request body has data after the JSON object")
	}
	return nil
}

// tooManyKeys reports whether an object in the JSON text body has more than max keys, in one pass
// over the bytes before any decoding (it counts the commas of each object outside strings; a
// malformed text is left to the decoder).
func tooManyKeys(body []byte, max int) bool {
	var stack []int // per open container: commas so far, or -1 for an array
	inString, escaped := false, false
	for _, c := range body {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			if len(stack) >= maxDepth {
				return false // the decoder refuses it
			}
			if c == '{' {
				stack = append(stack, 0)
			} else {
				stack = append(stack, -1)
			}
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
		case ',':
			if n := len(stack); n > 0 && stack[n-1] >= 0 {
				stack[n-1]++
				if stack[n-1] >= max {
					return true
				}
			}
		}
	}
	return false
}

// decodeJSON reads a JSON object into v. Field names may be snake_case or lowerCamelCase; unknown
// fields are ignored; an integer field takes a JSON number or a decimal string (protobuf-JSON
// sends 64-bit integers as strings); a field whose type has a coerce method (enums, extra_data)
// takes what that method accepts (doc/api.md, "Two dialects"). Errors name what is wrong.
func decodeJSON(body []byte, v any) error {
	if tooManyKeys(body, maxKeys) {
		return meet.Errorf(meet.CodeInvalidParameters, "request body has an object with more than %d keys", maxKeys)
	}
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
	snaked, err := coerce(snakeKeys(obj), reflect.TypeOf(v), "")
	if err != nil {
		return err
	}
	norm, err := json.Marshal(snaked)
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

// snakeKeys rewrites the keys of every object in v from lowerCamelCase to snake_case, except
// inside extra_data, whose keys are the caller's own.
func snakeKeys(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			sk := snake(k)
			if _, taken := out[sk]; taken && sk != k {
				continue // the snake_case spelling wins over the camelCase one
			}
			if sk == "extra_data" {
				out[sk] = val
				continue
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

// coercer is a request field type that takes more JSON shapes than encoding/json would give it:
// coerce turns v (a decoded JSON value; numbers are json.Number) into what the type unmarshals,
// or names what is wrong with field.
type coercer interface {
	coerce(field string, v any) (any, error)
}

var (
	coercerType   = reflect.TypeFor[coercer]()
	extraDataType = reflect.TypeFor[meet.ExtraData]()
)

// coerce walks v (decoded JSON, keys snake_case) along the type t it will be unmarshalled into,
// and rewrites the values the proto3 JSON mapping allows beyond plain JSON: a decimal string in an
// integer field becomes a number, an enum name or number becomes what the field holds, and
// extra_data must be a string or an object of strings. Anything else is left to encoding/json,
// whose errors name the field.
func coerce(v any, t reflect.Type, field string) (any, error) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if v == nil {
		return v, nil
	}
	if reflect.PointerTo(t).Implements(coercerType) {
		return reflect.New(t).Interface().(coercer).coerce(field, v)
	}
	if t == extraDataType {
		return coerceExtraData(field, v)
	}
	switch t.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return v, nil
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous {
				if _, err := coerce(obj, f.Type, field); err != nil { // the same object
					return nil, err
				}
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" || !f.IsExported() {
				continue
			}
			val, ok := obj[name]
			if !ok {
				continue
			}
			c, err := coerce(val, f.Type, join(field, name))
			if err != nil {
				return nil, err
			}
			obj[name] = c
		}
	case reflect.Slice:
		if list, ok := v.([]any); ok {
			for i := range list {
				c, err := coerce(list[i], t.Elem(), field)
				if err != nil {
					return nil, err
				}
				list[i] = c
			}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if s, ok := v.(string); ok {
			if _, err := strconv.ParseInt(s, 10, 64); err == nil {
				return json.Number(s), nil
			}
			if _, err := strconv.ParseUint(s, 10, 64); err == nil {
				return json.Number(s), nil
			}
			return nil, meet.Errorf(meet.CodeInvalidParameters, "%s must be a number, not %q", field, s)
		}
	}
	return v, nil
}

func join(field, name string) string {
	if field == "" {
		return name
	}
	return field + "." + name
}

// coerceExtraData checks extra_data: a string, or an object whose values are strings.
func coerceExtraData(field string, v any) (any, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case map[string]any:
		for k, val := range x {
			if _, ok := val.(string); !ok {
				return nil, meet.Errorf(meet.CodeInvalidParameters, "%s.%s must be a string", field, k)
			}
		}
		return x, nil
	}
	return nil, meet.Errorf(meet.CodeInvalidParameters, "%s must be a string or an object of strings", field)
}

// enumField is a request enum that takes its plugNmeet names, their numbers, and aliases of
// meetd's own; it holds the name that the table maps to.
func enumValue(field string, v any, names []string, aliases map[string]string) (any, error) {
	switch x := v.(type) {
	case string:
		if a, ok := aliases[x]; ok {
			return a, nil
		}
		for _, n := range names {
			if n == x {
				if a, ok := aliases[n]; ok {
					return a, nil
				}
				return n, nil
			}
		}
		if i, err := strconv.Atoi(x); err == nil {
			return enumValue(field, json.Number(strconv.Itoa(i)), names, aliases)
		}
	case json.Number:
		if i, err := strconv.Atoi(string(x)); err == nil && i >= 0 && i < len(names) {
			return enumValue(field, names[i], names, aliases)
		}
	}
	return nil, meet.Errorf(meet.CodeInvalidParameters, "%s must be one of %s (or its number)", field, strings.Join(names, ", "))
}

// tokenAnswer is the answer of the calls that hand out a token.
func tokenAnswer(token string) any {
	return struct {
		Envelope
		Token string `json:"token"`
	}{OK(), token}
}
