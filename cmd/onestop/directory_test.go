package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/onestop-helpline/onestop/admin"
	"github.com/onestop-helpline/onestop/directory"
)

// runDir runs "onestop directory ARGS…" and returns its output and error.
func runDir(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := Run(context.Background(), append([]string{"directory"}, args...), strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

func TestDirectoryFind(t *testing.T) {
	for _, tt := range []struct{ typed, want string }{
		{"hapur", `"hapur": the answer for Hapur (IN-UP-661)`},
		{"Patan", "Patan"},
		{"মোহাম্মদপুর", "asked to confirm"},
	} {
		out, _, err := runDir(t, "", "find", "--data", t.TempDir(), tt.typed)
		if err != nil || !strings.Contains(out, tt.want) {
			t.Errorf("find %q: %v\n%s", tt.typed, err, out)
		}
	}
	if _, _, err := runDir(t, "", "find", "--country", "XX", "dhaka"); admin.ExitCode(err) != 2 {
		t.Errorf("find --country XX: %v", err)
	}
}

func TestDirectoryCheck(t *testing.T) {
	out, _, err := runDir(t, "", "check")
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	for _, want := range []string{"ok:", "BD: 566 areas (8 divisions, 64 districts, 494 upazilas)", "IN: 799 areas (36 states, 763 districts)",
		"PS: 16 areas (16 governorates)", "with a centre serving them: 11 of 16", "with a number"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}

	d, _ := directory.Embedded()
	var csv bytes.Buffer
	d.Export(&csv, directory.TableCentres)
	lines := strings.Split(strings.TrimSuffix(csv.String(), "\n"), "\n")
	lines[2] = strings.Replace(lines[2], ",999,", ",9x9,", 1)               // line 3: bad dial code
	lines[3] = strings.Replace(lines[3], "23.726,90.397", "25.5,90.397", 1) // line 4: Dhaka's OCC 200 km away
	lines[5] = strings.Replace(lines[5], "BD-10", "BD-65", 1)               // line 6: no such district
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	_, _, err = runDir(t, "", "check", bad)
	if err == nil || admin.ExitCode(err) != 1 {
		t.Fatalf("check of a bad file: %v (exit %d)", err, admin.ExitCode(err))
	}
	for _, want := range []string{"line 3: dial", "line 4: lat", "line 6: area"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("check error lacks %q:\n%v", want, err)
		}
	}
	// From standard input, an areas file.
	var areas bytes.Buffer
	d.Export(&areas, directory.TableAreas)
	if out, _, err := runDir(t, areas.String(), "check", "-"); err != nil || !strings.Contains(out, "-: ok") {
		t.Errorf("check of the exported areas: %q, %v", out, err)
	}
}

func TestDirectoryAreas(t *testing.T) {
	data := t.TempDir()
	tests := []struct {
		country, level string
		n              int
		first          string
	}{
		{"BD", "division", 8, "BD-A"},
		{"BD", "district", 64, "BD-01"},
		{"IN", "state", 36, "IN-AN"},
		{"PS", "governorate", 16, "PS-BTH"},
		{"bd", "", 566, "BD-A"}, // 8 divisions, 64 districts, 494 upazilas
	}
	for _, tt := range tests {
		out, _, err := runDir(t, "", "areas", "--data", data, "--country", tt.country, "--level", tt.level)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != tt.n || !strings.HasPrefix(lines[0], tt.first+" ") {
			t.Errorf("%s %s: %d lines starting %q, want %d starting %s", tt.country, tt.level, len(lines), lines[0], tt.n, tt.first)
		}
	}
	out, _, err := runDir(t, "", "areas", "--country", "BD", "--level", "district", "--json", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var row directory.AreaRow
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if row.Names["en"] == "" || row.Names["bn"] == "" || row.Lat == 0 || row.Source == "" {
			t.Errorf("row %+v", row)
		}
		n++
	}
	if n != 64 {
		t.Errorf("%d JSON rows, want 64", n)
	}
	if _, err := os.Stat(filepath.Join(data, "onestop.db")); err == nil {
		t.Error("listing areas created a database")
	}
	for _, args := range [][]string{{"--level", "village"}, {"--country", "NP"}, {"extra"}} {
		if _, _, err := runDir(t, "", append([]string{"areas"}, args...)...); admin.ExitCode(err) != 2 {
			t.Errorf("areas %v: %v, want exit 2", args, err)
		}
	}
}

func TestDirectoryNearest(t *testing.T) {
	data := t.TempDir()
	out, _, err := runDir(t, "", "nearest", "--lat", "23.72", "--lon", "90.40", "-n", "5", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 6 || !strings.Contains(lines[0], "bd-occ-dhaka") || !strings.Contains(lines[5], "bd-109") || !strings.Contains(lines[5], "helpline") {
		t.Errorf("nearest Dhaka:\n%s", out)
	}

	out, _, err = runDir(t, "", "nearest", "--lat", "31.90", "--lon", "35.20", "--service", "medical", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []directory.HitRow
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r directory.HitRow
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	if len(rows) != 2 || rows[0].ID != "ps-onestop-ramallah" || rows[0].KM == nil || !rows[1].Helpline || rows[1].Number != "121" {
		t.Errorf("nearest Ramallah medical: %s", out)
	}

	for _, args := range [][]string{
		{"--lat", "23.7"},
		{"--lat", "123", "--lon", "90"},
		{"--lat", "23", "--lon", "90", "--service", "spa"},
		{"--lat", "23", "--lon", "90", "-n", "0"},
	} {
		if _, _, err := runDir(t, "", append([]string{"nearest"}, args...)...); admin.ExitCode(err) != 2 {
			t.Errorf("nearest %v: %v, want exit 2", args, err)
		}
	}
}

// TestDirectoryImport: a bad file changes nothing and every bad line is named; a dry run shows
// the change and makes none; a real import then wins over the embedded directory.
func TestDirectoryImport(t *testing.T) {
	data := t.TempDir()
	exported, _, err := runDir(t, "", "export", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(exported, "\n"), "\n")
	dir := t.TempDir()
	write := func(name string, lines []string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}

	bad := append([]string(nil), lines...)
	bad[3] = strings.Replace(bad[3], "BD-13", "BD-99", 1)
	bad[8] = strings.Replace(bad[8], ",true", ",maybe", 1)
	bad = append(bad, "short,row")
	_, _, err = runDir(t, "", "import", write("bad.csv", bad), "--data", data)
	if err == nil {
		t.Fatal("bad import accepted")
	}
	for _, want := range []string{"nothing imported", "line 4: area", "line 9: ", "line " + strconv.Itoa(len(bad)) + ": has 2 fields"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("bad import error lacks %q:\n%v", want, err)
		}
	}
	if after, _, _ := runDir(t, "", "export", "--data", data); after != exported {
		t.Fatal("a bad import changed the directory")
	}

	// Add a shelter-providing cell near Sylhet, change Dhaka's hours, drop the last row.
	good := append([]string(nil), lines[:len(lines)-1]...)
	good[3] = strings.Replace(good[3], "24/7", "24 hours", 1)
	cell := strings.Replace(lines[6], "bd-occ-sylhet", "bd-cell-sylhet-test", 1)
	good = append(good, strings.Replace(cell, ",occ,", ",cell,", 1))
	file := write("good.csv", good)
	removed := strings.SplitN(lines[len(lines)-1], ",", 2)[0]

	out, _, err := runDir(t, "", "import", file, "--dry-run", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"dry run", "1 added, 1 changed, 1 removed", "+ bd-cell-sylhet-test", "~ bd-occ-dhaka", "- " + removed} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out)
		}
	}
	if after, _, _ := runDir(t, "", "export", "--data", data); after != exported {
		t.Fatal("a dry run changed the directory")
	}

	if out, _, err = runDir(t, "", "import", "--data", data, file); err != nil || !strings.Contains(out, "imported centres") {
		t.Fatalf("import: %q, %v", out, err)
	}
	after, _, _ := runDir(t, "", "export", "--data", data)
	if !strings.Contains(after, "bd-cell-sylhet-test") || strings.Contains(after, removed+",") {
		t.Errorf("export after import:\n%s", after)
	}
	near, _, _ := runDir(t, "", "nearest", "--lat", "24.90", "--lon", "91.87", "-n", "2", "--data", data)
	if !strings.Contains(near, "bd-cell-sylhet-test") {
		t.Errorf("nearest does not use the imported directory:\n%s", near)
	}
}
