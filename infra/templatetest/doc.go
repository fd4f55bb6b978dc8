// Package templatetest holds the tests that keep template.yaml honest: every
// function has code and a Makefile build target, stream and queue event
// sources fail safely, no route has a gateway authorizer (Loupe checks staff tokens itself), IAM stays
// scoped, every environment variable the Go code reads is set, the table
// matches notes/keys.md, schedules retry into a dead-letter queue, and logs
// have retention. The package has no exported API; run it with
// `go test ./infra/...`; a function declared in the template without its
// folder or Makefile entry fails it.
package templatetest
