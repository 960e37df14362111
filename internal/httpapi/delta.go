package httpapi

import (
	"encoding/json"
	"fmt"
	"html"
	"net/url"
	"strconv"
	"strings"

	"meetd/internal/meet"
)

// The shared notes' rendering (doc/api.md, "Shared notes") is the text as a Quill delta, which
// the pages post: {"ops":[{"insert":"Hello ","attributes":{"bold":true}},{"insert":"\n",
// "attributes":{"header":1}}, …]}. meetd writes Markdown and HTML from it itself, escaping every
// text, so the download never carries markup a page made up. Known attributes: bold, italic,
// underline, strike, code, link (http, https, mailto) inline; header (1–6), list
// (ordered, bullet, checked, unchecked), blockquote and code-block on a line's "\n". Embeds
// (images, formulas) are left out.

type deltaOp struct {
	Insert     any            `json:"insert"`
	Attributes map[string]any `json:"attributes"`
}

type delta struct {
	Ops []deltaOp `json:"ops"`
}

// span is a run of text with its inline attributes.
type span struct {
	text  string
	attrs map[string]any
}

// line is one line of the text with its line attributes.
type line struct {
	spans []span
	attrs map[string]any
}

// parseDelta reads a rendering; field names it in the error.
func parseDelta(field, s string) (*delta, error) {
	var d delta
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		return nil, meet.Errorf(meet.CodeInvalidParameters, "%s must be a Quill delta {\"ops\":[…]}", field)
	}
	for i, op := range d.Ops {
		switch op.Insert.(type) {
		case string, map[string]any:
		default:
			return nil, meet.Errorf(meet.CodeInvalidParameters, "%s.ops[%d].insert must be a text or an embed", field, i)
		}
	}
	return &d, nil
}

// lines splits a delta into its lines.
func (d *delta) lines() []line {
	var out []line
	cur := line{}
	for _, op := range d.Ops {
		text, ok := op.Insert.(string)
		if !ok {
			continue // an embed
		}
		for {
			i := strings.IndexByte(text, '\n')
			if i < 0 {
				break
			}
			if i > 0 {
				cur.spans = append(cur.spans, span{text[:i], op.Attributes})
			}
			cur.attrs = op.Attributes
			out = append(out, cur)
			cur = line{}
			text = text[i+1:]
		}
		if text != "" {
			cur.spans = append(cur.spans, span{text, op.Attributes})
		}
	}
	if len(cur.spans) > 0 {
		out = append(out, cur)
	}
	// Quill's text always ends with an empty line's "\n": drop trailing empty lines
	for len(out) > 0 && len(out[len(out)-1].spans) == 0 && len(out[len(out)-1].attrs) == 0 {
		out = out[:len(out)-1]
	}
	return out
}

func attr(a map[string]any, k string) string {
	switch v := a[k].(type) {
	case string:
		return v
	case bool:
		if v {
			return "true"
		}
	case float64:
		return strconv.Itoa(int(v))
	}
	return ""
}

// safeLink is a link's URL if it is http, https or mailto; else "".
func safeLink(s string) string {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "mailto") {
		return ""
	}
	return u.String()
}

// blockKind names what a line is, for grouping lines into lists and code blocks.
func blockKind(l line) (kind, arg string) {
	switch {
	case attr(l.attrs, "code-block") != "":
		return "code", ""
	case attr(l.attrs, "list") != "":
		return "list", attr(l.attrs, "list")
	case attr(l.attrs, "header") != "":
		return "header", attr(l.attrs, "header")
	case attr(l.attrs, "blockquote") != "":
		return "quote", ""
	}
	return "p", ""
}

func headerLevel(s string) int {
	n, _ := strconv.Atoi(s)
	return min(max(n, 1), 6)
}

// mdEscape escapes the characters Markdown would read as markup.
var mdEscaper = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "`", "\\`", "[", `\[`, "]", `\]`, "<", "&lt;", "#", `\#`, "~", `\~`)

func mdInline(spans []span) string {
	var b strings.Builder
	for _, s := range spans {
		text := s.text
		if attr(s.attrs, "code") != "" {
			text = "`" + strings.ReplaceAll(text, "`", "'") + "`"
		} else {
			text = mdEscaper.Replace(text)
		}
		lead, core, trail := splitSpace(text)
		if core != "" {
			if attr(s.attrs, "bold") != "" {
				core = "**" + core + "**"
			}
			if attr(s.attrs, "italic") != "" {
				core = "*" + core + "*"
			}
			if attr(s.attrs, "strike") != "" {
				core = "~~" + core + "~~"
			}
			if link := safeLink(attr(s.attrs, "link")); link != "" {
				core = "[" + core + "](" + strings.ReplaceAll(strings.ReplaceAll(link, "(", "%28"), ")", "%29") + ")"
			}
		}
		b.WriteString(lead + core + trail)
	}
	return b.String()
}

// splitSpace splits the spaces around a text off it (Markdown's emphasis must not start or end
// with one).
func splitSpace(s string) (lead, core, trail string) {
	core = strings.TrimLeft(s, " \t")
	lead = s[:len(s)-len(core)]
	trimmed := strings.TrimRight(core, " \t")
	return lead, trimmed, core[len(trimmed):]
}

func plain(spans []span) string {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString(s.text)
	}
	return b.String()
}

// renderMarkdown writes the delta as Markdown.
func renderMarkdown(d *delta) string {
	var b strings.Builder
	lines := d.lines()
	prev := ""
	ordered := 0
	for i, l := range lines {
		kind, arg := blockKind(l)
		// a blank line between blocks, none inside a list, a quote or a code block
		same := i > 0 && kind == prev && (kind == "list" || kind == "code" || kind == "quote")
		if i > 0 && !same {
			if prev == "code" {
				b.WriteString("```\n")
			}
			b.WriteString("\n")
		}
		if !same {
			ordered = 0
		}
		switch kind {
		case "code":
			if !same {
				b.WriteString("```\n")
			}
			b.WriteString(plain(l.spans) + "\n")
		case "list":
			switch arg {
			case "ordered":
				ordered++
				b.WriteString(strconv.Itoa(ordered) + ". ")
			case "checked":
				b.WriteString("- [x] ")
			case "unchecked":
				b.WriteString("- [ ] ")
			default:
				b.WriteString("- ")
			}
			b.WriteString(mdInline(l.spans) + "\n")
		case "header":
			b.WriteString(strings.Repeat("#", headerLevel(arg)) + " " + mdInline(l.spans) + "\n")
		case "quote":
			b.WriteString("> " + mdInline(l.spans) + "\n")
		default:
			b.WriteString(mdInline(l.spans) + "\n")
		}
		prev = kind
	}
	if prev == "code" {
		b.WriteString("```\n")
	}
	return b.String()
}

func htmlInline(spans []span) string {
	var b strings.Builder
	for _, s := range spans {
		text := html.EscapeString(s.text)
		for _, t := range []struct{ attr, tag string }{{"code", "code"}, {"strike", "s"}, {"underline", "u"}, {"italic", "em"}, {"bold", "strong"}} {
			if attr(s.attrs, t.attr) != "" {
				text = "<" + t.tag + ">" + text + "</" + t.tag + ">"
			}
		}
		if link := safeLink(attr(s.attrs, "link")); link != "" {
			text = `<a href="` + html.EscapeString(link) + `" rel="noopener noreferrer">` + text + "</a>"
		}
		b.WriteString(text)
	}
	return b.String()
}

// renderHTML writes the delta as an HTML document titled title.
func renderHTML(d *delta, title string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head>\n<body>\n", html.EscapeString(title))
	open := "" // the open list or code block: "ul", "ol", "pre"
	closeOpen := func() {
		switch open {
		case "pre":
			b.WriteString("</code></pre>\n")
		case "ul", "ol":
			b.WriteString("</" + open + ">\n")
		}
		open = ""
	}
	for _, l := range d.lines() {
		kind, arg := blockKind(l)
		want := ""
		switch {
		case kind == "code":
			want = "pre"
		case kind == "list" && arg == "ordered":
			want = "ol"
		case kind == "list":
			want = "ul"
		}
		if want != open {
			closeOpen()
			switch want {
			case "pre":
				b.WriteString("<pre><code>")
			case "ul", "ol":
				b.WriteString("<" + want + ">\n")
			}
			open = want
		}
		switch kind {
		case "code":
			b.WriteString(html.EscapeString(plain(l.spans)) + "\n")
		case "list":
			box := ""
			if arg == "checked" {
				box = "&#x2611; "
			} else if arg == "unchecked" {
				box = "&#x2610; "
			}
			b.WriteString("<li>" + box + htmlInline(l.spans) + "</li>\n")
		case "header":
			n := strconv.Itoa(headerLevel(arg))
			b.WriteString("<h" + n + ">" + htmlInline(l.spans) + "</h" + n + ">\n")
		case "quote":
			b.WriteString("<blockquote>" + htmlInline(l.spans) + "</blockquote>\n")
		default:
			if len(l.spans) == 0 {
				b.WriteString("<p><br></p>\n")
			} else {
				b.WriteString("<p>" + htmlInline(l.spans) + "</p>\n")
			}
		}
	}
	closeOpen()
	b.WriteString("</body></html>\n")
	return b.String()
}

// renderText writes the delta's plain text.
func renderText(d *delta) string {
	var b strings.Builder
	for _, l := range d.lines() {
		b.WriteString(plain(l.spans) + "\n")
	}
	return b.String()
}
