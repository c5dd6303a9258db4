// Package simulate is the callers of `onestop dial` and `onestop load`: a feature phone walking a
// running gateway's USSD menus from a terminal (Dial), and many made-up callers walking them at
// once, every screen checked, with the figures they measured (Load, Measure, Callers), beside the
// bare Fiber server load compares the gateway with (ServeBaseline).
//
// It speaks to a gateway only as an aggregator does, over HTTP in Africa's Talking's format, and
// only to one on this machine (Dial alone may be told otherwise, with DialConfig.Remote); Load
// drives only a gateway serving a simulation. It must never reach into the gateway's store, its
// conversations or the bbolt file, read flags or the environment (cmd/onestop does, and hands it
// a config), or send a made-up caller anywhere a real helpline could take her for a real one.
// Its messages name onestop's flags (--url, --remote), since they reach the operator as the
// command's.
package simulate
