package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/width"

	"github.com/ruhu-org/ruhu/server/app"
	"github.com/ruhu-org/ruhu/server/auth"
)

func demoCmd(ctx context.Context, args []string, stdout io.Writer) (int, error) {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	data := dataFlag(fs)
	dbURL := dbFlag(fs)
	households := fs.Bool("households", false, "also record 8 households with cases in every state of the procedure (make run does)")
	if err := fs.Parse(args); err != nil {
		return 2, err
	}
	cfg := app.Config{DataDir: *data, DatabaseURL: *dbURL}
	ok, err := app.Initialized(ctx, cfg)
	if err != nil {
		return 1, err
	}
	if ok {
		fmt.Fprintf(stdout, "%s already holds a county; demo logins (password %s):\n", *data, app.DemoPassword)
		printLogins(stdout)
		return 0, nil
	}
	if err := app.SeedDemoStore(ctx, cfg, auth.DefaultArgon2); err != nil {
		return 1, err
	}
	what := "2 townships × 3 villages"
	if *households {
		if err := app.SeedDemoData(ctx, cfg); err != nil {
			return 1, fmt.Errorf("demo households: %w", err)
		}
		what += ", 8 households with cases in every state of the procedure"
	}
	fmt.Fprintf(stdout, "seeded demo county in %s: %s. Logins (password %s):\n", *data, what, app.DemoPassword)
	printLogins(stdout)
	return 0, nil
}

// printLogins prints one login a line in columns. Names are padded by
// their width on a terminal (a Chinese character takes two columns), not
// by their number of characters.
func printLogins(w io.Writer) {
	nameWidth := 0
	for _, u := range app.DemoUsers {
		nameWidth = max(nameWidth, displayWidth(u.Name))
	}
	for _, u := range app.DemoUsers {
		fmt.Fprintf(w, "  %-11s %s unit %-11s %v\n", u.Username, padRight(u.Name, nameWidth), u.Unit, u.Roles)
	}
}

// displayWidth is the number of terminal columns s takes: two for East
// Asian wide and fullwidth characters, one for the others.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// padRight pads s with spaces to n terminal columns.
func padRight(s string, n int) string {
	return s + strings.Repeat(" ", max(n-displayWidth(s), 0))
}
