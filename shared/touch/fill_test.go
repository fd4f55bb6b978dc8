package touch

import (
	htmltemplate "html/template"
	"strings"
	"testing"
	texttemplate "text/template"
)

// TestFillMatchesStandardTemplates fills every template with the renderer and
// with html/template and text/template, and wants the same bytes: the small
// renderer escapes exactly as the standard packages do for these templates.
func TestFillMatchesStandardTemplates(t *testing.T) {
	data := []mailData{
		{FirstName: `<script>alert("x")</script>`, StoreName: `Loupe & Sons' "Fifth"`, Associate: "Ada <Lovelace>",
			PostalAddress: "1 Fifth Ave, New York", UnsubscribeURL: "https://loupe.example/u/abc.DEF_123",
			OccasionDate: "Saturday, May 9", CampaignName: "Pearls <night>", BodyHTML: "<p>Come <b>in</b></p>", BodyText: "Come in & see"},
		{FirstName: "friend", StoreName: "Loupe", UnsubscribeURL: "https://loupe.example/u/t", OccasionDate: "Monday, June 1"},
	}
	for _, name := range templateNames {
		for i, d := range data {
			stdHTML := htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/footer.html", "templates/"+name+".html"))
			stdText := texttemplate.Must(texttemplate.ParseFS(templateFS, "templates/footer.txt", "templates/"+name+".txt"))
			var want, wantText strings.Builder
			sd := struct {
				mailData
				BodyHTML htmltemplate.HTML
			}{d, htmltemplate.HTML(d.BodyHTML)}
			if err := stdHTML.ExecuteTemplate(&want, name+".html", sd); err != nil {
				t.Fatal(err)
			}
			if err := stdText.ExecuteTemplate(&wantText, name+".txt", d); err != nil {
				t.Fatal(err)
			}
			var got, gotText strings.Builder
			if err := htmlTemplates[name].execute(&got, d); err != nil {
				t.Fatal(err)
			}
			if err := textTemplates[name].execute(&gotText, d); err != nil {
				t.Fatal(err)
			}
			if got.String() != want.String() {
				t.Errorf("%s.html data %d:\n got %q\nwant %q", name, i, got.String(), want.String())
			}
			if gotText.String() != wantText.String() {
				t.Errorf("%s.txt data %d:\n got %q\nwant %q", name, i, gotText.String(), wantText.String())
			}
		}
	}
}

func TestParseFillRejectsWhatItCannotRender(t *testing.T) {
	footer := `{{define "footer"}}x{{end}}`
	cases := map[string]string{
		"pipeline":    `{{.FirstName | printf "%s"}}`,
		"range":       `{{range .X}}{{end}}`,
		"unclosed if": `{{if .Associate}}x`,
		"stray end":   `x{{end}}`,
		"unclosed":    `{{.FirstName`,
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := parseFill(src, footer, true); err == nil {
				t.Errorf("parseFill(%q) succeeded, want an error", src)
			}
		})
	}
	ft, err := parseFill(`{{.Nope}}`, footer, false)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := ft.execute(&b, mailData{}); err == nil {
		t.Error("unknown field rendered, want an error")
	}
}
