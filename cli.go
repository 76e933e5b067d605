package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"
)

// usageError is a command line that could not be understood. main exits 2 on
// it, the convention for misuse; every other error exits 1.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// exitCode maps an error returned by run to the process's exit status.
func exitCode(err error) int {
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ue):
		return 2
	default:
		return 1
	}
}

// command is one subcommand: its name, a one-line summary for the overview, and
// its full help (synopsis, description and flags).
type command struct {
	name    string
	summary string
	help    func(w io.Writer)
}

// commands is the table of subcommands, in the order the overview lists them.
var commands = []command{
	{"serve", "run the server (what runs with no subcommand)", serveHelp},
	{"create-task", "create a task at Scale whose callback comes to this server", createTaskHelp},
	{"send-callback", "POST a callback to a running server, as Scale would", sendCallbackHelp},
	{"help", "describe a subcommand and its flags", helpHelp},
}

// printUsage writes the overview of every subcommand.
func printUsage(w io.Writer) {
	fmt.Fprint(w, `scale-callback receives Scale AI task callbacks, stores each task's JSON in S3
(or a local folder), and serves every task back by its id.

Usage:
  scale-callback [serve]
  scale-callback create-task [flags]
  scale-callback send-callback [--url URL] [FILE]
  scale-callback help [SUBCOMMAND]

Subcommands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run 'scale-callback help SUBCOMMAND' for a subcommand's flags and environment.
`)
}

// runHelp answers `help`, `-h` and `--help` (with no arguments: the overview) and
// `help SUBCOMMAND` (that subcommand's help). An unknown name is a usage error.
func runHelp(args []string, stdout, stderr io.Writer) error {
	switch len(args) {
	case 0:
		printUsage(stdout)
		return nil
	case 1:
		if isHelpFlag(args[0]) {
			printUsage(stdout)
			return nil
		}
		for _, c := range commands {
			if c.name == args[0] {
				c.help(stdout)
				return nil
			}
		}
		printUsage(stderr)
		return &usageError{fmt.Sprintf("help: unknown subcommand %q", args[0])}
	default:
		printUsage(stderr)
		return &usageError{"help takes at most one subcommand name"}
	}
}

// unknownCommand answers a subcommand that does not exist: the overview on
// stderr and a usage error.
func unknownCommand(name string, stderr io.Writer) error {
	printUsage(stderr)
	return &usageError{fmt.Sprintf("unknown subcommand %q", name)}
}

// isHelpFlag reports whether arg asks for help.
func isHelpFlag(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

// serveArgs answers `serve` given arguments, which it does not take: help for
// -h or --help, else a usage error.
func serveArgs(args []string, stdout, stderr io.Writer) error {
	if len(args) == 1 && isHelpFlag(args[0]) {
		serveHelp(stdout)
		return nil
	}
	serveHelp(stderr)
	return &usageError{fmt.Sprintf("serve takes no arguments, got %q; it is configured from the environment", args)}
}

func serveHelp(w io.Writer) {
	fmt.Fprint(w, `Usage: scale-callback [serve]

Runs the server: POST /scale/callback stores a task, GET /scale/task/{task_id}
reads it back, GET /scale/tasks lists them, GET /healthz checks the store.
SIGTERM or SIGINT drains in-flight requests and exits 0.

It is configured from the environment (the README has the full table):
  PORT                     port to listen on (default 8080)
  S3_BUCKET_NAME           store tasks in this S3 bucket; unset: a local folder
  S3_PREFIX, S3_REGION, S3_ACCESS_KEY, S3_SECRET_KEY, S3_ENDPOINT
                           S3 key prefix, region, credentials, S3-compatible endpoint
  DATA_DIR                 the local folder (default ./data)
  SCALE_CALLBACK_AUTH_KEY  the Callback Auth Key(s) from Scale's dashboard, comma-separated
  VIEWER_PASSWORD          put every read route behind HTTP Basic auth
  MAX_CALLBACK_BYTES       largest callback body accepted (default 10 MiB)
`)
}

func helpHelp(w io.Writer) {
	fmt.Fprint(w, `Usage: scale-callback help [SUBCOMMAND]

With no SUBCOMMAND, lists the subcommands; with one, describes it and its flags.
`)
}

// parseFlags parses args with fs, letting flags and positional arguments mix
// (send-callback FILE --url URL works as well as the other order). "--" ends
// the flags. On -h or --help it writes help to stdout and returns flag.ErrHelp;
// on a bad flag it writes the flag package's message and the help to stderr and
// returns a usageError.
func parseFlags(fs *flag.FlagSet, args []string, help func(io.Writer), stdout io.Writer) ([]string, error) {
	fs.Usage = func() {} // help is written below, to the right stream
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				help(stdout)
				return nil, flag.ErrHelp
			}
			help(fs.Output())
			return nil, &usageError{fmt.Sprintf("%s: %v", fs.Name(), err)}
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// newHTTPClient returns the client both subcommands use: bounded in time, and
// not following redirects, which would silently turn a POST into a GET.
func newHTTPClient() *http.Client {
	return &http.Client{
		Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// printable makes text from a remote server safe to show on a terminal: control
// characters (escape sequences included) become spaces, runs of white space
// collapse, and it is cut at max runes.
func printable(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "..."
	}
	return s
}
