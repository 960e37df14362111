package recorder

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"meetd/internal/auth"
	"meetd/internal/meet"
)

// Filter selects recordings for recording/fetch: by room and paging as sessions are selected,
// and by session if SID is set.
type Filter struct {
	meet.SessionFilter
	SID string
}

// List is recording/fetch.
func (s *Service) List(ctx context.Context, f Filter) ([]File, int, error) {
	return s.store.Recordings(ctx, f)
}

// Session is the session a recording was made in; nil if it is no longer stored.
func (s *Service) Session(ctx context.Context, f *File) (*meet.Session, error) {
	sess, err := s.store.SessionBySID(ctx, f.SID)
	if err != nil {
		return nil, fmt.Errorf("session of recording %s: %w", f.RecordID, err)
	}
	return sess, nil
}

// Info is recording/info.
func (s *Service) Info(ctx context.Context, recordID string) (*File, error) {
	return meet.Lookup(ctx, "record_id", "recording", recordID, s.store.Recording)
}

// Delete removes a recording's row and folder.
func (s *Service) Delete(ctx context.Context, recordID string) error {
	if _, err := s.Info(ctx, recordID); err != nil {
		return err
	}
	if _, err := s.store.DeleteRecording(ctx, recordID); err != nil {
		return fmt.Errorf("delete recording %s: %w", recordID, err)
	}
	if err := os.RemoveAll(s.folder(recordID)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove recording %s: %w", recordID, err)
	}
	s.log.Info("recording deleted", "record_id", recordID)
	return nil
}

// DownloadToken makes a short-lived token for one recording.
func (s *Service) DownloadToken(ctx context.Context, recordID string) (string, error) {
	if _, err := s.Info(ctx, recordID); err != nil {
		return "", err
	}
	return s.keys.DownloadToken(auth.RecordingDownload, recordID, s.now())
}

// Open checks a download token and returns the file to send: its path and its download name.
// The path is made from the stored row, never from the request.
func (s *Service) Open(ctx context.Context, token string) (path, name string, err error) {
	recordID, err := s.keys.ParseDownloadToken(auth.RecordingDownload, token, s.now())
	if err != nil {
		return "", "", err
	}
	f, err := s.Info(ctx, recordID)
	if err != nil {
		if meet.CodeOf(err) == meet.CodeInvalidParameters {
			return "", "", meet.Errorf(meet.CodeNotFound, "no such recording")
		}
		return "", "", err
	}
	if f.FileName != filepath.Base(f.FileName) || f.FileName == ".." || f.FileName == "." {
		return "", "", meet.Errorf(meet.CodeNotFound, "no such recording")
	}
	name = f.RoomID + "-" + f.CreatedAt.UTC().Format("20060102-150405") + "-" + f.RecordID + ".mp4"
	return filepath.Join(s.folder(f.RecordID), f.FileName), name, nil
}
