package match

import "testing"

// BenchmarkAssign runs the engine and both baselines on the two sizes of the
// issue and reports their quality next to time and memory.
func BenchmarkAssign(b *testing.B) {
	sizes := []struct {
		name string
		size Size
	}{{"typical", Typical}, {"backfill", Backfill}}
	algos := []struct {
		name string
		fn   func(Problem) (Result, error)
	}{{"engine", Assign}, {"round_robin", RoundRobin}, {"whole_book", WholeBook}}
	for _, sz := range sizes {
		p := Generate(1, sz.size)
		for _, al := range algos {
			b.Run(sz.name+"/"+al.name, func(b *testing.B) {
				b.ReportAllocs()
				var r Result
				for b.Loop() {
					var err error
					if r, err = al.fn(p); err != nil {
						b.Fatal(err)
					}
				}
				q := Quality(p, r)
				b.ReportMetric(q.PrefMatchRate, "pref_match_%")
				b.ReportMetric(q.SameStoreRate, "same_store_%")
				b.ReportMetric(q.MaxLoadRatio, "max_load_ratio")
				b.ReportMetric(q.BookStdDev, "book_stddev")
				b.ReportMetric(float64(q.BookSpread), "book_spread")
				b.ReportMetric(float64(q.CapacityViolations), "violations")
			})
		}
	}
}
