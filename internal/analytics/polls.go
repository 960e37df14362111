package analytics

import (
	"encoding/json"
	"sort"
	"time"

	"meetd/internal/meet"
)

// A session's polls in its reports (doc/api.md, "Polls"). In the AnalyticsResult file they are
// the events plugNmeet's analytics writes and its SDKs' AnalyticsFormatter reads: the room's
// poll_added (value {"poll_id","question","options":[{"id","text"}]}, here also each option's
// vote_count, is_anonymous and total_responses) and poll_ended (value: the poll_id), and each
// user's voted_poll (value {"poll_id","selected_option"}: the vote that counted, the last one),
// which is left out for anonymous polls: their counts are in poll_added only.

// PollReport is one poll in the attendance report.
type PollReport struct {
	PollID         string                  `json:"poll_id"`
	Question       string                  `json:"question"`
	IsAnonymous    bool                    `json:"is_anonymous"`
	CreatedAt      time.Time               `json:"created_at"`
	CreatedBy      string                  `json:"created_by"`
	ClosedAt       time.Time               `json:"closed_at"` // the session's end for a poll left open
	TotalResponses int                     `json:"total_responses"`
	Options        []meet.PollResultOption `json:"options"`
	Voters         []meet.PollVoter        `json:"voters,omitempty"` // never for an anonymous poll
}

// pollReports are the session's polls as the attendance report lists them.
func pollReports(in *Input, end time.Time) []PollReport {
	var out []PollReport
	for _, p := range in.Polls {
		votes := in.Votes[p.PollID]
		total, options := meet.PollResults(p, votes)
		r := PollReport{PollID: p.PollID, Question: p.Question, IsAnonymous: p.Anonymous, CreatedAt: p.CreatedAt.UTC(),
			CreatedBy: p.CreatedBy, ClosedAt: pollEnd(p, end).UTC(), TotalResponses: total, Options: options}
		if !p.Anonymous {
			r.Voters = meet.Voters(votes)
		}
		out = append(out, r)
	}
	return out
}

// pollEnd is when a poll closed, or the session's end for one left open.
func pollEnd(p *meet.Poll, end time.Time) time.Time {
	if p.Open() || p.ClosedAt.After(end) {
		return end
	}
	return p.ClosedAt
}

// pollRoomEvents are the room's poll_added and poll_ended events (none without polls).
func pollRoomEvents(in *Input, end time.Time) []ResultEvent {
	if len(in.Polls) == 0 {
		return nil
	}
	var added, ended []ResultValue
	for _, p := range in.Polls {
		total, options := meet.PollResults(p, in.Votes[p.PollID])
		v, _ := json.Marshal(struct {
			PollID         string                  `json:"poll_id"`
			Question       string                  `json:"question"`
			Options        []meet.PollResultOption `json:"options"`
			IsAnonymous    bool                    `json:"is_anonymous"`
			TotalResponses int                     `json:"total_responses"`
		}{p.PollID, p.Question, options, p.Anonymous, total})
		added = append(added, ResultValue{Time: pbInt64(p.CreatedAt.UnixMilli()), Value: string(v)})
		ended = append(ended, ResultValue{Time: pbInt64(pollEnd(p, end).UnixMilli()), Value: p.PollID})
	}
	return []ResultEvent{event("poll_added", added), event("poll_ended", ended)}
}

// votedPoll is a user's voted_poll event: their counted vote in each poll that is not anonymous
// (nil if none).
func votedPoll(in *Input, userID string) *ResultEvent {
	var values []ResultValue
	for _, p := range in.Polls {
		if p.Anonymous {
			continue
		}
		for _, v := range in.Votes[p.PollID] {
			if v.UserID == userID {
				b, _ := json.Marshal(struct {
					PollID         string `json:"poll_id"`
					SelectedOption int    `json:"selected_option"`
				}{p.PollID, v.Option})
				values = append(values, ResultValue{Time: pbInt64(v.VotedAt.UnixMilli()), Value: string(b)})
			}
		}
	}
	if values == nil {
		return nil
	}
	sort.SliceStable(values, func(i, j int) bool { return values[i].Time < values[j].Time })
	e := ResultEvent{Name: "voted_poll", Total: uint32(len(values)), Values: values}
	return &e
}
