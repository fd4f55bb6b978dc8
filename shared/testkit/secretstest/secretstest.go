// Package secretstest serves a stand-in for AWS Secrets Manager on
// 127.0.0.1, speaking the service's own wire protocol (awsJson1_1) for
// GetSecretValue, so tests reach it with the SDK's real client through
// AWS_ENDPOINT_URL_SECRETS_MANAGER (or a client's BaseEndpoint):
//
//	POST / with X-Amz-Target: secretsmanager.GetSecretValue and a SigV4
//	Authorization for the secretsmanager service,
//	body {"SecretId": name or ARN, "VersionStage": "AWSPREVIOUS"},
//	answer {"ARN","Name","SecretString","VersionId","VersionStages","CreatedDate"},
//	errors HTTP 400 {"__type":"ResourceNotFoundException","message":"..."}.
//
// Put moves the staging labels the way PutSecretValue does: the new value
// becomes AWSCURRENT and the former current one AWSPREVIOUS.
package secretstest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Stages as Secrets Manager names them.
const (
	StageCurrent  = "AWSCURRENT"
	StagePrevious = "AWSPREVIOUS"
)

// Region and account of the ARNs the stand-in makes.
const (
	Region  = "us-east-1"
	Account = "123456789012"
)

// arnSuffix stands for the six random characters Secrets Manager appends
// to a secret's name in its ARN.
const arnSuffix = "-a1B2c3"

// Call is one GetSecretValue request the stand-in answered.
type Call struct {
	SecretID     string
	VersionStage string // as sent; "" means AWSCURRENT
}

type version struct {
	id, value string
	stages    []string
}

type secret struct {
	name, arn string
	versions  []*version
	denied    bool
}

// Server is a running stand-in. Safe for concurrent use.
type Server struct {
	// URL is the endpoint, for AWS_ENDPOINT_URL_SECRETS_MANAGER.
	URL string

	mu      sync.Mutex
	secrets map[string]*secret // by name
	calls   []Call
	serial  int
}

// Start returns a stand-in holding no secrets, closed when tb ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{secrets: map[string]*secret{}}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// Put stores value as the AWSCURRENT version of the secret name (created on
// first use); the former AWSCURRENT version becomes AWSPREVIOUS and the
// former AWSPREVIOUS one loses its label, as PutSecretValue does.
func (s *Server) Put(name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.secrets[name]
	if sec == nil {
		sec = &secret{name: name}
		s.secrets[name] = sec
	}
	if sec.arn == "" {
		sec.arn = fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s%s", Region, Account, name, arnSuffix)
	}
	for _, v := range sec.versions {
		switch {
		case hasStage(v, StageCurrent):
			v.stages = []string{StagePrevious}
		case hasStage(v, StagePrevious):
			v.stages = nil
		}
	}
	s.serial++
	sec.versions = append(sec.versions, &version{
		id:     fmt.Sprintf("00000000-0000-4000-8000-%012d", s.serial),
		value:  value,
		stages: []string{StageCurrent},
	})
}

// Deny makes every GetSecretValue of the secret name answer
// AccessDeniedException, as for a role without the permission.
func (s *Server) Deny(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sec := s.secrets[name]; sec != nil {
		sec.denied = true
		return
	}
	s.secrets[name] = &secret{name: name, denied: true}
}

// ARN returns the ARN of the secret name, "" before its first Put.
func (s *Server) ARN(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sec := s.secrets[name]; sec != nil {
		return sec.arn
	}
	return ""
}

// Calls returns the GetSecretValue requests answered so far, in order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

func hasStage(v *version, stage string) bool {
	for _, st := range v.stages {
		if st == stage {
			return true
		}
	}
	return false
}

type getInput struct {
	SecretID     string `json:"SecretId"`
	VersionID    string `json:"VersionId"`
	VersionStage string `json:"VersionStage"`
}

type getOutput struct {
	ARN           string   `json:"ARN"`
	Name          string   `json:"Name"`
	SecretString  string   `json:"SecretString"`
	VersionID     string   `json:"VersionId"`
	VersionStages []string `json:"VersionStages"`
	CreatedDate   float64  `json:"CreatedDate"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	switch {
	case r.Method != http.MethodPost || r.URL.Path != "/":
		fail(w, http.StatusNotFound, "UnknownOperationException", "not found")
		return
	case !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-amz-json-1.1"):
		fail(w, http.StatusBadRequest, "SerializationException", "want Content-Type application/x-amz-json-1.1")
		return
	case !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") || !strings.Contains(auth, "/secretsmanager/aws4_request"):
		fail(w, http.StatusBadRequest, "MissingAuthenticationTokenException", "request not signed for secretsmanager")
		return
	case r.Header.Get("X-Amz-Target") != "secretsmanager.GetSecretValue":
		fail(w, http.StatusBadRequest, "UnknownOperationException", "the stand-in answers GetSecretValue only")
		return
	}
	var in getInput
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.SecretID == "" {
		fail(w, http.StatusBadRequest, "InvalidParameterException", "SecretId is required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{SecretID: in.SecretID, VersionStage: in.VersionStage})
	sec := s.lookup(in.SecretID)
	if sec != nil && sec.denied {
		fail(w, http.StatusBadRequest, "AccessDeniedException", fmt.Sprintf(
			"User: arn:aws:sts::%s:assumed-role/test is not authorized to perform: secretsmanager:GetSecretValue on resource: %s", Account, in.SecretID))
		return
	}
	if sec == nil || len(sec.versions) == 0 {
		fail(w, http.StatusBadRequest, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
		return
	}
	stage := in.VersionStage
	if stage == "" && in.VersionID == "" {
		stage = StageCurrent
	}
	for _, v := range sec.versions {
		if (stage == "" || hasStage(v, stage)) && (in.VersionID == "" || v.id == in.VersionID) {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.Header().Set("X-Amzn-Requestid", v.id)
			json.NewEncoder(w).Encode(getOutput{
				ARN: sec.arn, Name: sec.name, SecretString: v.value, VersionID: v.id,
				VersionStages: v.stages, CreatedDate: float64(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Unix()),
			})
			return
		}
	}
	fail(w, http.StatusBadRequest, "ResourceNotFoundException",
		"Secrets Manager can't find the specified secret value for staging label: "+stage)
}

// lookup returns the secret named id, or whose ARN is id (complete, or
// without the random suffix as Secrets Manager also accepts), nil if none.
func (s *Server) lookup(id string) *secret {
	if sec := s.secrets[id]; sec != nil {
		return sec
	}
	for _, sec := range s.secrets {
		if sec.arn != "" && (sec.arn == id || strings.TrimSuffix(sec.arn, arnSuffix) == id) {
			return sec
		}
	}
	return nil
}

func fail(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Errortype", typ)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}
