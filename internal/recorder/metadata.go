package recorder

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"

	"meetd/internal/meet"
)

// Metadata is a recording's title, description, subtitles and extra data: plugNmeet's
// RecordingMetadata (doc/api.md, recording/updateMetadata). Title and Description are nil when
// unset; the maps are never nil once read from the store.
type Metadata struct {
	Title       *string             `json:"title,omitempty"`
	Description *string             `json:"description,omitempty"`
	Subtitles   map[string]Subtitle `json:"subtitles"`
	ExtraData   map[string]string   `json:"extra_data"`
}

// Subtitle is a subtitle file of a recording, by language in Metadata.Subtitles.
type Subtitle struct {
	Label string `json:"label"`
	URL   string `json:"url"`
}

// ParseMetadata reads metadata as the store keeps it ("" is none).
func ParseMetadata(s string) (Metadata, error) {
	var m Metadata
	if s != "" {
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			return Metadata{Subtitles: map[string]Subtitle{}, ExtraData: map[string]string{}}, err
		}
	}
	if m.Subtitles == nil {
		m.Subtitles = map[string]Subtitle{}
	}
	if m.ExtraData == nil {
		m.ExtraData = map[string]string{}
	}
	return m, nil
}

// String is the metadata as the store keeps it.
func (m Metadata) String() string {
	if m.Subtitles == nil {
		m.Subtitles = map[string]Subtitle{}
	}
	if m.ExtraData == nil {
		m.ExtraData = map[string]string{}
	}
	b, _ := json.Marshal(m) // strings and maps of strings: cannot fail
	return string(b)
}

// apply patches m as plugNmeet does: a field absent (nil) keeps its value; a title or description
// "" clears it; a subtitle with an empty label or url, and an extra_data value "", remove their
// key. It reports whether anything changed.
func (m *Metadata) apply(p Metadata) bool {
	before := m.String()
	if p.Title != nil {
		m.Title = nonEmpty(*p.Title)
	}
	if p.Description != nil {
		m.Description = nonEmpty(*p.Description)
	}
	if m.Subtitles == nil {
		m.Subtitles = map[string]Subtitle{}
	}
	for lang, s := range p.Subtitles {
		if s.Label == "" || s.URL == "" {
			delete(m.Subtitles, lang)
		} else {
			m.Subtitles[lang] = s
		}
	}
	if m.ExtraData == nil {
		m.ExtraData = map[string]string{}
	}
	for k, v := range p.ExtraData {
		if v == "" {
			delete(m.ExtraData, k)
		} else {
			m.ExtraData[k] = v
		}
	}
	return m.String() != before
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Clone is a deep copy of m.
func (m Metadata) Clone() Metadata {
	m.Subtitles, m.ExtraData = maps.Clone(m.Subtitles), maps.Clone(m.ExtraData)
	return m
}

// UpdateMetadata is recording/updateMetadata: it patches the recording's metadata with p (see
// apply) and stores it.
func (s *Service) UpdateMetadata(ctx context.Context, recordID string, p Metadata) error {
	f, err := s.Info(ctx, recordID)
	if err != nil {
		return err
	}
	m := f.Metadata.Clone()
	if !m.apply(p) {
		return nil
	}
	found, err := s.store.SetRecordingMetadata(ctx, recordID, m.String())
	if err != nil {
		return fmt.Errorf("update metadata of recording %s: %w", recordID, err)
	}
	if !found {
		return meet.Errorf(meet.CodeNotFound, "no recording %s", recordID)
	}
	return nil
}
