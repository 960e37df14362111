package auth

import (
	"testing"
	"time"

	"meetd/internal/meet"
)

// Download tokens are the JWTs each service made before they shared this code, byte for byte; a
// token opens only its own kind's files, and not after DownloadTTL.
func TestDownloadTokens(t *testing.T) {
	k := Keys{APIKey: "key", APISecret: "secret-0123456789abcdef0123456789abcdef"}
	now := time.Unix(1800000000, 0)
	times := NewTimes(k.APIKey, now, 10*time.Minute)
	type recording struct {
		Times
		Purpose  string `json:"purpose"`
		RecordID string `json:"record_id"`
	}
	type report struct {
		Times
		Purpose string `json:"purpose"`
		FileID  string `json:"file_id"`
	}
	type artifact struct {
		Times
		Purpose    string `json:"purpose"`
		ArtifactID string `json:"artifact_id"`
	}
	for _, c := range []struct {
		d    Download
		id   string
		want any
	}{
		{RecordingDownload, "REC_1", recording{times, "recording_download", "REC_1"}},
		{ReportDownload, "AN_1", report{times, "analytics_download", "AN_1"}},
		{ArtifactDownload, "AR_\"1", artifact{times, "artifact_download", "AR_\"1"}},
	} {
		token, err := k.DownloadToken(c.d, c.id, now)
		if err != nil {
			t.Fatal(err)
		}
		if want, _ := Sign(k.APISecret, c.want); token != want {
			t.Errorf("%s: token\n%s\nwant\n%s", c.d.purpose, token, want)
		}
		if id, err := k.ParseDownloadToken(c.d, token, now.Add(time.Minute)); err != nil || id != c.id {
			t.Errorf("%s: parsed %q, %v", c.d.purpose, id, err)
		}
		if _, err := k.ParseDownloadToken(c.d, token, now.Add(DownloadTTL)); meet.CodeOf(err) != meet.CodeInvalidTokenOrSignature {
			t.Errorf("%s: expired token: %v", c.d.purpose, err)
		}
		for _, other := range []Download{RecordingDownload, ReportDownload, ArtifactDownload} {
			if other != c.d {
				if _, err := k.ParseDownloadToken(other, token, now); meet.CodeOf(err) != meet.CodeInvalidTokenOrSignature {
					t.Errorf("%s token read as %s: %v", c.d.purpose, other.purpose, err)
				}
			}
		}
	}
}
