package wire

import (
	"context"
	"errors"
	"fmt"

	"github.com/loupehq/loupe/shared/linktoken"
	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/oidcauth"
	"github.com/loupehq/loupe/shared/staff"
)

// SignIn returns the staff token adapters of cfg, for Ports.StaffTokens and
// Ports.SignInTokens: in OIDC mode the chain's provider's ID tokens
// (oidcauth; no issuer, no sign-in links), else Loupe's own tokens signed
// with Config.SignInKey (linktoken, both). Without a sign-in key in link
// mode it returns nils: only the API token signs in. Returns an error for a
// malformed provider setting or key.
func SignIn(cfg Config, now loupe.Clock) (staff.TokenVerifier, staff.Issuer, error) {
	if cfg.OIDC() {
		v, err := oidcauth.New(oidcauth.Config{Issuer: cfg.OIDCIssuer, ClientID: cfg.OIDCClientID, AdminClaim: cfg.OIDCAdminClaim})
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", EnvOIDCIssuer, err)
		}
		return staff.VerifierFunc(func(ctx context.Context, token string) (staff.Identity, error) {
			id, err := v.Verify(ctx, token)
			if errors.Is(err, oidcauth.ErrUnavailable) {
				return staff.Identity{}, fmt.Errorf("%w: %w", loupe.Errorf(loupe.EUNAVAILABLE, "the identity provider cannot be reached"), err)
			}
			if err != nil {
				return staff.Identity{}, err
			}
			return staff.Identity{Kind: staff.KindOIDC, Email: id.Email, Admin: id.Admin}, nil
		}), nil, nil
	}
	if cfg.SignInKey == "" {
		return nil, nil, nil
	}
	var previous [][]byte
	for _, p := range cfg.SignInPrevious {
		previous = append(previous, []byte(p))
	}
	s, err := linktoken.New(now, []byte(cfg.SignInKey), previous...)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", EnvSignInKey, err)
	}
	return s, s, nil
}
