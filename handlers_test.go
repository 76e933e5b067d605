package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const (
	testKey      = "live_cbkey_0123456789"
	testPassword = "viewer-secret-42"
)

// testCallback is a trimmed callback as Scale sends it.
const testCallback = `{"task_id":"5f0c0e4a2b9d8c0017a1b2c3","status":"completed",` +
	`"response":{"annotations":[{"label":"car","vertices":[{"x":1,"y":2},{"x":3,"y":4},{"x":5,"y":1}]}]},` +
	`"task":{"task_id":"5f0c0e4a2b9d8c0017a1b2c3","type":"polygonannotation","status":"completed"}}`

const testTaskID = "5f0c0e4a2b9d8c0017a1b2c3"

// testServer is the API over a memory store, with its log captured.
type testServer struct {
	handler http.Handler
	store   *memStore
	log     *bytes.Buffer
}

func newTestServer(t *testing.T, store Store, cfg serverConfig) *testServer {
	t.Helper()
	if cfg.maxCallbackBytes == 0 {
		cfg.maxCallbackBytes = defaultMaxCallbackBytes
	}
	if cfg.storeTimeout == 0 {
		cfg.storeTimeout = storeTimeout
	}
	if cfg.storeName == "" {
		cfg.storeName = "memory"
	}
	var log bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&log, nil))
	mem, _ := store.(*memStore)
	return &testServer{handler: newServer(logger, store, cfg), store: mem, log: &log}
}

func (s *testServer) do(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	s.handler.ServeHTTP(w, r)
	return w
}

func callbackRequest(body, key string) *http.Request {
	r := httptest.NewRequest("POST", "/scale/callback", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if key != "" {
		r.Header.Set("scale-callback-auth", key)
	}
	return r
}

// problemDetail checks that w is a problem+json with the status, and returns its detail.
func problemDetail(t *testing.T, w *httptest.ResponseRecorder, status int) string {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status: got %d, want %d; body %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type: got %q, want application/problem+json", ct)
	}
	var p problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body %q: %v", w.Body, err)
	}
	if p.Status != status || p.Title == "" || p.Detail == "" {
		t.Errorf("problem: got %+v, want status %d with a title and a detail", p, status)
	}
	return p.Detail
}

func TestCallbackStoresTheBodyByteForByte(t *testing.T) {
	srv := newTestServer(t, newMemStore(), serverConfig{callbackKeys: []string{testKey}})
	body := "  " + testCallback + "\n"
	w := srv.do(callbackRequest(body, testKey))
	if w.Code != http.StatusOK {
		t.Fatalf("status: got %d, want 200; body %s", w.Code, w.Body)
	}
	var ack callbackAck
	if err := json.Unmarshal(w.Body.Bytes(), &ack); err != nil {
		t.Fatal(err)
	}
	if ack.TaskID != testTaskID || ack.Stored != "memory:"+testTaskID {
		t.Errorf("ack: got %+v, want task_id %s stored memory:%s", ack, testTaskID, testTaskID)
	}
	got := srv.do(httptest.NewRequest("GET", "/scale/task/"+testTaskID, nil))
	if got.Code != http.StatusOK || got.Body.String() != body {
		t.Errorf("read back: got %d %q, want 200 %q", got.Code, got.Body, body)
	}
	if ct := got.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type: got %q, want application/json", ct)
	}
}

func TestCallbackAuth(t *testing.T) {
	tests := []struct {
		name   string
		keys   []string
		header []string // values of scale-callback-auth; nil means absent
		want   int
	}{
		{"right key is accepted", []string{testKey}, []string{testKey}, 200},
		{"any of several keys is accepted", []string{"old_key", testKey}, []string{testKey}, 200},
		{"missing key is refused", []string{testKey}, nil, 401},
		{"empty key is refused", []string{testKey}, []string{""}, 401},
		{"wrong key is refused", []string{testKey}, []string{"live_cbkey_guess"}, 401},
		{"a prefix of the key is refused", []string{testKey}, []string{testKey[:10]}, 401},
		{"the key with more after it is refused", []string{testKey}, []string{testKey + "x"}, 401},
		{"two headers are refused even if one is right", []string{testKey}, []string{"wrong", testKey}, 401},
		{"no key configured accepts anyone", nil, nil, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newTestServer(t, newMemStore(), serverConfig{callbackKeys: tc.keys})
			r := callbackRequest(testCallback, "")
			for _, v := range tc.header {
				r.Header.Add("scale-callback-auth", v)
			}
			w := srv.do(r)
			if w.Code != tc.want {
				t.Fatalf("status: got %d, want %d; body %s", w.Code, tc.want, w.Body)
			}
			_, err := srv.store.Get(context.Background(), testTaskID)
			if stored := err == nil; stored != (tc.want == 200) {
				t.Errorf("stored: got %v, want %v", stored, tc.want == 200)
			}
			if tc.want == 401 {
				problemDetail(t, w, 401)
			}
		})
	}
}

func TestCallbackBodyIsValidated(t *testing.T) {
	long := strings.Repeat("a", 129)
	tests := []struct {
		name, body string
		want       int
		storedAs   string
	}{
		{"empty body", "", 400, ""},
		{"not JSON", "task_id=abc", 400, ""},
		{"truncated JSON", testCallback[:40], 400, ""},
		{"a JSON array", `[{"task_id":"abc"}]`, 400, ""},
		{"a JSON string", `"abc"`, 400, ""},
		{"two objects", `{"task_id":"a"}{"task_id":"b"}`, 400, ""},
		{"no task id", `{"status":"completed","response":{}}`, 400, ""},
		{"null task id", `{"task_id":null}`, 400, ""},
		{"numeric task id", `{"task_id":12345}`, 400, ""},
		{"empty task id", `{"task_id":""}`, 400, ""},
		{"path traversal", `{"task_id":"../etc/passwd"}`, 400, ""},
		{"slash in id", `{"task_id":"a/b"}`, 400, ""},
		{"dot in id", `{"task_id":"a.json"}`, 400, ""},
		{"space in id", `{"task_id":"a b"}`, 400, ""},
		{"unicode in id", `{"task_id":"tâche"}`, 400, ""},
		{"129-character id", `{"task_id":"` + long + `"}`, 400, ""},
		{"the same name twice", `{"task_id":"abc","task_id":"abc"}`, 400, ""},
		{"an object as id", `{"task_id":{"id":"abc"}}`, 400, ""},
		{"ids that disagree", `{"task_id":"aaa","task":{"task_id":"bbb"}}`, 400, ""},
		{"differently cased name is not the id", `{"Task_ID":"abc"}`, 400, ""},
		{"128-character id", `{"task_id":"` + long[:128] + `"}`, 200, long[:128]},
		{"id only inside task", `{"status":"error","task":{"task_id":"inner_1"}}`, 200, "inner_1"},
		{"ids that agree", `{"task_id":"same-1","task":{"task_id":"same-1"}}`, 200, "same-1"},
		{"task that is not an object", `{"task_id":"abc","task":"x"}`, 200, "abc"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newTestServer(t, newMemStore(), serverConfig{callbackKeys: []string{testKey}})
			w := srv.do(callbackRequest(tc.body, testKey))
			if tc.want != 200 {
				problemDetail(t, w, tc.want)
				if ids, _, _ := srv.store.List(context.Background(), "", 10); len(ids) != 0 {
					t.Errorf("a refused callback stored %v", ids)
				}
				return
			}
			if w.Code != 200 {
				t.Fatalf("status: got %d, want 200; body %s", w.Code, w.Body)
			}
			got, err := srv.store.Get(context.Background(), tc.storedAs)
			if err != nil || string(got.Body) != tc.body {
				t.Errorf("stored as %s: got %v, %v; want the body", tc.storedAs, got, err)
			}
		})
	}
}

func TestCallbackErrorDetailSaysWhatIsWrong(t *testing.T) {
	srv := newTestServer(t, newMemStore(), serverConfig{})
	detail := problemDetail(t, srv.do(callbackRequest(`{"task_id":"aaa","task":{"task_id":"bbb"}}`, "")), 400)
	if !strings.Contains(detail, `"aaa"`) || !strings.Contains(detail, `"bbb"`) {
		t.Errorf("detail: got %q, want it to quote both ids", detail)
	}
}

func TestCallbackAcceptsAnyContentType(t *testing.T) {
	for _, ct := range []string{"application/json", "application/x-www-form-urlencoded", "text/plain", ""} {
		srv := newTestServer(t, newMemStore(), serverConfig{})
		r := callbackRequest(testCallback, "")
		r.Header.Set("Content-Type", ct)
		if w := srv.do(r); w.Code != 200 {
			t.Errorf("Content-Type %q: got %d, want 200", ct, w.Code)
		}
	}
}

func TestCallbackBodyLimit(t *testing.T) {
	const limit = 1000
	big := `{"task_id":"abc","pad":"` + strings.Repeat("x", limit) + `"}`
	exact := `{"task_id":"abc","pad":"` + strings.Repeat("x", limit-len(`{"task_id":"abc","pad":""}`)) + `"}`
	tests := []struct {
		name    string
		body    string
		chunked bool // no Content-Length: the limit must hold while reading
		want    int
	}{
		{"a body over the limit is refused", big, false, 413},
		{"a chunked body over the limit is refused", big, true, 413},
		{"a body of exactly the limit is taken", exact, false, 200},
		{"a chunked body of exactly the limit is taken", exact, true, 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newTestServer(t, newMemStore(), serverConfig{maxCallbackBytes: limit})
			r := callbackRequest(tc.body, "")
			if tc.chunked {
				r.ContentLength = -1
				r.Body = io.NopCloser(struct{ io.Reader }{strings.NewReader(tc.body)})
			}
			w := srv.do(r)
			if tc.want != 200 {
				problemDetail(t, w, tc.want)
			} else if w.Code != 200 {
				t.Fatalf("status: got %d, want 200; body %s", w.Code, w.Body)
			}
			_, err := srv.store.Get(context.Background(), "abc")
			if stored := err == nil; stored != (tc.want == 200) {
				t.Errorf("stored: got %v, want %v", stored, tc.want == 200)
			}
		})
	}
}

// brokenStore fails every call, as S3 does when it is down.
type brokenStore struct{}

var errBroken = errors.New("s3: connection refused (secret internals)")

func (*brokenStore) Put(context.Context, string, []byte) error  { return errBroken }
func (*brokenStore) Get(context.Context, string) (*Task, error) { return nil, errBroken }
func (*brokenStore) Ping(context.Context) error                 { return errBroken }
func (*brokenStore) Location(id string) string                  { return "nowhere:" + id }
func (*brokenStore) List(context.Context, string, int) ([]TaskInfo, bool, error) {
	return nil, false, errBroken
}

// hangingStore never answers until its context ends, as a stalled S3 does.
type hangingStore struct{ *memStore }

func (*hangingStore) Put(ctx context.Context, _ string, _ []byte) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestStoreFailureIsA503AndNeverA2xx(t *testing.T) {
	tests := []struct {
		name  string
		store Store
		req   func() *http.Request
	}{
		{"callback on a failing store", &brokenStore{}, func() *http.Request { return callbackRequest(testCallback, "") }},
		{"callback on a store that does not answer in time", &hangingStore{newMemStore()}, func() *http.Request { return callbackRequest(testCallback, "") }},
		{"task read on a failing store", &brokenStore{}, func() *http.Request { return httptest.NewRequest("GET", "/scale/task/abc", nil) }},
		{"task list on a failing store", &brokenStore{}, func() *http.Request { return httptest.NewRequest("GET", "/scale/tasks", nil) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := newTestServer(t, tc.store, serverConfig{storeTimeout: 20 * time.Millisecond})
			w := srv.do(tc.req())
			detail := problemDetail(t, w, http.StatusServiceUnavailable)
			if w.Header().Get("Retry-After") == "" {
				t.Error("a 503 without Retry-After")
			}
			if strings.Contains(detail, "internals") || strings.Contains(w.Body.String(), "connection refused") {
				t.Errorf("the caller sees internals: %s", w.Body)
			}
			if strings.HasPrefix(tc.name, "callback") && !strings.Contains(srv.log.String(), "task_id="+testTaskID) {
				t.Errorf("the log does not name the task that was not stored:\n%s", srv.log)
			}
		})
	}
}

func TestLatestDeliveryWins(t *testing.T) {
	srv := newTestServer(t, newMemStore(), serverConfig{})
	first := `{"task_id":"t1","status":"completed","response":{"n":1}}`
	second := `{"task_id":"t1","status":"completed","response":{"n":2},"audit":"fixed"}`
	for _, body := range []string{first, second} {
		if w := srv.do(callbackRequest(body, "")); w.Code != 200 {
			t.Fatalf("callback: got %d, want 200", w.Code)
		}
	}
	w := srv.do(httptest.NewRequest("GET", "/scale/task/t1", nil))
	if w.Body.String() != second {
		t.Errorf("read: got %s, want the second delivery %s", w.Body, second)
	}
}

func TestTaskRead(t *testing.T) {
	store := newMemStore()
	store.Put(context.Background(), testTaskID, []byte(testCallback))
	srv := newTestServer(t, store, serverConfig{})

	w := srv.do(httptest.NewRequest("GET", "/scale/task/"+testTaskID, nil))
	if w.Code != 200 || w.Body.String() != testCallback {
		t.Fatalf("GET: got %d %s, want 200 and the stored body", w.Code, w.Body)
	}
	etag := w.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}

	r := httptest.NewRequest("GET", "/scale/task/"+testTaskID, nil)
	r.Header.Set("If-None-Match", etag)
	if w := srv.do(r); w.Code != http.StatusNotModified || w.Body.Len() != 0 {
		t.Errorf("If-None-Match with the ETag: got %d with %d bytes, want 304 and no body", w.Code, w.Body.Len())
	}
	r = httptest.NewRequest("GET", "/scale/task/"+testTaskID, nil)
	r.Header.Set("If-None-Match", `"stale"`)
	if w := srv.do(r); w.Code != 200 {
		t.Errorf("If-None-Match with another ETag: got %d, want 200", w.Code)
	}

	w = srv.do(httptest.NewRequest("HEAD", "/scale/task/"+testTaskID, nil))
	if w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") != "" && w.Header().Get("Content-Length") != itoa(len(testCallback)) {
		t.Errorf("HEAD: got %d, %d body bytes, Content-Length %q; want 200, none, %d", w.Code, w.Body.Len(), w.Header().Get("Content-Length"), len(testCallback))
	}

	problemDetail(t, srv.do(httptest.NewRequest("GET", "/scale/task/0123456789abcdef01234567", nil)), 404)
	for _, bad := range []string{"a.json", "a%20b", "..%2Fx", strings.Repeat("a", 129), "%C3%A9"} {
		problemDetail(t, srv.do(httptest.NewRequest("GET", "/scale/task/"+bad, nil)), 400)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestTaskList(t *testing.T) {
	store := newMemStore()
	for _, id := range []string{"c", "a", "b"} {
		store.Put(context.Background(), id, []byte(`{"task_id":"`+id+`"}`))
	}
	srv := newTestServer(t, store, serverConfig{})
	list := func(query string) taskList {
		t.Helper()
		w := srv.do(httptest.NewRequest("GET", "/scale/tasks"+query, nil))
		if w.Code != 200 {
			t.Fatalf("GET /scale/tasks%s: got %d %s, want 200", query, w.Code, w.Body)
		}
		var l taskList
		if err := json.Unmarshal(w.Body.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		return l
	}
	ids := func(l taskList) string {
		var s []string
		for _, ti := range l.Tasks {
			s = append(s, ti.ID)
		}
		return strings.Join(s, ",")
	}
	if l := list(""); ids(l) != "a,b,c" || l.Next != "" {
		t.Errorf("all: got %s next=%q, want a,b,c and no next", ids(l), l.Next)
	}
	if l := list("?limit=2"); ids(l) != "a,b" || l.Next != "b" {
		t.Errorf("limit=2: got %s next=%q, want a,b next=b", ids(l), l.Next)
	}
	if l := list("?limit=2&after=b"); ids(l) != "c" || l.Next != "" {
		t.Errorf("after=b: got %s next=%q, want c and no next", ids(l), l.Next)
	}
	if l := list("?after=c"); l.Tasks == nil || len(l.Tasks) != 0 {
		t.Errorf("after the last: got %#v, want an empty list", l.Tasks)
	}
	w := srv.do(httptest.NewRequest("GET", "/scale/tasks?after=c", nil))
	if !strings.Contains(w.Body.String(), `"tasks":[]`) {
		t.Errorf("an empty page: got %s, want \"tasks\":[]", w.Body)
	}
	for _, q := range []string{"?limit=0", "?limit=1001", "?limit=ten", "?limit=-1", "?after=../x"} {
		problemDetail(t, srv.do(httptest.NewRequest("GET", "/scale/tasks"+q, nil)), 400)
	}
}

func TestHealthz(t *testing.T) {
	w := newTestServer(t, newMemStore(), serverConfig{}).do(httptest.NewRequest("GET", "/healthz", nil))
	if w.Code != 200 || w.Body.String() != "ok\n" {
		t.Errorf("healthy store: got %d %q, want 200 ok", w.Code, w.Body)
	}
	w = newTestServer(t, &brokenStore{}, serverConfig{}).do(httptest.NewRequest("GET", "/healthz", nil))
	if w.Code != 503 {
		t.Errorf("failing store: got %d, want 503", w.Code)
	}
}

func TestIndexSaysWhetherCallbacksAreAuthenticated(t *testing.T) {
	open := newTestServer(t, newMemStore(), serverConfig{}).do(httptest.NewRequest("GET", "/", nil))
	if open.Code != 200 || !strings.Contains(open.Body.String(), "without authentication") {
		t.Errorf("open server's index: got %d, want 200 with a warning; body %s", open.Code, open.Body)
	}
	if ct := open.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type: got %q, want text/html", ct)
	}
	closed := newTestServer(t, newMemStore(), serverConfig{callbackKeys: []string{testKey}}).do(httptest.NewRequest("GET", "/", nil))
	if strings.Contains(closed.Body.String(), "without authentication") {
		t.Errorf("authenticated server's index warns about authentication: %s", closed.Body)
	}
	if w := newTestServer(t, newMemStore(), serverConfig{}).do(httptest.NewRequest("GET", "/nope", nil)); w.Code != 404 {
		t.Errorf("GET /nope: got %d, want 404", w.Code)
	}
}

func TestViewerPassword(t *testing.T) {
	store := newMemStore()
	store.Put(context.Background(), testTaskID, []byte(testCallback))
	srv := newTestServer(t, store, serverConfig{viewerPassword: testPassword})
	reads := []string{"/", "/scale/tasks", "/scale/task/" + testTaskID}
	for _, path := range reads {
		t.Run(path, func(t *testing.T) {
			w := srv.do(httptest.NewRequest("GET", path, nil))
			problemDetail(t, w, 401)
			if !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("WWW-Authenticate: got %q, want Basic", w.Header().Get("WWW-Authenticate"))
			}
			r := httptest.NewRequest("GET", path, nil)
			r.SetBasicAuth("anyone", "wrong")
			problemDetail(t, srv.do(r), 401)
			r = httptest.NewRequest("GET", path, nil)
			r.SetBasicAuth("anyone", testPassword)
			if w := srv.do(r); w.Code != 200 {
				t.Errorf("right password: got %d, want 200", w.Code)
			}
		})
	}
	if w := srv.do(callbackRequest(`{"task_id":"x1"}`, "")); w.Code != 200 {
		t.Errorf("callback behind VIEWER_PASSWORD: got %d, want 200 (it is never guarded)", w.Code)
	}
	if w := srv.do(httptest.NewRequest("GET", "/healthz", nil)); w.Code != 200 {
		t.Errorf("healthz behind VIEWER_PASSWORD: got %d, want 200 (it is never guarded)", w.Code)
	}
}

func TestSecretsNeverReachTheLog(t *testing.T) {
	srv := newTestServer(t, &brokenStore{}, serverConfig{callbackKeys: []string{testKey}, viewerPassword: testPassword})
	srv.do(callbackRequest(testCallback, testKey))
	srv.do(callbackRequest(testCallback, testKey+"-wrong"))
	r := httptest.NewRequest("GET", "/scale/task/"+testTaskID, nil)
	r.SetBasicAuth("me", testPassword)
	srv.do(r)
	log := srv.log.String()
	for _, secret := range []string{testKey, testPassword} {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds a secret %q:\n%s", secret, log)
		}
	}
	if !strings.Contains(log, "status=401") || !strings.Contains(log, "status=503") {
		t.Errorf("the log lacks the request lines:\n%s", log)
	}
}

func TestRequestLogLine(t *testing.T) {
	srv := newTestServer(t, newMemStore(), serverConfig{})
	r := callbackRequest(testCallback, "")
	r.Header.Set("X-Request-Id", "req-123")
	srv.do(r)
	line := srv.log.String()
	for _, want := range []string{"method=POST", "path=/scale/callback", "status=200", "duration=", "bytes=", "task_id=" + testTaskID, "request_id=req-123"} {
		if !strings.Contains(line, want) {
			t.Errorf("log line %q lacks %q", line, want)
		}
	}
}

func TestUnknownRoutesAndMethodsAreProblems(t *testing.T) {
	srv := newTestServer(t, newMemStore(), serverConfig{})
	tests := []struct {
		method, path string
		want         int
		allow        string
	}{
		{"GET", "/nope", 404, ""},
		{"GET", "/scale/task/", 404, ""},
		{"POST", "/scale/task/" + testTaskID, 405, "GET, HEAD"},
		{"PUT", "/scale/callback", 405, "POST"},
		{"GET", "/scale/callback", 405, "POST"},
		{"DELETE", "/scale/tasks", 405, "GET, HEAD"},
		{"POST", "/healthz", 405, "GET, HEAD"},
		{"POST", "/", 405, "GET, HEAD"},
	}
	for _, tc := range tests {
		w := srv.do(httptest.NewRequest(tc.method, tc.path, nil))
		problemDetail(t, w, tc.want)
		if got := w.Header().Get("Allow"); got != tc.allow {
			t.Errorf("%s %s: Allow: got %q, want %q", tc.method, tc.path, got, tc.allow)
		}
	}
}

func TestIndexSaysWhetherReadsAreProtected(t *testing.T) {
	public := newTestServer(t, newMemStore(), serverConfig{}).do(httptest.NewRequest("GET", "/", nil))
	if !strings.Contains(public.Body.String(), "public") {
		t.Errorf("public server's index: got %s, want it to say reads are public", public.Body)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.SetBasicAuth("me", testPassword)
	guarded := newTestServer(t, newMemStore(), serverConfig{viewerPassword: testPassword}).do(r)
	if !strings.Contains(guarded.Body.String(), "protected") || strings.Contains(guarded.Body.String(), ">public<") {
		t.Errorf("guarded server's index: got %s, want it to say reads are protected", guarded.Body)
	}
}

func TestCallbackDetailQuotesNoHugeID(t *testing.T) {
	huge := strings.Repeat("b", 100_000)
	srv := newTestServer(t, newMemStore(), serverConfig{})
	detail := problemDetail(t, srv.do(callbackRequest(`{"task_id":"aaa","task":{"task_id":"`+huge+`"}}`, "")), 400)
	if len(detail) > 300 {
		t.Errorf("detail: got %d bytes, want a short sentence", len(detail))
	}
}
