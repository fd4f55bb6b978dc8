package postest_test

import (
	"testing"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/testkit/postest"
	"github.com/loupehq/loupe/shared/testkit/signintest"
	"github.com/loupehq/loupe/shared/testkit/storetest"
)

func TestMemDBContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) loupe.DB { return postest.NewMemDB() })
}

func TestMemDBSignIn(t *testing.T) {
	signintest.Run(t, func(t *testing.T) loupe.SignInStore { return postest.NewMemDB() })
}
