package httpapi

import "testing"

// What the tests of package httpapi_test (which drive a meettest server) need of sdk2_test.go's
// strict parser: the parse, the scalar types, and plugNmeet's and LiveKit's enums.

// StrictParse is strictParse.
func StrictParse(t testing.TB, body []byte, v any) { t.Helper(); strictParse(t, body, v) }

// StrictDecode is strictDecode.
func StrictDecode(body []byte, v any) error { return strictDecode(body, v) }

type (
	PbI32      = pbI32
	PbI64      = pbI64
	PbEnvelope = pbEnvelope

	PbParticipantState = pbEnum[participantStates]
	PbParticipantKind  = pbEnum[participantKinds]
	PbTrackType        = pbEnum[trackTypes]
	PbTrackSource      = pbEnum[trackSources]
	PbIngressInput     = pbEnum[ingressInputs]
)

// livekit.ParticipantInfo.State
type participantStates struct{}

func (participantStates) names() []string {
	return []string{"JOINING", "JOINED", "ACTIVE", "DISCONNECTED"}
}

// livekit.ParticipantInfo.Kind (by number: 0-4; 7 and 8 are not needed here)
type participantKinds struct{}

func (participantKinds) names() []string {
	return []string{"STANDARD", "INGRESS", "EGRESS", "SIP", "AGENT"}
}

// livekit.TrackType
type trackTypes struct{}

func (trackTypes) names() []string { return []string{"AUDIO", "VIDEO", "DATA"} }

// livekit.TrackSource
type trackSources struct{}

func (trackSources) names() []string {
	return []string{"UNKNOWN", "CAMERA", "MICROPHONE", "SCREEN_SHARE", "SCREEN_SHARE_AUDIO"}
}

// plugnmeet.IngressInput
type ingressInputs struct{}

func (ingressInputs) names() []string { return []string{"RTMP_INPUT", "WHIP_INPUT"} }
