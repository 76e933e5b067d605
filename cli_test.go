package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
)

func TestHelp(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantOut  []string
		wantExit int
	}{
		{"help alone lists every subcommand", nil,
			[]string{"Usage:", "serve", "create-task", "send-callback", "help SUBCOMMAND"}, 0},
		{"help create-task lists its flags and environment", []string{"create-task"},
			[]string{"Usage: scale-callback create-task", "-geometry", "-callback-url", "-objects", "SCALE_API_KEY", "test_", "PUBLIC_URL", "SCALE_API_URL"}, 0},
		{"help send-callback lists its flags and environment", []string{"send-callback"},
			[]string{"Usage: scale-callback send-callback [--url URL] [FILE]", "-url", "SCALE_CALLBACK_AUTH_KEY", "PORT"}, 0},
		{"help serve lists the server's environment", []string{"serve"},
			[]string{"Usage: scale-callback [serve]", "S3_BUCKET_NAME", "SCALE_CALLBACK_AUTH_KEY", "VIEWER_PASSWORD"}, 0},
		{"help help", []string{"help"}, []string{"Usage: scale-callback help"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := runHelp(tt.args, &stdout, &stderr)
			if got := exitCode(err); got != tt.wantExit {
				t.Errorf("got exit code %d (error %v), want %d", got, err, tt.wantExit)
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("got stdout\n%s\nwant it to contain %q", stdout.String(), want)
				}
			}
			if stderr.Len() != 0 {
				t.Errorf("got stderr %q, want nothing", stderr.String())
			}
		})
	}
}

func TestHelpMisuseIsAUsageError(t *testing.T) {
	for _, args := range [][]string{{"frobnicate"}, {"create-task", "send-callback"}} {
		var stdout, stderr bytes.Buffer
		err := runHelp(args, &stdout, &stderr)
		if got := exitCode(err); got != 2 {
			t.Errorf("help %q: got exit code %d (error %v), want 2", args, got, err)
		}
		if stdout.Len() != 0 || !strings.Contains(stderr.String(), "Subcommands:") {
			t.Errorf("help %q: got stdout %q and stderr %q, want the usage on stderr only", args, stdout.String(), stderr.String())
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	var stderr bytes.Buffer
	err := unknownCommand("frobnicate", &stderr)
	if got := exitCode(err); got != 2 {
		t.Errorf("got exit code %d, want 2", got)
	}
	if !strings.Contains(err.Error(), `unknown subcommand "frobnicate"`) {
		t.Errorf("got error %q, want it to name the subcommand", err)
	}
	if !strings.Contains(stderr.String(), "Subcommands:") {
		t.Errorf("got stderr %q, want the usage", stderr.String())
	}
}

func TestSubcommandHelpFlagPrintsHelpAndSucceeds(t *testing.T) {
	for _, flagArg := range []string{"-h", "--help", "-help"} {
		var stdout, stderr bytes.Buffer
		err := runCreateTask(t.Context(), []string{flagArg}, cliEnv(nil), &stdout, &stderr)
		if err != nil || !strings.Contains(stdout.String(), "Usage: scale-callback create-task") {
			t.Errorf("create-task %s: got error %v and stdout %q, want its help and no error", flagArg, err, stdout.String())
		}
		stdout.Reset()
		err = runSendCallback(t.Context(), []string{flagArg}, cliEnv(nil), strings.NewReader(""), &stdout, &stderr)
		if err != nil || !strings.Contains(stdout.String(), "Usage: scale-callback send-callback") {
			t.Errorf("send-callback %s: got error %v and stdout %q, want its help and no error", flagArg, err, stdout.String())
		}
		if stderr.Len() != 0 {
			t.Errorf("%s: got stderr %q, want nothing", flagArg, stderr.String())
		}
	}
}

func TestBadFlagPrintsHelpToStderr(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := runSendCallback(t.Context(), []string{"--uri", "x"}, cliEnv(nil), strings.NewReader(""), &stdout, &stderr)
	if got := exitCode(err); got != 2 {
		t.Errorf("got exit code %d (error %v), want 2", got, err)
	}
	if stdout.Len() != 0 || !strings.Contains(stderr.String(), "flag provided but not defined: -uri") ||
		!strings.Contains(stderr.String(), "Usage: scale-callback send-callback") {
		t.Errorf("got stdout %q and stderr %q, want the complaint and the help on stderr", stdout.String(), stderr.String())
	}
}

func TestParseFlagsMixesFlagsAndArguments(t *testing.T) {
	tests := []struct {
		args           []string
		wantURL        string
		wantPositional []string
	}{
		{[]string{"a.json"}, "", []string{"a.json"}},
		{[]string{"a.json", "--url", "u"}, "u", []string{"a.json"}},
		{[]string{"--url=u", "-", "b"}, "u", []string{"-", "b"}},
		{[]string{"--", "--url", "u"}, "", []string{"--url", "u"}},
		{[]string{"a", "--", "-x"}, "", []string{"a", "-x"}},
	}
	for _, tt := range tests {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		u := fs.String("url", "", "")
		got, err := parseFlags(fs, tt.args, func(io.Writer) {}, &bytes.Buffer{})
		if err != nil {
			t.Errorf("%q: got error %v", tt.args, err)
			continue
		}
		if *u != tt.wantURL || fmt.Sprint(got) != fmt.Sprint(tt.wantPositional) {
			t.Errorf("%q: got url %q and arguments %q, want %q and %q", tt.args, *u, got, tt.wantURL, tt.wantPositional)
		}
	}
}

func TestExitCode(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("boom"), 1},
		{&usageError{"bad"}, 2},
		{fmt.Errorf("wrapped: %w", &usageError{"bad"}), 2},
	}
	for _, tt := range tests {
		if got := exitCode(tt.err); got != tt.want {
			t.Errorf("exitCode(%v): got %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestPrintable(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"plain", 100, "plain"},
		{"a\x1b[2Jb\r\nc\x00d", 100, "a [2Jb c d"},
		{"  spaced \t out  ", 100, "spaced out"},
		{"ééééé", 4, "éééé..."},
		{"\xff\xfeok", 100, "ok"},
	}
	for _, tt := range tests {
		if got := printable(tt.in, tt.max); got != tt.want {
			t.Errorf("printable(%q, %d): got %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

// runWhole runs the whole program, as main does, with its output captured.
func runWhole(t *testing.T, vars map[string]string, args ...string) (stdout, stderr string, exit int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(t.Context(), append([]string{"scale-callback"}, args...), cliEnv(vars), strings.NewReader(""), &out, &errOut)
	if err != nil {
		fmt.Fprintln(&errOut, "scale-callback:", err) // as main does
	}
	return out.String(), errOut.String(), exitCode(err)
}

func TestRunDispatchesHelpAndRefusesUnknownSubcommands(t *testing.T) {
	tests := []struct {
		args       []string
		wantExit   int
		wantStdout string
		wantStderr string
	}{
		{[]string{"-h"}, 0, "Subcommands:", ""},
		{[]string{"-help"}, 0, "Subcommands:", ""},
		{[]string{"--help"}, 0, "Subcommands:", ""},
		{[]string{"help"}, 0, "Subcommands:", ""},
		{[]string{"help", "send-callback"}, 0, "Usage: scale-callback send-callback", ""},
		{[]string{"help", "-h"}, 0, "Subcommands:", ""},
		{[]string{"create-task", "-h"}, 0, "Usage: scale-callback create-task", ""},
		{[]string{"serve", "--help"}, 0, "Usage: scale-callback [serve]", ""},
		{[]string{"serve", "now"}, 2, "", "Usage: scale-callback [serve]"},
		{[]string{"frobnicate"}, 2, "", `unknown subcommand "frobnicate"`},
		{[]string{"create-task", "--bogus"}, 2, "", "flag provided but not defined: -bogus"},
		{[]string{"help", "frobnicate"}, 2, "", "Subcommands:"},
	}
	for _, tt := range tests {
		stdout, stderr, exit := runWhole(t, nil, tt.args...)
		if exit != tt.wantExit {
			t.Errorf("%q: got exit code %d, want %d", tt.args, exit, tt.wantExit)
		}
		if !strings.Contains(stdout, tt.wantStdout) || (tt.wantStdout == "" && stdout != "") {
			t.Errorf("%q: got stdout %q, want %q", tt.args, stdout, tt.wantStdout)
		}
		if !strings.Contains(stderr, tt.wantStderr) || (tt.wantStderr == "" && stderr != "") {
			t.Errorf("%q: got stderr %q, want %q", tt.args, stderr, tt.wantStderr)
		}
	}
}

// TestQuickStart is the README's quick start: start the server with nothing
// but a port and a folder, send the built-in callback to it with
// send-callback's defaults, and read the task back at the URL it printed.
func TestQuickStart(t *testing.T) {
	ctx, stopServer := context.WithCancel(t.Context())
	logs, logWriter := io.Pipe()
	vars := map[string]string{"PORT": "0", "DATA_DIR": t.TempDir(), "SCALE_CALLBACK_AUTH_KEY": "k-live,k-test"}
	served := make(chan error, 1)
	go func() {
		served <- run(ctx, []string{"scale-callback"}, cliEnv(vars), strings.NewReader(""), io.Discard, logWriter)
		logWriter.Close()
	}()
	port := make(chan string, 1)
	go func() { // read the bound port from the log, then keep draining it
		listening := regexp.MustCompile(`msg=listening addr=\S*:(\d+)`)
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				port <- m[1]
			}
		}
		io.Copy(io.Discard, logs)
	}()
	select {
	case vars["PORT"] = <-port:
	case err := <-served:
		t.Fatalf("the server stopped before listening: %v", err)
	}

	stdout, stderr, exit := runWhole(t, vars, "send-callback")
	if exit != 0 {
		t.Fatalf("send-callback: got exit code %d, want 0; stderr: %s", exit, stderr)
	}
	m := readBackLine.FindStringSubmatch(stdout)
	if m == nil || m[1] != "http://localhost:"+vars["PORT"] {
		t.Fatalf("send-callback: got output %q, want a read-back URL on localhost:%s", stdout, vars["PORT"])
	}
	got := fetchTask(t, m[1]+"/scale/task/"+m[2])
	if want := bytes.ReplaceAll(sampleCallback, []byte(sampleTaskID), []byte(m[2])); !bytes.Equal(got, want) {
		t.Errorf("got the task back as\n%s\nwant\n%s", got, want)
	}

	vars["SCALE_CALLBACK_AUTH_KEY"] = "not-the-key"
	_, stderr, exit = runWhole(t, vars, "send-callback")
	if exit != 1 || !strings.Contains(stderr, "401 Unauthorized: the scale-callback-auth header does not match any key") {
		t.Errorf("send-callback with a wrong key: got exit code %d and stderr %q, want 1 and the server's refusal", exit, stderr)
	}

	stopServer()
	if err := <-served; err != nil {
		t.Errorf("the server stopped with %v, want nil", err)
	}
}
