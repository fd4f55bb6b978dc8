package lambdahttp_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/loupehq/loupe/shared/lambdahttp"
)

func load(t *testing.T, name string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return ev
}

// seen is what the handler observed.
type seen struct {
	method, path, rawPath, query, host, remote, proto, body string
	header                                                  http.Header
	cookies                                                 []*http.Cookie
	contentLength                                           int64
	claims                                                  map[string]string
}

func capture(got *seen, respond func(w http.ResponseWriter)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		*got = seen{method: r.Method, path: r.URL.Path, rawPath: r.URL.EscapedPath(), query: r.URL.RawQuery, host: r.Host,
			remote: r.RemoteAddr, proto: r.Proto, body: string(b), header: r.Header, cookies: r.Cookies(), contentLength: r.ContentLength}
		if ev, ok := lambdahttp.EventFromContext(r.Context()); ok && ev.RequestContext.Authorizer != nil && ev.RequestContext.Authorizer.JWT != nil {
			got.claims = ev.RequestContext.Authorizer.JWT.Claims
		}
		respond(w)
	})
}

func TestAdaptRequest(t *testing.T) {
	tests := []struct {
		file string
		want seen
	}{
		{"post-event-base64.json", seen{method: "POST", path: "/pos/events", rawPath: "/pos/events", host: "abcdef1234.execute-api.us-east-1.amazonaws.com",
			remote: "203.0.113.7:0", proto: "HTTP/1.1", body: `{"id":"evt_1","data":{}}`, contentLength: 24}},
		{"get-customer-jwt.json", seen{method: "GET", path: "/customers/c/1", rawPath: "/customers/c%2F1", query: "fields=email&fields=name&x=a%20b",
			host: "api.example-jewelers.com", remote: "198.51.100.20:0", proto: "HTTP/1.1", body: ""}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			var got seen
			h := lambdahttp.Adapt(capture(&got, func(w http.ResponseWriter) {}))
			if _, err := h(context.Background(), load(t, tt.file)); err != nil {
				t.Fatal(err)
			}
			w := tt.want
			for name, g := range map[string][2]string{
				"method": {got.method, w.method}, "path": {got.path, w.path}, "escaped path": {got.rawPath, w.rawPath},
				"query": {got.query, w.query}, "host": {got.host, w.host}, "remote": {got.remote, w.remote},
				"proto": {got.proto, w.proto}, "body": {got.body, w.body},
			} {
				if g[0] != g[1] {
					t.Errorf("%s = %q, want %q", name, g[0], g[1])
				}
			}
			if got.contentLength != int64(len(w.body)) {
				t.Errorf("ContentLength = %d, want %d", got.contentLength, len(w.body))
			}
		})
	}
}

func TestAdaptHeadersCookiesClaims(t *testing.T) {
	var got seen
	h := lambdahttp.Adapt(capture(&got, func(w http.ResponseWriter) {}))
	if _, err := h(context.Background(), load(t, "get-customer-jwt.json")); err != nil {
		t.Fatal(err)
	}
	if v := got.header.Get("Authorization"); v != "Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig" {
		t.Errorf("Authorization = %q", v)
	}
	if v := got.header.Get("X-Custom"); v != "one,two" {
		t.Errorf("X-Custom = %q, want one,two", v)
	}
	if len(got.cookies) != 2 || got.cookies[0].Name != "session" || got.cookies[1].Value != "dark" {
		t.Errorf("cookies = %v, want session=abc theme=dark", got.cookies)
	}
	if got.claims["sub"] != "staff-42" {
		t.Errorf("claims = %v, want sub staff-42", got.claims)
	}
}

func TestAdaptResponse(t *testing.T) {
	png := []byte{0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0xff}
	tests := []struct {
		name        string
		respond     func(w http.ResponseWriter)
		wantStatus  int
		wantBody    string
		wantBase64  bool
		wantHeaders map[string]string
		wantCookies []string
	}{
		{"json", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusAccepted)
			io.WriteString(w, `{"id":"evt_1","status":"accepted"}`)
		}, 202, `{"id":"evt_1","status":"accepted"}`, false, map[string]string{"Content-Type": "application/json"}, nil},
		{"implicit 200 html", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, "<p>Désinscrit</p>")
		}, 200, "<p>Désinscrit</p>", false, nil, nil},
		{"binary", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "image/png")
			w.Write(png)
		}, 200, base64.StdEncoding.EncodeToString(png), true, nil, nil},
		{"csv", func(w http.ResponseWriter) {
			w.Header().Set("Content-Type", "text/csv")
			io.WriteString(w, "customer_id,name\nc1,Bea\n")
		}, 200, "customer_id,name\nc1,Bea\n", false, nil, nil},
		{"cookies and multi headers", func(w http.ResponseWriter) {
			w.Header().Add("Set-Cookie", "a=1; Path=/")
			w.Header().Add("Set-Cookie", "b=2; Path=/")
			w.Header().Add("Vary", "Accept")
			w.Header().Add("Vary", "Authorization")
			w.WriteHeader(http.StatusNoContent)
		}, 204, "", false, map[string]string{"Vary": "Accept, Authorization"}, []string{"a=1; Path=/", "b=2; Path=/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got seen
			h := lambdahttp.Adapt(capture(&got, tt.respond))
			res, err := h(context.Background(), load(t, "post-event-base64.json"))
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tt.wantStatus || res.Body != tt.wantBody || res.IsBase64Encoded != tt.wantBase64 {
				t.Fatalf("got %d %q base64=%v, want %d %q base64=%v", res.StatusCode, res.Body, res.IsBase64Encoded, tt.wantStatus, tt.wantBody, tt.wantBase64)
			}
			for k, v := range tt.wantHeaders {
				if res.Headers[k] != v {
					t.Errorf("header %s = %q, want %q", k, res.Headers[k], v)
				}
			}
			if len(res.Cookies) != len(tt.wantCookies) {
				t.Fatalf("cookies = %q, want %q", res.Cookies, tt.wantCookies)
			}
			for i := range tt.wantCookies {
				if res.Cookies[i] != tt.wantCookies[i] {
					t.Errorf("cookie %d = %q, want %q", i, res.Cookies[i], tt.wantCookies[i])
				}
			}
		})
	}
}

func TestAdaptBadBase64(t *testing.T) {
	ev := load(t, "post-event-base64.json")
	ev.Body = "not base64!"
	called := false
	h := lambdahttp.Adapt(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
	res, err := h(context.Background(), ev)
	if err != nil || res.StatusCode != http.StatusBadRequest || called {
		t.Fatalf("got %d, %v, handler called %v; want 400 without calling the handler", res.StatusCode, err, called)
	}
}
