package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/loupehq/loupe/shared/dynamo"
	"github.com/loupehq/loupe/shared/testkit/dynalite"
)

// childEnv, when set, makes TestImportChild run loupe with the arguments
// it holds (one per line), as a separate process another test can kill.
const childEnv = "LOUPE_TEST_CHILD_ARGS"

func TestImportChild(t *testing.T) {
	args := os.Getenv(childEnv)
	if args == "" {
		t.Skip("runs only as the child of TestImportTableResumesAfterKill")
	}
	os.Exit(run(context.Background(), strings.Split(args, "\n"), os.Stdout, os.Stderr))
}

// dynaliteTable starts dynalite, points the standard AWS environment at it
// and creates a table, returning its client and name.
func dynaliteTable(t *testing.T) (*dynamodb.Client, string) {
	t.Helper()
	client := dynalite.Client(t, dynalite.Start(t))
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "dynalite")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "dynalite")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	table := dynalite.TableName(t)
	if err := dynamo.CreateTable(context.Background(), client, table); err != nil {
		t.Fatal(err)
	}
	return client, table
}

// shielded returns the endpoint of a proxy in front of upstream that reads
// each request whole before forwarding it and finishes it even when the
// client is gone. dynalite can stop serving when a client is killed in the
// middle of a request (seen once in a loaded make test); DynamoDB does not,
// and a request that never arrived whole never reached DynamoDB either, so
// the proxy keeps what the killed process sent as it would have landed.
func shielded(t *testing.T, upstream string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return // the client died mid-request: nothing was sent
		}
		req, err := http.NewRequestWithContext(context.WithoutCancel(r.Context()), r.Method, upstream+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header, req.Host = r.Header.Clone(), r.Host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// versions counts the customer items of table by their version.
func versions(t *testing.T, client *dynamodb.Client, table string) map[string]int {
	t.Helper()
	out := map[string]int{}
	p := dynamodb.NewScanPaginator(client, &dynamodb.ScanInput{
		TableName:                 aws.String(table),
		FilterExpression:          aws.String("begins_with(PK, :c)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":c": &types.AttributeValueMemberS{Value: "CUST#"}},
		ProjectionExpression:      aws.String("version"),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			n, _ := it["version"].(*types.AttributeValueMemberN)
			if n == nil {
				out["none"]++
			} else {
				out[n.Value]++
			}
		}
	}
	return out
}

// A first load of 50,000 clients into DynamoDB (dynalite), killed with
// SIGKILL in the middle, resumes from its checkpoint: every client is
// stored, each written exactly once (version 1), and the bad rows of the
// file are reported and counted across both runs.
func TestImportTableResumesAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 50,000 rows into dynalite")
	}
	client, table := dynaliteTable(t)
	dir := t.TempDir()
	stores := writeFile(t, dir, "stores.csv", "store_id,name,timezone,country\nnyc,New York,America/New_York,US\nlon,London,Europe/London,GB\n")
	associates := writeFile(t, dir, "associates.csv", "associate_id,store_id,name,capacity\na1,nyc,Ann,0\na2,nyc,Bob,0\na3,lon,Cy,0\n")
	for _, f := range []string{stores, associates} {
		if code, out, errs := runCLI(t, "import", kindOf(f), f, "--table", table); code != exitOK {
			t.Fatalf("import %s: exit %d\n%s%s", f, code, out, errs)
		}
	}

	const n = 50_000
	var b strings.Builder
	b.WriteString("customer_id,home_store_id,associate_id,first_name,email,birthday,preferences\n")
	bad, badLines := 0, []int{}
	for i := 1; i <= n; i++ {
		store, assoc := "nyc", fmt.Sprintf("a%d", 1+i%2)
		if i%3 == 0 {
			store, assoc = "lon", "a3"
		}
		switch {
		case i%10_000 == 7: // an unknown store, in both halves of the file
			store = "paris"
			bad, badLines = bad+1, append(badLines, i+1)
		case i%12_500 == 11: // a bad birthday
			fmt.Fprintf(&b, "c%06d,%s,%s,Name%d,c%d@example.com,1980-02-30,pearls\n", i, store, assoc, i, i)
			bad, badLines = bad+1, append(badLines, i+1)
			continue
		}
		fmt.Fprintf(&b, "c%06d,%s,%s,Name%d,c%d@example.com,--%02d-%02d,pearls|diamonds\n", i, store, assoc, i, i, 1+i%12, 1+i%28)
	}
	customers := writeFile(t, dir, "customers.csv", b.String())
	checkpoint := customers + ".checkpoint"

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	child := exec.Command(exe, "-test.run=^TestImportChild$")
	child.Env = append(os.Environ(), childEnv+"="+strings.Join([]string{"import", "customers", customers, "--table", table, "--workers", "4"}, "\n"),
		dynalite.EndpointEnv+"="+shielded(t, os.Getenv(dynalite.EndpointEnv)))
	var childOut strings.Builder
	child.Stdout, child.Stderr = &childOut, &childOut
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	lastLine := func() int {
		var cp struct{ Line int }
		if b, err := os.ReadFile(checkpoint); err == nil && json.Unmarshal(b, &cp) == nil {
			return cp.Line
		}
		return 0
	}
	for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if lastLine() > n/3 {
			time.Sleep(100 * time.Millisecond) // into the writes of a later group
			child.Process.Signal(syscall.SIGKILL)
			break
		}
		if time.Now().After(deadline) {
			child.Process.Kill()
			t.Fatalf("the first run saved no checkpoint past line %d:\n%s", n/3, childOut.String())
		}
	}
	if err := child.Wait(); err == nil {
		t.Fatalf("the first run finished before it was killed:\n%s", childOut.String())
	}
	killedAt := lastLine()
	checkpointed := killedAt - 1 // good rows the checkpoint covers (line 1 is the header)
	for _, l := range badLines {
		if l <= killedAt {
			checkpointed--
		}
	}
	v := versions(t, client, table)
	if v["1"] < checkpointed || len(v) != 1 {
		t.Fatalf("after the kill past line %d: customer items by version %v", killedAt, v)
	}
	t.Logf("killed with %d clients stored, the checkpoint at line %d", v["1"], killedAt)

	code, out, errs := runCLI(t, "import", "customers", customers, "--table", table)
	t.Logf("killed after line %d; resumed run:\n%s%s", killedAt, out, errs)
	if code != exitFail {
		t.Errorf("resumed run with bad rows: exit %d, want %d", code, exitFail)
	}
	if !strings.Contains(errs, fmt.Sprintf("resuming after line %d", killedAt)) {
		t.Errorf("the resumed run does not say where it resumed: %q", errs)
	}
	// Rows stored after the last checkpoint are read again and found
	// unchanged (at least those seen stored: dynalite may still have been
	// finishing a request of the killed run): every row is counted once, as
	// imported, unchanged or bad.
	var rows, imported, unchanged, failed int
	if _, err := fmt.Sscanf(strings.TrimPrefix(out, customers+": "), "%d rows: %d imported, %d unchanged (newer data already stored), %d bad",
		&rows, &imported, &unchanged, &failed); err != nil || rows != n || imported+unchanged != n-bad || failed != bad || unchanged < v["1"]-checkpointed {
		t.Errorf("summary %q (%v): want %d rows, %d imported or unchanged (at least %d unchanged: stored after the checkpoint), %d bad",
			out, err, n, n-bad, v["1"]-checkpointed, bad)
	}
	if !strings.Contains(errs, "customers.csv:40008: home_store_id: home_store_id names no store Loupe knows") {
		t.Errorf("the resumed run does not report the bad row after the kill: %q", errs)
	}
	if v := versions(t, client, table); v["1"] != n-bad || len(v) != 1 {
		t.Errorf("customer items by version %v, want %d at version 1: each written once", v, n-bad)
	}
	if _, err := os.Stat(checkpoint); !os.IsNotExist(err) {
		t.Errorf("the finished load left its checkpoint (stat: %v)", err)
	}

	// Running the finished load again changes nothing.
	code, out, _ = runCLI(t, "import", "customers", customers, "--table", table)
	if want := fmt.Sprintf("%d rows: 0 imported, %d unchanged", n, n-bad); code != exitFail || !strings.Contains(out, want) {
		t.Errorf("second load: exit %d, %q, want %q", code, out, want)
	}
	if v := versions(t, client, table); v["1"] != n-bad || len(v) != 1 {
		t.Errorf("after a second load: customer items by version %v", v)
	}
}

// kindOf returns the import kind a test file is named after.
func kindOf(path string) string { return strings.TrimSuffix(filepath.Base(path), ".csv") }

// A checkpoint resumes only the load it was saved for: the same file read
// with another encoding, or a bad row fixed in place (same size), starts
// over from the first line and stores every row.
func TestImportTableCheckpointOfAnotherLoad(t *testing.T) {
	_, table := dynaliteTable(t)
	dir := t.TempDir()
	stores := writeFile(t, dir, "stores.csv", "store_id,name,timezone,country\nnyc,New York,America/New_York,US\n")
	if code, out, errs := runCLI(t, "import", "stores", stores, "--table", table); code != exitOK {
		t.Fatalf("import stores: exit %d\n%s%s", code, out, errs)
	}
	customers := writeFile(t, dir, "customers.csv", "customer_id,home_store_id,first_name\nc1,nyc,Jos\xe9\nc2,nyc,Ren\xe9\nc3,nyc,Ann\n")
	// What a run without --encoding, interrupted after line 3, would leave.
	code, _, _ := runCLI(t, "import", "customers", customers, "--table", table)
	if code != exitFail {
		t.Fatalf("Latin-1 read as UTF-8: exit %d, want 1", code)
	}
	b, _ := os.ReadFile(customers)
	sum := sha256.Sum256(b)
	cp := fmt.Sprintf(`{"kind":"customers","table":%q,"size":%d,"encoding":"utf-8","sha256":%q,"line":3,"rows":2,"failed":2}`, table, len(b), hex.EncodeToString(sum[:]))
	writeFile(t, dir, "customers.csv.checkpoint", cp)
	code, out, errs := runCLI(t, "import", "customers", customers, "--table", table, "--encoding", "latin1")
	if code != exitOK || strings.Contains(errs, "resuming") || !strings.Contains(errs, "starting from the first line") ||
		!strings.Contains(out, "3 rows: 2 imported, 1 unchanged") {
		t.Errorf("another encoding: exit %d, %q %q; want every row read again", code, out, errs)
	}
}
