package bbb

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"meetd/internal/meet"
	"meetd/internal/rooms"
	"meetd/internal/store"
)

// The meeting calls (doc/bbb.md, "Calls"). A BBB meeting is a meetd room's running session; its
// BBB data (store.BBBMeeting) is written by create. A room made by the plugNmeet API answers too,
// with BBB data derived from the session (meetingID = room_id, no passwords).

// Messages bbb-web writes with its keys.
const (
	msgNotFound       = "We could not find a meeting with that meeting ID - perhaps the meeting is not yet running?"
	msgInvalidMeeting = "The meeting ID that you supplied did not match any existing meetings"
	msgInvalidPW      = "You either did not supply a password or the password supplied is neither the attendee or moderator password for this conference."
	msgDuplicate      = "This conference was already in existence and may currently be in progress."
	msgIDNotUnique    = "A meeting already exists with that meeting ID.  Please use a different meeting ID."
	msgEndSent        = "A request to end the meeting was sent.  Please wait a few seconds, and then use the getMeetingInfo or isMeetingRunning API calls to verify that it was ended."
	msgNoMeetings     = "no meetings were found on this server"
	msgDraining       = "the server is shutting down: it starts no new meetings or joins"
)

func (s *Server) draining() bool { return s.deps.Draining != nil && s.deps.Draining() }

// Guest policies (create's guestPolicy).
const (
	alwaysAccept     = "ALWAYS_ACCEPT"
	alwaysDeny       = "ALWAYS_DENY"
	askModerator     = "ASK_MODERATOR"
	alwaysAcceptAuth = "ALWAYS_ACCEPT_AUTH"
)

// meeting is a running session with its BBB data.
type meeting struct {
	sess *meet.Session
	bbb  *store.BBBMeeting
}

// errBadParam is a parameter's validationError.
type errBadParam struct{ msg string }

func (e errBadParam) Error() string { return e.msg }

func validation(msg string) *Response { return fail("validationError", msg) }

// internalError answers a failure of the store or the media, logged (never the request's secrets).
func (s *Server) internalError(call string, err error) *Response {
	s.log.Error("bbb api", "call", call, "err", err)
	return fail("internalError", "the server could not complete the request")
}

// checkMeetingID checks the meetingID parameter as BBB's MeetingIDConstraint does.
func checkMeetingID(r *Request) (string, *Response) {
	id := stripControl(r.Get("meetingID"))
	switch {
	case id == "":
		return "", validation("You must provide a meeting ID")
	case !validMeetingID(id):
		return "", validation("Meeting ID must be between 2 and 256 characters and must not contain commas")
	}
	return id, nil
}

func stripControl(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

// running is the meeting's running session with its BBB data, or nil.
func (s *Server) running(ctx context.Context, meetingID string) (*meeting, error) {
	sess, err := s.store.Session(ctx, RoomID(meetingID))
	if err != nil || sess == nil || !sess.Running() {
		return nil, err
	}
	m, err := s.meetingOf(ctx, sess)
	if err != nil || m == nil || m.bbb.MeetingID != meetingID {
		return nil, err
	}
	return m, nil
}

// meetingOf is a running session with its BBB data: stored, or derived for a plugNmeet room.
func (s *Server) meetingOf(ctx context.Context, sess *meet.Session) (*meeting, error) {
	b, err := s.store.BBBMeeting(ctx, sess.SID)
	if err != nil {
		return nil, err
	}
	if b == nil {
		created := sess.CreatedAt.UnixMilli()
		b = &store.BBBMeeting{SID: sess.SID, RoomID: sess.RoomID, MeetingID: sess.RoomID, CreateTime: created,
			InternalMeetingID: InternalMeetingID(sess.RoomID, created),
			Data:              store.BBBMeetingData{Name: sess.Title(), Record: meet.Bool(sess.Metadata.RoomFeatures.RecordingFeatures.IsAllowCloud)}}
	}
	return &meeting{sess: sess, bbb: b}, nil
}

// ---- create ----

var metaName = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]*$`)

// metaOf are the meta_* parameters: names matching BBB's rule, lower-cased (doc/bbb.md).
func metaOf(p url.Values) map[string]string {
	out := map[string]string{}
	for k, v := range p {
		name, ok := strings.CutPrefix(k, "meta_")
		if !ok || !metaName.MatchString(name) || len(v) == 0 {
			continue
		}
		out[strings.ToLower(name)] = v[0]
	}
	return out
}

func boolParam(r *Request, name string, def bool) bool {
	if !r.Has(name) || r.Get(name) == "" {
		return def
	}
	return strings.EqualFold(strings.TrimSpace(r.Get(name)), "true")
}

func intParam(r *Request, name string, def, min, max int) (int, error) {
	v := strings.TrimSpace(r.Get(name))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		return 0, errBadParam{fmt.Sprintf("%s must be an integer from %d to %d", name, min, max)}
	}
	return n, nil
}

func randomDigits(n int) string {
	var b strings.Builder
	for range n {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		b.WriteByte(byte('0' + d.Int64()))
	}
	return b.String()
}

func randomPassword() string { return strings.ToLower(rand.Text()[:12]) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func ptr[T any](v T) *T { return &v }

// createParams that create stores as given besides those it maps.
var keptParams = []string{"welcome", "moderatorOnlyMessage", "logoutURL", "loginURL", "autoStartRecording", "allowStartStopRecording",
	"muteOnStart", "allowModsToUnmuteUsers", "webcamsOnlyForModerator", "lockSettingsDisableCam", "lockSettingsDisableMic",
	"lockSettingsDisablePrivateChat", "lockSettingsDisablePublicChat", "lockSettingsDisableNotes", "lockSettingsHideUserList",
	"lockSettingsLockOnJoin", "lockSettingsLockOnJoinConfigurable", "lockSettingsHideViewersCursor", "meetingLayout", "bannerText",
	"bannerColor", "logo", "disabledFeatures", "disabledFeaturesExclude", "endWhenNoModerator", "endWhenNoModeratorDelayInMinutes",
	"meetingExpireIfNoUserJoinedInMinutes", "meetingExpireWhenLastUserLeftInMinutes", "userCameraCap", "meetingCameraCap",
	"notifyRecordingIsOn", "preUploadedPresentation", "preUploadedPresentationName", "preUploadedPresentationOverrideDefault",
	"meetingEndedURL", "isBreakout", "parentMeetingID", "sequence", "freeJoin", "groups", "presentationUploadExternalUrl",
	"presentationUploadExternalDescription", "recordFullDurationMedia"}

// create is BBB's create (doc/bbb.md): a new session of the mapped room, or the running one
// (duplicateWarning; idNotUnique when the passwords differ).
func (s *Server) create(ctx context.Context, r *Request) *Response {
	meetingID, bad := checkMeetingID(r)
	if bad != nil {
		return bad
	}
	name := stripControl(r.Get("name"))
	if name == "" {
		name = meetingID
	}
	maxP, err := intParam(r, "maxParticipants", 0, 0, meet.MaxMaxParticipant)
	if err != nil {
		return validation(err.Error())
	}
	duration, err := intParam(r, "duration", 0, 0, meet.MaxRoomDuration)
	if err != nil {
		return validation(err.Error())
	}
	expire, err := intParam(r, "meetingExpireIfNoUserJoinedInMinutes", 0, 0, meet.MaxEmptyTimeout/60)
	if err != nil {
		return validation(err.Error())
	}
	policy := strings.ToUpper(strings.TrimSpace(r.Get("guestPolicy")))
	switch policy {
	case "":
		policy = alwaysAccept
	case alwaysAccept, alwaysDeny, askModerator, alwaysAcceptAuth:
	default:
		return validation("guestPolicy must be ALWAYS_ACCEPT, ALWAYS_DENY, ASK_MODERATOR or ALWAYS_ACCEPT_AUTH")
	}
	voiceBridge := r.Get("voiceBridge")
	if voiceBridge == "" {
		voiceBridge = "7" + randomDigits(4)
	}
	data := store.BBBMeetingData{
		Name: name, Meta: metaOf(r.Params), Params: map[string]string{}, Duration: duration,
		Record: boolParam(r, "record", false), MaxParticipants: maxP, GuestPolicy: policy,
		VoiceBridge: voiceBridge, DialNumber: r.Get("dialNumber"), DisabledFeatures: disabledFeatures(r),
		Modules: keptBody(r.Body),
	}
	for _, k := range keptParams {
		if r.Has(k) {
			data.Params[k] = r.Get(k)
		}
	}

	// running already: BBB's duplicate rules, nothing changes
	if m, err := s.running(ctx, meetingID); err != nil {
		return s.internalError("create", err)
	} else if m != nil {
		return s.duplicate(ctx, m, r, data)
	}

	if s.draining() {
		return fail("serverDraining", msgDraining)
	}
	md := roomMetadata(r, data)
	if err := md.Validate(); err != nil {
		return validation(err.Error())
	}
	sess, err := s.rooms.Create(ctx, rooms.CreateRequest{RoomID: RoomID(meetingID), MaxParticipants: maxP, EmptyTimeout: expire * 60, Metadata: md})
	if err != nil {
		return s.meetError("create", err)
	}
	created := sess.CreatedAt.UnixMilli()
	want := &store.BBBMeeting{SID: sess.SID, RoomID: sess.RoomID, MeetingID: meetingID, CreateTime: created,
		InternalMeetingID: InternalMeetingID(meetingID, created),
		AttendeePW:        r.Get("attendeePW"), ModeratorPW: r.Get("moderatorPW"), Data: data}
	if want.AttendeePW == "" {
		want.AttendeePW = randomPassword()
	}
	if want.ModeratorPW == "" {
		want.ModeratorPW = randomPassword()
	}
	// of two creates racing (or a room the plugNmeet API made meanwhile), the first BBB data wins
	got, added, err := s.store.PutBBBMeeting(ctx, want)
	if err != nil {
		return s.internalError("create", err)
	}
	m := &meeting{sess: sess, bbb: got}
	if !added {
		return s.duplicate(ctx, m, r, data)
	}
	s.log.Info("bbb meeting created", "room_id", sess.RoomID, "sid", sess.SID)
	return ok(createElems(m, "", "")...)
}

// adopt gives a session without BBB data (a room made by the plugNmeet API) the BBB data of
// this create; with data already stored, that one stays.
func (s *Server) adopt(ctx context.Context, sess *meet.Session, want *store.BBBMeeting) (*meeting, error) {
	got, _, err := s.store.PutBBBMeeting(ctx, want)
	if err != nil {
		return nil, err
	}
	return &meeting{sess: sess, bbb: got}, nil
}

// duplicate answers a create of a running meeting: duplicateWarning when the passwords given
// match (or none were given), else idNotUnique. A plugNmeet room gets BBB data now.
func (s *Server) duplicate(ctx context.Context, m *meeting, r *Request, data store.BBBMeetingData) *Response {
	stored, err := s.store.BBBMeeting(ctx, m.sess.SID)
	if err != nil {
		return s.internalError("create", err)
	}
	if stored == nil { // a plugNmeet room: it keeps its settings; BBB data from this create
		want := *m.bbb
		want.AttendeePW, want.ModeratorPW = r.Get("attendeePW"), r.Get("moderatorPW")
		if want.AttendeePW == "" {
			want.AttendeePW = randomPassword()
		}
		if want.ModeratorPW == "" {
			want.ModeratorPW = randomPassword()
		}
		want.Data = data
		if m, err = s.adopt(ctx, m.sess, &want); err != nil {
			return s.internalError("create", err)
		}
		return ok(createElems(m, "duplicateWarning", msgDuplicate)...)
	}
	m.bbb = stored
	if pw := r.Get("attendeePW"); pw != "" && pw != stored.AttendeePW {
		return fail("idNotUnique", msgIDNotUnique)
	}
	if pw := r.Get("moderatorPW"); pw != "" && pw != stored.ModeratorPW {
		return fail("idNotUnique", msgIDNotUnique)
	}
	return ok(createElems(m, "duplicateWarning", msgDuplicate)...)
}

// createElems are create's answer (bbb-web's create template order).
func createElems(m *meeting, key, message string) []El {
	b := m.bbb
	return []El{
		E("meetingID", b.MeetingID), E("internalMeetingID", b.InternalMeetingID), E("parentMeetingID", "bbb-none"),
		E("attendeePW", b.AttendeePW), E("moderatorPW", b.ModeratorPW), EI("createTime", b.CreateTime),
		E("voiceBridge", b.Data.VoiceBridge), E("dialNumber", b.Data.DialNumber), E("createDate", createDate(b.CreateTime)),
		EB("hasUserJoined", m.sess.JoinedParticipants > 0), EI("duration", int64(b.Data.Duration)),
		EB("hasBeenForciblyEnded", false), E("messageKey", key), E("message", message),
	}
}

// createDate is a time as Java's Date.toString writes it, in UTC.
func createDate(ms int64) string {
	return time.UnixMilli(ms).UTC().Format("Mon Jan 02 15:04:05 MST 2006")
}

// disabledFeatures is create's disabledFeatures minus disabledFeaturesExclude.
func disabledFeatures(r *Request) []string {
	exclude := map[string]bool{}
	for _, f := range strings.Split(r.Get("disabledFeaturesExclude"), ",") {
		exclude[strings.TrimSpace(f)] = true
	}
	var out []string
	for _, f := range strings.Split(r.Get("disabledFeatures"), ",") {
		if f = strings.TrimSpace(f); f != "" && !exclude[f] {
			out = append(out, f)
		}
	}
	return out
}

// roomMetadata maps create's parameters onto meetd's room options (doc/bbb.md, "Mapping").
func roomMetadata(r *Request, d store.BBBMeetingData) meet.RoomMetadata {
	var md meet.RoomMetadata
	md.RoomTitle = truncate(d.Name, meet.MaxNameBytes)
	if w := r.Get("welcome"); w != "" {
		w = strings.ReplaceAll(w, "%%CONFNAME%%", d.Name)
		w = strings.ReplaceAll(w, "%%DIALNUM%%", d.DialNumber)
		w = strings.ReplaceAll(w, "%%CONFNUM%%", d.VoiceBridge)
		md.WelcomeMessage = truncate(w, meet.MaxMetadataBytes)
	}
	if u, err := url.Parse(r.Get("logoutURL")); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		md.LogoutURL = r.Get("logoutURL")
	}
	f := &md.RoomFeatures
	f.RoomDuration = ptr(d.Duration)
	f.MuteOnStart = ptr(boolParam(r, "muteOnStart", false))
	f.AdminOnlyWebcams = ptr(boolParam(r, "webcamsOnlyForModerator", false))
	rec := d.Record
	f.RecordingFeatures = meet.RecordingFeatures{IsAllow: ptr(rec), IsAllowCloud: ptr(rec), IsAllowLocal: ptr(rec),
		EnableAutoCloudRecording: ptr(rec && boolParam(r, "autoStartRecording", false))}
	f.WaitingRoomFeatures.IsActive = ptr(d.GuestPolicy == askModerator || d.GuestPolicy == alwaysAcceptAuth)

	// lock settings: applied to viewers when they join (lockSettingsLockOnJoin, default true)
	locks := meet.LockSettings{LockMicrophone: ptr(false), LockWebcam: ptr(false), LockScreenSharing: ptr(true),
		LockWhiteboard: ptr(true), LockSharedNotepad: ptr(false), LockChat: ptr(false), LockChatSendMsg: ptr(false),
		LockChatFileShare: ptr(false), LockPrivateChat: ptr(false)}
	if boolParam(r, "lockSettingsLockOnJoin", true) {
		locks.LockWebcam = ptr(boolParam(r, "lockSettingsDisableCam", false))
		locks.LockMicrophone = ptr(boolParam(r, "lockSettingsDisableMic", false))
		locks.LockChatSendMsg = ptr(boolParam(r, "lockSettingsDisablePublicChat", false))
		locks.LockPrivateChat = ptr(boolParam(r, "lockSettingsDisablePrivateChat", false))
		locks.LockSharedNotepad = ptr(boolParam(r, "lockSettingsDisableNotes", false))
		if boolParam(r, "lockSettingsHideUserList", false) {
			f.AllowViewOtherUsersList = ptr(false)
		}
	}
	// BBB's polls, breakout rooms, shared notes and whiteboard are on unless disabledFeatures
	// names them (plugNmeet's are off unless asked for)
	f.PollsFeatures = map[string]any{"is_allow": true}
	f.BreakoutRoomFeatures = map[string]any{"is_allow": true}
	f.SharedNotePadFeatures = map[string]any{"allowed_shared_note_pad": true}
	f.WhiteboardFeatures = map[string]any{"allowed_whiteboard": true} // viewers look (lock_whiteboard, below)
	off := map[string]any{"is_allow": false}
	for _, feature := range d.DisabledFeatures {
		switch feature {
		case "chat":
			f.ChatFeatures.AllowChat = ptr(false)
		case "privateChat":
			locks.LockPrivateChat = ptr(true)
		case "screenshare":
			f.AllowScreenShare = ptr(false)
		case "virtualBackgrounds":
			f.AllowVirtualBg = ptr(false)
		case "polls":
			f.PollsFeatures = off
		case "breakoutRooms":
			f.BreakoutRoomFeatures = off
		case "sharedNotes":
			f.SharedNotePadFeatures = map[string]any{"allowed_shared_note_pad": false}
		case "presentation":
			f.WhiteboardFeatures = map[string]any{"allowed_whiteboard": false}
		case "externalVideos":
			f.ExternalMediaPlayerFeatures = map[string]any{"allowed_external_media_player": false}
		case "raiseHand":
			f.AllowRaiseHand = ptr(false)
		}
	}
	md.DefaultLockSettings = locks
	return md
}

// meetError answers an error of the room service.
func (s *Server) meetError(call string, err error) *Response {
	var me *meet.Error
	if errors.As(err, &me) {
		switch me.Code {
		case meet.CodeInvalidParameters:
			return validation(me.Msg)
		case meet.CodeRoomNotFound, meet.CodeRoomNotActive:
			return fail("notFound", msgNotFound)
		case meet.CodeUserBlocked:
			return fail("guestDeniedAccess", "You have been removed from this meeting")
		case meet.CodeServerDraining:
			return fail("serverDraining", msgDraining)
		}
		if me.Err == nil {
			return fail("invalidRequest", me.Msg)
		}
	}
	return s.internalError(call, err)
}

// ---- join ----

// joinErr answers a join's error: as XML with redirect=false, else a redirect to
// errorRedirectUrl, the join's logoutURL or the meeting's, or the server's page, with
// errors=[{"key","message"}] appended (bbb-web's respondWithRedirect).
func (s *Server) joinErr(r *Request, m *meeting, key, message string) *Response {
	if strings.EqualFold(r.Get("redirect"), "false") {
		return fail(key, message)
	}
	target := r.Get("errorRedirectUrl")
	if target == "" {
		target = r.Get("logoutURL")
	}
	if target == "" && m != nil {
		target = m.sess.Metadata.LogoutURL
	}
	u, err := url.Parse(target)
	if target == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		u, _ = url.Parse(s.pageURL(r))
	}
	q := u.Query()
	q.Set("errors", meet.JSON([]map[string]string{{"key": key, "message": message}}))
	u.RawQuery = q.Encode()
	return &Response{Redirect: u.String()}
}

// pageURL is the meeting page's URL for the request.
func (s *Server) pageURL(r *Request) string {
	if s.deps.PageURL != nil {
		return s.deps.PageURL(r.HTTP)
	}
	scheme := "http"
	if r.HTTP.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.HTTP.Host + "/"
}

// guestStatus is BBB's guest decision (Meeting.calcGuestStatus as doc/bbb.md states it).
func guestStatus(policy string, moderator bool, r *Request) string {
	guest := strings.ToLower(strings.TrimSpace(r.Get("guest")))
	switch {
	case moderator, guest == "false", policy == alwaysAccept, policy == "":
		return "ALLOW"
	case policy == alwaysDeny:
		return "DENY"
	case policy == askModerator:
		return "WAIT"
	case policy == alwaysAcceptAuth:
		if guest == "true" && !strings.EqualFold(r.Get("auth"), "true") {
			return "WAIT"
		}
		return "ALLOW"
	}
	return "ALLOW"
}

// join is BBB's join: a fresh meetd join token for the user, and a redirect to the meeting page
// with it (or XML with redirect=false).
func (s *Server) join(ctx context.Context, r *Request) *Response {
	if s.draining() {
		return s.joinErr(r, nil, "serverDraining", msgDraining)
	}
	fullName := stripControl(r.Get("fullName"))
	if fullName == "" {
		return s.joinErr(r, nil, "validationError", "You must enter a name")
	}
	meetingID, bad := checkMeetingID(r)
	if bad != nil {
		return s.joinErr(r, nil, bad.Key(), bad.Elems[1].Text)
	}
	m, err := s.running(ctx, meetingID)
	if err != nil {
		return s.internalError("join", err)
	}
	if m == nil {
		if sess, err := s.store.Session(ctx, RoomID(meetingID)); err == nil && sess != nil && !sess.Running() &&
			(sess.EndReason == meet.EndByAPI || sess.EndReason == meet.EndByModerator) {
			if b, err := s.store.BBBMeeting(ctx, sess.SID); err == nil && b != nil && b.MeetingID == meetingID {
				return s.joinErr(r, &meeting{sess: sess, bbb: b}, "meetingForciblyEnded", "You can not re-join a meeting that has been forcibly ended.")
			}
		}
		return s.joinErr(r, nil, "invalidMeetingIdentifier", msgInvalidMeeting)
	}
	if ct := r.Get("createTime"); ct != "" && ct != strconv.FormatInt(m.bbb.CreateTime, 10) {
		return s.joinErr(r, m, "mismatchCreateTimeParam", "The createTime parameter submitted mismatches with the current meeting.")
	}
	var moderator bool
	switch role := strings.ToUpper(strings.TrimSpace(r.Get("role"))); {
	case role == "MODERATOR":
		moderator = true
	case role == "VIEWER":
	case samePassword(r.Get("password"), m.bbb.ModeratorPW):
		moderator = true
	case samePassword(r.Get("password"), m.bbb.AttendeePW):
	default:
		return s.joinErr(r, m, "invalidPassword", msgInvalidPW)
	}
	extID := r.Get("userID")
	if extID == "" {
		extID = "w_" + strings.ToLower(rand.Text()[:12])
	}
	userID := UserID(extID)
	status := guestStatus(m.bbb.Data.GuestPolicy, moderator, r)
	if status == "DENY" {
		return s.joinErr(r, m, "guestDeniedAccess", "You have been denied access to this meeting based on the meeting's guest policy")
	}
	if max := m.bbb.Data.MaxParticipants; max > 0 {
		room, err := s.rooms.ActiveRoom(ctx, m.sess.RoomID)
		if err != nil {
			return s.meetError("join", err)
		}
		users, err := s.store.Users(ctx, m.sess.SID)
		if err != nil {
			return s.internalError("join", err)
		}
		others := map[string]bool{}
		for _, p := range room.ParticipantsInfo {
			if p.Identity != userID {
				others[extUserID(users[p.Identity], p.Identity)] = true
			}
		}
		delete(others, extID)
		if len(others) >= max {
			return s.joinErr(r, m, "maxParticipantsReached", "The number of participants allowed for this meeting has been reached.")
		}
	}
	extra := map[string]string{}
	for k, v := range r.Params {
		if strings.HasPrefix(k, "userdata-") && len(v) > 0 {
			extra[k] = v[0]
		}
	}
	md := meet.UserMetadata{ExUserID: extID}
	if a := r.Get("avatarURL"); strings.HasPrefix(a, "https://") || strings.HasPrefix(a, "http://") {
		md.ProfilePic = a
	}
	if l := extra["userdata-bbb_override_default_locale"]; l != "" {
		md.PreferredLang = l
	}
	if len(extra) > 0 {
		md.ExtraData = meet.ExtraDataObject(extra)
	}
	token, err := s.rooms.JoinToken(ctx, m.sess.RoomID, rooms.UserInfo{UserID: userID, Name: truncate(fullName, meet.MaxNameBytes), IsAdmin: moderator, Metadata: md})
	if err != nil {
		if me := new(meet.Error); errors.As(err, &me) && me.Code != meet.CodeInternalServerError {
			res := s.meetError("join", err)
			return s.joinErr(r, m, res.Key(), res.Elems[1].Text)
		}
		return s.internalError("join", err)
	}
	if status == "ALLOW" && !moderator && meet.Bool(m.sess.Metadata.RoomFeatures.WaitingRoomFeatures.IsActive) {
		// this viewer need not wait (guest=false, or not a guest under ALWAYS_ACCEPT_AUTH)
		if err := s.store.BBBAdmit(ctx, m.sess.SID, userID, fullName, s.now()); err != nil {
			return s.internalError("join", err)
		}
	}
	page := s.pageURL(r) + "?access_token=" + url.QueryEscape(token)
	if !strings.EqualFold(r.Get("redirect"), "false") {
		return &Response{Redirect: page}
	}
	key, message := "successfullyJoined", "You have joined successfully."
	if status == "WAIT" {
		key, message = "guestWait", "Guest waiting for approval to join meeting."
	}
	return ok(E("messageKey", key), E("message", message), E("meeting_id", m.bbb.InternalMeetingID), E("user_id", userID),
		E("auth_token", strings.ToLower(rand.Text()[:12])), E("session_token", token), E("guestStatus", status), E("url", page))
}

func samePassword(given, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(given), []byte(want)) == 1
}

// extUserID is a participant's BBB userID: their ex_user_id, else their meetd identity.
func extUserID(u *meet.User, identity string) string {
	if u != nil && u.Metadata.ExUserID != "" {
		return u.Metadata.ExUserID
	}
	return identity
}

// ---- isMeetingRunning, end ----

// isMeetingRunning: true while the meeting runs and somebody is in it (false after create until
// someone joins), SUCCESS even for an unknown meeting.
func (s *Server) isMeetingRunning(ctx context.Context, r *Request) *Response {
	meetingID, bad := checkMeetingID(r)
	if bad != nil {
		return bad
	}
	m, err := s.running(ctx, meetingID)
	if err != nil {
		return s.internalError("isMeetingRunning", err)
	}
	running := false
	if m != nil {
		info, err := s.info(ctx, m)
		if err != nil {
			return s.meetError("isMeetingRunning", err)
		}
		running = info.running
	}
	return ok(EB("running", running))
}

// end ends the meeting through the room service (webhooks, recordings: as endRoom). The
// password BBB 3.x no longer checks is accepted and ignored.
func (s *Server) end(ctx context.Context, r *Request) *Response {
	meetingID, bad := checkMeetingID(r)
	if bad != nil {
		return bad
	}
	m, err := s.running(ctx, meetingID)
	if err != nil {
		return s.internalError("end", err)
	}
	if m == nil {
		return fail("notFound", msgNotFound)
	}
	if err := s.rooms.End(ctx, m.sess.RoomID, meet.EndByAPI); err != nil {
		return s.meetError("end", err)
	}
	return ok(E("messageKey", "sentEndMeetingRequest"), E("message", msgEndSent))
}

// ---- getMeetingInfo, getMeetings ----

// info is what getMeetingInfo shows of who is in a meeting now.
type info struct {
	running                                                bool
	attendees                                              []El
	participants, listeners, voice, video, moderators, max int
}

func (s *Server) info(ctx context.Context, m *meeting) (*info, error) {
	room, err := s.rooms.ActiveRoom(ctx, m.sess.RoomID)
	if err != nil {
		return nil, err
	}
	users, err := s.store.Users(ctx, m.sess.SID)
	if err != nil {
		return nil, err
	}
	in := &info{max: m.bbb.Data.MaxParticipants}
	if in.max == 0 {
		in.max = m.sess.MaxParticipants
	}
	for _, p := range room.ParticipantsInfo {
		u := users[p.Identity]
		mic, cam := false, false
		for _, t := range p.Tracks {
			switch t.Source {
			case "MICROPHONE":
				mic = true
			case "CAMERA":
				cam = true
				in.video++
			}
		}
		in.participants++
		role := "VIEWER"
		if p.IsAdmin {
			role = "MODERATOR"
			in.moderators++
		}
		if mic {
			in.voice++
		} else {
			in.listeners++
		}
		var custom []El
		if u != nil && u.Metadata.ExtraData.IsObject() {
			for k, v := range u.Metadata.ExtraData.Object() {
				if name, ok := strings.CutPrefix(k, "userdata-"); ok && metaName.MatchString(strings.ReplaceAll(name, "_", "-")) {
					custom = append(custom, E(name, v))
				}
			}
			sortEls(custom)
		}
		in.attendees = append(in.attendees, EP("attendee",
			E("userID", extUserID(u, p.Identity)), E("fullName", p.Name), E("role", role), EB("isPresenter", false),
			EB("isListeningOnly", !mic), EB("hasJoinedVoice", mic), EB("hasVideo", cam), E("clientType", "HTML5"),
			EP("customdata", custom...)))
	}
	in.running = in.participants > 0
	return in, nil
}

func sortEls(els []El) {
	for i := 1; i < len(els); i++ {
		for j := i; j > 0 && els[j].Name < els[j-1].Name; j-- {
			els[j], els[j-1] = els[j-1], els[j]
		}
	}
}

// meetingElems are a meeting's fields as getMeetingInfo and getMeetings write them (bbb-web's
// template order).
func meetingElems(m *meeting, in *info) []El {
	b := m.bbb
	var meta []El
	for k, v := range b.Data.Meta {
		meta = append(meta, E(k, v))
	}
	sortEls(meta)
	return []El{
		E("meetingName", b.Data.Name), E("meetingID", b.MeetingID), E("internalMeetingID", b.InternalMeetingID),
		EI("createTime", b.CreateTime), E("createDate", createDate(b.CreateTime)), E("voiceBridge", b.Data.VoiceBridge),
		E("dialNumber", b.Data.DialNumber), E("attendeePW", b.AttendeePW), E("moderatorPW", b.ModeratorPW),
		EB("running", in.running), EI("duration", int64(b.Data.Duration)), EB("hasUserJoined", m.sess.JoinedParticipants > 0),
		EB("recording", b.Data.Record), EB("hasBeenForciblyEnded", false), EI("startTime", b.CreateTime), EI("endTime", 0),
		EI("participantCount", int64(in.participants)), EI("listenerCount", int64(in.listeners)),
		EI("voiceParticipantCount", int64(in.voice)), EI("videoCount", int64(in.video)), EI("maxUsers", int64(in.max)),
		EI("moderatorCount", int64(in.moderators)), EP("attendees", in.attendees...), EP("metadata", meta...),
		EB("isBreakout", false),
	}
}

func (s *Server) getMeetingInfo(ctx context.Context, r *Request) *Response {
	meetingID, bad := checkMeetingID(r)
	if bad != nil {
		return bad
	}
	m, err := s.running(ctx, meetingID)
	if err != nil {
		return s.internalError("getMeetingInfo", err)
	}
	if m == nil {
		return fail("notFound", msgNotFound)
	}
	in, err := s.info(ctx, m)
	if err != nil {
		return s.meetError("getMeetingInfo", err)
	}
	return ok(meetingElems(m, in)...)
}

func (s *Server) getMeetings(ctx context.Context, _ *Request) *Response {
	list, err := s.store.RunningSessions(ctx)
	if err != nil {
		return s.internalError("getMeetings", err)
	}
	var out []El
	for _, sess := range list {
		m, err := s.meetingOf(ctx, sess)
		if err != nil {
			return s.internalError("getMeetings", err)
		}
		in, err := s.info(ctx, m)
		if err != nil {
			if c := meet.CodeOf(err); c == meet.CodeRoomNotActive || c == meet.CodeRoomNotFound {
				continue // ended meanwhile
			}
			return s.meetError("getMeetings", err)
		}
		out = append(out, EP("meeting", meetingElems(m, in)...))
	}
	if len(out) == 0 {
		return ok(EP("meetings"), E("messageKey", "noMeetings"), E("message", msgNoMeetings))
	}
	return ok(EP("meetings", out...))
}

// ---- sendChatMessage, insertDocument, getSessions ----

// sendChatMessage puts a chat line into the meeting through the room service's Broadcast.
func (s *Server) sendChatMessage(ctx context.Context, r *Request) *Response {
	meetingID, bad := checkMeetingID(r)
	if bad != nil {
		return bad
	}
	msg := r.Get("message")
	if n := utf8.RuneCountInString(msg); n < 1 || n > 500 {
		return validation("message must have 1 to 500 characters")
	}
	from := r.Get("userName")
	if utf8.RuneCountInString(from) > 255 {
		return validation("userName must have at most 255 characters")
	}
	m, err := s.running(ctx, meetingID)
	if err != nil {
		return s.internalError("sendChatMessage", err)
	}
	if m == nil {
		return fail("notFound", msgNotFound)
	}
	if err := s.rooms.Broadcast(ctx, m.sess.RoomID, rooms.Broadcast{ChatMessage: msg, FromName: from}); err != nil {
		return s.meetError("sendChatMessage", err)
	}
	return ok(E("messageKey", ""), E("message", ""))
}

// maxKeptBody is the largest XML body kept as it came (documents embedded in base64 can reach
// the 2 MB limit; meetd shows none of them).
const maxKeptBody = 256 << 10

// keptBody is an XML body as the store keeps it: as it came, or a note of its size.
func keptBody(b []byte) string {
	if len(b) > maxKeptBody {
		return fmt.Sprintf("<!-- not kept: %d bytes -->", len(b))
	}
	return string(b)
}

// maxDocuments is how many insertDocument bodies a meeting keeps.
const maxDocuments = 20

// insertDocument stores the document list (it is not shown: meetd has no presentation).
func (s *Server) insertDocument(ctx context.Context, r *Request) *Response {
	meetingID, bad := checkMeetingID(r)
	if bad != nil {
		return bad
	}
	m, err := s.running(ctx, meetingID)
	if err != nil {
		return s.internalError("insertDocument", err)
	}
	if m == nil {
		return fail("notFound", msgNotFound)
	}
	if len(r.Body) == 0 {
		return validation("insertDocument needs an XML body with the documents")
	}
	stored, err := s.store.BBBMeeting(ctx, m.sess.SID)
	if err != nil {
		return s.internalError("insertDocument", err)
	}
	if stored == nil {
		if stored, err = s.adoptPlain(ctx, m); err != nil {
			return s.internalError("insertDocument", err)
		}
	}
	d := stored.Data
	if len(d.Documents) >= maxDocuments {
		return fail("tooManyDocuments", fmt.Sprintf("a meeting keeps at most %d documents", maxDocuments))
	}
	d.Documents = append(d.Documents, keptBody(r.Body))
	if err := s.store.UpdateBBBMeetingData(ctx, m.sess.SID, d); err != nil {
		return s.internalError("insertDocument", err)
	}
	return ok(E("messageKey", ""), E("message", "Presentation is being uploaded"))
}

// adoptPlain stores the derived BBB data of a plugNmeet room.
func (s *Server) adoptPlain(ctx context.Context, m *meeting) (*store.BBBMeeting, error) {
	got, _, err := s.store.PutBBBMeeting(ctx, m.bbb)
	return got, err
}

// getSessions lists who is in the meetings now (one <session> per participant); meetingID,
// if given, selects one meeting.
func (s *Server) getSessions(ctx context.Context, r *Request) *Response {
	var list []*meeting
	if r.Get("meetingID") != "" {
		meetingID, bad := checkMeetingID(r)
		if bad != nil {
			return bad
		}
		m, err := s.running(ctx, meetingID)
		if err != nil {
			return s.internalError("getSessions", err)
		}
		if m == nil {
			return fail("notFound", msgNotFound)
		}
		list = append(list, m)
	} else {
		all, err := s.store.RunningSessions(ctx)
		if err != nil {
			return s.internalError("getSessions", err)
		}
		for _, sess := range all {
			m, err := s.meetingOf(ctx, sess)
			if err != nil {
				return s.internalError("getSessions", err)
			}
			list = append(list, m)
		}
	}
	var out []El
	for _, m := range list {
		in, err := s.info(ctx, m)
		if err != nil {
			continue // ended meanwhile
		}
		for _, a := range in.attendees {
			kids := []El{E("meetingID", m.bbb.MeetingID), E("internalMeetingID", m.bbb.InternalMeetingID)}
			kids = append(kids, a.Kids[:3]...) // userID, fullName, role
			out = append(out, EP("session", kids...))
		}
	}
	return ok(EP("sessions", out...))
}
