package embedded

import (
	"testing"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/compliance/compliancetest"
)

func TestComplianceContract(t *testing.T) {
	compliancetest.Run(t, func(t *testing.T) compliance.Store {
		db, _ := openTemp(t)
		return db.Compliance()
	})
}
