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
// fields are ignored; an integer field takes a JSON number or a decimal string (protobuf-JSON
// sends 64-bit integers as strings); a field whose type has a coerce method (enums, extra_data)
// takes what that method accepts (doc/api.md, "Two dialects"). Errors name what is wrong.
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
