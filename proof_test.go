package main

// Proofs that no acknowledged callback is lost (issue 5): each runs the real
// server as a separate process (this test binary, re-executed; see TestMain),
// loads it with callbacks and breaks something, then checks that every task id
// that got a 2xx reads back byte for byte. Everything goes to 127.0.0.1.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scale-callback/scale-callback/internal/taskbody"
	"github.com/scale-callback/scale-callback/internal/versitygw"
)

// proofServerEnv, set to 1, makes the test binary run the server instead of
// the tests, so a proof can kill it or send it signals.
const proofServerEnv = "SCALE_CALLBACK_PROOF_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(proofServerEnv) == "1" {
		if err := run(context.Background(), []string{"scale-callback"}, os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "scale-callback:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

const proofAuthKey = "proof-callback-key"

var (
	proofSmall = taskbody.Small()
	proofLarge = taskbody.Large()
)

// proofServer is the server running as a child process.
type proofServer struct {
	t        *testing.T
	URL      string
	cmd      *exec.Cmd
	exited   chan struct{}
	mu       sync.Mutex
	logs     []string
	shutting chan struct{} // closed once the server logs that it is shutting down
}

var proofListening = regexp.MustCompile(`msg=listening .*addr=\S*:(\d+)`)

// proofConfigVars are the variables the server reads; the child gets only the
// ones a proof sets, whatever the test's own environment holds.
var proofConfigVars = []string{"PORT", "DATA_DIR", "S3_BUCKET_NAME", "S3_PREFIX", "S3_REGION", "S3_ACCESS_KEY", "S3_SECRET_KEY",
	"S3_ENDPOINT", "SCALE_CALLBACK_AUTH_KEY", "VIEWER_PASSWORD", "MAX_CALLBACK_BYTES", "DYNO", "AWS_ACCESS_KEY_ID",
	"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL", proofServerEnv}

// startProofServer runs the server with env (PORT=0 and the auth key added) and
// returns once it listens. The server is killed when the test ends.
func startProofServer(t *testing.T, env map[string]string) *proofServer {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(proofConfigVars, name) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, proofServerEnv+"=1", "PORT=0", "SCALE_CALLBACK_AUTH_KEY="+proofAuthKey)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &proofServer{t: t, cmd: cmd, exited: make(chan struct{}), shutting: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the server: %v", err)
	}
	port := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.logs = append(s.logs, line)
			if len(s.logs) > 200 {
				s.logs = s.logs[len(s.logs)-200:]
			}
			s.mu.Unlock()
			if m := proofListening.FindStringSubmatch(line); m != nil {
				port <- m[1]
			}
			if strings.Contains(line, "msg=\"shutting down\"") {
				close(s.shutting)
			}
		}
		_ = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-s.exited
		if t.Failed() {
			t.Logf("the server's last log lines:\n%s", s.log())
		}
	})
	select {
	case p := <-port:
		s.URL = "http://127.0.0.1:" + p
	case <-s.exited:
		t.Fatalf("the server exited before it listened:\n%s", s.log())
	case <-time.After(20 * time.Second):
		t.Fatalf("the server did not listen within 20s:\n%s", s.log())
	}
	return s
}

func (s *proofServer) log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.logs, "\n")
}

// proofOutcome is what one callback got.
type proofOutcome struct {
	id       string
	tmpl     *taskbody.Template
	status   int // 0 when the request failed without an answer
	err      error
	started  time.Time
	finished time.Time
}

func (o proofOutcome) acked() bool { return o.status/100 == 2 }

// proofLoader posts callbacks with new task ids from a few goroutines, as fast as
// they go, until stopped; every request's proofOutcome is kept.
type proofLoader struct {
	mu       sync.Mutex
	outcomes []proofOutcome
	stop     chan struct{}
	wg       sync.WaitGroup
}

// startProofLoad posts to base from conc goroutines; even ones send 1 KB bodies,
// odd ones 200 KB. It stops by itself after limit.
func startProofLoad(base string, conc int, limit time.Duration) *proofLoader {
	l := &proofLoader{stop: make(chan struct{})}
	ids := taskbody.NewIDs()
	client := &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: conc},
		Timeout:   30 * time.Second,
	}
	deadline := time.Now().Add(limit)
	for w := range conc {
		tmpl := proofSmall
		if w%2 == 1 {
			tmpl = proofLarge
		}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for time.Now().Before(deadline) {
				select {
				case <-l.stop:
					return
				default:
				}
				o := proofPost(client, base, tmpl, ids.Next())
				l.mu.Lock()
				l.outcomes = append(l.outcomes, o)
				l.mu.Unlock()
				if o.err != nil {
					// The server is down; do not spin on refused connections.
					time.Sleep(5 * time.Millisecond)
				}
			}
		}()
	}
	return l
}

func proofPost(client *http.Client, base string, tmpl *taskbody.Template, id string) (o proofOutcome) {
	o = proofOutcome{id: id, tmpl: tmpl, started: time.Now()}
	defer func() { o.finished = time.Now() }()
	req, err := http.NewRequest(http.MethodPost, base+"/scale/callback", bytes.NewReader(tmpl.Body(id)))
	if err != nil {
		o.err = err
		return o
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Scale-Callback-Auth", proofAuthKey)
	resp, err := client.Do(req)
	if err != nil {
		o.err = err
		return o
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	o.status, o.err = resp.StatusCode, err
	return o
}

// Stop ends the load and returns every proofOutcome.
func (l *proofLoader) Stop() []proofOutcome {
	close(l.stop)
	l.wg.Wait()
	return l.snapshot()
}

func (l *proofLoader) snapshot() []proofOutcome {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]proofOutcome(nil), l.outcomes...)
}

func (l *proofLoader) count(pred func(proofOutcome) bool) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, o := range l.outcomes {
		if pred(o) {
			n++
		}
	}
	return n
}

// proofWaitFor polls cond until it holds, failing the test after limit.
func proofWaitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %s waiting for %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// proofReadBack GETs a task; it returns the status and body.
func proofReadBack(t *testing.T, base, id string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(base + "/scale/task/" + id)
	if err != nil {
		t.Fatalf("GET task %s: %v", id, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET task %s: read body: %v", id, err)
	}
	return resp.StatusCode, body
}

// checkAcknowledgedReadBack checks that every acknowledged id reads back
// byte for byte from base, and returns how many there were.
func checkAcknowledgedReadBack(t *testing.T, base string, outcomes []proofOutcome) int {
	t.Helper()
	n, bad := 0, 0
	for _, o := range outcomes {
		if !o.acked() {
			continue
		}
		n++
		status, body := proofReadBack(t, base, o.id)
		if status != http.StatusOK || !o.tmpl.Matches(o.id, body) {
			bad++
			if bad <= 5 {
				t.Errorf("acknowledged task %s: got status %d and %d bytes, want 200 and the %d bytes sent", o.id, status, len(body), o.tmpl.Len())
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d acknowledged callbacks did not read back byte for byte", bad, n)
	}
	return n
}

func isAcked(o proofOutcome) bool { return o.acked() }

// TestAcknowledgedCallbacksReadBack is proof 1: load, then every task id that
// got a 2xx reads back byte for byte, in the folder store and, when
// S3_TEST_ENDPOINT names one, a real S3-compatible server.
func TestAcknowledgedCallbacksReadBack(t *testing.T) {
	t.Parallel()
	stores := map[string]func(t *testing.T) map[string]string{
		"local folder": func(t *testing.T) map[string]string { return map[string]string{"DATA_DIR": t.TempDir()} },
		"S3":           proofS3Env,
	}
	for name, env := range stores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := startProofServer(t, env(t))
			load := startProofLoad(srv.URL, 4, 10*time.Second)
			proofWaitFor(t, 10*time.Second, "100 acknowledged callbacks", func() bool { return load.count(isAcked) >= 100 })
			outcomes := load.Stop()
			for _, o := range outcomes {
				if !o.acked() {
					t.Errorf("callback %s: got status %d, error %v; want 200", o.id, o.status, o.err)
				}
			}
			n := checkAcknowledgedReadBack(t, srv.URL, outcomes)
			t.Logf("%d acknowledged callbacks read back", n)
		})
	}
}

// proofS3Env points the server at the S3-compatible server CI runs, under a
// prefix of its own, or skips.
func proofS3Env(t *testing.T) map[string]string {
	endpoint := os.Getenv("S3_TEST_ENDPOINT")
	if endpoint == "" {
		t.Skip("S3_TEST_ENDPOINT is not set; .ci/run sets it")
	}
	return map[string]string{
		"S3_ENDPOINT":    endpoint,
		"S3_BUCKET_NAME": os.Getenv("S3_TEST_BUCKET"),
		"S3_ACCESS_KEY":  os.Getenv("S3_TEST_ACCESS_KEY"),
		"S3_SECRET_KEY":  os.Getenv("S3_TEST_SECRET_KEY"),
		"S3_REGION":      "us-east-1",
		"S3_PREFIX":      "proof-" + taskbody.NewIDs().Next() + "/",
	}
}

// proofListAll pages through GET /scale/tasks.
func proofListAll(t *testing.T, base string) []string {
	t.Helper()
	var ids []string
	after := ""
	for {
		resp, err := http.Get(base + "/scale/tasks?limit=1000&after=" + url.QueryEscape(after))
		if err != nil {
			t.Fatalf("list tasks: %v", err)
		}
		var page struct {
			Tasks []struct {
				ID string `json:"task_id"`
			} `json:"tasks"`
			Next string `json:"next"`
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("list tasks: status %d, %v", resp.StatusCode, err)
		}
		for _, task := range page.Tasks {
			ids = append(ids, task.ID)
		}
		if page.Next == "" {
			return ids
		}
		after = page.Next
	}
}

// TestKillDuringLoadLosesNothingAcknowledged is proof 2: kill -9 during load
// in local-folder mode; after a restart every acknowledged id reads back
// whole, and every task listed is one that was sent, whole (no temporary or
// partial file shows up as a task).
func TestKillDuringLoadLosesNothingAcknowledged(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := startProofServer(t, map[string]string{"DATA_DIR": dir})
	load := startProofLoad(srv.URL, 8, 10*time.Second)
	proofWaitFor(t, 10*time.Second, "100 acknowledged callbacks", func() bool { return load.count(isAcked) >= 100 })
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-srv.exited
	outcomes := load.Stop()

	again := startProofServer(t, map[string]string{"DATA_DIR": dir})
	n := checkAcknowledgedReadBack(t, again.URL, outcomes)
	sent := map[string]*taskbody.Template{}
	for _, o := range outcomes {
		sent[o.id] = o.tmpl
	}
	listed := proofListAll(t, again.URL)
	for _, id := range listed {
		tmpl, ok := sent[id]
		if !ok {
			t.Errorf("listed task %q was never sent", id)
			continue
		}
		status, body := proofReadBack(t, again.URL, id)
		if status != http.StatusOK || !tmpl.Matches(id, body) {
			t.Errorf("listed task %s: got status %d and %d bytes, want 200 and the %d bytes sent", id, status, len(body), tmpl.Len())
		}
	}
	if len(listed) < n {
		t.Errorf("got %d tasks listed, want at least the %d acknowledged", len(listed), n)
	}
	t.Logf("killed after %d acknowledged callbacks (%d sent); %d tasks listed after the restart", n, len(outcomes), len(listed))
}

// TestSIGTERMDrainsInFlightCallbacks is proof 3: SIGTERM during load; a
// callback in flight finishes with its 2xx, the process exits 0 well within
// the grace period, and every acknowledged id reads back. A callback that got
// no answer must not have been stored either: the server never cut off a
// request it had taken.
func TestSIGTERMDrainsInFlightCallbacks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv := startProofServer(t, map[string]string{"DATA_DIR": dir})
	load := startProofLoad(srv.URL, 8, 10*time.Second)
	proofWaitFor(t, 10*time.Second, "100 acknowledged callbacks", func() bool { return load.count(isAcked) >= 100 })

	// One callback is surely in flight: the server has taken its headers and
	// its handler is reading the body (it asked for it with 100 Continue),
	// of which half is sent.
	slowID := taskbody.NewIDs().Next()
	body := proofLarge.Body(slowID)
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /scale/callback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nScale-Callback-Auth: %s\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", proofAuthKey, len(body))
	replies := bufio.NewReader(conn)
	if cont, err := http.ReadResponse(replies, nil); err != nil || cont.StatusCode != http.StatusContinue {
		t.Fatalf("in-flight callback: got %v (error %v), want 100 Continue", cont, err)
	}
	if _, err := conn.Write(body[:len(body)/2]); err != nil {
		t.Fatal(err)
	}

	termAt := time.Now()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.shutting:
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not log that it is shutting down within 10s of SIGTERM")
	}
	if _, err := conn.Write(body[len(body)/2:]); err != nil {
		t.Fatalf("finish the in-flight callback after SIGTERM: %v", err)
	}
	resp, err := http.ReadResponse(replies, nil)
	if err != nil {
		t.Fatalf("in-flight callback: got error %v, want a 200", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("in-flight callback: got status %d, want 200", resp.StatusCode)
	}

	select {
	case <-srv.exited:
	case <-time.After(shutdownGrace):
		t.Fatalf("the server did not exit within the grace period (%s) of SIGTERM", shutdownGrace)
	}
	took := time.Since(termAt)
	if code := srv.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("the server exited with status %d after SIGTERM, want 0", code)
	}
	outcomes := load.Stop()
	outcomes = append(outcomes, proofOutcome{id: slowID, tmpl: proofLarge, status: resp.StatusCode})

	again := startProofServer(t, map[string]string{"DATA_DIR": dir})
	n := checkAcknowledgedReadBack(t, again.URL, outcomes)
	unanswered := 0
	for _, o := range outcomes {
		switch {
		case o.acked():
		case o.status != 0:
			t.Errorf("callback %s during the drain: got status %d, want 200 or no connection at all", o.id, o.status)
		default:
			unanswered++
			if status, _ := proofReadBack(t, again.URL, o.id); status != http.StatusNotFound {
				t.Errorf("callback %s got no answer (%v) but is stored (GET status %d): the server cut off a request it had taken", o.id, o.err, status)
			}
		}
	}
	t.Logf("exited 0 in %s; %d acknowledged callbacks read back; %d sent after the listener closed were never taken", took.Round(time.Millisecond), n, unanswered)
}

// TestS3OutageGives503AndLosesNothing is proof 4: with the S3 server
// stopped, callbacks get 503, never a 2xx, and /healthz says 503; once it is
// back, callbacks succeed and nothing acknowledged is missing. It starts a
// versitygw of its own, since it stops it.
func TestS3OutageGives503AndLosesNothing(t *testing.T) {
	t.Parallel()
	bin := versitygw.Find()
	if bin == "" {
		t.Skip("versitygw is not installed (go install " + versitygw.Package + "); .ci/run installs it")
	}
	s3srv, err := versitygw.Start(context.Background(), bin, t.TempDir(), "proof-outage")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s3srv.Close() })
	srv := startProofServer(t, map[string]string{
		"S3_ENDPOINT": s3srv.Endpoint, "S3_BUCKET_NAME": s3srv.Bucket, "S3_REGION": versitygw.Region,
		"S3_ACCESS_KEY": s3srv.AccessKey, "S3_SECRET_KEY": s3srv.SecretKey,
	})
	load := startProofLoad(srv.URL, 4, 60*time.Second)
	proofWaitFor(t, 10*time.Second, "50 acknowledged callbacks", func() bool { return load.count(isAcked) >= 50 })

	if err := s3srv.Stop(); err != nil {
		t.Fatal(err)
	}
	stoppedAt := time.Now()
	afterStop := func(o proofOutcome) bool { return o.started.After(stoppedAt) }
	proofWaitFor(t, 30*time.Second, "4 callbacks answered 503 while S3 is down", func() bool {
		return load.count(func(o proofOutcome) bool { return afterStop(o) && o.status == http.StatusServiceUnavailable }) >= 4
	})
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/healthz with S3 down: got status %d, want 503", resp.StatusCode)
	}

	restartAt := time.Now()
	if err := s3srv.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	proofWaitFor(t, 30*time.Second, "a callback acknowledged after S3 came back", func() bool {
		return load.count(func(o proofOutcome) bool { return o.started.After(restartAt) && o.acked() }) >= 1
	})
	outcomes := load.Stop()

	down := 0
	for _, o := range outcomes {
		switch {
		case afterStop(o) && o.finished.Before(restartAt):
			// Wholly within the outage: only a 503 will do.
			down++
			if o.status != http.StatusServiceUnavailable {
				t.Errorf("callback %s sent and answered while S3 was down: got status %d (error %v), want 503", o.id, o.status, o.err)
			}
		case o.status != http.StatusOK && o.status != http.StatusServiceUnavailable:
			// Across the stop or the restart: stored (200) or not (503).
			t.Errorf("callback %s: got status %d (error %v), want 200 or 503", o.id, o.status, o.err)
		}
	}
	if resp, err := http.Get(srv.URL + "/healthz"); err != nil {
		t.Errorf("/healthz after S3 came back: %v", err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("/healthz after S3 came back: got status %d, want 200", resp.StatusCode)
		}
	}
	n := checkAcknowledgedReadBack(t, srv.URL, outcomes)
	t.Logf("%d callbacks sent and answered while S3 was down; %d acknowledged in all, read back", down, n)
}

// TestSlowHeadersAreCutOffAndIdleConnectionsDoNotBlock is proof 5: a client
// sending its headers a byte at a time is cut off by the header timeout, and
// a few hundred idle connections do not stop callbacks from being served.
func TestSlowHeadersAreCutOffAndIdleConnectionsDoNotBlock(t *testing.T) {
	t.Parallel()
	srv := startProofServer(t, map[string]string{"DATA_DIR": t.TempDir()})
	addr := strings.TrimPrefix(srv.URL, "http://")

	slow := make(chan error, 1)
	// 20 s: past the server's ReadHeaderTimeout (10 s), short of its
	// ReadTimeout (30 s), so only the header timeout passes this.
	go func() { slow <- trickleHeaders(addr, 20*time.Second) }()

	var idle []net.Conn
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	for range 300 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("open idle connection %d: %v", len(idle), err)
		}
		idle = append(idle, c)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	ids := taskbody.NewIDs()
	var outcomes []proofOutcome
	for range 20 {
		o := proofPost(client, srv.URL, proofSmall, ids.Next())
		if !o.acked() {
			t.Fatalf("callback with %d idle connections open: got status %d, error %v; want 200", len(idle), o.status, o.err)
		}
		outcomes = append(outcomes, o)
	}
	checkAcknowledgedReadBack(t, srv.URL, outcomes)

	if err := <-slow; err != nil {
		t.Error(err)
	}
}

// trickleHeaders sends a request's headers a byte every 100 ms and returns
// nil once the server closes the connection on it, before limit.
func trickleHeaders(addr string, limit time.Duration) error {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	start := time.Now()
	closed := make(chan struct{})
	go func() {
		// The server says nothing to a client that never finished its
		// headers; a read returns when it closes the connection.
		_, _ = io.Copy(io.Discard, conn)
		close(closed)
	}()
	headers := "POST /scale/callback HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + strings.Repeat("a", 1000)
	for i := 0; time.Since(start) < limit; i++ {
		select {
		case <-closed:
			return nil
		case <-time.After(100 * time.Millisecond):
		}
		if _, err := conn.Write([]byte{headers[i%len(headers)]}); err != nil {
			return nil // cut off
		}
	}
	return fmt.Errorf("a client sending its headers a byte every 100 ms was still connected after %s", limit)
}
