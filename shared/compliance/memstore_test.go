package compliance_test

import (
	"testing"

	"github.com/loupehq/loupe/shared/compliance"
	"github.com/loupehq/loupe/shared/testkit/compliancetest"
)

func TestMemStoreContract(t *testing.T) {
	compliancetest.Run(t, func(t *testing.T) compliance.Store { return &compliance.MemStore{} })
}

func TestMemStoreInspectionContract(t *testing.T) {
	compliancetest.RunInspections(t, func(t *testing.T) compliance.InspectionStore { return &compliance.MemStore{} })
}
