package simulate

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestDialEndpoint(t *testing.T) {
	tests := []struct {
		url    string
		token  string
		remote bool
		want   string // "" means refused
	}{
		{url: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080/ussd/africastalking"},
		{url: "http://127.1.2.3:8080/", want: "http://127.1.2.3:8080/ussd/africastalking"},
		{url: "http://localhost:8080", token: "t", want: "http://localhost:8080/ussd/africastalking/t"},
		{url: "http://LOCALHOST", want: "http://LOCALHOST/ussd/africastalking"},
		{url: "http://[::1]:8080", want: "http://[::1]:8080/ussd/africastalking"},
		{url: "127.0.0.1:8080", want: "http://127.0.0.1:8080/ussd/africastalking"},
		{url: "https://127.0.0.1/onestop", want: "https://127.0.0.1/onestop/ussd/africastalking"},
		{url: "http://10.0.0.5:8080"},
		{url: "http://0.0.0.0:8080"},
		{url: "http://localhost.example.org"},
		{url: "http://127.0.0.1.nip.io"},
		{url: "https://gateway.example.org"},
		{url: "https://gateway.example.org", remote: true, want: "https://gateway.example.org/ussd/africastalking"},
		{url: "ftp://127.0.0.1"},
		{url: "http://127.0.0.1:8080/?token=x"},
		{url: "http://user:pw@127.0.0.1:8080"},
		{url: "http://"},
	}
	for _, tt := range tests {
		got, err := dialEndpoint(tt.url, tt.token, tt.remote)
		if tt.want == "" {
			if err == nil {
				t.Errorf("%s (remote %v): got %s, want refused", tt.url, tt.remote, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s (remote %v): got %q, %v; want %q", tt.url, tt.remote, got, err, tt.want)
		}
	}
}

// A name that resolves off this machine is refused when connecting, not only by its spelling.
func TestDialClientStaysLocal(t *testing.T) {
	// 192.0.2.1 is TEST-NET-1: never routed, so nothing leaves even if the check failed.
	req, _ := http.NewRequest(http.MethodPost, "http://192.0.2.1:9/ussd/africastalking", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := dialClient(false).Do(req.WithContext(ctx))
	if err == nil || !strings.Contains(err.Error(), "not this machine") {
		t.Errorf("got %v, want a refusal", err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Error("the connection was attempted")
	}
}
