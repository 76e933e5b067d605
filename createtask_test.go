package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// testAPIKey is distinctive so a test can tell if it leaked into any output.
const testAPIKey = "live_0123456789abcdefSECRET"

// fakeScale is Scale's API for tests: it records each request and answers with
// a fixed status and body.
type fakeScale struct {
	*httptest.Server
	status int
	answer string

	mu   sync.Mutex
	reqs []scaleRequest
}

type scaleRequest struct {
	method, path, contentType string
	user, password            string
	basicAuth                 bool
	body                      []byte
}

func newFakeScale(t *testing.T, status int, answer string) *fakeScale {
	t.Helper()
	f := &fakeScale{status: status, answer: answer}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		user, pass, ok := r.BasicAuth()
		f.mu.Lock()
		f.reqs = append(f.reqs, scaleRequest{r.Method, r.URL.Path, r.Header.Get("Content-Type"), user, pass, ok, body})
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.status)
		io.WriteString(w, f.answer)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeScale) requests() []scaleRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]scaleRequest(nil), f.reqs...)
}

const createdAnswer = `{"task_id":"60a1b2c3d4e5f60718293a4b","status":"pending","type":"polygonannotation","created_at":"2026-12-03T19:00:00.000Z"}`

// cliEnv makes a getenv from a map.
func cliEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// runCreate runs create-task with its output captured.
func runCreate(t *testing.T, ctx context.Context, args []string, vars map[string]string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = runCreateTask(ctx, args, cliEnv(vars), &out, &errOut)
	return out.String(), errOut.String(), err
}

// sameJSON reports whether two JSON texts hold the same value.
func sameJSON(t *testing.T, got []byte, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("request body is not JSON: %v: %s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want JSON in test: %v", err)
	}
	return reflect.DeepEqual(g, w)
}

func TestCreateTaskSendsTheRequestScaleExpects(t *testing.T) {
	const pic = "https://scale.com/static/img/website/index/example-ia-boxes.jpg"
	tests := []struct {
		name     string
		args     []string
		vars     map[string]string
		wantPath string
		wantBody string
		wantOut  []string
	}{
		{
			name:     "default is the demo's legacy polygon task, called back at PUBLIC_URL",
			vars:     map[string]string{"PUBLIC_URL": "https://my-app.example.com/"},
			wantPath: "/v1/task/polygonannotation",
			wantBody: `{"callback_url":"https://my-app.example.com/scale/callback",
				"instruction":"Draw a tight polygon around every **car** and **suv** in the image.",
				"attachment_type":"image","attachment":"` + pic + `",
				"objects_to_annotate":["car","suv"],"with_labels":true}`,
			wantOut: []string{
				"60a1b2c3d4e5f60718293a4b",
				"https://my-app.example.com/scale/callback",
				"https://my-app.example.com/scale/task/60a1b2c3d4e5f60718293a4b",
			},
		},
		{
			name: "every flag of the legacy task reaches the body",
			args: []string{"--callback-url", "https://cb.example.com/hooks/scale/callback", "--attachment", "https://img.example.com/a.png",
				"--objects", " person , dog ,", "--instruction", "Outline *people* and dogs.", "--project", "kennel"},
			wantPath: "/v1/task/polygonannotation",
			wantBody: `{"callback_url":"https://cb.example.com/hooks/scale/callback","instruction":"Outline *people* and dogs.",
				"attachment_type":"image","attachment":"https://img.example.com/a.png",
				"objects_to_annotate":["person","dog"],"with_labels":true,"project":"kennel"}`,
			wantOut: []string{"https://cb.example.com/hooks/scale/task/60a1b2c3d4e5f60718293a4b"},
		},
		{
			name:     "--callback-url wins over PUBLIC_URL, reads still go to PUBLIC_URL",
			args:     []string{"--callback-url", "https://relay.example.net/in"},
			vars:     map[string]string{"PUBLIC_URL": "https://my-app.example.com"},
			wantPath: "/v1/task/polygonannotation",
			wantBody: `{"callback_url":"https://relay.example.net/in",
				"instruction":"Draw a tight polygon around every **car** and **suv** in the image.",
				"attachment_type":"image","attachment":"` + pic + `","objects_to_annotate":["car","suv"],"with_labels":true}`,
			wantOut: []string{"https://my-app.example.com/scale/task/60a1b2c3d4e5f60718293a4b"},
		},
		{
			name:     "imageannotation defaults to the polygon geometry",
			args:     []string{"--type", "imageannotation"},
			vars:     map[string]string{"PUBLIC_URL": "https://my-app.example.com"},
			wantPath: "/v1/task/imageannotation",
			wantBody: `{"callback_url":"https://my-app.example.com/scale/callback",
				"instruction":"Draw a tight polygon around every **car** and **suv** in the image.",
				"attachment":"` + pic + `","geometries":{"polygon":{"objects_to_annotate":["car","suv"]}}}`,
			wantOut: []string{"Created imageannotation task 60a1b2c3d4e5f60718293a4b"},
		},
		{
			name:     "imageannotation with boxes",
			args:     []string{"--type=imageannotation", "--geometry=box", "--objects=car"},
			vars:     map[string]string{"PUBLIC_URL": "https://my-app.example.com"},
			wantPath: "/v1/task/imageannotation",
			wantBody: `{"callback_url":"https://my-app.example.com/scale/callback",
				"instruction":"Draw a tight box around every **car** in the image.",
				"attachment":"` + pic + `","geometries":{"box":{"objects_to_annotate":["car"]}}}`,
		},
		{
			name:     "imageannotation with lines",
			args:     []string{"--type", "imageannotation", "--geometry", "line", "--objects", "lane"},
			vars:     map[string]string{"PUBLIC_URL": "https://my-app.example.com"},
			wantPath: "/v1/task/imageannotation",
			wantBody: `{"callback_url":"https://my-app.example.com/scale/callback",
				"instruction":"Draw a line along every **lane** in the image.",
				"attachment":"` + pic + `","geometries":{"line":{"objects_to_annotate":["lane"]}}}`,
		},
		{
			name:     "imageannotation with points",
			args:     []string{"--type", "imageannotation", "--geometry", "point", "--objects", "wheel,mirror"},
			vars:     map[string]string{"PUBLIC_URL": "https://my-app.example.com"},
			wantPath: "/v1/task/imageannotation",
			wantBody: `{"callback_url":"https://my-app.example.com/scale/callback",
				"instruction":"Place a point on every **wheel** and **mirror** in the image.",
				"attachment":"` + pic + `","geometries":{"point":{"objects_to_annotate":["wheel","mirror"]}}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scale := newFakeScale(t, http.StatusOK, createdAnswer)
			vars := map[string]string{"SCALE_API_KEY": testAPIKey, "SCALE_API_URL": scale.URL + "/v1"}
			for k, v := range tt.vars {
				vars[k] = v
			}
			stdout, stderr, err := runCreate(t, t.Context(), tt.args, vars)
			if err != nil {
				t.Fatalf("got error %v, want none (stderr: %s)", err, stderr)
			}
			reqs := scale.requests()
			if len(reqs) != 1 {
				t.Fatalf("got %d requests to Scale, want 1", len(reqs))
			}
			r := reqs[0]
			if r.method != http.MethodPost || r.path != tt.wantPath {
				t.Errorf("got %s %s, want POST %s", r.method, r.path, tt.wantPath)
			}
			if !r.basicAuth || r.user != testAPIKey || r.password != "" {
				t.Errorf("got basic auth %v user %q password %q, want the API key as user and an empty password", r.basicAuth, r.user, r.password)
			}
			if r.contentType != "application/json" {
				t.Errorf("got Content-Type %q, want application/json", r.contentType)
			}
			if !sameJSON(t, r.body, tt.wantBody) {
				t.Errorf("got body\n%s\nwant\n%s", r.body, tt.wantBody)
			}
			for _, want := range tt.wantOut {
				if !strings.Contains(stdout, want) {
					t.Errorf("got output\n%s\nwant it to contain %q", stdout, want)
				}
			}
			if strings.Contains(stdout+stderr, testAPIKey) {
				t.Errorf("the API key appears in the output:\n%s%s", stdout, stderr)
			}
		})
	}
}

func TestCreateTaskErrors(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		vars       map[string]string // added to a valid environment; "" unsets
		status     int
		answer     string
		scaleDown  bool
		wantErr    []string
		wantExit   int
		wantNoCall bool
	}{
		{
			name:       "no API key says where to get one",
			vars:       map[string]string{"SCALE_API_KEY": ""},
			wantErr:    []string{"SCALE_API_KEY is not set", "dashboard", "API Keys", "test_"},
			wantExit:   1,
			wantNoCall: true,
		},
		{
			name:       "no callback URL says to set PUBLIC_URL or pass --callback-url",
			vars:       map[string]string{"PUBLIC_URL": ""},
			wantErr:    []string{"no callback URL", "PUBLIC_URL", "--callback-url"},
			wantExit:   1,
			wantNoCall: true,
		},
		{
			name:       "a callback URL that is not http is refused",
			args:       []string{"--callback-url", "ops@example.com"},
			wantErr:    []string{"--callback-url", "not an http:// or https:// URL"},
			wantExit:   1,
			wantNoCall: true,
		},
		{
			name:     "Scale's 400 message is shown",
			status:   http.StatusBadRequest,
			answer:   `{"status_code":400,"error":"Please include an attachment or attachments parameter."}`,
			wantErr:  []string{"HTTP 400", "Please include an attachment or attachments parameter."},
			wantExit: 1,
		},
		{
			name:     "Scale's 401 points at the API key without showing it",
			status:   http.StatusUnauthorized,
			answer:   `{"status_code":401,"error":"Unauthorized: invalid API key"}`,
			wantErr:  []string{"HTTP 401", "invalid API key", "check SCALE_API_KEY"},
			wantExit: 1,
		},
		{
			name:     "a message field is shown when there is no error field",
			status:   http.StatusConflict,
			answer:   `{"message":"unique_id already used"}`,
			wantErr:  []string{"HTTP 409", "unique_id already used"},
			wantExit: 1,
		},
		{
			name:     "a body that is not JSON is shown, cut short and without escape sequences",
			status:   http.StatusBadGateway,
			answer:   "<html>\x1b[31mbad gateway" + strings.Repeat("x", 2000),
			wantErr:  []string{"HTTP 502", "<html> [31mbad gateway", "try again"},
			wantExit: 1,
		},
		{
			name:     "a 200 without a task id is an error",
			status:   http.StatusOK,
			answer:   `{"status":"pending"}`,
			wantErr:  []string{"without a task id"},
			wantExit: 1,
		},
		{
			name:      "an unreachable Scale is a network error",
			scaleDown: true,
			wantErr:   []string{"could not reach Scale", "SCALE_API_URL", "connection refused"},
			wantExit:  1,
		},
		{
			name:       "a SCALE_API_URL that is not a URL is refused",
			vars:       map[string]string{"SCALE_API_URL": "api.scale.com"},
			wantErr:    []string{"SCALE_API_URL", "not an http:// or https:// URL"},
			wantExit:   1,
			wantNoCall: true,
		},
		{
			name:       "an unknown type is a usage error",
			args:       []string{"--type", "videoannotation"},
			wantErr:    []string{`--type "videoannotation"`},
			wantExit:   2,
			wantNoCall: true,
		},
		{
			name:       "an unknown geometry is a usage error",
			args:       []string{"--type", "imageannotation", "--geometry", "cuboid"},
			wantErr:    []string{`--geometry "cuboid"`, "box, polygon, line, point"},
			wantExit:   2,
			wantNoCall: true,
		},
		{
			name:       "a geometry with the legacy type is a usage error",
			args:       []string{"--geometry", "box"},
			wantErr:    []string{"--geometry applies to --type imageannotation"},
			wantExit:   2,
			wantNoCall: true,
		},
		{
			name:       "empty objects are a usage error",
			args:       []string{"--objects", " , "},
			wantErr:    []string{"--objects needs at least one label"},
			wantExit:   2,
			wantNoCall: true,
		},
		{
			name:       "an unknown flag is a usage error",
			args:       []string{"--colour", "red"},
			wantErr:    []string{"flag provided but not defined: -colour"},
			wantExit:   2,
			wantNoCall: true,
		},
		{
			name:       "arguments are a usage error",
			args:       []string{"cat.jpg"},
			wantErr:    []string{"takes no arguments"},
			wantExit:   2,
			wantNoCall: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status := tt.status
			if status == 0 {
				status = http.StatusOK
			}
			scale := newFakeScale(t, status, tt.answer)
			vars := map[string]string{
				"SCALE_API_KEY": testAPIKey,
				"SCALE_API_URL": scale.URL + "/v1",
				"PUBLIC_URL":    "https://my-app.example.com",
			}
			if tt.scaleDown {
				scale.Close()
			}
			for k, v := range tt.vars {
				vars[k] = v
			}
			stdout, stderr, err := runCreate(t, t.Context(), tt.args, vars)
			if err == nil {
				t.Fatalf("got no error, want one containing %q (stdout: %s)", tt.wantErr, stdout)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("got error %q, want it to contain %q", err, want)
				}
			}
			if strings.ContainsRune(err.Error(), '\x1b') || len(err.Error()) > 600 {
				t.Errorf("got error %q (%d bytes), want it free of escape sequences and short", err, len(err.Error()))
			}
			if got := exitCode(err); got != tt.wantExit {
				t.Errorf("got exit code %d, want %d", got, tt.wantExit)
			}
			if n := len(scale.requests()); tt.wantNoCall && n != 0 {
				t.Errorf("got %d requests to Scale, want none", n)
			}
			if strings.Contains(stdout+stderr+err.Error(), testAPIKey) {
				t.Errorf("the API key appears in the output or error")
			}
		})
	}
}

func TestCreateTaskGivesUpWhenTheContextEnds(t *testing.T) {
	release := make(chan struct{})
	scale := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer scale.Close()
	defer close(release)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	vars := map[string]string{"SCALE_API_KEY": testAPIKey, "SCALE_API_URL": scale.URL, "PUBLIC_URL": "https://a.example.com"}
	_, _, err := runCreate(t, ctx, nil, vars)
	if err == nil || !strings.Contains(err.Error(), "context deadline exceeded") {
		t.Fatalf("got error %v, want a context deadline error", err)
	}
}

func TestCreateTaskWarnsWhenScaleCannotReachTheCallback(t *testing.T) {
	scale := newFakeScale(t, http.StatusOK, createdAnswer)
	vars := map[string]string{"SCALE_API_KEY": testAPIKey, "SCALE_API_URL": scale.URL, "PUBLIC_URL": "http://localhost:8080"}
	stdout, stderr, err := runCreate(t, t.Context(), nil, vars)
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
	if !strings.Contains(stderr, "Scale cannot reach http://localhost:8080/scale/callback") {
		t.Errorf("got stderr %q, want a warning that Scale cannot reach localhost", stderr)
	}
	if !strings.Contains(stdout, "http://localhost:8080/scale/task/60a1b2c3d4e5f60718293a4b") {
		t.Errorf("got stdout %q, want the read-back URL", stdout)
	}
}

func TestCreateTaskExplainsTestKeys(t *testing.T) {
	scale := newFakeScale(t, http.StatusOK, createdAnswer)
	for _, tt := range []struct {
		key      string
		wantNote bool
	}{{"test_abc", true}, {"live_abc", false}} {
		vars := map[string]string{"SCALE_API_KEY": tt.key, "SCALE_API_URL": scale.URL, "PUBLIC_URL": "https://a.example.com"}
		stdout, _, err := runCreate(t, t.Context(), nil, vars)
		if err != nil {
			t.Fatalf("%s: got error %v, want none", tt.key, err)
		}
		if got := strings.Contains(stdout, "canned response"); got != tt.wantNote {
			t.Errorf("%s: got a test-key note %v, want %v; output:\n%s", tt.key, got, tt.wantNote, stdout)
		}
	}
}

func TestCallbackURLsRefuseAPublicURLWithAQuery(t *testing.T) {
	for _, public := range []string{"https://a.example.com/?k=v", "https://a.example.com/#top"} {
		if cb, _, err := callbackURLs("", public); err == nil || !strings.Contains(err.Error(), "PUBLIC_URL") {
			t.Errorf("PUBLIC_URL=%s: got callback %q and error %v, want an error naming PUBLIC_URL", public, cb, err)
		}
	}
}

func TestCallbackURLs(t *testing.T) {
	tests := []struct {
		name, flag, public   string
		wantCallback, wantRB string
	}{
		{"PUBLIC_URL alone", "", "https://a.example.com", "https://a.example.com/scale/callback", "https://a.example.com"},
		{"PUBLIC_URL with a path and a slash", "", "https://a.example.com/team/", "https://a.example.com/team/scale/callback", "https://a.example.com/team"},
		{"flag alone, base taken from it", "https://b.example.com/x/scale/callback", "", "https://b.example.com/x/scale/callback", "https://b.example.com/x"},
		{"flag elsewhere, base is its host", "https://relay.example.com/hook?k=v", "", "https://relay.example.com/hook?k=v", "https://relay.example.com"},
		{"PUBLIC_URL copied from the callback URL", "", "https://a.example.com/scale/callback", "https://a.example.com/scale/callback", "https://a.example.com"},
		{"PUBLIC_URL with the callback path and a slash", "", "https://a.example.com/team/scale/callback/", "https://a.example.com/team/scale/callback", "https://a.example.com/team"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cb, rb, err := callbackURLs(tt.flag, tt.public)
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			if cb != tt.wantCallback || rb != tt.wantRB {
				t.Errorf("got (%q, %q), want (%q, %q)", cb, rb, tt.wantCallback, tt.wantRB)
			}
		})
	}
}
