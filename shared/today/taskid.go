package today

import (
	"encoding/base64"
	"strings"

	"github.com/loupehq/loupe/shared/loupe"
)

// TaskID returns the id of customer's task on associate's list of day: the
// three joined by '#' (which no id holds) in unpadded base64url, so the
// same client on the same list always has the same id, safe in a URL path.
func TaskID(day, associate, customer string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(day + "#" + associate + "#" + customer))
}

// ParseTaskID returns the day, associate and customer of a task id. Returns
// an ENOTFOUND *loupe.Error for a string that is not one.
func ParseTaskID(id string) (day, associate, customer string, err error) {
	b, err := base64.RawURLEncoding.DecodeString(id)
	if err == nil {
		parts := strings.Split(string(b), "#")
		if len(parts) == 3 && len(parts[0]) == len("2006-01-02") && loupe.ValidID(parts[1]) && loupe.ValidID(parts[2]) {
			return parts[0], parts[1], parts[2], nil
		}
	}
	return "", "", "", loupe.Errorf(loupe.ENOTFOUND, "task not found")
}
