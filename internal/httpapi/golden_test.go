package httpapi_test

// The golden files: each test of this package plays a script of HTTP exchanges against a
// meettest server and compares what meetd answered (status, content type, body) with
// testdata/<TestName>.json, after replacing the values that change from run to run. To accept
// today's answers as the new truth:
//
//	go test ./internal/httpapi -update

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"meetd/internal/auth"
	"meetd/internal/meettest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/ with today's answers")

// script records a test's exchanges with one server, for its golden file.
type script struct {
	t     *testing.T
	srv   *meettest.Server
	steps []any // *object: request, status, content_type, [retry_after,] body
}

func newScript(t *testing.T, opt meettest.Options) *script {
	return &script{t: t, srv: meettest.Start(t, opt)}
}

// signed posts a signed API call (see meettest.Server.Signed) and records it; it returns the
// answer decoded, for the test to read from.
func (s *script) signed(path string, body any) map[string]any {
	s.t.Helper()
	b := meettest.Body(s.t, body)
	h := http.Header{
		"Content-Type":   {"application/json"},
		"Api-Key":        {s.srv.Keys.APIKey},
		"Hash-Signature": {auth.SignBody(s.srv.Keys.APISecret, b)},
	}
	_, answer := s.do("POST", "/auth/"+path, h, b)
	return decoded(s.t, answer)
}

// do sends a request (path relative to the server) and records it under label (the method and
// path when empty).
func (s *script) do(method, path string, header http.Header, body any) (*http.Response, []byte) {
	s.t.Helper()
	b := meettest.Body(s.t, body)
	req, err := http.NewRequest(method, s.srv.URL+path, bytes.NewReader(b))
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, answer := s.srv.Do(s.t, req)
	s.record(strings.TrimSpace(method+" "+path+" "+string(b)), res.StatusCode, res.Header, answer)
	return res, answer
}

// post is do for a JSON POST that returns the answer decoded.
func (s *script) post(path string, header http.Header, body any) map[string]any {
	s.t.Helper()
	_, answer := s.do("POST", path, header, body)
	return decoded(s.t, answer)
}

func (s *script) record(request string, status int, h http.Header, body []byte) {
	s.t.Helper()
	step := &object{}
	step.set("request", request)
	step.set("status", json.Number(strconv.Itoa(status)))
	ctype := h.Get("Content-Type")
	step.set("content_type", ctype)
	if v := h.Get("Retry-After"); v != "" {
		step.set("retry_after", v)
	}
	switch {
	case strings.HasPrefix(ctype, "application/json"):
		v, err := parseOrdered(body)
		if err != nil {
			s.t.Fatalf("%s: the answer is not JSON: %v\n%s", request, err, body)
		}
		step.set("body", v)
	case strings.HasPrefix(ctype, "text/event-stream"):
		step.set("body", parseStream(s.t, body))
	case strings.HasPrefix(ctype, "text/html"):
		step.set("body", fmt.Sprintf("<an HTML page: %s>", pageTitle(body)))
	default:
		step.set("body", string(body))
	}
	s.steps = append(s.steps, step)
}

// check compares the recorded exchanges with the golden file, or rewrites it with -update.
func (s *script) check() {
	s.t.Helper()
	n := newNormaliser()
	doc := n.value("", s.steps)
	got := encodeOrdered(doc)
	for _, r := range n.replaced {
		s.t.Logf("normalised %s", r)
	}
	path := filepath.Join("testdata", s.t.Name()+".json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			s.t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			s.t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		s.t.Fatalf("%v (run go test ./internal/httpapi -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		s.t.Errorf("answers differ from %s (-want +got):\n%s\nrun go test ./internal/httpapi -update if the change is intended", path, lineDiff(string(want), string(got)))
	}
}

func decoded(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	_ = json.Unmarshal(b, &m) // not every answer is JSON; nil then
	return m
}

func pageTitle(b []byte) string {
	if m := regexp.MustCompile(`<title>([^<]*)</title>`).FindSubmatch(b); m != nil {
		return "title " + strconv.Quote(string(m[1]))
	}
	return "no title"
}

// parseStream reads a Server-Sent Events body: its comments and events, each event's data as JSON.
func parseStream(t *testing.T, body []byte) []any {
	var out []any
	for _, block := range strings.Split(strings.TrimSpace(string(body)), "\n\n") {
		ev := &object{}
		for _, line := range strings.Split(block, "\n") {
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			if field == "" {
				field = "comment"
			}
			if field == "data" {
				if v, err := parseOrdered([]byte(value)); err == nil {
					ev.set(field, v)
					continue
				}
			}
			ev.set(field, value)
		}
		out = append(out, ev)
	}
	return out
}

// object is a JSON object that keeps its keys in order, as meetd wrote them.
type object struct {
	keys []string
	vals []any
}

func (o *object) set(k string, v any) { o.keys = append(o.keys, k); o.vals = append(o.vals, v) }

// parseOrdered decodes JSON into *object, []any, string, json.Number, bool and nil.
func parseOrdered(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	v, err := parseValue(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the JSON value")
	}
	return v, nil
}

func parseValue(dec *json.Decoder) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		o := &object{}
		for dec.More() {
			k, err := dec.Token()
			if err != nil {
				return nil, err
			}
			v, err := parseValue(dec)
			if err != nil {
				return nil, err
			}
			o.set(k.(string), v)
		}
		_, err := dec.Token()
		return o, err
	case json.Delim('['):
		list := []any{}
		for dec.More() {
			v, err := parseValue(dec)
			if err != nil {
				return nil, err
			}
			list = append(list, v)
		}
		_, err := dec.Token()
		return list, err
	}
	return tok, nil
}

// encodeOrdered writes v indented, keys in their order.
func encodeOrdered(v any) []byte {
	var b bytes.Buffer
	var write func(v any, indent string)
	write = func(v any, indent string) {
		switch x := v.(type) {
		case *object:
			if len(x.keys) == 0 {
				b.WriteString("{}")
				return
			}
			b.WriteString("{\n")
			for i, k := range x.keys {
				b.WriteString(indent + "  ")
				write(k, indent)
				b.WriteString(": ")
				write(x.vals[i], indent+"  ")
				if i < len(x.keys)-1 {
					b.WriteByte(',')
				}
				b.WriteByte('\n')
			}
			b.WriteString(indent + "}")
		case []any:
			if len(x) == 0 {
				b.WriteString("[]")
				return
			}
			b.WriteString("[\n")
			for i, e := range x {
				b.WriteString(indent + "  ")
				write(e, indent+"  ")
				if i < len(x)-1 {
					b.WriteByte(',')
				}
				b.WriteByte('\n')
			}
			b.WriteString(indent + "]")
		default:
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false) // the placeholders read <RM_1>, not \u003cRM_1\u003e
			_ = enc.Encode(x)
			b.Truncate(b.Len() - 1) // Encode's newline
		}
	}
	write(v, "")
	b.WriteByte('\n')
	return b.Bytes()
}

// normaliser replaces what changes from run to run, and says what it replaced:
//   - ids made at random (RM_, EV_, REC_, AN_, AR_, U_ and 16 characters) become <RM_1>, <EV_2>…,
//     numbered in order of appearance, so that the same id reads the same everywhere;
//   - JWTs (join, page, download, stream tokens) become <jwt>;
//   - Unix times (numbers from 10^9 up) become <unix>, RFC 3339 times <time>;
//   - ports of 127.0.0.1 (the test server, receivers) become <port1>, <port2>…;
//   - an analytics file's size in bytes, which follows its times' lengths, becomes <size> (also
//     an artifact's, file_info.file_size, a number or a decimal string).
type normaliser struct {
	ids      map[string]string
	count    map[string]int
	replaced []string
}

func newNormaliser() *normaliser {
	return &normaliser{ids: map[string]string{}, count: map[string]int{}}
}

var (
	randomID = regexp.MustCompile(`\b(RM|EV|REC|AN|AR|U|PL)_[0-9A-Za-z]{16}\b`)
	jwt      = regexp.MustCompile(`eyJ[0-9A-Za-z_-]*\.[0-9A-Za-z_-]+\.[0-9A-Za-z_-]+`)
	rfc3339  = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
	port     = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	// the meeting's files are named by their content (getClientFiles)
	hashedName = regexp.MustCompile(`^(main-module|main)\.[0-9a-f]{16}\.(js|css)$`)
	// protojson writes 64-bit integers as strings: a Unix time is a quoted decimal, alone or
	// inside a metadata string
	unixString = regexp.MustCompile(`^1\d{9}$|"1\d{9}"`)
)

func (n *normaliser) note(path, what string) {
	r := path + ": " + what
	if !slices.Contains(n.replaced, r) {
		n.replaced = append(n.replaced, r)
	}
}

func (n *normaliser) value(path string, v any) any {
	switch x := v.(type) {
	case *object:
		out := &object{}
		for i, k := range x.keys {
			out.set(k, n.value(path+"."+k, x.vals[i]))
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = n.value(path+"["+strconv.Itoa(i)+"]", e)
		}
		return out
	case json.Number:
		if strings.Contains(path, "analytics_list") && strings.HasSuffix(path, ".file_size") ||
			strings.HasSuffix(path, ".file_info.file_size") {
			n.note(path, "size in bytes")
			return "<size>"
		}
		if f, err := x.Float64(); err == nil && f >= 1e9 {
			n.note(path, "unix time")
			return "<unix>"
		}
		return x
	case string:
		if strings.HasSuffix(path, ".file_info.file_size") {
			n.note(path, "size in bytes")
			return "<size>"
		}
		s := hashedName.ReplaceAllStringFunc(x, func(string) string {
			n.note(path, "hashed file name")
			return hashedName.ReplaceAllString(x, "$1.<hex16>.$2")
		})
		s = jwt.ReplaceAllStringFunc(s, func(string) string { n.note(path, "JWT"); return "<jwt>" })
		s = randomID.ReplaceAllStringFunc(s, func(id string) string {
			if p, ok := n.ids[id]; ok {
				return p
			}
			kind, _, _ := strings.Cut(id, "_")
			n.count[kind]++
			p := fmt.Sprintf("<%s_%d>", kind, n.count[kind])
			n.ids[id] = p
			n.note(path, "random id")
			return p
		})
		s = rfc3339.ReplaceAllStringFunc(s, func(string) string { n.note(path, "RFC 3339 time"); return "<time>" })
		s = unixString.ReplaceAllStringFunc(s, func(t string) string {
			n.note(path, "unix time")
			if strings.HasPrefix(t, `"`) {
				return `"<unix>"`
			}
			return "<unix>"
		})
		s = port.ReplaceAllStringFunc(s, func(addr string) string {
			if p, ok := n.ids[addr]; ok {
				return p
			}
			n.count["port"]++
			p := fmt.Sprintf("127.0.0.1:<port%d>", n.count["port"])
			n.ids[addr] = p
			n.note(path, "port")
			return p
		})
		return s
	}
	return v
}

// lineDiff lists the lines of want and got that differ, in a simple line-by-line comparison.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 40; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n- %s\n+ %s\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}
