// Package smsvoicetest serves a stand-in for AWS End User Messaging SMS and
// Voice v2 on 127.0.0.1, speaking the wire protocol the SDK's
// pinpointsmsvoicev2 client sends (awsJson1_0), so tests reach it with the
// real client through AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2:
//
//	POST / with Content-Type application/x-amz-json-1.0,
//	X-Amz-Target: PinpointSMSVoiceV2.SendTextMessage and a SigV4
//	Authorization for the sms-voice service, body {"DestinationPhoneNumber",
//	"OriginationIdentity", "MessageBody", "MessageType",
//	"ConfigurationSetName", "Context", "TimeToLive", "DryRun", ...},
//	answer {"MessageId": "..."};
//	errors HTTP 400 {"__type": "ThrottlingException", "message": ...},
//	ValidationException with "Reason" (and "Fields"), ConflictException with
//	"Reason": "DESTINATION_PHONE_NUMBER_OPTED_OUT" for an opted-out number.
//
// SendVoiceMessage (X-Amz-Target PinpointSMSVoiceV2.SendVoiceMessage) is
// answered the same way, body {"DestinationPhoneNumber",
// "OriginationIdentity", "MessageBody", "MessageBodyTextType" ("TEXT" or
// "SSML"), "VoiceId", "ConfigurationSetName", "Context", "TimeToLive",
// "DryRun", ...}; an SSML body must be well-formed XML with one <speak>
// root (at most 6000 characters, TEXT 3000) and VoiceId one of the SDK's
// types.VoiceId values, else ValidationException. Accepted calls are
// recorded apart (Voice).
//
// A test injects throttling for the next N requests of either operation
// (Throttle), opted-out numbers (OptOut, for texts and calls) and invalid
// numbers (Invalid); a destination that is not E.164 is invalid too.
package smsvoicetest

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2"
	"github.com/aws/aws-sdk-go-v2/service/pinpointsmsvoicev2/types"
)

// Target is the X-Amz-Target of SendTextMessage.
const Target = "PinpointSMSVoiceV2.SendTextMessage"

// VoiceTarget is the X-Amz-Target of SendVoiceMessage.
const VoiceTarget = "PinpointSMSVoiceV2.SendVoiceMessage"

// Message is one SendTextMessage request the stand-in accepted.
type Message struct {
	MessageID              string
	DestinationPhoneNumber string
	OriginationIdentity    string
	MessageBody            string
	MessageType            string // "PROMOTIONAL", "TRANSACTIONAL" or ""
	ConfigurationSetName   string
	Context                map[string]string
	TimeToLive             *int32 // nil when not sent
	DryRun                 bool
}

// VoiceMessage is one SendVoiceMessage request the stand-in accepted.
type VoiceMessage struct {
	MessageID              string
	DestinationPhoneNumber string
	OriginationIdentity    string
	MessageBody            string
	MessageBodyTextType    string // "TEXT", "SSML" or "" (TEXT)
	VoiceID                string // a types.VoiceId value, or "" (MATTHEW)
	ConfigurationSetName   string
	Context                map[string]string
	TimeToLive             *int32 // nil when not sent
	DryRun                 bool
}

// Server is a running stand-in. Safe for concurrent use.
type Server struct {
	// URL is the endpoint, for AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2.
	URL string

	mu       sync.Mutex
	sent     []Message
	voice    []VoiceMessage
	calls    int
	voiceN   int
	throttle int
	optedOut map[string]bool
	invalid  map[string]bool
}

// Start returns a stand-in on 127.0.0.1 with no injected faults, closed
// when tb ends. It fails tb when it cannot listen.
func Start(tb testing.TB) *Server {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("smsvoicetest: listen: %v", err)
	}
	s := &Server{optedOut: map[string]bool{}, invalid: map[string]bool{}}
	srv := &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(s.serve)}}
	srv.Start()
	tb.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Client returns a pinpointsmsvoicev2 client for s, configured the standard
// way: AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2 set to s.URL for the rest of
// tb's test (so it cannot be used in parallel tests), static dummy
// credentials, region us-east-1. It fails tb when the configuration cannot
// load.
func (s *Server) Client(tb testing.TB) *pinpointsmsvoicev2.Client {
	tb.Helper()
	tb.Setenv("AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2", s.URL)
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("AKIDLOCAL", "local-secret", "")),
	)
	if err != nil {
		tb.Fatalf("smsvoicetest: load AWS config: %v", err)
	}
	return pinpointsmsvoicev2.NewFromConfig(cfg)
}

// Throttle makes the next n requests (SendTextMessage or SendVoiceMessage)
// answer ThrottlingException (nothing recorded).
func (s *Server) Throttle(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle = n
}

// OptOut puts number on the opt-out list: texts and calls to it answer
// ConflictException DESTINATION_PHONE_NUMBER_OPTED_OUT.
func (s *Server) OptOut(number string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.optedOut[number] = true
}

// Invalid makes texts and calls to number answer ValidationException
// INVALID_PARAMETER on DestinationPhoneNumber, as for a number no carrier
// serves.
func (s *Server) Invalid(number string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invalid[number] = true
}

// Sent returns the accepted messages, in order (DryRun ones included,
// marked).
func (s *Server) Sent() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.sent...)
}

// Calls returns how many SendTextMessage requests arrived, refused ones
// included.
func (s *Server) Calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// Voice returns the accepted SendVoiceMessage requests, in order (DryRun
// ones included, marked).
func (s *Server) Voice() []VoiceMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]VoiceMessage(nil), s.voice...)
}

// VoiceCalls returns how many SendVoiceMessage requests arrived, refused
// ones included.
func (s *Server) VoiceCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.voiceN
}

type sendInput struct {
	DestinationPhoneNumber string            `json:"DestinationPhoneNumber"`
	OriginationIdentity    string            `json:"OriginationIdentity"`
	MessageBody            string            `json:"MessageBody"`
	MessageType            string            `json:"MessageType"`
	ConfigurationSetName   string            `json:"ConfigurationSetName"`
	Context                map[string]string `json:"Context"`
	TimeToLive             *int32            `json:"TimeToLive"`
	DryRun                 bool              `json:"DryRun"`
}

type voiceInput struct {
	DestinationPhoneNumber string            `json:"DestinationPhoneNumber"`
	OriginationIdentity    string            `json:"OriginationIdentity"`
	MessageBody            string            `json:"MessageBody"`
	MessageBodyTextType    string            `json:"MessageBodyTextType"`
	VoiceID                string            `json:"VoiceId"`
	ConfigurationSetName   string            `json:"ConfigurationSetName"`
	Context                map[string]string `json:"Context"`
	TimeToLive             *int32            `json:"TimeToLive"`
	DryRun                 bool              `json:"DryRun"`
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/":
		fail(w, http.StatusNotFound, "UnknownOperationException", "not found", nil)
		return
	case !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json-1.0"):
		fail(w, http.StatusBadRequest, "SerializationException", "want Content-Type application/x-amz-json-1.0", nil)
		return
	case !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") || !strings.Contains(auth, "/sms-voice/aws4_request"):
		fail(w, http.StatusBadRequest, "MissingAuthenticationTokenException", "request not signed for sms-voice", nil)
		return
	case r.Header.Get("X-Amz-Target") == VoiceTarget:
		s.serveVoice(w, r)
		return
	case r.Header.Get("X-Amz-Target") != Target:
		fail(w, http.StatusBadRequest, "UnknownOperationException", "the stand-in answers SendTextMessage and SendVoiceMessage only", nil)
		return
	}
	var in sendInput
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, http.StatusBadRequest, "SerializationException", "body is not a SendTextMessage request", nil)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	switch {
	case s.throttle > 0:
		s.throttle--
		fail(w, http.StatusBadRequest, "ThrottlingException", "Rate exceeded", nil)
	case in.DestinationPhoneNumber == "":
		fail(w, http.StatusBadRequest, "ValidationException", "DestinationPhoneNumber is required",
			map[string]any{"Reason": "MISSING_PARAMETER", "Fields": []map[string]string{{"Name": "DestinationPhoneNumber", "Message": "required"}}})
	case s.invalid[in.DestinationPhoneNumber] || !e164.MatchString(in.DestinationPhoneNumber):
		fail(w, http.StatusBadRequest, "ValidationException", "Invalid destination phone number",
			map[string]any{"Reason": "INVALID_PARAMETER", "Fields": []map[string]string{{"Name": "DestinationPhoneNumber", "Message": "not a valid phone number"}}})
	case in.MessageType != "" && in.MessageType != "PROMOTIONAL" && in.MessageType != "TRANSACTIONAL":
		fail(w, http.StatusBadRequest, "ValidationException", "MessageType must be PROMOTIONAL or TRANSACTIONAL",
			map[string]any{"Reason": "INVALID_PARAMETER", "Fields": []map[string]string{{"Name": "MessageType", "Message": "invalid"}}})
	case in.TimeToLive != nil && (*in.TimeToLive < 5 || *in.TimeToLive > 259200):
		fail(w, http.StatusBadRequest, "ValidationException", "TimeToLive must be between 5 and 259200",
			map[string]any{"Reason": "FIELD_VALIDATION_FAILED", "Fields": []map[string]string{{"Name": "TimeToLive", "Message": "out of range"}}})
	case s.optedOut[in.DestinationPhoneNumber]:
		fail(w, http.StatusBadRequest, "ConflictException", "The destination phone number is opted out",
			map[string]any{"Reason": "DESTINATION_PHONE_NUMBER_OPTED_OUT", "ResourceType": "opt-out-list", "ResourceId": "Default"})
	default:
		id := fmt.Sprintf("00000000-0000-4000-9000-%012d", len(s.sent)+1)
		s.sent = append(s.sent, Message{
			MessageID: id, DestinationPhoneNumber: in.DestinationPhoneNumber, OriginationIdentity: in.OriginationIdentity,
			MessageBody: in.MessageBody, MessageType: in.MessageType, ConfigurationSetName: in.ConfigurationSetName,
			Context: in.Context, TimeToLive: in.TimeToLive, DryRun: in.DryRun,
		})
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-Requestid", id)
		json.NewEncoder(w).Encode(map[string]string{"MessageId": id})
	}
}

// serveVoice answers one SendVoiceMessage request (already checked for
// method, content type and signature).
func (s *Server) serveVoice(w http.ResponseWriter, r *http.Request) {
	var in voiceInput
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		fail(w, http.StatusBadRequest, "SerializationException", "body is not a SendVoiceMessage request", nil)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.voiceN++
	invalid := func(field, msg string) {
		fail(w, http.StatusBadRequest, "ValidationException", msg,
			map[string]any{"Reason": "INVALID_PARAMETER", "Fields": []map[string]string{{"Name": field, "Message": msg}}})
	}
	switch {
	case s.throttle > 0:
		s.throttle--
		fail(w, http.StatusBadRequest, "ThrottlingException", "Rate exceeded", nil)
	case in.DestinationPhoneNumber == "" || in.OriginationIdentity == "":
		fail(w, http.StatusBadRequest, "ValidationException", "DestinationPhoneNumber and OriginationIdentity are required",
			map[string]any{"Reason": "MISSING_PARAMETER", "Fields": []map[string]string{{"Name": "DestinationPhoneNumber", "Message": "required"}}})
	case s.invalid[in.DestinationPhoneNumber] || !e164.MatchString(in.DestinationPhoneNumber):
		invalid("DestinationPhoneNumber", "not a valid phone number")
	case in.MessageBodyTextType != "" && in.MessageBodyTextType != "TEXT" && in.MessageBodyTextType != "SSML":
		invalid("MessageBodyTextType", "MessageBodyTextType must be TEXT or SSML")
	case in.MessageBodyTextType == "SSML" && utf8.RuneCountInString(in.MessageBody) > 6000,
		in.MessageBodyTextType != "SSML" && utf8.RuneCountInString(in.MessageBody) > 3000:
		invalid("MessageBody", "MessageBody is too long")
	case in.MessageBodyTextType == "SSML" && !speakDocument(in.MessageBody):
		invalid("MessageBody", "MessageBody is not valid SSML")
	case in.VoiceID != "" && !slices.Contains(types.VoiceId("").Values(), types.VoiceId(in.VoiceID)):
		invalid("VoiceId", "unknown VoiceId")
	case in.TimeToLive != nil && (*in.TimeToLive < 5 || *in.TimeToLive > 259200):
		invalid("TimeToLive", "TimeToLive must be between 5 and 259200")
	case s.optedOut[in.DestinationPhoneNumber]:
		fail(w, http.StatusBadRequest, "ConflictException", "The destination phone number is opted out",
			map[string]any{"Reason": "DESTINATION_PHONE_NUMBER_OPTED_OUT", "ResourceType": "opt-out-list", "ResourceId": "Default"})
	default:
		id := fmt.Sprintf("00000000-0000-4000-a000-%012d", len(s.voice)+1)
		s.voice = append(s.voice, VoiceMessage{
			MessageID: id, DestinationPhoneNumber: in.DestinationPhoneNumber, OriginationIdentity: in.OriginationIdentity,
			MessageBody: in.MessageBody, MessageBodyTextType: in.MessageBodyTextType, VoiceID: in.VoiceID,
			ConfigurationSetName: in.ConfigurationSetName, Context: in.Context, TimeToLive: in.TimeToLive, DryRun: in.DryRun,
		})
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amzn-Requestid", id)
		json.NewEncoder(w).Encode(map[string]string{"MessageId": id})
	}
}

// speakDocument reports whether body is well-formed XML with a single
// <speak> root element.
func speakDocument(body string) bool {
	dec := xml.NewDecoder(strings.NewReader(body))
	roots, depth := 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return roots == 1 && depth == 0
		}
		if err != nil {
			return false
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				if tok.Name.Local != "speak" {
					return false
				}
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && strings.TrimSpace(string(tok)) != "" {
				return false
			}
		}
	}
}

// fail writes an awsJson1_0 error: HTTP status, __type and message, and the
// exception's own members in extra.
func fail(w http.ResponseWriter, status int, typ, msg string, extra map[string]any) {
	body := map[string]any{"__type": typ, "message": msg}
	for k, v := range extra {
		body[k] = v
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Errortype", typ)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}
