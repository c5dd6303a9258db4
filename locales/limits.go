package locales

import (
	"fmt"
	"strings"
)

// ParseLimits reads page sizes per provider, "provider=GSM7/UCS2[,provider=GSM7/UCS2…]", each
// within 60–182 GSM-7 characters and 30–80 UTF-16 units: some networks show less than the
// standard page, and none shows more.
func ParseLimits(s string) (map[string]Limit, error) {
	limits := map[string]Limit{}
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		var l Limit
		name, sizes, ok := strings.Cut(item, "=")
		if _, err := fmt.Sscanf(sizes, "%d/%d", &l.GSM7, &l.UCS2); !ok || err != nil || l.GSM7 < 60 || l.UCS2 < 30 || l.GSM7 > 182 || l.UCS2 > 80 {
			return nil, fmt.Errorf("%q is not provider=GSM7/UCS2 within 60–182 / 30–80", item)
		}
		limits[strings.TrimSpace(name)] = l
	}
	return limits, nil
}
