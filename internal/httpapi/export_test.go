package httpapi

import "testing"

// What the tests of package httpapi_test (which drive a meettest server) need of sdk2_test.go:
// the strict parse that fails the test.

// StrictParse is strictParse.
func StrictParse(t testing.TB, body []byte, v any) { t.Helper(); strictParse(t, body, v) }
