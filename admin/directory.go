package admin

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/directory"
)

// The directory commands.
func (r *runner) directory(args []string) error {
	ctx, stdout := r.ctx, r.env.Stdout
	return group{name: "directory", countExit: 2, help: true, subs: []sub{
		{name: "check", max: 1, noData: true, run: func(cmd *command, pos []string) error { return directoryCheck(cmd, pos, stdout) }},
		{name: "areas", setup: func(cmd *command) func([]string) error { return directoryAreas(ctx, cmd, stdout) }},
		{name: "find", min: 1, max: 20, setup: func(cmd *command) func([]string) error { return directoryFind(cmd, stdout) }},
		{name: "nearest", setup: func(cmd *command) func([]string) error { return directoryNearest(ctx, cmd, stdout) }},
		{name: "export", setup: func(cmd *command) func([]string) error { return directoryExport(ctx, cmd, stdout) }},
		{name: "import", min: 1, max: 1, setup: func(cmd *command) func([]string) error { return directoryImport(ctx, cmd, stdout) }},
	}}.run(r, args)
}

func directoryCheck(cmd *command, pos []string, stdout io.Writer) error {
	d, err := directory.Embedded()
	if err != nil {
		return err
	}
	what := "embedded directory"
	if len(pos) == 1 {
		data, err := cmd.readInput(pos[0])
		if err != nil {
			return err
		}
		if d, err = directory.CheckFile(data); err != nil {
			return err
		}
		what = pos[0]
	}
	sum := d.Summary()
	fmt.Fprintf(stdout, "%s: ok: %s\n", what, sum[0])
	return d.Check().Print(stdout)
}

// directoryFind shows what a survivor typing the text would get: the answer, a match to
// confirm, a short list, or nothing found with the lines that serve her.
func directoryFind(cmd *command, stdout io.Writer) func([]string) error {
	country := cmd.String("country", "", "BD, IN or PS: the country whose service she dialled (default all)")
	return func(pos []string) error {
		*country = strings.ToUpper(*country)
		if *country != "" && *country != "BD" && *country != "IN" && *country != "PS" {
			return usageError("--country %q: want BD, IN or PS", *country)
		}
		d, err := cmd.directory()
		if err != nil {
			return err
		}
		return d.Find(*country, strings.Join(pos, " ")).Print(stdout)
	}
}

func directoryAreas(ctx context.Context, cmd *command, stdout io.Writer) func([]string) error {
	country := cmd.String("country", "", "BD, IN or PS (default all)")
	level := cmd.String("level", "", "division, district, upazila, state or governorate (default all)")
	asJSON := cmd.Bool("json", false, "print JSON, one area per line")
	return func([]string) error {
		*country = strings.ToUpper(*country)
		if *country != "" && *country != "BD" && *country != "IN" && *country != "PS" {
			return usageError("--country %q: want BD, IN or PS", *country)
		}
		if l := directory.Level(*level); l != "" && !l.Valid() {
			return usageError("--level %q: want division, district, upazila, state or governorate", *level)
		}
		d, err := cmd.directory()
		if err != nil {
			return err
		}
		areas := d.Areas(*country, directory.Level(*level))
		if *asJSON {
			rows := make([]directory.AreaRow, len(areas))
			for i, a := range areas {
				rows[i] = a.Row()
			}
			return printJSON(stdout, rows)
		}
		tw := table(stdout)
		for _, a := range areas {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.3f,%.3f\n", a.Code, a.Level, a.Names[onestop.English], a.LocalName(), a.Lat, a.Lon)
		}
		return tw.Flush()
	}
}

func directoryNearest(ctx context.Context, cmd *command, stdout io.Writer) func([]string) error {
	lat := cmd.Float64("lat", math.NaN(), "latitude in degrees (required)")
	lon := cmd.Float64("lon", math.NaN(), "longitude in degrees (required)")
	n := cmd.Int("n", directory.DefaultLimit, "how many centres before the helpline")
	service := cmd.String("service", "", "only centres giving medical, police, legal, counselling or shelter")
	asJSON := cmd.Bool("json", false, "print JSON, one line per centre, the helpline last")
	return func([]string) error {
		switch {
		case math.IsNaN(*lat) || math.IsNaN(*lon):
			return usageError("give both --lat and --lon")
		case *lat < -90 || *lat > 90 || *lon < -180 || *lon > 180:
			return usageError("%g,%g is not a point: latitude within ±90, longitude within ±180", *lat, *lon)
		case *n < 1 || *n > 100:
			return usageError("-n %d: want 1 to 100", *n)
		case *service != "" && !directory.Service(*service).Valid():
			return usageError("--service %q: want medical, police, legal, counselling or shelter", *service)
		}
		d, err := cmd.directory()
		if err != nil {
			return err
		}
		hits := d.ForPoint(*lat, *lon, directory.Query{Service: directory.Service(*service), Limit: *n})
		if *asJSON {
			rows := make([]directory.HitRow, len(hits))
			for i, h := range hits {
				rows[i] = h.Row(i + 1)
			}
			return printJSON(stdout, rows)
		}
		tw := table(stdout)
		for i, h := range hits {
			ct, dist, number, flag := h.Centre, "helpline", h.Centre.Number(), ""
			if h.Located {
				dist = fmt.Sprintf("%.1f km", h.KM)
			}
			if number == "" {
				number = "-"
			}
			if !ct.Verified {
				flag = "unverified"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", i+1, dist, ct.ID, ct.Name(onestop.English), number, ct.Hours, flag)
		}
		return tw.Flush()
	}
}

func directoryExport(ctx context.Context, cmd *command, stdout io.Writer) func([]string) error {
	table := cmd.String("table", string(directory.TableCentres), "centres or areas")
	return func([]string) error {
		t := directory.Table(*table)
		if t != directory.TableCentres && t != directory.TableAreas {
			return usageError("--table %q: want centres or areas", *table)
		}
		d, err := cmd.directory()
		if err != nil {
			return err
		}
		return d.Export(stdout, t)
	}
}

func directoryImport(ctx context.Context, cmd *command, stdout io.Writer) func([]string) error {
	dryRun := cmd.Bool("dry-run", false, "show what would change, change nothing")
	return func(pos []string) error {
		data, err := cmd.readInput(pos[0])
		if err != nil {
			return err
		}
		return cmd.withStore(func(s *Services) error {
			ch, err := directory.Import(ctx, s.Store, data, *dryRun)
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
			if *dryRun || ch.Empty() {
				return nil
			}
			if s.Imported == nil {
				fmt.Fprintln(stdout, "onestop serve uses it when it starts")
			} else if err := s.Imported(ctx); err != nil {
				return err
			} else {
				fmt.Fprintln(stdout, "in force now")
			}
			return cmd.changed(string(ch.Table))
		})
	}
}
