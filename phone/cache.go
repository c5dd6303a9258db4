package phone

import "sync"

// Cache remembers what Parse made of the numbers it has seen. Parsing a number with
// phonenumbers runs a dozen regular expressions, and a USSD session sends the same caller's
// number with every hop: the gateway parses each number once per session instead of once per
// hop. It is safe for concurrent use and holds at most its size of numbers, in memory only.
type Cache struct {
	mu   sync.RWMutex
	m    map[cacheKey]Number
	size int
}

type cacheKey struct{ s, region string }

// NewCache returns a Cache holding up to size numbers.
func NewCache(size int) *Cache {
	if size < 1 {
		size = 1
	}
	return &Cache{m: make(map[cacheKey]Number), size: size}
}

// Parse is Parse, answered from the cache when s was parsed before for region. Only numbers
// are kept: what is not a number is parsed again each time, so junk cannot fill the cache.
func (c *Cache) Parse(s, region string) (Number, error) {
	k := cacheKey{s, region}
	c.mu.RLock()
	n, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return n, nil
	}
	n, err := Parse(s, region)
	if err != nil {
		return n, err
	}
	c.mu.Lock()
	// When full, start again rather than track recency: sessions last minutes, so the numbers
	// still calling are back in the cache after one hop each.
	if len(c.m) >= c.size {
		clear(c.m)
	}
	c.m[k] = n
	c.mu.Unlock()
	return n, nil
}

// Len returns how many numbers the cache holds.
func (c *Cache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
