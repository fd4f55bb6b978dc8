// Package metrics writes CloudWatch embedded metric format (EMF) lines: one
// JSON object per line on the function's standard output, which CloudWatch
// Logs turns into metrics without any API call (no PutMetricData, no extra
// IAM permission, no latency on the handler).
//
// Metrics are chain-level: the only dimension is the function name, because
// every distinct dimension value is a separate custom metric billed monthly
// (a store dimension would cost about 0.30 USD per store per metric name). Ids
// such as store_id go in as properties: searchable in CloudWatch Logs
// Insights, never a dimension. Properties must never hold customer emails,
// names or birthdays.
package emf

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// Namespace is the CloudWatch namespace of every Loupe metric.
const Namespace = "Loupe"

// Units accepted by CloudWatch that Loupe uses.
const (
	UnitCount   = "Count"
	UnitPercent = "Percent"
	UnitMillis  = "Milliseconds"
)

// Metric is one value of one named metric.
type Metric struct {
	Name  string
	Value float64
	Unit  string // UnitCount when empty
}

// Count returns a Count metric.
func Count(name string, n int) Metric { return Metric{Name: name, Value: float64(n), Unit: UnitCount} }

// Percent returns a Percent metric.
func Percent(name string, p float64) Metric { return Metric{Name: name, Value: p, Unit: UnitPercent} }

// Writer writes EMF lines for one function. The zero value is not usable: use
// New. A nil *Writer discards everything, so code can take an optional Writer.
// Safe for concurrent use.
type Writer struct {
	mu       sync.Mutex
	out      io.Writer
	function string
	now      func() time.Time
}

// New returns a Writer of function's metrics (the dimension "Function") to
// out, stamped with now(). now nil means time.Now.
func New(out io.Writer, function string, now func() time.Time) *Writer {
	if now == nil {
		now = time.Now
	}
	return &Writer{out: out, function: function, now: now}
}

// Put writes one EMF line holding ms, with props as extra top-level
// properties (not dimensions). Metrics whose name collides with a property or
// with "Function" are an error. Returns the write or encoding error; a nil
// Writer or an empty ms writes nothing and returns nil.
func (w *Writer) Put(props map[string]string, ms ...Metric) error {
	if w == nil || len(ms) == 0 {
		return nil
	}
	type def struct {
		Name string `json:"Name"`
		Unit string `json:"Unit"`
	}
	line := map[string]any{"Function": w.function}
	for k, v := range props {
		line[k] = v
	}
	defs := make([]def, 0, len(ms))
	for _, m := range ms {
		if _, dup := line[m.Name]; dup || m.Name == "" {
			return fmt.Errorf("metric %q: empty or used twice", m.Name)
		}
		unit := m.Unit
		if unit == "" {
			unit = UnitCount
		}
		defs = append(defs, def{m.Name, unit})
		line[m.Name] = m.Value
	}
	line["_aws"] = map[string]any{
		"Timestamp": w.now().UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  Namespace,
			"Dimensions": [][]string{{"Function"}},
			"Metrics":    defs,
		}},
	}
	b, err := json.Marshal(line)
	if err != nil {
		return fmt.Errorf("encode metrics: %w", err)
	}
	b = append(b, '\n')
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, err := w.out.Write(b); err != nil {
		return fmt.Errorf("write metrics: %w", err)
	}
	return nil
}
