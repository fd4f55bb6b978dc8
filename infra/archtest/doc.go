// Package archtest holds the test that keeps Loupe's layout honest
// (docs/architecture.md): every package under shared/ has a role (domain,
// adapter, wiring or test kit); a domain package imports no adapter, wiring,
// test kit, AWS library or bbolt; an adapter imports no other adapter, wiring
// or test kit; nothing under shared/ imports functions/, cmd/ or infra/; a
// test kit imports no wiring; and only the wiring packages (shared/wire)
// build the domain services, never a Lambda main or cmd/loupe.
//
// The checker reads the tree with one `go list -e -json ./...` at the module
// root and go/parser over each package's non-test files, so it needs no
// network and tolerates packages that do not build. The package has no
// exported API; run it with `go test ./infra/archtest/`. Each failure names
// the package, the file and line where it can, the rule, and what to do.
package archtest
