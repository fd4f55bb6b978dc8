package lambdahost

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"
)

// Counter is a reverse proxy on 127.0.0.1 in front of one AWS endpoint that
// counts requests per step and operation, and keeps the bodies of the
// operations named in Keep. Functions get its Endpoint; the harness itself
// talks to the target directly, so only the functions' requests are counted.
type Counter struct {
	Service string // "dynamodb", "sesv2"
	target  *url.URL
	srv     *http.Server
	ln      net.Listener
	keep    map[string]bool

	mu     sync.Mutex
	step   string
	counts map[string]map[string]int
	kept   []Request
}

// Request is one kept request.
type Request struct {
	Step, Operation string
	Body            []byte
}

// StartCounter starts a counting proxy to target for service, keeping the
// bodies of the operations in keep. Returns an error when target does not
// parse or no port can be had.
func StartCounter(service, target string, keep ...string) (*Counter, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("counter %s: %w", service, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("counter %s: %w", service, err)
	}
	c := &Counter{Service: service, target: u, ln: ln, keep: map[string]bool{}, counts: map[string]map[string]int{}}
	for _, k := range keep {
		c.keep[k] = true
	}
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(u)
		pr.Out.Host = u.Host
	}}
	c.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		op := Operation(r)
		var body []byte
		if c.keep[op] {
			body, _ = io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		c.mu.Lock()
		if c.counts[c.step] == nil {
			c.counts[c.step] = map[string]int{}
		}
		c.counts[c.step][op]++
		if body != nil {
			c.kept = append(c.kept, Request{Step: c.step, Operation: op, Body: body})
		}
		c.mu.Unlock()
		proxy.ServeHTTP(w, r)
	})}
	go c.srv.Serve(ln)
	return c, nil
}

// Endpoint returns the proxy's URL, for AWS_ENDPOINT_URL_<SERVICE>.
func (c *Counter) Endpoint() string { return "http://" + c.ln.Addr().String() }

// SetStep names the step the following requests are counted under.
func (c *Counter) SetStep(step string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.step = step
}

// Counts returns the requests per step and operation.
func (c *Counter) Counts() map[string]map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]map[string]int{}
	for s, m := range c.counts {
		out[s] = map[string]int{}
		for k, v := range m {
			out[s][k] = v
		}
	}
	return out
}

// Kept returns the kept requests, oldest first.
func (c *Counter) Kept() []Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Request(nil), c.kept...)
}

// Close stops the proxy.
func (c *Counter) Close() { _ = c.srv.Close() }

// sesv2Ops names the SES v2 REST calls Loupe makes.
var sesv2Ops = map[string]string{
	"POST /v2/email/outbound-emails": "SendEmail",
	"GET /v2/email/account":          "GetAccount",
}

// Operation names the AWS operation of r: the X-Amz-Target action for JSON
// protocols ("PutItem"), the SES v2 operation for its REST paths, else
// "METHOD /path".
func Operation(r *http.Request) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return t[strings.LastIndex(t, ".")+1:]
	}
	key := r.Method + " " + r.URL.Path
	if op, ok := sesv2Ops[key]; ok {
		return op
	}
	return key
}

// Total returns the sum of counts.
func Total(counts map[string]int) int {
	n := 0
	for _, v := range counts {
		n += v
	}
	return n
}

// Format returns counts as "Op=n Op=n", sorted by operation.
func Format(counts map[string]int) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, counts[k])
	}
	return strings.Join(parts, " ")
}
