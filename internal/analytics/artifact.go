package analytics

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meet"
)

// Artifacts (doc/api.md, "Artifacts"): files made of a session, in plugNmeet's vocabulary. meetd
// makes one type, MEETING_ANALYTICS: the session's analytics as plugNmeet's AnalyticsResult
// (result.go), written with the attendance report when a session with enable_analytics ends.

// ArtifactTypes are plugNmeet's RoomArtifactType names, by number.
var ArtifactTypes = []string{"UNKNOWN_ARTIFACT", "MEETING_ANALYTICS", "MEETING_SUMMARY", "MEETING_SUMMARY_USAGE",
	"SPEECH_TRANSCRIPTION", "SPEECH_TRANSCRIPTION_USAGE", "SYNTHESIZED_SPEECH_USAGE", "CHAT_TRANSLATION_USAGE",
	"AI_TEXT_CHAT_INTERACTION_USAGE", "AI_TEXT_CHAT_SUMMARIZATION_USAGE"}

// TypeMeetingAnalytics is the type of the artifact meetd makes.
const TypeMeetingAnalytics = "MEETING_ANALYTICS"

// Artifact is a written artifact.
type Artifact struct {
	ArtifactID string
	SID        string
	RoomID     string
	Type       string // a name of ArtifactTypes
	FileName   string
	FileSize   int64 // bytes
	MimeType   string
	CreatedAt  time.Time
}

// ArtifactFilter selects artifacts: by rooms, session and type ("" for any), paged as the other
// fetch calls.
type ArtifactFilter struct {
	meet.SessionFilter
	RoomSID string
	Type    string
}

// ArtifactEvent is the artifact_created event of a.
func ArtifactEvent(a Artifact, sess *meet.Session, at time.Time) meet.Event {
	e := meet.NewEvent(meet.EventArtifactCreated, sess, at)
	e.RoomArtifact = &meet.EventArtifact{Type: a.Type, ArtifactID: a.ArtifactID, Metadata: &meet.EventArtifactMetadata{
		FileInfo: &meet.ArtifactFileInfo{FilePath: a.FileName, FileSize: a.FileSize, MimeType: a.MimeType},
	}}
	return e
}

func (s *Service) artifactPath(id string) string { return filepath.Join(s.dir, id+".json") }

// Artifacts is artifact/fetch.
func (s *Service) Artifacts(ctx context.Context, f ArtifactFilter) ([]Artifact, int, error) {
	if f.RoomSID != "" && !meet.ValidID(f.RoomSID) {
		return nil, 0, meet.BadID("room_sid")
	}
	return s.store.Artifacts(ctx, f)
}

func (s *Service) artifact(ctx context.Context, id string) (*Artifact, error) {
	return meet.Lookup(ctx, "artifact_id", "artifact", id, s.store.Artifact)
}

// ArtifactInfo is artifact/info: the artifact and its session (nil if the session is gone).
func (s *Service) ArtifactInfo(ctx context.Context, id string) (*Artifact, *meet.Session, error) {
	a, err := s.artifact(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	sess, err := s.store.SessionBySID(ctx, a.SID)
	if err != nil {
		return nil, nil, fmt.Errorf("session of artifact %s: %w", id, err)
	}
	return a, sess, nil
}

// DeleteArtifact removes an artifact's file and marks it deleted. The attendance report of the
// same session stays (analytics/delete removes that).
func (s *Service) DeleteArtifact(ctx context.Context, id string) error {
	if _, err := s.artifact(ctx, id); err != nil {
		return err
	}
	if _, err := s.store.DeleteArtifact(ctx, id, s.now()); err != nil {
		return err
	}
	if err := os.Remove(s.artifactPath(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove artifact %s: %w", id, err)
	}
	return nil
}

// ArtifactDownloadToken makes a short-lived token for one artifact (as for reports and recordings).
func (s *Service) ArtifactDownloadToken(ctx context.Context, id string) (string, error) {
	if _, err := s.artifact(ctx, id); err != nil {
		return "", err
	}
	return s.keys.DownloadToken(auth.ArtifactDownload, id, s.now())
}

// OpenArtifact checks a download token and returns the file to send: its path, download name and
// type.
func (s *Service) OpenArtifact(ctx context.Context, token string) (path, name, contentType string, err error) {
	id, err := s.keys.ParseDownloadToken(auth.ArtifactDownload, token, s.now())
	if err != nil {
		return "", "", "", err
	}
	a, err := s.artifact(ctx, id)
	if err != nil {
		return "", "", "", err
	}
	name = a.RoomID + "-" + a.CreatedAt.UTC().Format("20060102-150405") + "-analytics.json"
	return s.artifactPath(a.ArtifactID), name, a.MimeType, nil
}
