package bbb

import (
	"strings"
	"testing"
)

// The contract's vectors (doc/bbb.md, "Checksum"): BBB's documented example and ones computed
// with BBB's rule.
func TestChecksumVectors(t *testing.T) {
	const secret = "639259d4-9dd8-4b25-bf01-95f9567eaf4b"
	const qs = "name=Test+Meeting&meetingID=abc123&attendeePW=111222&moderatorPW=333444"
	for _, c := range []struct{ algo, call, qs, want string }{
		{"sha1", "create", qs, "1fcbb0c4fc1f039f73aa6d697d2db9ba7f803f17"},
		{"sha256", "create", qs, "da9185f7f333cfdfcd6eeac32dca3777510c4c436020d8b887ba5515bd1d189e"},
		{"sha1", "getMeetings", "", "2027baa7771026e9e93392f55031535d1444c41f"},
	} {
		if got := Checksum(c.algo, c.call, c.qs, secret); got != c.want {
			t.Errorf("%s %s: %s, want %s", c.algo, c.call, got, c.want)
		}
	}
	for algo, n := range map[string]int{"sha1": 40, "sha256": 64, "sha384": 96, "sha512": 128} {
		sum := Checksum(algo, "create", qs, secret)
		if len(sum) != n || algorithmOf(sum) != algo {
			t.Errorf("%s: %d hex digits, algorithm by length %q", algo, len(sum), algorithmOf(sum))
		}
	}
}

func TestStripChecksum(t *testing.T) {
	for _, c := range []struct{ raw, want string }{
		{"a=1&b=2&checksum=X", "a=1&b=2"},
		{"checksum=X&a=1&b=2", "a=1&b=2"},
		{"a=1&checksum=X&b=2", "a=1&b=2"},
		{"checksum=X", ""},
	} {
		if got := stripChecksum(c.raw, "X"); got != c.want {
			t.Errorf("%q: %q, want %q", c.raw, got, c.want)
		}
	}
	if n := len(checksumValues("a=1&checksum=X&checksum=X")); n != 2 {
		t.Errorf("two checksums counted %d", n)
	}
	if !strings.Contains(string(version().XML()), "<version>2.0</version>") {
		t.Error("version")
	}
}
