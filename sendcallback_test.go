package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// callbackServer is the real server (newServer, with the in-memory store) on
// loopback, counting the callbacks it is sent and keeping the last one's headers.
type callbackServer struct {
	*httptest.Server
	mu       sync.Mutex
	requests int
	headers  http.Header
}

// newCallbackServer starts the server; authKey empty means callbacks need no key.
func newCallbackServer(t *testing.T, authKey string) *callbackServer {
	t.Helper()
	var keys []string
	if authKey != "" {
		keys = []string{authKey}
	}
	h := newServer(slog.New(slog.NewTextHandler(io.Discard, nil)), newMemStore(), serverConfig{
		callbackKeys:     keys,
		maxCallbackBytes: 10 << 20,
		storeTimeout:     5 * time.Second,
		storeName:        "memory",
	})
	s := &callbackServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			s.mu.Lock()
			s.requests++
			s.headers = r.Header.Clone()
			s.mu.Unlock()
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *callbackServer) lastHeaders() (http.Header, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.headers, s.requests
}

// fetchTask GETs a read-back URL that send-callback printed.
func fetchTask(t *testing.T, taskURL string) []byte {
	t.Helper()
	resp, err := http.Get(taskURL)
	if err != nil {
		t.Fatalf("reading back %s: %v", taskURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("reading back %s: got %s, %v, want 200", taskURL, resp.Status, err)
	}
	return body
}

// runSend runs send-callback with its output captured.
func runSend(t *testing.T, args []string, vars map[string]string, stdin string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = runSendCallback(t.Context(), args, cliEnv(vars), strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

var readBackLine = regexp.MustCompile(`Read it back at (\S+)/scale/task/([0-9a-f]{24})\n`)

func TestSendCallbackSampleReadsBackWithAFreshID(t *testing.T) {
	srv := newCallbackServer(t, "k1")
	vars := map[string]string{"SCALE_CALLBACK_AUTH_KEY": "k1, k2"}
	var ids []string
	for range 2 {
		stdout, stderr, err := runSend(t, []string{"--url", srv.URL}, vars, "")
		if err != nil {
			t.Fatalf("got error %v, want none (stderr: %s)", err, stderr)
		}
		m := readBackLine.FindStringSubmatch(stdout)
		if m == nil {
			t.Fatalf("got output\n%s\nwant a read-back URL with a 24-hex task id", stdout)
		}
		if m[1] != srv.URL {
			t.Errorf("got read-back base %q, want %q", m[1], srv.URL)
		}
		if !strings.HasPrefix(stdout, "200 OK: task "+m[2]+" stored at memory:"+m[2]) {
			t.Errorf("got output %q, want it to start with the status, the task id and where it was stored", stdout)
		}
		id := m[2]
		ids = append(ids, id)
		got := fetchTask(t, m[1]+"/scale/task/"+id)
		want := bytes.ReplaceAll(sampleCallback, []byte(sampleTaskID), []byte(id))
		if !bytes.Equal(got, want) {
			t.Errorf("stored body differs from the sample with id %s:\ngot  %s\nwant %s", id, got, want)
		}
	}
	if ids[0] == ids[1] || ids[0] == sampleTaskID {
		t.Errorf("got task ids %q, want two fresh, different ids", ids)
	}
}

func TestSendCallbackSendsAFileByteForByte(t *testing.T) {
	// Odd spacing, key order and unicode: anything re-encoded would differ.
	const body = "{ \"task\":{\"task_id\":\"abc_123-X\",\"params\":{}},\n\t\"status\" : \"completed\", \"note\":\"caf\u00e9 \\u00e9\" }\n"
	path := filepath.Join(t.TempDir(), "task.json")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	srv := newCallbackServer(t, "")
	tests := []struct {
		name  string
		args  []string
		stdin string
	}{
		{"a file, base URL", []string{"--url", srv.URL, path}, ""},
		{"a file before the flag, full callback URL", []string{path, "--url", srv.URL + "/scale/callback"}, ""},
		{"standard input, base URL with a slash", []string{"--url=" + srv.URL + "/", "-"}, body},
		{"a file after --", []string{"--url", srv.URL, "--", path}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, _, err := runSend(t, tt.args, nil, tt.stdin)
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if want := "Read it back at " + srv.URL + "/scale/task/abc_123-X\n"; !strings.Contains(stdout, want) {
				t.Errorf("got output %q, want it to contain %q", stdout, want)
			}
			if got := fetchTask(t, srv.URL+"/scale/task/abc_123-X"); string(got) != body {
				t.Errorf("got the task back as %q, want %q", got, body)
			}
			h, _ := srv.lastHeaders()
			if got := h.Get("Content-Type"); got != "application/json" {
				t.Errorf("got Content-Type %q, want application/json", got)
			}
			if _, ok := h["Scale-Callback-Auth"]; ok {
				t.Errorf("got a scale-callback-auth header with SCALE_CALLBACK_AUTH_KEY unset, want none")
			}
		})
	}
}

func TestSendCallbackDefaultsToLocalhostOnPORT(t *testing.T) {
	srv := newCallbackServer(t, "")
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	stdout, _, err := runSend(t, nil, map[string]string{"PORT": u.Port()}, "")
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	m := readBackLine.FindStringSubmatch(stdout)
	if want := "http://localhost:" + u.Port(); m == nil || m[1] != want {
		t.Fatalf("got output %q, want a read-back URL under %s", stdout, want)
	}
	fetchTask(t, m[1]+"/scale/task/"+m[2])
}

func TestSendCallbackFailures(t *testing.T) {
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name      string
		args      []string
		key       string
		wantErr   []string
		wantExit  int
		wantCalls int
	}{
		{
			name:      "a wrong key shows the server's problem detail",
			key:       "wrong-key-7f3a",
			wantErr:   []string{"401 Unauthorized: the scale-callback-auth header does not match any key", "set SCALE_CALLBACK_AUTH_KEY"},
			wantExit:  1,
			wantCalls: 1,
		},
		{
			name:      "no key where the server wants one",
			wantErr:   []string{"401 Unauthorized: the scale-callback-auth header is missing"},
			wantExit:  1,
			wantCalls: 1,
		},
		{
			name:     "a file that is not JSON",
			args:     []string{file("bad.json", "task_id=1")},
			key:      "right",
			wantErr:  []string{"bad.json is not a callback the server accepts", "not a JSON object"},
			wantExit: 1,
		},
		{
			name:     "a JSON array",
			args:     []string{file("array.json", `[{"task_id":"a"}]`)},
			key:      "right",
			wantErr:  []string{"not a JSON object"},
			wantExit: 1,
		},
		{
			name:     "JSON null",
			args:     []string{file("null.json", `null`)},
			key:      "right",
			wantErr:  []string{"not a JSON object"},
			wantExit: 1,
		},
		{
			name:     "an object without a task id",
			args:     []string{file("noid.json", `{"status":"completed","task":{"type":"x"}}`)},
			key:      "right",
			wantErr:  []string{"no task_id (nor task.task_id)"},
			wantExit: 1,
		},
		{
			name:     "a task id that is a number",
			args:     []string{file("num.json", `{"task_id":42}`)},
			key:      "right",
			wantErr:  []string{"task_id must be a string, not 42"},
			wantExit: 1,
		},
		{
			name:     "task ids that disagree",
			args:     []string{file("two.json", `{"task_id":"a","task":{"task_id":"b"}}`)},
			key:      "right",
			wantErr:  []string{`task_id "a" and task.task_id "b" disagree`},
			wantExit: 1,
		},
		{
			name:     "a task id the server would refuse",
			args:     []string{file("dots.json", `{"task_id":"../etc/passwd"}`)},
			key:      "right",
			wantErr:  []string{`the task id "../etc/passwd" has the character '.'`},
			wantExit: 1,
		},
		{
			name:     "a file that does not exist",
			args:     []string{filepath.Join(dir, "missing.json")},
			key:      "right",
			wantErr:  []string{"missing.json", "no such file"},
			wantExit: 1,
		},
		{
			name:     "two files",
			args:     []string{"a.json", "b.json"},
			key:      "right",
			wantErr:  []string{"at most one FILE"},
			wantExit: 2,
		},
		{
			name:     "a URL without a scheme",
			args:     []string{"--url", "localhost:8080"},
			key:      "right",
			wantErr:  []string{"--url", "include the scheme"},
			wantExit: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newCallbackServer(t, "right")
			args := tt.args
			if !strings.HasPrefix(strings.Join(args, " "), "--url") {
				args = append([]string{"--url", srv.URL}, args...)
			}
			_, _, err := runSend(t, args, map[string]string{"SCALE_CALLBACK_AUTH_KEY": tt.key}, "")
			if err == nil {
				t.Fatalf("got no error, want one containing %q", tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("got error %q, want it to contain %q", err, want)
				}
			}
			if got := exitCode(err); got != tt.wantExit {
				t.Errorf("got exit code %d, want %d", got, tt.wantExit)
			}
			if _, n := srv.lastHeaders(); n != tt.wantCalls {
				t.Errorf("got %d requests to the server, want %d", n, tt.wantCalls)
			}
			if tt.key != "" && strings.Contains(err.Error(), tt.key) {
				t.Errorf("the auth key appears in the error %q", err)
			}
		})
	}
}

func TestSendCallbackToAServerThatIsDown(t *testing.T) {
	srv := newCallbackServer(t, "")
	srv.Close()
	_, _, err := runSend(t, []string{"--url", srv.URL}, nil, "")
	if err == nil || !strings.Contains(err.Error(), "could not reach the server") || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("got error %v, want one saying the server could not be reached", err)
	}
}

func TestSendCallbackDoesNotFollowRedirects(t *testing.T) {
	var gets int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			mu.Lock()
			gets++
			mu.Unlock()
		}
		http.Redirect(w, r, "https://elsewhere.example.com/scale/callback", http.StatusMovedPermanently)
	}))
	defer srv.Close()
	_, _, err := runSend(t, []string{"--url", srv.URL}, nil, "")
	if err == nil || !strings.Contains(err.Error(), "301") || !strings.Contains(err.Error(), "https://elsewhere.example.com/scale/callback") {
		t.Fatalf("got error %v, want one naming the redirect", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if gets != 0 {
		t.Errorf("got %d GETs after the redirect, want none", gets)
	}
}

func TestSampleCallbackIsARealisticPolygonTask(t *testing.T) {
	if n := bytes.Count(sampleCallback, []byte(sampleTaskID)); n != 2 {
		t.Errorf("got the sample task id %d times, want 2 (task_id and task.task_id)", n)
	}
	if id, err := callbackTaskID(sampleCallback); err != nil || id != sampleTaskID {
		t.Errorf("got task id %q, error %v; want %q", id, err, sampleTaskID)
	}
	var s struct {
		Status   string
		Response struct {
			Annotations []struct {
				Label    string
				Vertices []struct{ X, Y *float64 }
			}
		}
		Task struct {
			Type, Status, CallbackURL, CreatedAt, CompletedAt string
			Params                                            struct{ Attachment string }
		}
	}
	if err := json.Unmarshal(sampleCallback, &s); err != nil {
		t.Fatal(err)
	}
	if s.Status != "completed" || s.Task.Type != "polygonannotation" || s.Task.Params.Attachment == "" {
		t.Errorf("got status %q, type %q, attachment %q; want a completed polygonannotation with an image", s.Status, s.Task.Type, s.Task.Params.Attachment)
	}
	if len(s.Response.Annotations) == 0 {
		t.Fatal("got no annotations, want some")
	}
	for i, a := range s.Response.Annotations {
		if a.Label == "" || len(a.Vertices) < 3 {
			t.Errorf("annotation %d: got label %q and %d vertices, want a label and a polygon", i, a.Label, len(a.Vertices))
		}
		for _, v := range a.Vertices {
			if v.X == nil || v.Y == nil {
				t.Errorf("annotation %d: got a vertex without x or y", i)
			}
		}
	}
}

func TestNewTaskIDLooksLikeScales(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		id, err := newTaskID()
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^[0-9a-f]{24}$`).MatchString(id) {
			t.Fatalf("got id %q, want 24 hex characters", id)
		}
		if seen[id] {
			t.Fatalf("got id %q twice", id)
		}
		seen[id] = true
	}
}

func TestFirstKeyReadsTheListAsTheServerDoes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"k1", "k1"},
		{" k1 , k2", "k1"},
		{", ,k2,k3", "k2"},
		{" , ", ""},
	}
	for _, tt := range tests {
		if got := firstKey(tt.in); got != tt.want {
			t.Errorf("firstKey(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCallbackEndpoint(t *testing.T) {
	tests := []struct{ in, wantCallback, wantBase string }{
		{"http://localhost:8080", "http://localhost:8080/scale/callback", "http://localhost:8080"},
		{"https://a.example.com/", "https://a.example.com/scale/callback", "https://a.example.com"},
		{"https://a.example.com/scale/callback", "https://a.example.com/scale/callback", "https://a.example.com"},
		{"https://a.example.com/team/scale/callback/", "https://a.example.com/team/scale/callback", "https://a.example.com/team"},
		{"https://a.example.com/team?x=1#f", "https://a.example.com/team/scale/callback?x=1", "https://a.example.com/team"},
	}
	for _, tt := range tests {
		cb, base, err := callbackEndpoint(tt.in)
		if err != nil || cb != tt.wantCallback || base != tt.wantBase {
			t.Errorf("callbackEndpoint(%q): got (%q, %q, %v), want (%q, %q)", tt.in, cb, base, err, tt.wantCallback, tt.wantBase)
		}
	}
}
