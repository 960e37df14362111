package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Wire is the JSON dialect of a signed API call (doc/api.md, "Two dialects"): the documented one
// of the seed and SDK 1.x (snake_case keys, booleans is_running & co.), or the protobuf-JSON one
// of SDK 2.x and the plugins built on it (lowerCamelCase keys in requests; answers with exactly
// the fields of plugNmeet's messages, int32 flags, 64-bit integers as strings, enum names).
type Wire int

const (
	WireDocs Wire = iota
	WireProto
)

func (w Wire) String() string {
	if w == WireProto {
		return "protojson"
	}
	return "docs"
}

// ParseWire reads a configured dialect name: "docs" or "protojson".
func ParseWire(s string) (Wire, bool) {
	switch s {
	case "", "docs":
		return WireDocs, true
	case "protojson":
		return WireProto, true
	}
	return WireDocs, false
}

type wireKey struct{}

// wireOf is the dialect of the call r: set by the signed door, WireDocs elsewhere (the dashboard,
// the page).
func wireOf(r *http.Request) Wire {
	w, _ := r.Context().Value(wireKey{}).(Wire)
	return w
}

func withWire(r *http.Request, w Wire) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), wireKey{}, w))
}

// wires remembers the dialect each API key last showed, for the calls whose body shows none (the
// bare {} of getActiveRoomsInfo): a backend speaks one SDK generation. The store keeps it across
// restarts and for the other meetd processes; this keeps it in memory.
type wires struct {
	mu   sync.Mutex
	last map[string]Wire
}

// WireStore keeps the dialect each API key last showed ("docs" or "protojson").
type WireStore interface {
	APIWire(ctx context.Context, apiKey string) (string, error)
	SetAPIWire(ctx context.Context, apiKey, wire string, at time.Time) error
}

// of returns the dialect of a call with body from apiKey: the one its keys show, else the one
// this key last showed, else def. st may be nil; its errors are logged and leave the answer to
// memory and def.
func (ws *wires) of(ctx context.Context, st WireStore, log *slog.Logger, apiKey string, body []byte, def Wire) Wire {
	w, shown := bodyWire(body)
	ws.mu.Lock()
	last, known := ws.last[apiKey]
	if shown && (!known || last != w) {
		if ws.last == nil {
			ws.last = map[string]Wire{}
		}
		ws.last[apiKey] = w
	}
	ws.mu.Unlock()
	switch {
	case shown && (!known || last != w) && st != nil:
		if err := st.SetAPIWire(ctx, apiKey, w.String(), time.Now()); err != nil {
			log.Warn("could not store the API key's dialect", "err", err)
		}
		return w
	case shown:
		return w
	case known:
		return last
	case st == nil:
		return def
	}
	name, err := st.APIWire(ctx, apiKey)
	if err != nil {
		log.Warn("could not read the API key's dialect", "err", err)
		return def
	}
	stored, ok := ParseWire(name)
	if !ok || name == "" {
		return def
	}
	ws.mu.Lock()
	if _, known := ws.last[apiKey]; !known {
		if ws.last == nil {
			ws.last = map[string]Wire{}
		}
		ws.last[apiKey] = stored
	}
	ws.mu.Unlock()
	return stored
}

// bodyWire tells the dialect from a request body's keys: a lowerCamelCase key (roomId) is
// protobuf-JSON, a snake_case one (room_id) is the documented dialect. Keys inside extra_data
// are the caller's own and say nothing. shown is false when no key tells (a bare {}, or only
// one-word keys like from and limit).
func bodyWire(body []byte) (w Wire, shown bool) {
	body = bytes.TrimSpace(body)
	if len(body) < 3 { // {} or empty
		return WireDocs, false
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return WireDocs, false
	}
	camel, snake := keyStyles(v)
	switch {
	case camel && !snake:
		return WireProto, true
	case snake:
		return WireDocs, true
	}
	return WireDocs, false
}

func keyStyles(v any) (camel, snake bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if strings.Contains(k, "_") {
				snake = true
			} else if strings.IndexFunc(k, unicode.IsUpper) > 0 {
				camel = true
			}
			if k == "extra_data" || k == "extraData" {
				continue
			}
			c, s := keyStyles(val)
			camel, snake = camel || c, snake || s
		}
	case []any:
		for _, val := range x {
			c, s := keyStyles(val)
			camel, snake = camel || c, snake || s
		}
	}
	return camel, snake
}

// pbInt64 is a 64-bit integer in a protojson answer: a decimal string, as protojson writes it.
type pbInt64 int64

func (v pbInt64) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, strconv.FormatInt(int64(v), 10)), nil
}

// pbFlag is a plugNmeet int32 flag (is_running and the like): 0 or 1.
func pbFlag(b bool) int32 {
	if b {
		return 1
	}
	return 0
}
