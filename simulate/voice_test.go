package simulate_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/gateway/africastalking"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/simulate"
	"github.com/onestop-helpline/onestop/store"
	"github.com/onestop-helpline/onestop/ussd"
	"github.com/onestop-helpline/onestop/voice"
)

// A voice walk against a real gateway: safe to talk, the language menu, each language, then 0.
func TestDialVoiceWalksACallInEveryLanguage(t *testing.T) {
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
		ServiceCodes: map[string]string{"109": "BD"}})
	if err != nil {
		t.Fatal(err)
	}
	g := gateway.New(gateway.Config{Log: quiet}, store.Health{Store: db})
	africastalking.RegisterVoice(g, "https://gw.example.org", e, voice.NewRenderer(voice.Config{}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go g.App.Listener(ln)
	defer g.App.Shutdown()
	base := "http://" + ln.Addr().String()

	for i, lang := range onestop.Langs {
		var out, errOut bytes.Buffer
		keys := "1\n5\n" + strconv.Itoa(i+1) + "\n\n0\n"
		cfg := simulate.DialConfig{URL: base, Code: "109", Number: "+8801711000" + strconv.Itoa(100+i), Voice: true}
		if err := simulate.Dial(ctx, cfg, strings.NewReader(keys), &out, &errOut); err != nil {
			t.Fatalf("%s: %v\n%s", lang, err, errOut.String())
		}
		said := out.String()
		for _, want := range []string{
			"say: " + locales.Spoken(onestop.Bengali, locales.VoiceSafe),
			voice.Digits(locales.Spoken(lang, locales.VoicePress, locales.Text(lang, locales.MenuTalk), "1")),
			"say: " + locales.Text(lang, locales.Goodbye),
			"(the call ends)",
		} {
			if !strings.Contains(said, want) {
				t.Fatalf("%s: %q not said:\n%s", lang, want, said)
			}
		}
		t.Logf("%s:\n%s", lang, said)
	}
}
