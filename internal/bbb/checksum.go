package bbb

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/hex"
	"hash"
	"net/url"
	"sort"
	"strings"
)

// AllAlgorithms are the checksum algorithms BBB knows, the default allowed set.
var AllAlgorithms = []string{"sha1", "sha256", "sha384", "sha512"}

// algorithmOf is the algorithm of a checksum by its length in hex, as bbb-web chooses it.
func algorithmOf(checksum string) string {
	switch len(checksum) {
	case 40:
		return "sha1"
	case 64:
		return "sha256"
	case 96:
		return "sha384"
	case 128:
		return "sha512"
	}
	return ""
}

func newHash(algo string) hash.Hash {
	switch algo {
	case "sha1":
		return sha1.New()
	case "sha256":
		return sha256.New()
	case "sha384":
		return sha512.New384()
	case "sha512":
		return sha512.New()
	}
	return nil
}

// Checksum is BBB's checksum of a call: hex of algo(call + query + secret), query being the raw
// query string without its checksum (doc/bbb.md, "Checksum").
func Checksum(algo, call, query, secret string) string {
	h := newHash(algo)
	if h == nil {
		return ""
	}
	h.Write([]byte(call + query + secret))
	return hex.EncodeToString(h.Sum(nil))
}

// stripChecksum removes checksum=<value> from a raw query string as bbb-web does: by literal
// replacement of "&checksum=v", then "checksum=v&", then "checksum=v".
func stripChecksum(raw, value string) string {
	q := strings.ReplaceAll(raw, "&checksum="+value, "")
	q = strings.ReplaceAll(q, "checksum="+value+"&", "")
	return strings.ReplaceAll(q, "checksum="+value, "")
}

// checksumValues are the raw values of the checksum parameters of a raw query string.
func checksumValues(raw string) []string {
	var out []string
	for _, pair := range strings.Split(raw, "&") {
		if v, ok := strings.CutPrefix(pair, "checksum="); ok {
			out = append(out, v)
		}
	}
	return out
}

// verify checks a call's checksum: over the raw query string, else (a POST form) over the raw
// body or the body's parameters sorted and encoded as older bbb-web did. Exactly one checksum
// parameter; its algorithm (by length) allowed; any configured secret; compared in constant time.
func (s *Server) verify(call, rawQuery string, form []byte) bool {
	sums := checksumValues(rawQuery)
	inQuery := len(sums) > 0
	if form != nil {
		sums = append(sums, checksumValues(string(form))...)
	}
	if len(sums) != 1 {
		return false
	}
	got := strings.ToLower(sums[0])
	algo := algorithmOf(got)
	if algo == "" || !s.algos[algo] {
		return false
	}
	var candidates []string
	if inQuery {
		candidates = append(candidates, stripChecksum(rawQuery, sums[0]))
	} else {
		candidates = append(candidates, rawQuery) // a form body's params, checksum over the empty query (BBB 2.6+)
		body := stripChecksum(string(form), sums[0])
		candidates = append(candidates, body, sortedForm(body))
	}
	ok := 0
	for _, secret := range s.cfg.Secrets {
		for _, q := range candidates {
			ok |= subtle.ConstantTimeCompare([]byte(Checksum(algo, call, q, secret)), []byte(got))
		}
	}
	return ok == 1
}

// sortedForm is a form body's parameters sorted by name and encoded again (older bbb-web).
func sortedForm(body string) string {
	v, err := url.ParseQuery(body)
	if err != nil {
		return body
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		for _, x := range v[k] {
			parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(x))
		}
	}
	return strings.Join(parts, "&")
}
