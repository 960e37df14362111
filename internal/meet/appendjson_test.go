package meet

import (
	"encoding/json"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

// tricky holds the strings the random values are made of: every kind of byte JSON escapes.
var tricky = []string{"", "plain", `"quoted" \ back`, "<script>&amp;</script>", "tab\tnl\nret\rbs\bff\f",
	"\x00\x01\x1f\x7f", "line\u2028para\u2029", "bad \xff\xfe utf-8 \xe2\x82", "émoji 😀 日本", `{"is_admin":true}`}

// fill sets every exported field of v (a struct, recursively) to a random value; slices are nil,
// empty or a few long.
func fill(v reflect.Value, r *rand.Rand) {
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), r)
			}
		}
	case reflect.String:
		v.SetString(tricky[r.Intn(len(tricky))] + tricky[r.Intn(len(tricky))])
	case reflect.Bool:
		v.SetBool(r.Intn(2) == 1)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(r.Int63() - r.Int63())
	case reflect.Uint32, reflect.Uint64, reflect.Uint:
		v.SetUint(uint64(r.Uint32()))
	case reflect.Slice:
		n := r.Intn(5) - 1
		if n < 0 {
			return // nil
		}
		v.Set(reflect.MakeSlice(v.Type(), n, n))
		for i := range n {
			fill(v.Index(i), r)
		}
	default:
		panic("fill: no case for " + v.Kind().String())
	}
}

// The hand-written encoders write exactly what encoding/json writes, for any value (a field added
// to the types without its line in the encoder fails here).
func TestAppendJSONIsEncodingJSON(t *testing.T) {
	same := func(v any, appended []byte) {
		t.Helper()
		want, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if string(want) != string(appended) {
			t.Fatalf("appended:\n%s\nencoding/json:\n%s", appended, want)
		}
	}
	r := rand.New(rand.NewSource(1))
	for range 500 {
		var p ParticipantInfo
		fill(reflect.ValueOf(&p).Elem(), r)
		same(p, p.AppendJSON(nil))
	}
	for range 50 {
		var room Room
		fill(reflect.ValueOf(&room).Elem(), r)
		same(room, room.AppendJSON(nil))
	}
	for _, s := range tricky {
		p := ParticipantInfo{Name: s, Metadata: s, Tracks: []Track{{MimeType: s}}}
		same(p, p.AppendJSON(nil))
	}
	for _, room := range []Room{{}, {ParticipantsInfo: []ParticipantInfo{}}, {ParticipantsInfo: []ParticipantInfo{{Tracks: []Track{}}}}} {
		same(room, room.AppendJSON(nil))
	}
}

// The quoted metadata of SetMetadata is used while the metadata stays the same, and only then.
func TestSetMetadataQuoted(t *testing.T) {
	md := `{"is_admin":true,"note":"<b>"}`
	var p ParticipantInfo
	p.SetMetadata(md, string(AppendString(nil, md)))
	want, _ := json.Marshal(p)
	if got := p.AppendJSON(nil); string(got) != string(want) {
		t.Errorf("with the quoted metadata:\n%s\nwant\n%s", got, want)
	}
	p.SetMetadata(md, `"marker"`) // AppendJSON copies what it was given
	if got := string(p.AppendJSON(nil)); !json.Valid([]byte(got)) || !strings.Contains(got, `"metadata":"marker"`) {
		t.Errorf("the quoted form was not used: %s", got)
	}
	p.Metadata = `{"changed":1}` // changed afterwards: escaped anew
	want, _ = json.Marshal(p)
	if got := p.AppendJSON(nil); string(got) != string(want) {
		t.Errorf("after a change:\n%s\nwant\n%s", got, want)
	}
}

// The same for the room's metadata (room info keeps it quoted by its text: doc/decisions/0008).
func TestRoomSetMetadataQuoted(t *testing.T) {
	md := `{"room_title":"<b>\"x\"</b>"}`
	var r RoomInfo
	r.SetMetadata(md, string(AppendString(nil, md)))
	want, _ := json.Marshal(r)
	if got := r.AppendJSON(nil); string(got) != string(want) {
		t.Errorf("with the quoted metadata:\n%s\nwant\n%s", got, want)
	}
	r.SetMetadata(md, `"marker"`)
	if got := string(r.AppendJSON(nil)); !json.Valid([]byte(got)) || !strings.Contains(got, `"metadata":"marker"`) {
		t.Errorf("the quoted form was not used: %s", got)
	}
	r.Metadata = `{"changed":1}`
	want, _ = json.Marshal(r)
	if got := r.AppendJSON(nil); string(got) != string(want) {
		t.Errorf("after a change:\n%s\nwant\n%s", got, want)
	}
}
