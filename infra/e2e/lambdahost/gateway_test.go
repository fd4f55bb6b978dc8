package lambdahost

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestGatewayPayload2(t *testing.T) {
	var got []events.APIGatewayV2HTTPRequest
	echo := func(fn string) InvokeFunc {
		return func(ctx context.Context, payload []byte) ([]byte, error) {
			var ev events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(payload, &ev); err != nil {
				return nil, err
			}
			got = append(got, ev)
			return json.Marshal(events.APIGatewayV2HTTPResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "text/plain"},
				Body: base64.StdEncoding.EncodeToString([]byte(fn)), IsBase64Encoded: true})
		}
	}
	g := &Gateway{Claims: map[string]string{"sub": "staff"}}
	g.Add("GET", "/reassignments/{id}", "StaffJwt", "param", echo("param"))
	g.Add("GET", "/reassignments", "StaffJwt", "list", echo("list"))
	g.Add("POST", "/u/{token}", "NONE", "unsub", echo("unsub"))
	client := &http.Client{Transport: g}

	tests := []struct {
		name, method, url, auth, ctype, body string
		wantCode                             int
		wantBody                             string
	}{
		{"exact route", "GET", "https://api.example/reassignments?store_id=s1", "Bearer x", "", "", 200, "list"},
		{"param route", "GET", "https://api.example/reassignments/b1.csv", "Bearer x", "", "", 200, "param"},
		{"guarded without token", "GET", "https://api.example/reassignments", "", "", "", 401, `{"message":"Unauthorized"}`},
		{"no route", "GET", "https://api.example/nope", "", "", "", 404, `{"message":"Not Found"}`},
		{"wrong method", "GET", "https://api.example/u/tok", "", "", "", 404, `{"message":"Not Found"}`},
		{"form post", "POST", "https://api.example/u/tok", "", "application/x-www-form-urlencoded", "List-Unsubscribe=One-Click", 200, "unsub"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, tt.url, strings.NewReader(tt.body))
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			if tt.ctype != "" {
				req.Header.Set("Content-Type", tt.ctype)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantCode || string(b) != tt.wantBody {
				t.Errorf("got %d %s, want %d %s", resp.StatusCode, b, tt.wantCode, tt.wantBody)
			}
		})
	}
	if len(got) != 3 {
		t.Fatalf("invocations: got %d, want 3", len(got))
	}
	list, param, form := got[0], got[1], got[2]
	if list.RouteKey != "GET /reassignments" || list.RawQueryString != "store_id=s1" || list.QueryStringParameters["store_id"] != "s1" ||
		list.RequestContext.Authorizer == nil || list.RequestContext.Authorizer.JWT.Claims["sub"] != "staff" {
		t.Errorf("list event: got %+v", list)
	}
	if param.PathParameters["id"] != "b1.csv" || param.RouteKey != "GET /reassignments/{id}" {
		t.Errorf("param event: got path parameters %v, route %s", param.PathParameters, param.RouteKey)
	}
	body, _ := base64.StdEncoding.DecodeString(form.Body)
	if !form.IsBase64Encoded || string(body) != "List-Unsubscribe=One-Click" || form.RequestContext.Authorizer != nil {
		t.Errorf("form event: got base64 %v body %q authorizer %v", form.IsBase64Encoded, body, form.RequestContext.Authorizer)
	}
}
