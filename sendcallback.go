package main

import (
	"bytes"
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// sampleCallback is a completed legacy polygonannotation task as Scale delivers
// it. sampleTaskID appears in it twice, top level and in task; send-callback
// replaces both with a fresh id.
//
//go:embed samples/polygon-callback.json
var sampleCallback []byte

const sampleTaskID = "5f7c6b1e9d2a4c0017e3b8a1"

// maxCallbackFile bounds what send-callback reads from FILE or stdin, far above
// what a server accepts by default (10 MiB), so the server is the one to say no.
const maxCallbackFile = 64 << 20

// sendCallbackOptions is what the send-callback flags asked for.
type sendCallbackOptions struct {
	url string
}

func newSendCallbackFlags(stderr io.Writer) (*flag.FlagSet, *sendCallbackOptions) {
	o := &sendCallbackOptions{}
	fs := flag.NewFlagSet("send-callback", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.url, "url", "", "the server: its base URL or its full callback URL (default http://localhost:$PORT)")
	return fs, o
}

func sendCallbackHelp(w io.Writer) {
	fmt.Fprint(w, `Usage: scale-callback send-callback [--url URL] [FILE]

POSTs a callback to a running server as Scale would: a JSON body with the
scale-callback-auth header. The body is FILE ("-" for standard input), or with
no FILE a built-in sample: a completed polygonannotation task with a fresh
random task id. Prints the status and the URL to read the task back; exits
non-zero unless the server answered 2xx. This checks a local run or a
deployment end to end without waiting for Scale:

  scale-callback send-callback
  scale-callback send-callback --url https://my-app.herokuapp.com task.json

Environment:
  SCALE_CALLBACK_AUTH_KEY  sent as scale-callback-auth (the first key when
                           several are comma-separated; unset: no header)
  PORT                     the port of the default URL (default 8080)

Flags:
`)
	fs, _ := newSendCallbackFlags(w)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// runSendCallback is `scale-callback send-callback`; args are those after the
// subcommand's name.
func runSendCallback(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs, o := newSendCallbackFlags(stderr)
	rest, err := parseFlags(fs, args, sendCallbackHelp, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(rest) > 1 {
		sendCallbackHelp(stderr)
		return &usageError{fmt.Sprintf("send-callback takes at most one FILE, got %q", rest)}
	}

	var body []byte
	source := "the built-in sample"
	if len(rest) == 0 {
		body, err = freshSample()
	} else {
		source = rest[0]
		if source == "-" {
			source = "standard input"
		}
		body, err = readCallbackFile(rest[0], stdin)
	}
	if err != nil {
		return fmt.Errorf("send-callback: %w", err)
	}
	// The server's own rule, so a body it would refuse is refused here, with
	// the same words, before anything is sent.
	taskID, err := callbackTaskID(body)
	if err != nil {
		return fmt.Errorf("send-callback: %s is not a callback the server accepts: %w", source, err)
	}

	target := strings.TrimSpace(o.url)
	if target == "" {
		port := strings.TrimSpace(getenv("PORT"))
		if port == "" {
			port = "8080"
		}
		target = "http://localhost:" + port
	}
	callbackURL, base, err := callbackEndpoint(target)
	if err != nil {
		return fmt.Errorf("send-callback: --url: %w", err)
	}
	key := firstKey(getenv("SCALE_CALLBACK_AUTH_KEY"))

	status, ack, err := postCallback(ctx, newHTTPClient(), callbackURL, key, body)
	if err != nil {
		return fmt.Errorf("send-callback: %w", err)
	}
	fmt.Fprintf(stdout, "%s: task %s", status, taskID)
	if ack.Stored != "" {
		fmt.Fprintf(stdout, " stored at %s", printable(ack.Stored, 300))
	}
	fmt.Fprintf(stdout, "\nRead it back at %s/scale/task/%s\n", base, url.PathEscape(taskID))
	return nil
}

// firstKey is the first key of a SCALE_CALLBACK_AUTH_KEY list, read as the
// server reads it (comma-separated, blanks ignored), or "" for none.
func firstKey(keys string) string {
	for _, k := range strings.Split(keys, ",") {
		if k = strings.TrimSpace(k); k != "" {
			return k
		}
	}
	return ""
}

// freshSample returns the built-in sample callback under a new task id.
func freshSample() ([]byte, error) {
	id, err := newTaskID()
	if err != nil {
		return nil, err
	}
	return bytes.ReplaceAll(sampleCallback, []byte(sampleTaskID), []byte(id)), nil
}

// newTaskID makes an id shaped like Scale's: 24 hex characters, a MongoDB
// ObjectID's layout (4 bytes of Unix time, then 8 random bytes), so samples
// sent in different seconds sort in the order they were sent.
func newTaskID() (string, error) {
	var b [12]byte
	binary.BigEndian.PutUint32(b[:4], uint32(time.Now().Unix()))
	if _, err := rand.Read(b[4:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}

// readCallbackFile reads FILE, or standard input for "-".
func readCallbackFile(name string, stdin io.Reader) ([]byte, error) {
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	body, err := io.ReadAll(io.LimitReader(r, maxCallbackFile+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(body) > maxCallbackFile {
		return nil, fmt.Errorf("%s is larger than %d MiB", name, maxCallbackFile>>20)
	}
	return body, nil
}

// callbackEndpoint takes a server's base URL or its full callback URL and
// returns the callback URL to POST to and the base URL that serves reads.
func callbackEndpoint(target string) (callback, base string, err error) {
	u, err := parseHTTPURL(target)
	if err != nil {
		return "", "", fmt.Errorf("%w (include the scheme, e.g. http://localhost:8080)", err)
	}
	u.RawPath, u.Fragment = "", ""
	basePath := strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/scale/callback")
	cb := *u
	cb.Path = basePath + "/scale/callback"
	b := *u
	b.Path, b.RawQuery = basePath, ""
	return cb.String(), strings.TrimRight(b.String(), "/"), nil
}

// postCallback POSTs body as Scale would and returns the HTTP status line and
// the acknowledgement, or an error that carries the server's explanation.
func postCallback(ctx context.Context, client *http.Client, callbackURL, key string, body []byte) (string, callbackAck, error) {
	var ack callbackAck
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, callbackURL, bytes.NewReader(body))
	if err != nil {
		return "", ack, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "scale-callback send-callback")
	if key != "" {
		req.Header.Set("scale-callback-auth", key)
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", ack, fmt.Errorf("could not reach the server (is it running, and is --url right?): %w", err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", ack, fmt.Errorf("reading the server's answer (%s): %w", resp.Status, err)
	}
	status := printable(resp.Status, 80)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", ack, callbackRefusal(resp, status, answer)
	}
	_ = json.Unmarshal(answer, &ack) // the acknowledgement is a courtesy; 2xx is what counts
	return status, ack, nil
}

// callbackRefusal explains a non-2xx answer: the problem detail's title and
// detail when the server sent one (RFC 9457), else the start of its body, and
// what to do about the statuses a user can act on.
func callbackRefusal(resp *http.Response, status string, body []byte) error {
	msg := ""
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); strings.HasSuffix(mt, "json") {
		var p struct {
			Title  string `json:"title"`
			Detail string `json:"detail"`
		}
		if json.Unmarshal(body, &p) == nil {
			var parts []string
			if p.Title == http.StatusText(resp.StatusCode) {
				p.Title = "" // the status line says it already
			}
			for _, s := range []string{p.Title, p.Detail} {
				if s = strings.TrimSpace(s); s != "" {
					parts = append(parts, s)
				}
			}
			msg = strings.Join(parts, ": ")
		}
	}
	if msg == "" {
		msg = string(body)
	}
	if msg = printable(msg, 300); msg != "" {
		msg = ": " + msg
	}
	hint := ""
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		hint = " (set SCALE_CALLBACK_AUTH_KEY to one of the server's keys)"
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed:
		hint = " (is --url a scale-callback server?)"
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		hint = fmt.Sprintf(" (a redirect to %s: pass that as --url)", printable(resp.Header.Get("Location"), 200))
	}
	return fmt.Errorf("the server refused the callback: %s%s%s", status, msg, hint)
}
