// Command ruhu-tablet is a command-line stand-in for the tablet app, on the
// clientsdk: it keeps a tablet's store in a directory and syncs it with a
// ruhu server. Human-readable output by default, --json for scripts.
//
//	ruhu-tablet --home DIR [--json] COMMAND [flags]
//
//	login --server URL --user U          password: first line of stdin
//	logout
//	household add --village V --head-name N --head-id ID --address A [--set k=v]…
//	household edit ID --set k=v…         (also: member, investigation)
//	member add --household H --name N --id-number X --relation R [--set k=v]…
//	investigation new --household H [--set k=v]…
//	investigation edit ID --set k=v…
//	list COLLECTION [--household H]      show COLLECTION ID
//	sign INVESTIGATION_ID [--role R]     submit INVESTIGATION_ID
//	photo add FILE --household H --kind K
//	photo list
//	sync                                 push, upload photos, pull (with progress)
//	conflicts [--status open|resolved|all] [--cached]
//	resolve CONFLICT_ID --choice server|client | --value JSON
//	issues                               status
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"

	"github.com/ruhu-org/ruhu/clientsdk"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ruhu-tablet:", err)
		os.Exit(1)
	}
}

// env is what every command gets.
type env struct {
	ctx   context.Context
	home  string
	json  bool
	in    io.Reader
	out   io.Writer
	args  []string
	print printer
}

type command struct {
	usage string
	run   func(e *env) error
}

var commands = map[string]command{
	"login":         {"login --server URL --user U (password on stdin)", cmdLogin},
	"logout":        {"logout", cmdLogout},
	"household":     {"household add|edit …", cmdRecord("households")},
	"member":        {"member add|edit …", cmdRecord("members")},
	"investigation": {"investigation new|edit …", cmdRecord("investigations")},
	"list":          {"list COLLECTION [--household H]", cmdList},
	"show":          {"show COLLECTION ID", cmdShow},
	"sign":          {"sign INVESTIGATION_ID [--role R]", cmdSign},
	"submit":        {"submit INVESTIGATION_ID", cmdSubmit},
	"photo":         {"photo add FILE --household H --kind K | photo list", cmdPhoto},
	"sync":          {"sync", cmdSync},
	"conflicts":     {"conflicts [--status open|resolved|all] [--cached]", cmdConflicts},
	"resolve":       {"resolve CONFLICT_ID --choice server|client | --value JSON", cmdResolve},
	"issues":        {"issues", cmdIssues},
	"status":        {"status", cmdStatus},
}

// run parses the global flags and runs one command.
func run(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("ruhu-tablet", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	home := fs.String("home", os.Getenv("RUHU_TABLET_HOME"), "the tablet's directory (env RUHU_TABLET_HOME)")
	asJSON := fs.Bool("json", false, "print JSON for scripts")
	if err := fs.Parse(args); err != nil {
		return usageError(err.Error())
	}
	if fs.NArg() == 0 {
		return usageError("no command")
	}
	cmd, ok := commands[fs.Arg(0)]
	if !ok {
		return usageError("unknown command " + fs.Arg(0))
	}
	if *home == "" {
		return errors.New("--home DIR is required (or set RUHU_TABLET_HOME)")
	}
	e := &env{ctx: ctx, home: *home, json: *asJSON, in: stdin, out: stdout, args: fs.Args()[1:]}
	e.print = printer{w: stdout, json: *asJSON}
	return cmd.run(e)
}

func usageError(msg string) error {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, "  "+commands[n].usage)
	}
	sort.Strings(names)
	return fmt.Errorf("%s\nusage: ruhu-tablet --home DIR [--json] COMMAND\n%s", msg, strings.Join(names, "\n"))
}

// open opens the tablet's store (server "" reuses the stored URL).
func (e *env) open(server string, opts ...clientsdk.Option) (*clientsdk.Client, error) {
	c, err := clientsdk.Open(e.home, server, opts...)
	if errors.Is(err, clientsdk.ErrServerMismatch) && server == "" {
		return nil, errors.New("this tablet has no server yet: run login --server URL first")
	}
	return c, err
}

// parse parses flags that may come before or after positional arguments
// and returns the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
