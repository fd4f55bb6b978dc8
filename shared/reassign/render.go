package reassign

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"
	"time"
)

// pageCSS is the print style sheet of the review page and mail.
//
//go:embed print.css
var pageCSS string

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

// WritePage writes the printable review page of r (HTML with a print style
// sheet: one client a row, an empty "Connection / notes" column, header row
// repeated on every printed page). Returns the writer error.
func WritePage(w io.Writer, r Review) error {
	if _, err := io.WriteString(w, pageHTML(r, false, "")); err != nil {
		return fmt.Errorf("render reassignment page %s: %w", r.ID, err)
	}
	return nil
}

func mailHTML(r Review, pageURL string) (string, error) {
	return pageHTML(r, true, pageURL), nil
}

// pageHTML renders the page, or with mail the review mail's HTML part (an
// introduction and the link to pageURL above the table). Every value is
// escaped with html.EscapeString. It is written out, not a html/template:
// executing a template makes the linker keep every exported method of every
// type (templates call methods by name), which cost the sender function
// 5.8 MB, because it builds the review mail (SendReview).
func pageHTML(r Review, mail bool, pageURL string) string {
	e := html.EscapeString
	var b strings.Builder
	b.WriteString("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n" +
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	fmt.Fprintf(&b, "<title>Reassignment %s</title>\n<style>\n%s</style>\n</head>\n<body>\n", e(r.ID), pageCSS)
	fmt.Fprintf(&b, "<h1>Reassigned %s</h1>\n", e(r.Subject()))
	fmt.Fprintf(&b, "<p class=\"meta\">Reassignment %s &middot; %d clients &middot; %s &middot; status %s", e(r.ID), r.Clients,
		r.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"), e(r.Status))
	if r.StoreID != "" {
		fmt.Fprintf(&b, " &middot; store %s", e(r.StoreID))
	}
	b.WriteString("</p>\n")
	if mail {
		b.WriteString("<p>Each client below was placed with the active associate who fits best; the reasons say why. " +
			"If you know a client personally, claim them in Loupe. The full list is attached as CSV")
		if pageURL != "" {
			fmt.Fprintf(&b, "; a printable page is at <a href=\"%s\">%s</a>", e(pageURL), e(pageURL))
		}
		b.WriteString(".</p>\n")
	}
	b.WriteString("<table>\n<colgroup><col class=\"n\"><col class=\"client\"><col class=\"from\"><col class=\"to\">" +
		"<col class=\"score\"><col class=\"why\"><col class=\"claimed\"><col class=\"notes\"></colgroup>\n" +
		"<thead><tr><th>#</th><th>Client</th><th>From</th><th>Assigned to</th><th>Score</th><th>Reasons</th>" +
		"<th>Claimed</th><th>Connection / notes</th></tr></thead>\n<tbody>\n")
	for i, a := range r.Assignments {
		fmt.Fprintf(&b, "<tr><td>%d</td><td>%s<br><small>%s</small></td><td>%s</td><td>", i+1, e(a.CustomerName), e(a.CustomerID), e(a.FromAssociateID))
		if a.ToAssociateID != "" {
			fmt.Fprintf(&b, "%s<br><small>%s</small>", e(a.ToAssociateName), e(a.ToAssociateID))
		} else {
			b.WriteString("<em>unassigned</em>")
		}
		if a.State != StateMoved {
			fmt.Fprintf(&b, "<br><small>%s</small>", e(a.State))
		}
		fmt.Fprintf(&b, "</td><td>%s</td><td>%s</td><td>", strconv.FormatFloat(a.Score, 'f', 3, 64), e(strings.Join(a.Reasons, ", ")))
		if a.Claimed {
			fmt.Fprintf(&b, "yes: %s", e(a.ClaimedByName))
		}
		b.WriteString("</td><td class=\"notes\"></td></tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n</body>\n</html>\n")
	return b.String()
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
