// Package loupe holds Loupe's domain: the chain's stores, associates, customers,
// repair take-ins and purchases, the rules that make them valid, the errors the
// rest of the code speaks, and the ports (DB, change feed) that adapters implement.
//
// It imports no adapter and no AWS package; everything else imports it.
package loupe

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Application error codes. They are mapped to HTTP statuses in exactly one place
// (package httpapi) and to exit statuses by the command line.
const (
	EINVALID      = "invalid"      // input fails validation; Field names the culprit
	ENOTFOUND     = "not_found"    // the named entity does not exist
	ECONFLICT     = "conflict"     // a conditional write lost to a concurrent change
	EUNAUTHORIZED = "unauthorized" // missing or wrong credentials or signature
	EFORBIDDEN    = "forbidden"    // a known person asking for what their roles do not give
	ETOOLARGE     = "too_large"    // request body over the limit
	EUNSUPPORTED  = "unsupported"  // unsupported media type
	EUNAVAILABLE  = "unavailable"  // the service is not configured to answer
	EINTERNAL     = "internal"     // anything else; details go to the log only
)

// Error is Loupe's application error. Its Message is safe to show to the caller:
// it never holds a customer's email, name or birthday.
type Error struct {
	Code    string
	Message string
	Field   string // JSON path of the offending field, e.g. "data.customer_id"
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("loupe error: code=%s field=%s message=%s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("loupe error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalidf returns an EINVALID *Error naming field.
func Invalidf(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, "" for nil, and
// EINTERNAL for any other error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of err: the *Error's message, or
// "internal error" for any other error.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorField returns the Field of the first *Error in err's chain, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// Sentinels returned by DB implementations for conditional writes. Callers test
// them with errors.Is.
var (
	// ErrStale: the write carried an older occurred_at than the stored record;
	// nothing was written. An out-of-order POS event ends here and is not an error
	// for the sender.
	ErrStale = errors.New("stale write: stored record is newer")
	// ErrExists: an insert-only write found the record already there; nothing was
	// written. A re-delivered insert ends here.
	ErrExists = errors.New("record already exists")
	// ErrNotFound: the record does not exist.
	ErrNotFound = &Error{Code: ENOTFOUND, Message: "not found"}
	// ErrConflict: a conditional update found the record changed by someone else.
	ErrConflict = &Error{Code: ECONFLICT, Message: "record changed concurrently"}
)

// JSONProblem says what is wrong with JSON that did not decode (err from
// encoding/json) without quoting the input, which may hold a customer's
// data: the offset of a syntax error, or the field and the types of a type
// mismatch.
func JSONProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at offset %d", se.Offset)
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Sprintf("%s is a JSON %s, want %s", te.Field, te.Value, te.Type)
		}
		return fmt.Sprintf("a JSON %s, want %s", te.Value, te.Type)
	}
	return "unreadable JSON"
}
