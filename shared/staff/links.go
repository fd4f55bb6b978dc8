package staff

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"log/slog"
	netmail "net/mail"
	"strings"
	"time"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/mail"
)

// Sign-in links (CONTRACT section 3, "Sign-in", link mode).
const (
	// CodeTTL is how long a sign-in link works.
	CodeTTL = 15 * time.Minute
	// MaxLinksPerHour is how many link mails one address gets in a clock hour.
	MaxLinksPerHour = 5
	// MaxRequestsPerSourceHour is how many link requests one source (an IP
	// address) may make in a clock hour, whoever they name: one sender
	// cannot mail-bomb the staff list.
	MaxRequestsPerSourceHour = 20
	// TouchpointSignIn is the X-Loupe-Touchpoint of a sign-in mail.
	TouchpointSignIn = "signin"
)

// Issuer issues Loupe's own staff tokens (linktoken.Signer).
type Issuer interface {
	Issue(email string) (token string, expires time.Time, err error)
}

// Links sends sign-in links and exchanges their codes for staff tokens.
type Links struct {
	Codes     loupe.SignInStore
	Directory Directory
	// Stores lists the chain's stores: the sign-in mail goes from the
	// from_email of the person's first store (an admin without one: the
	// first store that has one).
	Stores func(ctx context.Context) ([]loupe.Store, error)
	Tokens Issuer
	Mail   mail.Sender
	// BaseURL is the public base of the link, <base>/app/signin#code=...
	// (LOUPE_BASE_URL). Empty: the base Request is given (the request's own
	// host, behind API Gateway).
	BaseURL string
	Admins  map[string]bool
	Now     loupe.Clock
	Log     *slog.Logger
}

// Session is the answer of POST /auth/token.
type Session struct {
	AccessToken string    `json:"access_token"`
	ExpiresAt   time.Time `json:"expires_at"`
	AssociateID *string   `json:"associate_id"`
	Role        string    `json:"role"` // the highest: admin, manager, associate
	StoreIDs    []string  `json:"store_ids"`
}

func (l *Links) log() *slog.Logger {
	if l.Log != nil {
		return l.Log
	}
	return slog.Default()
}

// Request sends a sign-in link to email when its owner may sign in, the
// address has had fewer than MaxLinksPerHour links this hour and the source
// (the caller's IP address, "" unknown) fewer than MaxRequestsPerSourceHour
// requests; otherwise it sends nothing. The caller answers the same whatever
// happened (no account probing): Request returns an error only for a
// storage failure that strangers meet too (the source count, the lookup);
// a failure after that (the code, the mail) is logged and answered like a
// success. Logs never name the address. base is the link's base when
// BaseURL is empty.
func (l *Links) Request(ctx context.Context, email, base, source string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	if !loupe.ValidEmail(email) {
		return nil
	}
	if source != "" {
		n, err := l.Codes.CountSignInMail(ctx, "source:"+source, l.Now())
		if err != nil {
			return fmt.Errorf("count sign-in requests: %w", err)
		}
		if n > MaxRequestsPerSourceHour {
			l.log().InfoContext(ctx, "sign-in link not sent: source over its hourly limit", "count", n)
			return nil
		}
	}
	p, err := Resolve(ctx, l.Directory, Identity{Kind: KindLink, Email: email, Admin: l.Admins[email]})
	if errors.Is(err, ErrNoRight) {
		l.log().InfoContext(ctx, "sign-in link not sent: no right")
		return nil
	}
	if err != nil {
		return err
	}
	if err := l.send(ctx, p, email, base); err != nil {
		l.log().ErrorContext(ctx, "sign-in link not sent", "associate_id", p.AssociateID(), "err", err)
	}
	return nil
}

// send sends p's link unless the address is over its hourly limit.
func (l *Links) send(ctx context.Context, p Person, email, base string) error {
	now := l.Now()
	n, err := l.Codes.CountSignInMail(ctx, email, now)
	if err != nil {
		return fmt.Errorf("count sign-in mail: %w", err)
	}
	if n > MaxLinksPerHour {
		l.log().InfoContext(ctx, "sign-in link not sent: hourly limit", "count", n)
		return nil
	}
	code := newCode()
	if err := l.Codes.PutSignInCode(ctx, CodeHash(code), email, now.Add(CodeTTL)); err != nil {
		return fmt.Errorf("store sign-in code: %w", err)
	}
	from, err := l.from(ctx, p)
	if err != nil {
		return err
	}
	if l.BaseURL != "" {
		base = l.BaseURL
	}
	if base == "" {
		return loupe.Errorf(loupe.EUNAVAILABLE, "no public base URL for the sign-in link (LOUPE_BASE_URL)")
	}
	link := strings.TrimRight(base, "/") + "/app/signin#code=" + code
	text := "Tap the link below, then Sign in, to open Loupe. It works once, for 15 minutes.\n\n" + link +
		"\n\nIf you did not ask for it, ignore this mail."
	body := `<!doctype html><html><head><meta name="viewport" content="width=device-width,initial-scale=1"></head>` +
		`<body style="font-family:sans-serif;max-width:600px;margin:auto;padding:16px">` +
		`<p>Tap the button, then <b>Sign in</b>, to open Loupe. The link works once, for 15 minutes.</p>` +
		`<p><a href="` + html.EscapeString(link) + `" style="display:inline-block;padding:12px 20px;background:#222;color:#fff;text-decoration:none;border-radius:6px">Open Loupe</a></p>` +
		`<p style="color:#666">If you did not ask for it, ignore this mail.</p></body></html>`
	_, err = l.Mail.Send(ctx, mail.Message{
		Key: "signin/" + CodeHash(code), From: from, To: email, Subject: "Your Loupe sign-in link",
		Text: text, HTML: body,
		Headers: []mail.Header{{Name: mail.HeaderTouchpoint, Value: TouchpointSignIn}},
	})
	if err != nil {
		return fmt.Errorf("send sign-in link: %w", err)
	}
	l.log().InfoContext(ctx, "sign-in link sent", "associate_id", p.AssociateID(), "stores", len(p.StoreIDs()))
	return nil
}

// Link returns a one-time sign-in link for email without mailing it, for an
// operator at the machine (`loupe demo` prints one for a demo associate and
// manager). Returns an EUNAUTHORIZED error when the person may not sign in.
func (l *Links) Link(ctx context.Context, email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if _, err := Resolve(ctx, l.Directory, Identity{Kind: KindLink, Email: email, Admin: l.Admins[email]}); err != nil {
		return "", err
	}
	code := newCode()
	if err := l.Codes.PutSignInCode(ctx, CodeHash(code), email, l.Now().Add(CodeTTL)); err != nil {
		return "", fmt.Errorf("store sign-in code: %w", err)
	}
	return strings.TrimRight(l.BaseURL, "/") + "/app/signin#code=" + code, nil
}

// from returns the From address of p's sign-in mail.
func (l *Links) from(ctx context.Context, p Person) (string, error) {
	stores, err := l.Stores(ctx)
	if err != nil {
		return "", fmt.Errorf("list stores: %w", err)
	}
	mine := p.StoreIDs()
	var fallback string
	for _, s := range stores {
		if s.FromEmail == "" {
			continue
		}
		addr := (&netmail.Address{Name: s.Name, Address: s.FromEmail}).String()
		for _, id := range mine {
			if id == s.StoreID {
				return addr, nil
			}
		}
		if fallback == "" {
			fallback = addr
		}
	}
	if fallback == "" {
		return "", loupe.Errorf(loupe.EUNAVAILABLE, "no store has a from_email to send the sign-in link from")
	}
	return fallback, nil
}

// Exchange takes a sign-in code (once) and returns a staff token for its
// person. Returns an EUNAUTHORIZED *loupe.Error for a used, expired or
// forged code, or for a person who lost every right since the link went.
func (l *Links) Exchange(ctx context.Context, code string) (Session, error) {
	code = strings.TrimSpace(code)
	if code == "" || len(code) > 128 {
		return Session{}, loupe.Errorf(loupe.EUNAUTHORIZED, "unknown, used or expired sign-in code")
	}
	email, err := l.Codes.TakeSignInCode(ctx, CodeHash(code), l.Now())
	if errors.Is(err, loupe.ErrNotFound) {
		return Session{}, loupe.Errorf(loupe.EUNAUTHORIZED, "unknown, used or expired sign-in code")
	}
	if err != nil {
		return Session{}, fmt.Errorf("take sign-in code: %w", err)
	}
	p, err := Resolve(ctx, l.Directory, Identity{Kind: KindLink, Email: email, Admin: l.Admins[email]})
	if err != nil {
		return Session{}, err
	}
	tok, exp, err := l.Tokens.Issue(email)
	if err != nil {
		return Session{}, fmt.Errorf("issue staff token: %w", err)
	}
	s := Session{AccessToken: tok, ExpiresAt: exp, StoreIDs: p.StoreIDs()}
	if s.StoreIDs == nil {
		s.StoreIDs = []string{}
	}
	if id := p.AssociateID(); id != "" {
		s.AssociateID = &id
	}
	roles := p.Roles()
	s.Role = roles[len(roles)-1]
	return s, nil
}

// newCode returns a random sign-in code: 32 bytes, base64url.
func newCode() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// CodeHash is the SHA-256 hex of a code: what the store keeps, so a copy of
// the table cannot sign anyone in.
func CodeHash(code string) string {
	sum := sha256.Sum256([]byte(code))
	return hex.EncodeToString(sum[:])
}
