package templatetest

import (
	"sort"
	"strings"
	"testing"

	"github.com/loupehq/loupe/shared/httpapi"
)

// publicRoutes answer without a token (CONTRACT.md section 3): the signed
// webhook, the unsubscribe page, the static dashboard and the health check.
var publicRoutes = map[string]string{
	"POST /pos/events": "PosWebhookFunction",
	"GET /u/{token}":   "PosWebhookFunction",
	"POST /u/{token}":  "PosWebhookFunction",
	"GET /dashboard":   "DashboardApiFunction",
	"GET /healthz":     "DashboardApiFunction",
	// Sign-in (CONTRACT section 3, "Sign-in"), and the page a link opens.
	"GET /auth/config": "DashboardApiFunction",
	"POST /auth/link":  "DashboardApiFunction",
	"POST /auth/token": "DashboardApiFunction",
	"GET /app/signin":  "DashboardApiFunction",
	// The staff app's page, at /app and every path under it, and / sending
	// people there.
	"GET /{$}":           "DashboardApiFunction",
	"GET /app":           "DashboardApiFunction",
	"GET /app/{path...}": "DashboardApiFunction",
}

// gatewayPath returns the API Gateway path of an http.ServeMux pattern:
// "{name...}" is "{name+}" there, and "/{$}" (the root only) is "/".
func gatewayPath(key string) string {
	if m, ok := strings.CutSuffix(key, " /{$}"); ok {
		return m + " /"
	}
	return strings.ReplaceAll(key, "...}", "+}")
}

// staffRoutes need a bearer token, which Loupe checks itself (no API
// Gateway authorizer). GET /reassignments/{id} also serves {id}.csv: a path
// parameter matches "abc.csv".
var staffRoutes = map[string]string{
	"GET /me":                                "DashboardApiFunction",
	"GET /me/today":                          "DashboardApiFunction",
	"POST /tasks/{task_id}/outcome":          "DashboardApiFunction",
	"GET /stores/{store_id}/progress":        "DashboardApiFunction",
	"GET /customers":                         "DashboardApiFunction",
	"GET /customers/{customer_id}":           "DashboardApiFunction",
	"GET /customers/{customer_id}/purchases": "DashboardApiFunction",
	"GET /customers/{customer_id}/repairs":   "DashboardApiFunction",
	"GET /customers/{customer_id}/contacts":  "DashboardApiFunction",
	"DELETE /customers/{customer_id}":        "DashboardApiFunction",
	"GET /compliance":                        "DashboardApiFunction",
	"GET /reassignments":                     "DashboardApiFunction",
	"GET /reassignments/{id}":                "DashboardApiFunction",
	"GET /reassignments/{id}/print":          "DashboardApiFunction",
	"POST /reassignments/{id}/claims":        "DashboardApiFunction",
	"POST /campaigns":                        "DashboardApiFunction",
	"GET /coverage":                          "DashboardApiFunction",
	// Extensions of the contract (docs/compliance.md section 8, docs/touchpoints.md section 5).
	"GET /customers/{customer_id}/preview": "DashboardApiFunction",
	"GET /stores/{store_id}/inspection":    "DashboardApiFunction",
	"PUT /stores/{store_id}/inspection":    "DashboardApiFunction",
	"DELETE /stores/{store_id}/inspection": "DashboardApiFunction",
	// Inbound texts on one machine (CONTRACT section 4, "Inbound texts"): admin.
	"POST /sms/inbound": "DashboardApiFunction",
}

// TestEveryServedRouteIsListed: every route httpapi serves is in one of the
// lists above with the same access, so a new route cannot ship without its
// API Gateway route (and the checks of the lists against the template).
func TestEveryServedRouteIsListed(t *testing.T) {
	served := map[string]bool{}
	for _, r := range httpapi.Routes() {
		served[r.Pattern] = true
		_, isStaff := staffRoutes[r.Pattern]
		_, isPublic := publicRoutes[r.Pattern]
		switch {
		case r.Staff && !isStaff:
			t.Errorf("httpapi serves staff route %s; add it to staffRoutes and template.yaml", r.Pattern)
		case !r.Staff && !isPublic:
			t.Errorf("httpapi serves public route %s; add it to publicRoutes and template.yaml", r.Pattern)
		}
	}
	for _, list := range []map[string]string{staffRoutes, publicRoutes} {
		for p := range list {
			if !served[p] {
				t.Errorf("route %s is listed but httpapi does not serve it", p)
			}
		}
	}
}

type route struct {
	function, authorizer string
}

// httpRoutes returns "METHOD /path" -> function and effective authorizer
// (the route's own Auth.Authorizer, else the API's DefaultAuthorizer).
func httpRoutes(t *testing.T, tpl *samTemplate) map[string]route {
	t.Helper()
	out := map[string]route{}
	for _, ev := range tpl.Events() {
		if ev.Type == "Api" {
			t.Errorf("%s/%s: Type Api (REST API); Loupe uses HttpApi", ev.Function, ev.Name)
		}
		if ev.Type != "HttpApi" {
			continue
		}
		api := refTarget(get(ev.Props, "ApiId"))
		if typeOf(tpl.Resources[api]) != "AWS::Serverless::HttpApi" {
			t.Errorf("%s/%s: ApiId = %q, want !Ref of the AWS::Serverless::HttpApi", ev.Function, ev.Name, api)
		}
		key := strings.ToUpper(str(get(ev.Props, "Method"))) + " " + str(get(ev.Props, "Path"))
		if _, dup := out[key]; dup {
			t.Errorf("route %s declared twice", key)
		}
		auth := str(get(ev.Props, "Auth", "Authorizer"))
		if auth == "" {
			auth = str(get(tpl.Resources[api], "Properties", "Auth", "DefaultAuthorizer"))
		}
		out[key] = route{function: ev.Function, authorizer: auth}
	}
	return out
}

// TestRouteAuthorization: no route has an API Gateway authorizer (Loupe
// checks every staff token itself, so the API token and Loupe's own sign-in
// tokens reach it as well as the provider's ID tokens), and each route is
// served by the function the lists name.
func TestRouteAuthorization(t *testing.T) {
	tpl := loadTemplate(t)
	routes := httpRoutes(t, tpl)
	for _, api := range tpl.OfType("AWS::Serverless::HttpApi") {
		if get(tpl.Resources[api], "Properties", "Auth") != nil {
			t.Errorf("%s has Auth (an authorizer): Loupe checks staff tokens itself", api)
		}
	}
	var keys []string
	for k := range routes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if r := routes[key]; r.authorizer != "" && r.authorizer != "NONE" {
			t.Errorf("%s: authorizer %q, want none", key, r.authorizer)
		}
	}
	for _, want := range []map[string]string{publicRoutes, staffRoutes} {
		for key, fn := range want {
			r, ok := routes[gatewayPath(key)]
			if !ok {
				t.Errorf("route %s missing (want it on %s)", key, fn)
				continue
			}
			if r.function != fn {
				t.Errorf("route %s served by %s, want %s", key, r.function, fn)
			}
		}
	}
}
