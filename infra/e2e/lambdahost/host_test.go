package lambdahost

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// bootstrapEnv makes the test binary act as a Lambda bootstrap (see TestMain).
const bootstrapEnv = "LAMBDAHOST_TEST_BOOTSTRAP"

func TestMain(m *testing.M) {
	switch os.Getenv(bootstrapEnv) {
	case "echo":
		lambda.Start(func(ctx context.Context, in map[string]any) (map[string]any, error) {
			lc, _ := lambdacontext.FromContext(ctx)
			dl, _ := ctx.Deadline()
			if in["fail"] == true {
				return nil, errors.New("asked to fail")
			}
			os.Stdout.WriteString(`{"msg":"handled"}` + "\n")
			return map[string]any{"in": in, "request_id": lc.AwsRequestID, "arn": lc.InvokedFunctionArn,
				"has_deadline": !dl.IsZero(), "env": os.Getenv("E2E_VAR")}, nil
		})
		return
	case "exit":
		os.Stderr.WriteString("cannot start\n")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func startSelf(t *testing.T, mode string) *Host {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	h, err := Start(Config{Name: "self", Binary: exe, Env: map[string]string{bootstrapEnv: mode, "E2E_VAR": "v"}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

func TestHostInvokes(t *testing.T) {
	h := startSelf(t, "echo")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if d, err := h.Ready(ctx); err != nil || d <= 0 {
		t.Fatalf("Ready: got %v, %v; want a positive duration", d, err)
	}
	out, err := h.Invoke(ctx, []byte(`{"x":1}`))
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var got struct {
		In          map[string]any `json:"in"`
		RequestID   string         `json:"request_id"`
		ARN         string         `json:"arn"`
		HasDeadline bool           `json:"has_deadline"`
		Env         string         `json:"env"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got.In["x"] != 1.0 || got.RequestID == "" || !strings.HasSuffix(got.ARN, ":function:self") || !got.HasDeadline || got.Env != "v" {
		t.Errorf("invocation: got %+v", got)
	}
	_, err = h.Invoke(ctx, []byte(`{"fail":true}`))
	var fe *FunctionError
	if !errors.As(err, &fe) || fe.Init || fe.Message != "asked to fail" {
		t.Errorf("failing invocation: got %v, want a *FunctionError with the message", err)
	}
	if _, err := h.Invoke(ctx, []byte(`{}`)); err != nil {
		t.Errorf("invocation after an error: %v", err)
	}
	if n := h.Invocations(); n != 3 {
		t.Errorf("Invocations: got %d, want 3", n)
	}
	if !strings.Contains(h.Output(), `{"msg":"handled"}`) {
		t.Errorf("Output: got %q, want the handler's line", h.Output())
	}
}

func TestHostReportsEarlyExit(t *testing.T) {
	h := startSelf(t, "exit")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := h.Ready(ctx)
	if err == nil || !strings.Contains(err.Error(), "cannot start") {
		t.Errorf("Ready: got %v, want the exit with the process output", err)
	}
}
