package analytics

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"meetd/internal/auth"
	"meetd/internal/meet"
)

// Store is what the reports need of the store.
type Store interface {
	PendingReports(ctx context.Context) ([]string, error)
	ReportInput(ctx context.Context, sid string) (*Input, error)
	// SaveReport records a written report and, with it, its session's MEETING_ANALYTICS
	// artifact, and writes the events in the same transaction.
	SaveReport(ctx context.Context, f File, a Artifact, events func(*meet.Session) []meet.Event) error
	Report(ctx context.Context, fileID string) (*File, error)
	Reports(ctx context.Context, f meet.SessionFilter) ([]File, int, error)
	DeleteReport(ctx context.Context, fileID string, at time.Time) (bool, error)
	Attendance(ctx context.Context, q AttendanceQuery) ([]AttendanceRow, error)
	SessionBySID(ctx context.Context, sid string) (*meet.Session, error)
	Artifact(ctx context.Context, id string) (*Artifact, error)
	Artifacts(ctx context.Context, f ArtifactFilter) ([]Artifact, int, error)
	DeleteArtifact(ctx context.Context, id string, at time.Time) (bool, error)
}

// File is a written report.
type File struct {
	FileID           string
	SID              string
	RoomID           string
	FileName         string
	FileSize         int64 // bytes of the JSON file
	CreatedAt        time.Time
	RoomCreationTime time.Time
}

// ErrExists: the session already has its report.
var ErrExists = errors.New("report already written")

// AttendanceQuery selects attendance rows.
type AttendanceQuery struct {
	RoomID, UserID string
	From, To       time.Time
	Limit          int
}

// AttendanceRow is one stay of one user in one session.
type AttendanceRow struct {
	RoomID    string
	SID       string
	RoomTitle string
	UserID    string
	Name      string
	IsAdmin   bool
	JoinedAt  time.Time
	LeftAt    time.Time // zero while connected
}

// Service writes, lists, serves and deletes reports.
type Service struct {
	store Store
	dir   string
	keys  auth.Keys
	log   *slog.Logger
	now   func() time.Time
}

// New makes the service; reports are written under dir.
func New(store Store, dir string, keys auth.Keys, log *slog.Logger) (*Service, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("analytics directory: %w", err)
	}
	return &Service{store: store, dir: dir, keys: keys, log: log, now: time.Now}, nil
}

// paths are the files of a report. File ids are made here, never taken from a request.
func (s *Service) paths(fileID string) (jsonPath, csvPath string) {
	return filepath.Join(s.dir, fileID+".json"), filepath.Join(s.dir, fileID+".csv")
}

// Generate writes the report of an ended session, if it has none yet, and with it the session's
// MEETING_ANALYTICS artifact (the same data as plugNmeet's AnalyticsResult).
func (s *Service) Generate(ctx context.Context, sid string) error {
	in, err := s.store.ReportInput(ctx, sid)
	if err != nil {
		return fmt.Errorf("report input of %s: %w", sid, err)
	}
	if in == nil || in.Session.Running() || !meet.Bool(in.Session.Metadata.RoomFeatures.EnableAnalytics) {
		return nil
	}
	r := Build(in)
	fileID := "AN_" + rand.Text()[:16]
	artifactID := meet.NewID("AR_")
	jsonPath, csvPath := s.paths(fileID)
	resultPath := s.artifactPath(artifactID)
	body, result := r.JSON(), BuildResult(in).JSON()
	var written []string
	removeAll := func() {
		for _, p := range written {
			os.Remove(p)
		}
	}
	for _, f := range []struct {
		path string
		body []byte
	}{{jsonPath, body}, {csvPath, r.CSV()}, {resultPath, result}} {
		if err := writeFile(f.path, f.body); err != nil {
			removeAll()
			return err
		}
		written = append(written, f.path)
	}
	now := s.now()
	f := File{
		FileID: fileID, SID: sid, RoomID: in.Session.RoomID, FileName: fileID + ".json", FileSize: int64(len(body)),
		CreatedAt: now, RoomCreationTime: in.Session.CreatedAt,
	}
	a := Artifact{
		ArtifactID: artifactID, SID: sid, RoomID: in.Session.RoomID, Type: TypeMeetingAnalytics,
		FileName: artifactID + ".json", FileSize: int64(len(result)), MimeType: "application/json", CreatedAt: now,
	}
	err = s.store.SaveReport(ctx, f, a, func(sess *meet.Session) []meet.Event {
		e := meet.NewEvent(meet.EventAnalyticsProceeded, sess, now)
		e.Analytics = &meet.EventAnalytics{FileID: fileID}
		return []meet.Event{e, ArtifactEvent(a, sess, now)}
	})
	if err != nil {
		removeAll()
		if errors.Is(err, ErrExists) {
			return nil
		}
		return fmt.Errorf("save report of %s: %w", sid, err)
	}
	s.log.Info("attendance report written", "room_id", f.RoomID, "sid", sid, "file_id", fileID, "artifact_id", artifactID)
	return nil
}

// writeFile writes through a temporary file, so a crash never leaves half a report.
func writeFile(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// GeneratePending writes every report that is due (sessions that ended while no report could be
// written, for instance across a crash).
func (s *Service) GeneratePending(ctx context.Context) error {
	sids, err := s.store.PendingReports(ctx)
	if err != nil {
		return fmt.Errorf("pending reports: %w", err)
	}
	var errs []error
	for _, sid := range sids {
		errs = append(errs, s.Generate(ctx, sid))
	}
	return errors.Join(errs...)
}

// Run writes pending reports now and then every interval, until ctx ends.
func (s *Service) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.GeneratePending(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("attendance reports", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// List is analytics/fetch.
func (s *Service) List(ctx context.Context, f meet.SessionFilter) ([]File, int, error) {
	return s.store.Reports(ctx, f)
}

func (s *Service) report(ctx context.Context, fileID string) (*File, error) {
	return meet.Lookup(ctx, "file_id", "analytics file", fileID, s.store.Report)
}

// Delete removes a report's files and takes it off its session.
func (s *Service) Delete(ctx context.Context, fileID string) error {
	if _, err := s.report(ctx, fileID); err != nil {
		return err
	}
	if _, err := s.store.DeleteReport(ctx, fileID, s.now()); err != nil {
		return err
	}
	jsonPath, csvPath := s.paths(fileID)
	for _, p := range []string{jsonPath, csvPath} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove %s: %w", filepath.Base(p), err)
		}
	}
	return nil
}

// DownloadToken makes a short-lived token for one report.
func (s *Service) DownloadToken(ctx context.Context, fileID string) (string, error) {
	if _, err := s.report(ctx, fileID); err != nil {
		return "", err
	}
	return s.keys.DownloadToken(auth.ReportDownload, fileID, s.now())
}

// Open checks a download token and returns the file to send: its path, its download name and type.
func (s *Service) Open(ctx context.Context, token, format string) (path, name, contentType string, err error) {
	fileID, err := s.keys.ParseDownloadToken(auth.ReportDownload, token, s.now())
	if err != nil {
		return "", "", "", err
	}
	f, err := s.report(ctx, fileID)
	if err != nil {
		return "", "", "", err
	}
	jsonPath, csvPath := s.paths(f.FileID)
	base := f.RoomID + "-" + f.CreatedAt.UTC().Format("20060102-150405") + "-attendance"
	switch format {
	case "", "json":
		return jsonPath, base + ".json", "application/json", nil
	case "csv":
		return csvPath, base + ".csv", "text/csv; charset=utf-8", nil
	}
	return "", "", "", meet.Errorf(meet.CodeInvalidParameters, "format must be json or csv")
}

// Attendance is analytics/attendance.
func (s *Service) Attendance(ctx context.Context, q AttendanceQuery) ([]AttendanceRow, error) {
	if q.RoomID != "" && !meet.ValidID(q.RoomID) {
		return nil, meet.BadID("room_id")
	}
	if q.UserID != "" && !meet.ValidID(q.UserID) {
		return nil, meet.BadID("user_id")
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return nil, meet.Errorf(meet.CodeInvalidParameters, "to_time is before from_time")
	}
	switch {
	case q.Limit < 0:
		return nil, meet.Errorf(meet.CodeInvalidParameters, "limit must not be negative")
	case q.Limit == 0, q.Limit > 1000:
		q.Limit = 1000
	}
	return s.store.Attendance(ctx, q)
}
