package textin_test

import (
	"strings"
	"testing"

	"github.com/loupehq/loupe/shared/loupe"
	"github.com/loupehq/loupe/shared/textin"
)

func TestParseMessage(t *testing.T) {
	m, err := textin.ParseMessage([]byte(`{"originationNumber":"+12125550142","destinationNumber":"+18005550100","messageKeyword":"KEYWORD_1","messageBody":"Stop please","inboundMessageId":"in-1"}`))
	if err != nil || m.ID != "in-1" || m.From != "+12125550142" || m.To != "+18005550100" || m.Body != "Stop please" {
		t.Fatalf("ParseMessage = %+v, %v", m, err)
	}
	for _, c := range []struct{ in, field string }{
		{`[1]`, "message"},
		{`{"destinationNumber":"+18005550100","messageBody":"STOP"}`, "originationNumber"},
		{`{"originationNumber":"2125550142","destinationNumber":"+18005550100","messageBody":"STOP"}`, "originationNumber"},
		{`{"originationNumber":"+12125550142","messageBody":"STOP"}`, "destinationNumber"},
		{`{"originationNumber":"+12125550142","destinationNumber":"LOUPE","messageBody":"STOP"}`, "destinationNumber"},
		{`{"originationNumber":"+12125550142","destinationNumber":"+18005550100"}`, "messageBody"},
		{`{"originationNumber":"+12125550142","destinationNumber":"+18005550100","messageBody":"` + strings.Repeat("a", textin.MaxBody+1) + `"}`, "messageBody"},
		{`{"originationNumber":"+12125550142","destinationNumber":"+18005550100","messageBody":"x","inboundMessageId":"` + strings.Repeat("i", 129) + `"}`, "inboundMessageId"},
	} {
		_, err := textin.ParseMessage([]byte(c.in))
		if loupe.ErrorField(err) != c.field {
			t.Errorf("ParseMessage(%.60s) = %v, want an error naming %s", c.in, err, c.field)
		}
		if err != nil && strings.Contains(err.Error(), "2125550142") {
			t.Errorf("error quotes the number: %v", err)
		}
	}
}
