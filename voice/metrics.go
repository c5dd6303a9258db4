package voice

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Calls counts calls that ended, by provider and how: "missed" (never answered by the IVR, or
// hung up before the first question was answered), "completed" and the provider's other final
// statuses. A call that chose nothing is only counted: it never causes a call or a text.
func Calls(reg *prometheus.Registry) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "onestop_voice_calls_ended_total", Help: "Voice calls ended, by provider and final status.",
	}, []string{"provider", "status"})
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			return are.ExistingCollector.(*prometheus.CounterVec)
		}
		panic(err) // a name clash with another metric: a defect found at start
	}
	return c
}
