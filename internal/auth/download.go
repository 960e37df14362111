package auth

import (
	"encoding/json"
	"time"

	"meetd/internal/meet"
)

// Download tokens (doc/api.md: recording/getDownloadToken, analytics/getDownloadToken,
// artifact/getDownloadToken): short-lived tokens that let their bearer download one file. Each
// kind has its own purpose, so one kind's token opens no other kind's file, and names its file's id
// with its own claim.

// DownloadTTL is how long a download token is valid.
const DownloadTTL = 10 * time.Minute

// Download is a kind of download token.
type Download struct{ purpose, claim string }

// The kinds of download tokens.
var (
	RecordingDownload = Download{"recording_download", "record_id"}
	ReportDownload    = Download{"analytics_download", "file_id"}
	ArtifactDownload  = Download{"artifact_download", "artifact_id"}
	ChatFileDownload  = Download{"chat_file_download", "file_id"}
)

// downloadClaims are {iss, nbf, exp, purpose, <claim>: id}.
type downloadClaims struct {
	Times
	Purpose string `json:"purpose"`
	claim   string
	id      string
}

func (c downloadClaims) MarshalJSON() ([]byte, error) {
	head, err := json.Marshal(struct {
		Times
		Purpose string `json:"purpose"`
	}{c.Times, c.Purpose})
	if err != nil {
		return nil, err
	}
	key, _ := json.Marshal(c.claim)
	id, _ := json.Marshal(c.id)
	out := append(head[:len(head)-1:len(head)-1], ',')
	out = append(append(append(out, key...), ':'), id...)
	return append(out, '}'), nil
}

func (c *downloadClaims) UnmarshalJSON(b []byte) error {
	var head struct {
		Times
		Purpose string `json:"purpose"`
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &head); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	c.Times, c.Purpose, c.id = head.Times, head.Purpose, ""
	if raw, ok := all[c.claim]; ok {
		return json.Unmarshal(raw, &c.id)
	}
	return nil
}

// DownloadToken makes a token of kind d for the file id, valid DownloadTTL from now.
func (k Keys) DownloadToken(d Download, id string, now time.Time) (string, error) {
	return Sign(k.APISecret, downloadClaims{Times: NewTimes(k.APIKey, now, DownloadTTL), Purpose: d.purpose, claim: d.claim, id: id})
}

// ParseDownloadToken checks a token of kind d and returns its file's id; a token that does not
// verify, has expired or is of another kind is INVALID_TOKEN_OR_SIGNATURE.
func (k Keys) ParseDownloadToken(d Download, token string, now time.Time) (string, error) {
	c := downloadClaims{claim: d.claim}
	if err := Parse(k.APISecret, token, &c, now); err != nil || c.Purpose != d.purpose {
		return "", meet.Errorf(meet.CodeInvalidTokenOrSignature, "invalid or expired download token")
	}
	return c.id, nil
}
