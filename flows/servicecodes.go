package flows

import (
	"fmt"
	"strings"
)

// ParseServiceCodes reads "CODE=CC[,CODE=CC…]", a service code and the two-letter country
// whose service it is: Config.ServiceCodes.
func ParseServiceCodes(s string) (map[string]string, error) {
	codes := map[string]string{}
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		code, country, ok := strings.Cut(item, "=")
		code, country = strings.TrimSpace(code), strings.ToUpper(strings.TrimSpace(country))
		if !ok || code == "" || strings.ContainsAny(code, " \t") || len(country) != 2 || strings.Trim(country, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return nil, fmt.Errorf("%q is not CODE=CC (a service code and a two-letter country, e.g. *109#=BD)", item)
		}
		if prev, dup := codes[code]; dup && prev != country {
			return nil, fmt.Errorf("%s is given to both %s and %s", code, prev, country)
		}
		codes[code] = country
	}
	return codes, nil
}
