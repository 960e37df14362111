-- A recording's metadata (recording/updateMetadata): plugNmeet's RecordingMetadata as JSON
-- ({title, description, subtitles, extra_data}); '' when never set. And the recordings of one
-- session, for recording/fetch's room_sid and mergeRecordings' by_session.
ALTER TABLE recordings ADD COLUMN metadata TEXT NOT NULL DEFAULT '';
CREATE INDEX IF NOT EXISTS recordings_sid ON recordings(sid, created_at);
