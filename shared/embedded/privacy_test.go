package embedded

import (
	"testing"

	"github.com/loupehq/loupe/shared/storetest"
)

func TestPrivacyContract(t *testing.T) {
	storetest.RunPrivacy(t, func(t *testing.T) storetest.PrivacyDB {
		db, _ := openTemp(t)
		return db
	})
}
