package reassign

import (
	"bytes"
	"embed"
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"time"
)

//go:embed print.html
var pageFS embed.FS

var pageTmpl = template.Must(template.New("print.html").Funcs(template.FuncMap{
	"score":   func(f float64) string { return strconv.FormatFloat(f, 'f', 3, 64) },
	"reasons": func(rs []string) string { return strings.Join(rs, ", ") },
	"inc":     func(i int) int { return i + 1 },
	"day":     func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
}).ParseFS(pageFS, "print.html"))

// CSVHeader is the header row of the CSV list.
var CSVHeader = []string{"customer_id", "customer_name", "home_store_id", "from_associate_id",
	"to_associate_id", "to_associate_name", "score", "reasons", "state", "claimed", "claimed_by", "claimed_at", "connection_notes"}

// WriteCSV writes r's assignments as CSV: CSVHeader, then one client a row in
// customer id order, reasons joined by "|", an empty connection_notes column.
// Cells starting with =, +, - or @ are prefixed with ' so spreadsheets do not
// run them as formulas. Returns the writer's error.
func WriteCSV(w io.Writer, r Review) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for _, a := range r.Assignments {
		claimedAt := ""
		if !a.ClaimedAt.IsZero() {
			claimedAt = a.ClaimedAt.UTC().Format(time.RFC3339)
		}
		row := []string{a.CustomerID, a.CustomerName, a.HomeStoreID, a.FromAssociateID, a.ToAssociateID,
			a.ToAssociateName, strconv.FormatFloat(a.Score, 'f', 3, 64), strings.Join(a.Reasons, "|"),
			a.State, strconv.FormatBool(a.Claimed), a.ClaimedBy, claimedAt, ""}
		for i, v := range row {
			row[i] = safeCell(v)
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// safeCell defuses spreadsheet formula injection.
func safeCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// CSVFilename returns the download name of batch id's CSV.
func CSVFilename(id string) string { return "reassignment-" + id + ".csv" }

// pageData feeds print.html.
type pageData struct {
	Review
	Mail    bool   // rendering the review mail, not the page
	PageURL string // link to the printable page, in the mail
}

// WritePage writes the printable review page of r (HTML with a print style
// sheet: one client a row, an empty "Connection / notes" column, header row
// repeated on every printed page). Returns the template or writer error.
func WritePage(w io.Writer, r Review) error {
	if err := pageTmpl.Execute(w, pageData{Review: r}); err != nil {
		return fmt.Errorf("render reassignment page %s: %w", r.ID, err)
	}
	return nil
}

func mailHTML(r Review, pageURL string) (string, error) {
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, pageData{Review: r, Mail: true, PageURL: pageURL}); err != nil {
		return "", fmt.Errorf("render review mail %s: %w", r.ID, err)
	}
	return buf.String(), nil
}

// mailText is the plain-text part: one line a client.
func mailText(r Review, pageURL string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Reassignment %s: %d %s were reassigned.\n", r.ID, r.Clients, r.Subject())
	if pageURL != "" {
		fmt.Fprintf(&b, "Printable list: %s\n", pageURL)
	}
	b.WriteString("The full list is attached as CSV.\n\n")
	for _, a := range r.Assignments {
		to := a.ToAssociateName
		if to == "" {
			to = a.ToAssociateID
		}
		if a.ToAssociateID == "" {
			to = "(unassigned)"
		}
		fmt.Fprintf(&b, "%s  %s  ->  %s  (%s; %s)\n", a.CustomerID, a.CustomerName, to,
			strconv.FormatFloat(a.Score, 'f', 3, 64), strings.Join(a.Reasons, ", "))
	}
	return b.String()
}
