package reassign

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"html"
	"io"
	"sort"
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
	"to_associate_id", "to_associate_name", "score", "reasons", "state", "claimed", "claimed_by", "claimed_at", "connection_notes",
	"reason_texts"}

// WriteCSV writes r's assignments as CSV: CSVHeader, then one client a row in
// customer id order, reasons joined by "|", an empty connection_notes column,
// and the reasons in words (ReasonText) joined by "; " in the last column.
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
			a.State, strconv.FormatBool(a.Claimed), a.ClaimedBy, claimedAt, "", strings.Join(ReasonTexts(a.Reasons), "; ")}
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

// WritePage writes the printable review page of r in the words of l (HTML
// with a print style sheet): the departed associate, the store and the
// store-local time once in the header, then one section per associate the
// clients were placed with (a heading with their client count, one client a
// row: name, reasons in words, claim, an empty wide "Connection / notes"
// column), the clients nobody could take last. The header row repeats on
// every printed page and no row is split; on a phone each client is a card.
// Returns the writer's error.
func WritePage(w io.Writer, r Review, l Labels) error {
	if _, err := io.WriteString(w, pageHTML(r, l, false, "")); err != nil {
		return fmt.Errorf("render reassignment page %s: %w", r.ID, err)
	}
	return nil
}

func mailHTML(r Review, l Labels, link string) (string, error) {
	return pageHTML(r, l, true, link), nil
}

// group is the clients placed with one associate (AssociateID "": nobody).
type group struct {
	AssociateID string
	Name        string
	Clients     []Assignment
}

// groups returns r's assignments by the associate they were placed with,
// ordered by that associate's name (then id), the unplaced last; inside a
// group by client name, then id.
func groups(as []Assignment) []group {
	byID := map[string]*group{}
	var out []*group
	for _, a := range as {
		g := byID[a.ToAssociateID]
		if g == nil {
			g = &group{AssociateID: a.ToAssociateID, Name: a.ToAssociateName}
			if g.Name == "" && g.AssociateID != "" {
				g.Name = "Associate " + g.AssociateID
			}
			byID[a.ToAssociateID] = g
			out = append(out, g)
		}
		g.Clients = append(g.Clients, a)
	}
	sort.SliceStable(out, func(i, j int) bool {
		x, y := out[i], out[j]
		if (x.AssociateID == "") != (y.AssociateID == "") {
			return y.AssociateID == ""
		}
		if xn, yn := strings.ToLower(x.Name), strings.ToLower(y.Name); xn != yn {
			return xn < yn
		}
		return x.AssociateID < y.AssociateID
	})
	res := make([]group, len(out))
	for i, g := range out {
		sort.SliceStable(g.Clients, func(i, j int) bool {
			x, y := g.Clients[i], g.Clients[j]
			if (x.CustomerName == ErasedName) != (y.CustomerName == ErasedName) {
				return y.CustomerName == ErasedName
			}
			if xn, yn := strings.ToLower(x.CustomerName), strings.ToLower(y.CustomerName); xn != yn {
				return xn < yn
			}
			return x.CustomerID < y.CustomerID
		})
		res[i] = *g
	}
	return res
}

// heading returns a group's heading: "Ada Park", or for the unplaced
// "Not placed yet".
func (g group) heading() string {
	if g.AssociateID == "" {
		return "Not placed yet"
	}
	return g.Name
}

// clients returns "1 client" or "n clients".
func clients(n int) string {
	if n == 1 {
		return "1 client"
	}
	return strconv.Itoa(n) + " clients"
}

// claimText says who claimed a since the reassignment, and when.
func claimText(a Assignment, l Labels) (who, when string) {
	if !a.Claimed {
		return "", ""
	}
	who = a.ClaimedByName
	if who == "" {
		who = l.DepartedName(a.ClaimedBy)
		if n, ok := strings.CutPrefix(who, "associate "); ok {
			who = "Associate " + n
		}
	}
	return "Claimed by " + who, l.Local(a.ClaimedAt)
}

// headerText returns the page's heading and its line of facts.
func headerText(r Review, l Labels) (title, facts string) {
	title = sentence(l.Subject(r.Batch))
	parts := []string{}
	if n := l.StoreName(r.StoreID); n != "" {
		parts = append(parts, n)
	}
	parts = append(parts, clients(r.Clients))
	if t := l.Local(r.CreatedAt); t != "" {
		parts = append(parts, "reassigned "+t)
	}
	parts = append(parts, statusText(r.Status))
	return title, strings.Join(parts, " · ")
}

// pageHTML renders the page, or with mail the review mail's HTML part (an
// introduction and the link to the staff app's review screen above the
// lists). Every value is escaped with html.EscapeString. It is written out,
// not a html/template: executing a template makes the linker keep every
// exported method of every type (templates call methods by name), which cost
// the sender function 5.8 MB, because it builds the review mail (SendReview).
func pageHTML(r Review, l Labels, mail bool, link string) string {
	e := html.EscapeString
	title, facts := headerText(r, l)
	var b strings.Builder
	b.WriteString("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n" +
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	fmt.Fprintf(&b, "<title>%s</title>\n<style>\n%s</style>\n</head>\n<body>\n<header>\n", e(title), pageCSS)
	fmt.Fprintf(&b, "<h1>%s</h1>\n<p class=\"meta\">%s</p>\n", e(title), e(facts))
	if mail {
		b.WriteString("<p>Each client below was placed with the active associate who fits best; the reasons say why. " +
			"If you know a client personally, claim them in Loupe")
		if link != "" {
			fmt.Fprintf(&b, ": <a href=\"%s\">review and claim</a> (%s)", e(link), e(link))
		}
		b.WriteString(". The full list is attached as CSV.</p>\n")
	} else {
		b.WriteString("<p class=\"how\">Each client was placed with the active associate who fits best; the reasons say why. " +
			"Note how you know a client in the last column, then claim them in Loupe.</p>\n")
	}
	b.WriteString("</header>\n")
	for _, g := range groups(r.Assignments) {
		heading := fmt.Sprintf("%s <span class=\"count\">&middot; %s</span>", e(g.heading()), e(clients(len(g.Clients))))
		fmt.Fprintf(&b, "<section class=\"group\">\n<h2>%s</h2>\n", heading)
		b.WriteString("<table>\n<colgroup><col class=\"n\"><col class=\"client\"><col class=\"why\"><col class=\"claimed\"><col class=\"notes\"></colgroup>\n<thead>")
		if !mail {
			// Printed instead of the h2, so every page names whose clients follow.
			fmt.Fprintf(&b, "<tr class=\"group\"><th colspan=\"5\" scope=\"colgroup\">%s</th></tr>", heading)
		}
		b.WriteString("<tr><th scope=\"col\">#</th><th scope=\"col\">Client</th><th scope=\"col\">Why</th>" +
			"<th scope=\"col\">Claimed</th><th scope=\"col\">Connection / notes</th></tr></thead>\n<tbody>\n")
		for i, a := range g.Clients {
			fmt.Fprintf(&b, "<tr><td class=\"n\">%d</td><td class=\"client\"><b>%s</b> <small class=\"id\">client no. %s</small>", i+1, e(a.CustomerName), e(a.CustomerID))
			if a.State != StateMoved && a.State != StateUnassigned {
				fmt.Fprintf(&b, "<small class=\"state\">%s</small>", e(StateText(a.State)))
			}
			why := reasonSummary(a.Reasons, "; ")
			if why == "" && a.State == StateUnassigned {
				why = StateText(a.State)
			}
			fmt.Fprintf(&b, "</td><td class=\"why\" data-label=\"Why\">%s</td><td class=\"claimed\" data-label=\"Claimed\">", e(why))
			if who, when := claimText(a, l); who != "" {
				b.WriteString(e(who))
				if when != "" {
					fmt.Fprintf(&b, "<small>%s</small>", e(when))
				}
			}
			b.WriteString("</td><td class=\"notes\" data-label=\"Connection / notes\"></td></tr>\n")
		}
		b.WriteString("</tbody>\n</table>\n</section>\n")
	}
	b.WriteString("</body>\n</html>\n")
	return b.String()
}

// mailText is the plain-text part, the same lists as the HTML part: a
// heading per associate, one line a client.
func mailText(r Review, l Labels, link string) string {
	title, facts := headerText(r, l)
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n\n", title, facts)
	b.WriteString("Each client below was placed with the active associate who fits best; the reasons say why.\n")
	if link != "" {
		fmt.Fprintf(&b, "If you know a client personally, claim them in Loupe: %s\n", link)
	} else {
		b.WriteString("If you know a client personally, claim them in Loupe.\n")
	}
	b.WriteString("The full list is attached as CSV.\n")
	for _, g := range groups(r.Assignments) {
		fmt.Fprintf(&b, "\n%s (%s)\n", g.heading(), clients(len(g.Clients)))
		for i, a := range g.Clients {
			fmt.Fprintf(&b, "%3d. %s (client no. %s)", i+1, a.CustomerName, a.CustomerID)
			why := reasonSummary(a.Reasons, "; ")
			if why == "" && a.State == StateUnassigned {
				why = StateText(a.State)
			}
			if why != "" {
				fmt.Fprintf(&b, ": %s", why)
			}
			if a.State != StateMoved && a.State != StateUnassigned {
				fmt.Fprintf(&b, " [%s]", StateText(a.State))
			}
			if who, when := claimText(a, l); who != "" {
				fmt.Fprintf(&b, " [%s", who)
				if when != "" {
					fmt.Fprintf(&b, ", %s", when)
				}
				b.WriteString("]")
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}
