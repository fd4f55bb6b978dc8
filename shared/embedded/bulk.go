package embedded

import "fmt"

// BulkLoad runs fn with per-commit fsync turned off and syncs the file once when
// fn returns, so seeding thousands of records costs one disk flush instead of
// one per write. Only for data that can be loaded again after a crash (the demo
// chain): a machine crash during fn may leave the file unusable. No other
// goroutine may be writing when BulkLoad starts or ends. Returns fn's error, or
// the error of the final sync.
func (db *DB) BulkLoad(fn func() error) error {
	db.noSync.Store(true)
	err := fn()
	db.noSync.Store(false)
	db.writeMu.Lock()
	b := db.cur.Load()
	b.NoSync = false
	serr := b.Sync()
	db.writeMu.Unlock()
	if serr != nil && err == nil {
		err = fmt.Errorf("sync after bulk load: %w", serr)
	}
	return err
}
