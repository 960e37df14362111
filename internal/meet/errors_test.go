package meet

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// declaredCodes are the Code constants of errors.go, by value.
func declaredCodes(t *testing.T) []Code {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var codes []Code
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			v := spec.(*ast.ValueSpec)
			if id, ok := v.Type.(*ast.Ident); !ok || id.Name != "Code" {
				continue
			}
			for _, val := range v.Values {
				s, err := strconv.Unquote(val.(*ast.BasicLit).Value)
				if err != nil {
					t.Fatal(err)
				}
				codes = append(codes, Code(s))
			}
		}
	}
	return codes
}

// Every declared code has exactly one row, with a line of doc; success and internal errors are
// answered at every door.
func TestCodesTable(t *testing.T) {
	declared := declaredCodes(t)
	if len(declared) != len(Codes) {
		t.Errorf("%d codes declared, %d rows in Codes", len(declared), len(Codes))
	}
	rows := map[Code]int{}
	for _, c := range Codes {
		rows[c.Code]++
		if strings.TrimSpace(c.Doc) == "" {
			t.Errorf("%s: no doc", c.Code)
		}
		if c.Sent != "" {
			if s := info(c.Sent); s == nil || s.Sent != "" {
				t.Errorf("%s is sent as %s, which must be a code of its own row", c.Code, c.Sent)
			}
		}
		answered := false
		for _, st := range c.Status {
			answered = answered || st != ___
		}
		if !answered {
			t.Errorf("%s: answered at no door", c.Code)
		}
	}
	for _, code := range declared {
		if rows[code] != 1 {
			t.Errorf("%s: %d rows in Codes, want 1", code, rows[code])
		}
	}
	for door := Door(0); door < NumDoors; door++ {
		for _, code := range []Code{CodeSuccess, CodeInternalServerError} {
			if _, ok := Status(door, code); !ok {
				t.Errorf("door %d does not answer %s", door, code)
			}
		}
	}
	if got := CodeBodyTooLarge.Sent(); got != CodeInvalidParameters {
		t.Errorf("BODY_TOO_LARGE is sent as %s", got)
	}
	if got := CodeRoomNotFound.Sent(); got != CodeRoomNotFound {
		t.Errorf("ROOM_NOT_FOUND is sent as %s", got)
	}
	if s, ok := Status(DoorAPI, CodeRoomNotFound); !ok || s != 200 {
		t.Errorf("ROOM_NOT_FOUND on the signed API: %d %v, want 200 (the plugNmeet contract)", s, ok)
	}
	if _, ok := Status(DoorStream, CodeRoomNotFound); ok {
		t.Error("ROOM_NOT_FOUND is answered on the event stream")
	}
}

// docRows is the table of doc/api.md's "Status codes" section, made from Codes.
func docRows() []string {
	rows := []string{
		"| code | signed API | dashboard | page | download | stream | probe | meaning |",
		"|---|---|---|---|---|---|---|---|",
	}
	for _, c := range Codes {
		code := "`" + string(c.Code) + "`"
		if c.Sent != "" {
			code += " (sent as `" + string(c.Sent) + "`)"
		}
		cells := []string{code}
		for _, st := range c.Status {
			if st == ___ {
				cells = append(cells, "—")
			} else {
				cells = append(cells, strconv.Itoa(st))
			}
		}
		cells = append(cells, c.Doc)
		rows = append(rows, "| "+strings.Join(cells, " | ")+" |")
	}
	return rows
}

// doc/api.md lists every code with its statuses and meaning, as Codes has them.
func TestCodesInDoc(t *testing.T) {
	b, err := os.ReadFile("../../doc/api.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	_, section, ok := strings.Cut(doc, "\n## Status codes\n")
	if !ok {
		t.Fatal(`doc/api.md has no "## Status codes" section`)
	}
	lines := map[string]bool{}
	for _, l := range strings.Split(section, "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	want := docRows()
	missing := 0
	for _, row := range want {
		if !lines[row] {
			t.Errorf("doc/api.md, Status codes, lacks the row\n%s", row)
			missing++
		}
	}
	if missing > 0 {
		fmt.Fprintf(os.Stderr, "\nThe table as meet.Codes has it:\n\n%s\n\n", strings.Join(want, "\n"))
	}
}
