// Package lambdahttp serves an http.Handler from AWS Lambda behind an API
// Gateway HTTP API (payload format 2.0), so the same handler runs in AWS and in
// `loupe serve`.
package lambdahttp

import (
	"bytes"
	"context"
	"encoding/base64"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

type eventKey struct{}

// EventFromContext returns the API Gateway request the handler is serving
// (authorizer claims, request id, ...); ok is false outside Adapt.
func EventFromContext(ctx context.Context) (ev events.APIGatewayV2HTTPRequest, ok bool) {
	ev, ok = ctx.Value(eventKey{}).(events.APIGatewayV2HTTPRequest)
	return ev, ok
}

// Adapt returns a Lambda handler that converts each API Gateway HTTP API
// (payload 2.0) request into an *http.Request, serves it with h, and converts
// the recorded response back. The request's context is the invocation's (it
// carries the Lambda context, hence the request id in logs).
//
// It never returns an error: a request it cannot convert (a body that is not
// valid base64) answers 400 with a JSON error body.
func Adapt(h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return func(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		req, err := Request(ctx, ev)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{
				StatusCode: http.StatusBadRequest,
				Headers:    map[string]string{"Content-Type": "application/json"},
				Body:       `{"error":{"code":"invalid","message":"request body is not valid base64"}}`,
			}, nil
		}
		rec := newRecorder()
		h.ServeHTTP(rec, req)
		return rec.response(), nil
	}
}

// Request converts an API Gateway payload 2.0 event into an *http.Request
// whose context is ctx. The path is rawPath without the stage prefix (for a
// named stage), headers keep API Gateway's comma-joined values, cookies become
// one Cookie header, RemoteAddr is the source IP. Returns an error when a
// base64 body does not decode or the path does not parse.
func Request(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(ev.Body)
		if err != nil {
			return nil, err
		}
		body = b
	}
	path := ev.RawPath
	if path == "" {
		path = ev.RequestContext.HTTP.Path
	}
	if st := ev.RequestContext.Stage; st != "" && st != "$default" && (path == "/"+st || strings.HasPrefix(path, "/"+st+"/")) {
		path = strings.TrimPrefix(path, "/"+st)
		if path == "" {
			path = "/"
		}
	}
	if path == "" {
		path = "/"
	}
	uri := path
	if ev.RawQueryString != "" {
		uri += "?" + ev.RawQueryString
	}
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return nil, err
	}
	method := ev.RequestContext.HTTP.Method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(context.WithValue(ctx, eventKey{}, ev), method, uri, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.URL = u
	req.RequestURI = uri
	req.ContentLength = int64(len(body))
	for k, v := range ev.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Length", strconv.Itoa(len(body)))
	if len(ev.Cookies) > 0 {
		req.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	// The domain API Gateway received the request on (its own or a custom
	// domain), not the client's Host header: a forged Host cannot make the
	// handler build links to another site.
	req.Host = ev.RequestContext.DomainName
	if req.Host == "" {
		req.Host = req.Header.Get("Host")
	}
	req.Header.Del("Host")
	if ip := ev.RequestContext.HTTP.SourceIP; ip != "" {
		req.RemoteAddr = net.JoinHostPort(ip, "0")
	}
	if p := ev.RequestContext.HTTP.Protocol; p != "" {
		if major, minor, ok := http.ParseHTTPVersion(p); ok {
			req.Proto, req.ProtoMajor, req.ProtoMinor = p, major, minor
		}
	}
	return req, nil
}

// recorder is an http.ResponseWriter that keeps the response in memory.
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.body.Write(b)
}

// response converts the recorded response: Set-Cookie headers go to Cookies,
// other multi-valued headers are joined with ", ", and a body that is not
// UTF-8 text is base64-encoded.
func (r *recorder) response() events.APIGatewayV2HTTPResponse {
	code := r.code
	if code == 0 {
		code = http.StatusOK
	}
	out := events.APIGatewayV2HTTPResponse{StatusCode: code, Headers: map[string]string{}}
	for k, vs := range r.header {
		if k == "Set-Cookie" {
			out.Cookies = append(out.Cookies, vs...)
			continue
		}
		out.Headers[k] = strings.Join(vs, ", ")
	}
	b := r.body.Bytes()
	if len(b) > 0 && out.Headers["Content-Type"] == "" {
		out.Headers["Content-Type"] = http.DetectContentType(b)
	}
	if isText(out.Headers["Content-Type"], out.Headers["Content-Encoding"], b) {
		out.Body = string(b)
	} else {
		out.Body = base64.StdEncoding.EncodeToString(b)
		out.IsBase64Encoded = true
	}
	return out
}

// isText reports whether body can travel as a plain string.
func isText(contentType, contentEncoding string, body []byte) bool {
	if contentEncoding != "" && contentEncoding != "identity" {
		return false
	}
	if !utf8.Valid(body) {
		return false
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return len(body) == 0
	}
	switch {
	case strings.HasPrefix(mt, "text/"),
		mt == "application/json", strings.HasSuffix(mt, "+json"),
		mt == "application/xml", strings.HasSuffix(mt, "+xml"),
		mt == "application/javascript", mt == "application/x-www-form-urlencoded",
		mt == "image/svg+xml":
		return true
	}
	return false
}
