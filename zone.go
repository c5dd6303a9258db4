package onestop

import (
	"sync"
	"time"
)

// zones holds every IANA zone loaded so far, by name: time.LoadLocation reads and parses the
// zone's file on every call, and a hop's closing screen, an alert's text and the duty rota each
// read a zone. A zone once loaded does not change; one that fails to load is not kept.
var zones sync.Map // string → *time.Location

// LoadZone is time.LoadLocation for the zones of plans, rotas and countries, loaded once.
func LoadZone(name string) (*time.Location, error) {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err == nil {
		zones.Store(name, loc)
	}
	return loc, err
}
