package simulate_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/gateway/exotel"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/simulate"
	"github.com/onestop-helpline/onestop/store"
	"github.com/onestop-helpline/onestop/ussd"
	"github.com/onestop-helpline/onestop/voice"
)

// A call through Exotel's applets against a real gateway: safe to talk, then talk now, with
// a counsellor on duty who does not answer; and a second call that says it is not safe.
func TestDialExotelWalksTheAppletFlow(t *testing.T) {
	ctx := context.Background()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	box, _ := seal.New(bytes.Repeat([]byte{9}, seal.KeySize))
	dir, _ := directory.Embedded()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cases := casebook.New(db, box)
	e, err := flows.New(ctx, db, cases, box, dir, flows.Config{Pager: ussd.Pager{}.Pages, Log: quiet,
		ServiceCodes: map[string]string{"+918069000000": "IN"}})
	if err != nil {
		t.Fatal(err)
	}
	g := gateway.New(gateway.Config{Log: quiet, WebhookToken: "tok"}, store.Health{Store: db})
	exotel.RegisterVoice(g, e, voice.NewRenderer(voice.Config{CallerID: "+918069000000",
		OnDuty: func(context.Context, time.Time) ([]string, error) { return []string{"+919811000901"}, nil }}), nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go g.App.Listener(ln)
	defer g.App.Shutdown()
	cfg := simulate.DialConfig{URL: "http://" + ln.Addr().String(), Token: "tok", Code: "08069000000",
		Number: "+919876543210", Voice: true, Provider: "exotel"}

	var out, errOut bytes.Buffer
	if err := simulate.Dial(ctx, cfg, strings.NewReader("1\n1\n"), &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	said := out.String()
	for _, want := range []string{
		"say: " + locales.Spoken(onestop.Hindi, locales.VoiceSafe),
		voice.Digits(locales.Spoken(onestop.Hindi, locales.VoicePress, locales.Text(onestop.Hindi, locales.MenuTalk), "1")),
		"say: " + locales.Spoken(onestop.Hindi, locales.VoiceConnecting),
		"(putting her through to 1 counsellor(s); the simulated call is not answered)",
		"जोड़ा जा रहा है।\n(putting her through",
		"1 8 1",
		"(the call ends)",
	} {
		if !strings.Contains(said, want) {
			t.Fatalf("%q not said:\n%s", want, said)
		}
	}
	cs, _ := cases.List(ctx, casebook.Filter{Limit: 10})
	if len(cs) != 1 || cs[0].Urgency != onestop.Urgent || cs[0].Provider != "exotel" {
		t.Fatalf("contacts %+v", cs)
	}

	out.Reset()
	cfg.Number = "+919876543211"
	if err := simulate.Dial(ctx, cfg, strings.NewReader("2\n"), &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if said := out.String(); !strings.Contains(said, "say: "+locales.Text(onestop.Hindi, locales.Goodbye)) || strings.Contains(said, "putting her through") {
		t.Fatalf("not safe:\n%s", said)
	}
}
