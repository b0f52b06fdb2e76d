// Command ruhu-tablet is a command-line stand-in for the tablet app, on the
// clientsdk: it keeps a tablet's store in a directory and syncs it with a
// ruhu server. Human-readable output by default, --json for scripts.
//
//	ruhu-tablet [--home DIR] [--json] COMMAND [flags]
//
//	login --server URL --user U          password: prompted on a terminal, else the first line of stdin
//	logout
//	household add --village V --head-name N --head-id ID --address A [--set k=v]…
//	household edit ID --set k=v…         (also: member, investigation)
//	member add --household H --name N --id-number X --relation R [--set k=v]…
//	investigation new --household H [--set k=v]…
//	investigation edit ID --set k=v…
//	list COLLECTION [--household H]      show COLLECTION ID
//	sign INVESTIGATION_ID [--role R]     submit INVESTIGATION_ID
//	photo add FILE --household H --kind K
//	photo list [--household H]           (the same as list photos)
//	sync                                 push, upload photos, pull (progress on a terminal)
//	conflicts [--status open|resolved|all] [--cached]
//	resolve CONFLICT_ID --choice server|client | --value JSON
//	issues [retry N [--set k=v]… | discard N]
//	status                               doctor
//
// --home and --json may come before or after the command; COMMAND --help
// lists its flags. Exit status: 0 done, 1 error, 2 usage, 3 done but
// something needs a person (a refused change, a conflict, a failed check),
// 4 the server could not be reached (nothing on the tablet is lost).
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

	"golang.org/x/term"

	"github.com/ruhu-org/ruhu/clientsdk"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err := run(ctx, os.Args[1:], stdio{in: os.Stdin, out: os.Stdout, err: os.Stderr})
	if err != nil {
		fmt.Fprintln(os.Stderr, "ruhu-tablet:", describe(err))
	}
	stop()
	os.Exit(exitCode(err))
}

// Exit statuses.
const (
	exitError     = 1
	exitUsage     = 2
	exitAttention = 3 // the command ran, but something needs a person
	exitOffline   = 4 // the server could not be reached; nothing is lost
)

// stdio are the command's streams. Progress and prompts go to err, and
// only when it is a terminal; results go to out.
type stdio struct {
	in  io.Reader
	out io.Writer
	err io.Writer
}

// env is what every command gets.
type env struct {
	ctx  context.Context
	name string // the command
	home string
	json bool
	io   stdio
	args []string
}

type command struct {
	usage   string // after "ruhu-tablet "
	summary string
	run     func(e *env) error
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"login":         {"login [--server URL] --user U", "log in (password prompted, or the first line of stdin)", cmdLogin},
		"logout":        {"logout", "forget the current user's tokens", cmdLogout},
		"household":     {"household add|edit [ID] [flags]", "record or change a household", cmdRecord("households")},
		"member":        {"member add|edit [ID] [flags]", "record or change a household member", cmdRecord("members")},
		"investigation": {"investigation new|edit [ID] [flags]", "start or change an investigation", cmdRecord("investigations")},
		"review":        {"review new|edit [ID] [flags]", "record the democratic review (民主评议) of a household", cmdRecord("reviews")},
		"list":          {"list COLLECTION [--household H]", "list households, members, investigations, signatures, photos, reviews or cases", cmdList},
		"show":          {"show COLLECTION ID", "show one record", cmdShow},
		"sign":          {"sign INVESTIGATION_ID [--role R] | sign --review REVIEW_ID", "sign an investigation (or a democratic review) as the current user", cmdSign},
		"submit":        {"submit INVESTIGATION_ID", "submit a signed investigation for review", cmdSubmit},
		"photo":         {"photo add FILE --household H --kind K | photo list [--household H]", "queue a photo, list photos", cmdPhoto},
		"sync":          {"sync", "push changes, upload photos, pull", cmdSync},
		"conflicts":     {"conflicts [--status open|resolved|all] [--cached]", "list conflicts in your area", cmdConflicts},
		"resolve":       {"resolve CONFLICT_ID --choice server|client | --value JSON", "decide a conflict", cmdResolve},
		"issues":        {"issues [retry N [--set k=v]… | discard N]", "changes the server refused or holds in a conflict", cmdIssues},
		"status":        {"status", "what waits on this tablet", cmdStatus},
		"doctor":        {"doctor", "check the server, the clock, the login and the outbox", cmdDoctor},
		"help":          {"help [COMMAND]", "this help, or a command's flags", cmdHelp},
	}
}

// run parses the global flags and runs one command.
func run(ctx context.Context, args []string, s stdio) error {
	e := &env{ctx: ctx, home: os.Getenv("RUHU_TABLET_HOME"), io: s}
	fs := e.flagSet("ruhu-tablet")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(s.out, overview())
		return nil
	} else if err != nil {
		return usageError{err.Error(), "ruhu-tablet [--home DIR] [--json] COMMAND [flags]\n" + commandList()}
	}
	if fs.NArg() == 0 {
		return usageError{"no command", "ruhu-tablet [--home DIR] [--json] COMMAND [flags]\n" + commandList()}
	}
	e.name = fs.Arg(0)
	cmd, ok := commands[e.name]
	if !ok {
		return usageError{fmt.Sprintf("unknown command %q", e.name), "ruhu-tablet [--home DIR] [--json] COMMAND [flags]\n" + commandList()}
	}
	e.args = fs.Args()[1:]
	if err := cmd.run(e); !errors.Is(err, errHelpShown) {
		return err
	}
	return nil
}

func overview() string {
	return "ruhu-tablet is the command-line stand-in for the ruhu tablet app: it keeps a tablet's records in a directory\n" +
		"and syncs them with a ruhu server. Everything but login, sync, conflicts, resolve and doctor works offline.\n\n" +
		"usage: ruhu-tablet [--home DIR] [--json] COMMAND [flags]\n\n" + commandList() +
		"\n--home DIR   the tablet's directory (env RUHU_TABLET_HOME)\n--json       print JSON for scripts\n" +
		"ruhu-tablet COMMAND --help lists the command's flags.\n\n" +
		"Exit status: 0 done, 1 error, 2 usage, 3 done but something needs a person (see issues, conflicts),\n" +
		"4 the server could not be reached (nothing on the tablet is lost; sync again later).\n"
}

func commandList() string {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "  %-14s %s\n", n, commands[n].summary)
	}
	return b.String()
}

func cmdHelp(e *env) error {
	if len(e.args) == 0 {
		fmt.Fprint(e.io.out, overview())
		return nil
	}
	return run(e.ctx, []string{e.args[0], "--help"}, e.io)
}

// usageError is a command typed wrongly: Reason says what is wrong.
type usageError struct {
	Reason string
	Usage  string
}

func (u usageError) Error() string {
	return u.Reason + "\nusage: " + strings.TrimRight(u.Usage, "\n")
}

// usage reports a wrongly typed command.
func (e *env) usage(format string, args ...any) error {
	return usageError{fmt.Sprintf(e.name+": "+format, args...), commands[e.name].usage + "\n(ruhu-tablet " + e.name + " --help lists the flags)"}
}

// attention is returned by a command that ran but left something for a
// person to do; its output already says what.
type attention struct{ msg string }

func (a attention) Error() string { return a.msg }

// exitCode maps run's error to the exit status.
func exitCode(err error) int {
	var u usageError
	var a attention
	switch {
	case err == nil:
		return 0
	case errors.As(err, &u):
		return exitUsage
	case errors.As(err, &a):
		return exitAttention
	case errors.Is(err, clientsdk.ErrUnreachable):
		return exitOffline
	}
	return exitError
}

// describe words an error for a person.
func describe(err error) string {
	var ae *clientsdk.APIError
	if errors.As(err, &ae) {
		detail := ae.Problem.Detail
		if detail == "" {
			detail = ae.Problem.Title
		}
		return fmt.Sprintf("the server refused: %s (%s)", detail, ae.Problem.Code)
	}
	return strings.ReplaceAll(err.Error(), "clientsdk: ", "")
}

// flagSet makes a command's flag set with the global flags, which may
// thus come before or after the command.
func (e *env) flagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&e.home, "home", e.home, "the tablet's directory (env RUHU_TABLET_HOME)")
	fs.BoolVar(&e.json, "json", e.json, "print JSON for scripts")
	return fs
}

// parse parses flags that may come before or after positional arguments
// and returns the positional ones. --help answers errHelp with the
// command's flags, which run prints.
func (e *env) parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			return nil, e.help(fs)
		}
		if err != nil {
			return nil, e.usage("%v", err)
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// help prints a command's usage and flags and ends the command.
func (e *env) help(fs *flag.FlagSet) error {
	fmt.Fprintf(e.io.out, "usage: ruhu-tablet %s\n%s\n\nflags:\n", commands[e.name].usage, commands[e.name].summary)
	fs.SetOutput(e.io.out)
	fs.PrintDefaults()
	return errHelpShown
}

// errHelpShown ends a command after its help was printed: exit status 0.
var errHelpShown = errors.New("help shown")

// open opens the tablet's store (server "" reuses the stored URL).
func (e *env) open(server string, opts ...clientsdk.Option) (*clientsdk.Client, error) {
	if e.home == "" {
		return nil, errors.New("--home DIR is required (or set RUHU_TABLET_HOME)")
	}
	c, err := clientsdk.Open(e.home, server, opts...)
	if errors.Is(err, clientsdk.ErrServerMismatch) && server == "" {
		return nil, errors.New("this tablet has no server yet: run login --server URL first")
	}
	return c, err
}

// isTerminal reports whether f is an *os.File on a terminal.
func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}
