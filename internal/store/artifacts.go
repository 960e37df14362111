package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"meetd/internal/analytics"
)

// Artifacts (doc/api.md, "Artifacts"): the rows of files made of a session; SaveReport writes the
// MEETING_ANALYTICS one with the attendance report.

const artifactColumns = `artifact_id, sid, room_id, type, file_name, file_size, mime_type, created_at`

func scanArtifact(row scanner) (analytics.Artifact, error) {
	var a analytics.Artifact
	var created int64
	err := row.Scan(&a.ArtifactID, &a.SID, &a.RoomID, &a.Type, &a.FileName, &a.FileSize, &a.MimeType, &created)
	a.CreatedAt = time.UnixMilli(created)
	return a, err
}

// Artifact returns an artifact that was not deleted, or nil.
func (s *Store) Artifact(ctx context.Context, id string) (*analytics.Artifact, error) {
	a, err := scanArtifact(s.r.QueryRowContext(ctx, `SELECT `+artifactColumns+` FROM artifacts WHERE artifact_id = ? AND deleted_at IS NULL`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// Artifacts lists the artifacts that were not deleted, by rooms, session and type, with their
// total.
func (s *Store) Artifacts(ctx context.Context, f analytics.ArtifactFilter) ([]analytics.Artifact, int, error) {
	where, args := roomFilter("WHERE deleted_at IS NULL", "room_id", f.RoomIDs)
	if f.RoomSID != "" {
		where, args = where+" AND sid = ?", append(args, f.RoomSID)
	}
	if f.Type != "" {
		where, args = where+" AND type = ?", append(args, f.Type)
	}
	var total int
	if err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM artifacts "+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.r.QueryContext(ctx, "SELECT "+artifactColumns+" FROM artifacts "+where+orderPage(f.SessionFilter, "created_at", "artifact_id"),
		append(args, f.Limit, f.From)...)
	out, err := scanRows(rows, err, func(rows *sql.Rows) (analytics.Artifact, error) { return scanArtifact(rows) })
	return out, total, err
}

// DeleteArtifact marks an artifact deleted; false if there was none.
func (s *Store) DeleteArtifact(ctx context.Context, id string, at time.Time) (bool, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE artifacts SET deleted_at = ? WHERE artifact_id = ? AND deleted_at IS NULL`, ms(at), id)
	if err != nil {
		return false, fmt.Errorf("delete artifact %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}
