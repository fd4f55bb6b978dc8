package emf

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestPutWritesEMF(t *testing.T) {
	var buf bytes.Buffer
	at := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	w := New(&buf, "touchpoints", func() time.Time { return at })
	if err := w.Put(map[string]string{"store_id": "nyc"}, Count("TouchpointsSent", 3), Percent("CaptureRate", 77.5)); err != nil {
		t.Fatal(err)
	}
	var got struct {
		AWS struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		} `json:"_aws"`
		Function        string
		StoreID         string  `json:"store_id"`
		TouchpointsSent float64 `json:"TouchpointsSent"`
		CaptureRate     float64 `json:"CaptureRate"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("not one JSON line: %v: %s", err, buf.Bytes())
	}
	if got.AWS.Timestamp != at.UnixMilli() || got.Function != "touchpoints" || got.StoreID != "nyc" ||
		got.TouchpointsSent != 3 || got.CaptureRate != 77.5 {
		t.Errorf("got %+v", got)
	}
	cw := got.AWS.CloudWatchMetrics
	if len(cw) != 1 || cw[0].Namespace != Namespace || len(cw[0].Metrics) != 2 ||
		cw[0].Metrics[1].Unit != UnitPercent || len(cw[0].Dimensions) != 1 || cw[0].Dimensions[0][0] != "Function" {
		t.Errorf("CloudWatchMetrics = %+v", cw)
	}
	if bytes.Count(buf.Bytes(), []byte("\n")) != 1 {
		t.Errorf("want exactly one line, got %q", buf.String())
	}
}

func TestPutRejectsCollisions(t *testing.T) {
	w := New(&bytes.Buffer{}, "f", nil)
	cases := map[string][]Metric{
		"function": {Count("Function", 1)},
		"twice":    {Count("A", 1), Count("A", 2)},
		"empty":    {Count("", 1)},
	}
	for name, ms := range cases {
		t.Run(name, func(t *testing.T) {
			if err := w.Put(nil, ms...); err == nil {
				t.Error("Put succeeded, want an error")
			}
		})
	}
}

func TestNilWriterDiscards(t *testing.T) {
	var w *Writer
	if err := w.Put(nil, Count("A", 1)); err != nil {
		t.Errorf("nil Writer: %v", err)
	}
}
