package outbox

// ReplyVia returns the provider a reply to a text goes through: the one the text came by when
// it is among senders, so that the worker sees the answer from the number she wrote to; else
// fallback.
func ReplyVia(fallback string, senders ...Sender) func(provider string) string {
	configured := map[string]bool{}
	for _, s := range senders {
		configured[s.Name()] = true
	}
	return func(p string) string {
		if configured[p] {
			return p
		}
		return fallback
	}
}
