package csvimport_test

import (
	"github.com/loupehq/loupe/shared/csvimport"
	"github.com/loupehq/loupe/shared/pos"
)

// The POS importer is the Applier the importer is given in `loupe import`.
var _ csvimport.Applier = (*pos.Importer)(nil)
