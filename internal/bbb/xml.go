package bbb

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strconv"
)

// Response is a call's answer: XML as bbb-web writes it (<response><returncode>… in BBB's
// element order), or a redirect, or raw bytes (the few JSON calls).
type Response struct {
	Code  string // SUCCESS or FAILED
	Elems []El   // after returncode, in order
	// Redirect, if set, answers 302 to it instead.
	Redirect string
	// Raw, if set, is written as is with ContentType instead of XML.
	Raw         []byte
	ContentType string
}

// El is an XML element: text (escaped, or as CDATA), or children; attributes in order.
type El struct {
	Name  string
	Text  string
	CDATA bool
	Attrs [][2]string
	Kids  []El
	// Empty: written as <name/> (no text, no children).
	parent bool
}

// E is an element with text.
func E(name, text string) El { return El{Name: name, Text: text} }

// EC is an element with its text in CDATA.
func EC(name, text string) El { return El{Name: name, Text: text, CDATA: true} }

// EB is an element of a boolean.
func EB(name string, v bool) El { return El{Name: name, Text: strconv.FormatBool(v)} }

// EI is an element of an integer.
func EI(name string, v int64) El { return El{Name: name, Text: strconv.FormatInt(v, 10)} }

// EP is an element of children (written <name/> when there are none).
func EP(name string, kids ...El) El { return El{Name: name, Kids: kids, parent: true} }

// ok is a SUCCESS answer with these elements after returncode.
func ok(elems ...El) *Response { return &Response{Code: "SUCCESS", Elems: elems} }

// fail is a FAILED answer with BBB's messageKey and message (HTTP 200).
func fail(key, message string) *Response {
	return &Response{Code: "FAILED", Elems: []El{E("messageKey", key), E("message", message)}}
}

// Key is the answer's messageKey, "" if none.
func (r *Response) Key() string {
	for _, e := range r.Elems {
		if e.Name == "messageKey" {
			return e.Text
		}
	}
	return ""
}

// version is the answer of api/ (doc/bbb.md): Moodle needs <version> ≥ 1.0.
func version() *Response {
	return ok(E("version", "2.0"), E("apiVersion", "2.0"), E("bbbVersion", "3.0.0-meetd"))
}

// writeResponse writes the answer: XML with HTTP 200 whatever the returncode.
func writeResponse(w http.ResponseWriter, r *http.Request, res *Response) {
	h := w.Header()
	h.Set("Cache-Control", "no-cache")
	if res.Redirect != "" {
		http.Redirect(w, r, res.Redirect, http.StatusFound)
		return
	}
	if res.Raw != nil {
		h.Set("Content-Type", res.ContentType)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(res.Raw)
		return
	}
	h.Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.XML())
}

// XML is the answer's document (no prolog, as bbb-web writes it).
func (r *Response) XML() []byte {
	var b bytes.Buffer
	b.WriteString("<response>")
	writeEl(&b, E("returncode", r.Code))
	for _, e := range r.Elems {
		writeEl(&b, e)
	}
	b.WriteString("</response>")
	return b.Bytes()
}

func writeEl(b *bytes.Buffer, e El) {
	b.WriteByte('<')
	b.WriteString(e.Name)
	for _, a := range e.Attrs {
		b.WriteByte(' ')
		b.WriteString(a[0])
		b.WriteString(`="`)
		_ = xml.EscapeText(b, []byte(a[1]))
		b.WriteByte('"')
	}
	if e.Text == "" && len(e.Kids) == 0 && e.parent {
		b.WriteString("/>")
		return
	}
	b.WriteByte('>')
	switch {
	case e.CDATA:
		writeCDATA(b, e.Text)
	default:
		_ = xml.EscapeText(b, []byte(e.Text))
	}
	for _, k := range e.Kids {
		writeEl(b, k)
	}
	b.WriteString("</")
	b.WriteString(e.Name)
	b.WriteByte('>')
}

func writeCDATA(b *bytes.Buffer, s string) {
	b.WriteString("<![CDATA[")
	b.WriteString(string(bytes.ReplaceAll([]byte(s), []byte("]]>"), []byte("]]]]><![CDATA[>"))))
	b.WriteString("]]>")
}
