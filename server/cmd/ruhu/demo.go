package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/ruhu-org/ruhu/server/app"
	"github.com/ruhu-org/ruhu/server/auth"
)

func demoCmd(ctx context.Context, args []string, stdout io.Writer) (int, error) {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	data := dataFlag(fs)
	dbURL := dbFlag(fs)
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
	fmt.Fprintf(stdout, "seeded demo county in %s: 2 townships × 3 villages. Logins (password %s):\n", *data, app.DemoPassword)
	printLogins(stdout)
	return 0, nil
}

func printLogins(w io.Writer) {
	for _, u := range app.DemoUsers {
		fmt.Fprintf(w, "  %-11s %-22s unit %-11s %v\n", u.Username, u.Name, u.Unit, u.Roles)
	}
}
