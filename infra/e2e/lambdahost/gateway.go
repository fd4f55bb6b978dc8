package lambdahost

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// Gateway is an API Gateway HTTP API in front of functions: as an
// http.RoundTripper it turns each request into a payload 2.0 event for the
// function whose route matches (exact routes before {param} routes), and the
// function's response back into an *http.Response. Unmatched requests get
// API Gateway's 404 {"message":"Not Found"}. Routes with an authorizer other
// than NONE need an Authorization header (401 {"message":"Unauthorized"}
// otherwise) and carry Claims as requestContext.authorizer.jwt: the JWT
// itself is not verified.
type Gateway struct {
	// Claims go into requestContext.authorizer.jwt.claims on guarded routes.
	Claims map[string]string

	mu     sync.Mutex
	routes []gwRoute
	seq    atomic.Int64
}

type gwRoute struct {
	method, path, authorizer string
	segs                     []string
	params                   int
	function                 string
	invoke                   InvokeFunc
}

// Add routes method and path (template syntax, "/u/{token}") to invoke.
// authorizer is the route's Auth.Authorizer ("NONE" or "": public).
func (g *Gateway) Add(method, path, authorizer, function string, invoke InvokeFunc) {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := gwRoute{method: strings.ToUpper(method), path: path, authorizer: authorizer,
		segs: strings.Split(strings.Trim(path, "/"), "/"), function: function, invoke: invoke}
	for _, s := range r.segs {
		if strings.HasPrefix(s, "{") {
			r.params++
		}
	}
	g.routes = append(g.routes, r)
	sort.SliceStable(g.routes, func(i, j int) bool { return g.routes[i].params < g.routes[j].params })
}

func (g *Gateway) match(method, path string) (gwRoute, map[string]string, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for _, r := range g.routes {
		if r.method != method && r.method != "ANY" {
			continue
		}
		params, ok := matchSegs(r.segs, segs)
		if ok {
			return r, params, true
		}
	}
	return gwRoute{}, nil, false
}

func matchSegs(tmpl, segs []string) (map[string]string, bool) {
	params := map[string]string{}
	for i, t := range tmpl {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "+}") {
			if i >= len(segs) {
				return nil, false
			}
			params[strings.Trim(t, "{+}")] = strings.Join(segs[i:], "/")
			return params, true
		}
		if i >= len(segs) {
			return nil, false
		}
		if strings.HasPrefix(t, "{") {
			if segs[i] == "" {
				return nil, false
			}
			params[strings.Trim(t, "{}")] = segs[i]
			continue
		}
		if t != segs[i] {
			return nil, false
		}
	}
	return params, len(tmpl) == len(segs)
}

// RoundTrip serves req through the matching function. It returns an error
// only when the function fails (API Gateway would answer 500 "Internal Server
// Error"; the error carries the function's message for the test).
func (g *Gateway) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("gateway: read body: %w", err)
		}
		body = b
	}
	route, params, ok := g.match(req.Method, req.URL.EscapedPath())
	if !ok {
		return jsonResponse(req, http.StatusNotFound, `{"message":"Not Found"}`), nil
	}
	guarded := route.authorizer != "" && route.authorizer != "NONE"
	if guarded && req.Header.Get("Authorization") == "" {
		return jsonResponse(req, http.StatusUnauthorized, `{"message":"Unauthorized"}`), nil
	}
	ev := g.event(req, route, params, body, guarded)
	payload, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("gateway: encode event: %w", err)
	}
	out, err := route.invoke(req.Context(), payload)
	if err != nil {
		return nil, fmt.Errorf("gateway: %s %s: %w", route.method, route.path, err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return nil, fmt.Errorf("gateway: %s answered a body that is not a payload 2.0 response: %w", route.function, err)
	}
	respBody := []byte(resp.Body)
	if resp.IsBase64Encoded {
		if respBody, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			return nil, fmt.Errorf("gateway: %s answered bad base64: %w", route.function, err)
		}
	}
	h := http.Header{}
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	h.Set("Apigw-Requestid", ev.RequestContext.RequestID)
	return &http.Response{
		Status:        strconv.Itoa(resp.StatusCode) + " " + http.StatusText(resp.StatusCode),
		StatusCode:    resp.StatusCode,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(respBody)),
		ContentLength: int64(len(respBody)),
		Request:       req,
	}, nil
}

func (g *Gateway) event(req *http.Request, route gwRoute, params map[string]string, body []byte, guarded bool) events.APIGatewayV2HTTPRequest {
	now := time.Now()
	id := fmt.Sprintf("e2e-gw-%06d", g.seq.Add(1))
	headers := map[string]string{}
	var cookies []string
	for k, vs := range req.Header {
		lk := strings.ToLower(k)
		if lk == "cookie" {
			for _, v := range vs {
				for _, c := range strings.Split(v, ";") {
					cookies = append(cookies, strings.TrimSpace(c))
				}
			}
			continue
		}
		headers[lk] = strings.Join(vs, ",")
	}
	host := req.URL.Host
	if host == "" {
		host = req.Host
	}
	headers["host"] = host
	query := map[string]string{}
	for k, vs := range req.URL.Query() {
		query[k] = strings.Join(vs, ",")
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       route.method + " " + route.path,
		RawPath:        req.URL.EscapedPath(),
		RawQueryString: req.URL.RawQuery,
		Cookies:        cookies,
		Headers:        headers,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     route.method + " " + route.path,
			AccountID:    "123456789012",
			Stage:        "$default",
			RequestID:    id,
			APIID:        "e2eapi",
			DomainName:   host,
			DomainPrefix: strings.Split(host, ".")[0],
			Time:         now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    req.Method,
				Path:      req.URL.Path,
				Protocol:  "HTTP/1.1",
				SourceIP:  "127.0.0.1",
				UserAgent: req.Header.Get("User-Agent"),
			},
		},
	}
	if len(query) > 0 {
		ev.QueryStringParameters = query
	}
	if len(params) > 0 {
		ev.PathParameters = params
	}
	if guarded {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: g.Claims, Scopes: nil},
		}
	}
	if len(body) > 0 {
		if textual(req.Header.Get("Content-Type")) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return ev
}

// textual reports whether API Gateway passes a body of this content type as
// text; everything else (form posts included) arrives base64 encoded.
func textual(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return strings.HasPrefix(mt, "text/") || mt == "application/json" || strings.HasSuffix(mt, "+json") ||
		mt == "application/xml" || mt == "application/javascript"
}

func jsonResponse(req *http.Request, code int, body string) *http.Response {
	return &http.Response{
		Status:        strconv.Itoa(code) + " " + http.StatusText(code),
		StatusCode:    code,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}
