package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/directory"
)

const directoryUsage = `Usage:
  onestop directory check [FILE]
        validate the embedded directory, or a centres or areas CSV against it
  onestop directory areas [--country BD] [--level district] [--json] [--data DIR]
        list areas: code, names, headquarters point
  onestop directory nearest --lat 23.72 --lon 90.40 [-n 5] [--service shelter] [--json] [--data DIR]
        the nearest centres to a point, then the national helpline
  onestop directory export [--table centres|areas] [--data DIR]
        write the directory in force as CSV
  onestop directory import FILE [--dry-run] [--data DIR]
        replace the centres or areas with FILE: all rows valid or nothing changes
`

// The directory commands.
func runDirectory(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, directoryUsage)
		return flag.ErrHelp
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "check":
		return runDirectoryCheck(rest, stdin, stdout, stderr)
	case "areas":
		return runDirectoryAreas(ctx, rest, stdout, stderr)
	case "nearest":
		return runDirectoryNearest(ctx, rest, stdout, stderr)
	case "export":
		return runDirectoryExport(ctx, rest, stdout, stderr)
	case "import":
		return runDirectoryImport(ctx, rest, stdin, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, directoryUsage)
		return nil
	}
	fmt.Fprint(stderr, directoryUsage)
	return &exitError{code: 2, err: fmt.Errorf("unknown directory command %q", cmd)}
}

// loadDirectory returns the directory in force for the data directory: the operator's import if
// there is one. Without a database there can be none, so the embedded directory is returned and
// nothing is created.
func loadDirectory(ctx context.Context, c Config) (*directory.Directory, error) {
	if _, err := os.Stat(c.DBPath()); errors.Is(err, os.ErrNotExist) {
		return directory.Embedded()
	}
	db, _, err := openForCommand(ctx, c, "")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return directory.Load(ctx, db)
}

// readInput reads FILE, or standard input for "-".
func readInput(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(io.LimitReader(stdin, 64<<20))
	}
	return os.ReadFile(name)
}

func runDirectoryCheck(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("directory check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return &exitError{code: 2, err: fmt.Errorf("directory check takes at most one FILE, got %q", pos)}
	}
	d, err := directory.Embedded()
	if err != nil {
		return err
	}
	what := "embedded directory"
	if len(pos) == 1 {
		data, err := readInput(pos[0], stdin)
		if err != nil {
			return err
		}
		if d, err = directory.CheckFile(data); err != nil {
			return err
		}
		what = pos[0]
	}
	fmt.Fprintf(stdout, "%s: ok: %d centres (and %d Sakhi One Stop Centres placed at their district headquarters), %d areas\n",
		what, len(d.Centres()), len(d.Derived()), len(d.Areas("", "")))
	for _, country := range []string{"BD", "IN", "PS"} {
		var parts []string
		for _, l := range []directory.Level{directory.LevelDivision, directory.LevelState, directory.LevelGovernorate, directory.LevelDistrict} {
			if n := len(d.Areas(country, l)); n > 0 {
				parts = append(parts, fmt.Sprintf("%d %ss", n, l))
			}
		}
		if len(parts) > 0 {
			fmt.Fprintf(stdout, "  %s: %s\n", country, strings.Join(parts, ", "))
		}
	}
	return nil
}

// areaRow is an area as areas --json prints it.
type areaRow struct {
	Code     string            `json:"code"`
	Country  string            `json:"country"`
	Level    directory.Level   `json:"level"`
	Parent   string            `json:"parent"`
	LGD      int               `json:"lgd,omitempty"`
	Names    map[string]string `json:"names"`
	Aliases  []string          `json:"aliases,omitempty"`
	Lat      float64           `json:"lat"`
	Lon      float64           `json:"lon"`
	Verified bool              `json:"verified"`
	Source   string            `json:"source"`
	AsOf     string            `json:"asOf"`
}

func names(m map[onestop.Lang]string) map[string]string {
	out := make(map[string]string, len(m))
	for l, n := range m {
		out[string(l)] = n
	}
	return out
}

func runDirectoryAreas(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := DefaultConfig()
	fs := flag.NewFlagSet("directory areas", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataFlag(fs, &c)
	country := fs.String("country", "", "BD, IN or PS (default all)")
	level := fs.String("level", "", "division, district, state or governorate (default all)")
	asJSON := fs.Bool("json", false, "print JSON, one area per line")
	if pos, err := parseArgs(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return &exitError{code: 2, err: fmt.Errorf("directory areas takes no arguments, got %q", pos)}
	}
	*country = strings.ToUpper(*country)
	if *country != "" && *country != "BD" && *country != "IN" && *country != "PS" {
		return &exitError{code: 2, err: fmt.Errorf("--country %q: want BD, IN or PS", *country)}
	}
	if l := directory.Level(*level); l != "" && !l.Valid() {
		return &exitError{code: 2, err: fmt.Errorf("--level %q: want division, district, state or governorate", *level)}
	}
	d, err := loadDirectory(ctx, c)
	if err != nil {
		return err
	}
	areas := d.Areas(*country, directory.Level(*level))
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, a := range areas {
			row := areaRow{
				Code: a.Code, Country: a.Country, Level: a.Level, Parent: a.Parent, LGD: a.LGD,
				Names: names(a.Names), Aliases: a.Aliases, Lat: a.Lat, Lon: a.Lon,
				Verified: a.Verified, Source: a.Source, AsOf: a.AsOf,
			}
			if err := enc.Encode(row); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	for _, a := range areas {
		local := a.Name(map[string]onestop.Lang{"BD": onestop.Bengali, "IN": onestop.Hindi, "PS": onestop.Arabic}[a.Country])
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.3f,%.3f\n", a.Code, a.Level, a.Names[onestop.English], local, a.Lat, a.Lon)
	}
	return tw.Flush()
}

// hitRow is one line of nearest --json: a centre with its distance, or the closing helpline.
type hitRow struct {
	Rank     int                 `json:"rank"`
	ID       string              `json:"id"`
	Kind     directory.Kind      `json:"kind"`
	Area     string              `json:"area"`
	Names    map[string]string   `json:"names"`
	Number   string              `json:"number,omitempty"`
	Hours    string              `json:"hours,omitempty"`
	Services []directory.Service `json:"services,omitempty"`
	KM       *float64            `json:"km,omitempty"`
	Verified bool                `json:"verified"`
	Helpline bool                `json:"helpline,omitempty"`
}

func runDirectoryNearest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := DefaultConfig()
	fs := flag.NewFlagSet("directory nearest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataFlag(fs, &c)
	lat := fs.Float64("lat", math.NaN(), "latitude in degrees (required)")
	lon := fs.Float64("lon", math.NaN(), "longitude in degrees (required)")
	n := fs.Int("n", directory.DefaultLimit, "how many centres before the helpline")
	service := fs.String("service", "", "only centres giving medical, police, legal, counselling or shelter")
	asJSON := fs.Bool("json", false, "print JSON, one line per centre, the helpline last")
	if pos, err := parseArgs(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return &exitError{code: 2, err: fmt.Errorf("directory nearest takes no arguments, got %q", pos)}
	}
	switch {
	case math.IsNaN(*lat) || math.IsNaN(*lon):
		return &exitError{code: 2, err: errors.New("give both --lat and --lon")}
	case *lat < -90 || *lat > 90 || *lon < -180 || *lon > 180:
		return &exitError{code: 2, err: fmt.Errorf("%g,%g is not a point: latitude within ±90, longitude within ±180", *lat, *lon)}
	case *n < 1 || *n > 100:
		return &exitError{code: 2, err: fmt.Errorf("-n %d: want 1 to 100", *n)}
	case *service != "" && !directory.Service(*service).Valid():
		return &exitError{code: 2, err: fmt.Errorf("--service %q: want medical, police, legal, counselling or shelter", *service)}
	}
	d, err := loadDirectory(ctx, c)
	if err != nil {
		return err
	}
	hits := d.ForPoint(*lat, *lon, directory.Query{Service: directory.Service(*service), Limit: *n})
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for i, h := range hits {
			ct := h.Centre
			row := hitRow{
				Rank: i + 1, ID: ct.ID, Kind: ct.Kind, Area: ct.Area, Names: names(ct.Names), Number: ct.Number(),
				Hours: ct.Hours, Services: ct.Services, Verified: ct.Verified, Helpline: ct.Kind == directory.KindHelpline && !h.Located,
			}
			if h.Located {
				km := math.Round(h.KM*10) / 10
				row.KM = &km
			}
			if err := enc.Encode(row); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	for i, h := range hits {
		ct := h.Centre
		dist := "helpline"
		if h.Located {
			dist = fmt.Sprintf("%.1f km", h.KM)
		}
		number := ct.Number()
		if number == "" {
			number = "-"
		}
		flag := ""
		if !ct.Verified {
			flag = "unverified"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", i+1, dist, ct.ID, ct.Name(onestop.English), number, ct.Hours, flag)
	}
	return tw.Flush()
}

func runDirectoryExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := DefaultConfig()
	fs := flag.NewFlagSet("directory export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataFlag(fs, &c)
	table := fs.String("table", string(directory.TableCentres), "centres or areas")
	if pos, err := parseArgs(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return &exitError{code: 2, err: fmt.Errorf("directory export takes no arguments, got %q", pos)}
	}
	t := directory.Table(*table)
	if t != directory.TableCentres && t != directory.TableAreas {
		return &exitError{code: 2, err: fmt.Errorf("--table %q: want centres or areas", *table)}
	}
	d, err := loadDirectory(ctx, c)
	if err != nil {
		return err
	}
	return d.Export(stdout, t)
}

func runDirectoryImport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := DefaultConfig()
	fs := flag.NewFlagSet("directory import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataFlag(fs, &c)
	dryRun := fs.Bool("dry-run", false, "show what would change, change nothing")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return &exitError{code: 2, err: errors.New("directory import takes one FILE (- for standard input)")}
	}
	data, err := readInput(pos[0], stdin)
	if err != nil {
		return err
	}
	db, _, err := openForCommand(ctx, c, "import in its console")
	if err != nil {
		return err
	}
	defer db.Close()
	ch, err := directory.Import(ctx, db, data, *dryRun)
	if err != nil {
		return fmt.Errorf("%s: nothing imported: %w", pos[0], err)
	}
	verb := "imported"
	if *dryRun {
		verb = "dry run, nothing changed; would import"
	}
	fmt.Fprintf(stdout, "%s %s: %d added, %d changed, %d removed\n", verb, ch.Table, len(ch.Added), len(ch.Changed), len(ch.Removed))
	for _, l := range []struct {
		mark string
		ids  []string
	}{{"+", ch.Added}, {"~", ch.Changed}, {"-", ch.Removed}} {
		for _, id := range l.ids {
			fmt.Fprintf(stdout, "%s %s\n", l.mark, id)
		}
	}
	if !*dryRun && !ch.Empty() {
		fmt.Fprintln(stdout, "restart onestop serve to use it")
	}
	return nil
}
