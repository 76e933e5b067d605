package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// serverConfig is what the handlers need beyond the store.
type serverConfig struct {
	callbackKeys     []string // accepted scale-callback-auth values; none means open
	viewerPassword   string   // HTTP Basic password for reads; empty means public
	maxCallbackBytes int64
	storeTimeout     time.Duration // bound on one store call from a request
	storeName        string        // where tasks are kept, for the index page
}

// newServer returns the whole HTTP API.
func newServer(logger *slog.Logger, store Store, cfg serverConfig) http.Handler {
	mux := http.NewServeMux()
	addRoutes(mux, logger, store, cfg)
	return logRequests(logger, mux)
}

func addRoutes(mux *http.ServeMux, logger *slog.Logger, store Store, cfg serverConfig) {
	viewer := requireViewer(cfg.viewerPassword)
	route := methodRouter(mux)
	route("POST", "/scale/callback", handleCallback(logger, store, cfg))
	route("GET", "/scale/task/{task_id}", viewer(handleTask(logger, store, cfg.storeTimeout)))
	route("GET", "/scale/tasks", viewer(handleTasks(logger, store, cfg.storeTimeout)))
	route("GET", "/healthz", handleHealthz(logger, store))
	route("GET", "/{$}", viewer(handleIndex(cfg)))
	route("GET", "/static/{name}", pageViews.staticHandler()) // CSS and JS of the pages, not secret
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblemAs(w, r, http.StatusNotFound, "there is nothing at "+truncate(r.URL.Path, 200)+"; GET / lists the routes")
	}))
}

// methodRouter returns a function that serves h for method on path and
// answers any other method on path with a 405 problem, not net/http's plain
// text. A GET route also takes HEAD.
func methodRouter(mux *http.ServeMux) func(method, path string, h http.Handler) {
	return func(method, path string, h http.Handler) {
		mux.Handle(method+" "+path, h)
		allow := method
		if method == http.MethodGet {
			allow = "GET, HEAD"
		}
		mux.Handle(path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", allow)
			writeProblem(w, http.StatusMethodNotAllowed, r.Method+" is not allowed here; use "+allow)
		}))
	}
}

// callbackAck is the body of a successful callback.
type callbackAck struct {
	TaskID string `json:"task_id"`
	Stored string `json:"stored"`
}

// handleCallback takes a task that Scale posts, and answers 2xx only once the
// store has it; any other answer makes Scale retry.
func handleCallback(logger *slog.Logger, store Store, cfg serverConfig) http.Handler {
	keys := make([][32]byte, len(cfg.callbackKeys))
	for i, k := range cfg.callbackKeys {
		keys[i] = sha256.Sum256([]byte(k))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(keys) > 0 {
			got, ok := r.Header["Scale-Callback-Auth"]
			if !ok {
				writeProblem(w, http.StatusUnauthorized, "the scale-callback-auth header is missing; send the Callback Auth Key from the Scale dashboard")
				return
			}
			if len(got) != 1 || !matchesAny(keys, got[0]) {
				writeProblem(w, http.StatusUnauthorized, "the scale-callback-auth header does not match any key in SCALE_CALLBACK_AUTH_KEY")
				return
			}
		}
		if r.ContentLength > cfg.maxCallbackBytes {
			writeProblem(w, http.StatusRequestEntityTooLarge, tooLarge(cfg.maxCallbackBytes))
			return
		}
		body, err := readBody(w, r, cfg.maxCallbackBytes)
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeProblem(w, http.StatusRequestEntityTooLarge, tooLarge(cfg.maxCallbackBytes))
				return
			}
			logger.Warn("read callback body", "err", err)
			writeProblem(w, http.StatusBadRequest, "the body could not be read in full; send it again")
			return
		}
		taskID, err := callbackTaskID(body)
		if err != nil {
			writeProblem(w, http.StatusBadRequest, err.Error())
			return
		}
		noteTaskID(r, taskID)
		ctx, cancel := context.WithTimeout(r.Context(), cfg.storeTimeout)
		defer cancel()
		if err := store.Put(ctx, taskID, body); err != nil {
			logger.Error("store callback", "task_id", taskID, "err", err)
			w.Header().Set("Retry-After", "30")
			writeProblem(w, http.StatusServiceUnavailable, "the task could not be stored; it was not saved, so send it again later")
			return
		}
		writeJSON(w, http.StatusOK, callbackAck{TaskID: taskID, Stored: store.Location(taskID)})
	})
}

func tooLarge(limit int64) string {
	return "the body is larger than MAX_CALLBACK_BYTES (" + strconv.FormatInt(limit, 10) + " bytes)"
}

// presizeLimit is the largest body read into a buffer of its declared
// length at once; larger ones grow as their bytes arrive, so a client cannot
// make the server hold megabytes by announcing them.
const presizeLimit = 1 << 20

// readBody reads the whole body, at most limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, limit)
	if n := r.ContentLength; n >= 0 && n <= presizeLimit {
		// The caller checked n <= limit; net/http stops the body at n.
		buf := make([]byte, n)
		_, err := io.ReadFull(body, buf)
		return buf, err
	}
	return io.ReadAll(body)
}

// matchesAny compares got with every key in constant time; hashing first
// makes the time independent of the keys' lengths too.
func matchesAny(keys [][32]byte, got string) bool {
	sum := sha256.Sum256([]byte(got))
	match := 0
	for _, k := range keys {
		match |= subtle.ConstantTimeCompare(sum[:], k[:])
	}
	return match == 1
}

// handleTask answers with the stored task JSON, exactly as it was received.
func handleTask(logger *slog.Logger, store Store, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		taskID := r.PathValue("task_id")
		if err := validTaskID(taskID); err != nil {
			writeProblemAs(w, r, http.StatusBadRequest, err.Error())
			return
		}
		noteTaskID(r, taskID)
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		task, err := store.Get(ctx, taskID)
		if errors.Is(err, ErrNotFound) {
			writeProblemAs(w, r, http.StatusNotFound, "no task "+taskID+" is stored here")
			return
		}
		if err != nil {
			logger.Error("read task", "task_id", taskID, "err", err)
			w.Header().Set("Retry-After", "10")
			writeProblemAs(w, r, http.StatusServiceUnavailable, "the store did not answer; try again later")
			return
		}
		if prefersHTML(r) {
			serveTaskPage(w, logger, taskID, task.Body)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("ETag", task.ETag)
		h.Set("Cache-Control", "no-cache") // a later delivery can change it
		h.Set("Vary", "Accept")
		http.ServeContent(w, r, "", task.LastModified, bytes.NewReader(task.Body))
	})
}

// taskList is the body of GET /scale/tasks.
type taskList struct {
	Tasks []TaskInfo `json:"tasks"`
	Next  string     `json:"next,omitempty"`
}

const (
	defaultListLimit = 100
	maxListLimit     = 1000
)

// handleTasks lists the stored tasks in pages ordered by task id.
func handleTasks(logger *slog.Logger, store Store, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		limit := defaultListLimit
		if s := q.Get("limit"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > maxListLimit {
				writeProblemAs(w, r, http.StatusBadRequest, "limit must be a whole number from 1 to "+strconv.Itoa(maxListLimit))
				return
			}
			limit = n
		}
		after := q.Get("after")
		if after != "" {
			if err := validTaskID(after); err != nil {
				writeProblemAs(w, r, http.StatusBadRequest, "after: "+err.Error())
				return
			}
		}
		ctx, cancel := context.WithTimeout(r.Context(), timeout)
		defer cancel()
		tasks, more, err := store.List(ctx, after, limit)
		if err != nil {
			logger.Error("list tasks", "after", after, "err", err)
			w.Header().Set("Retry-After", "10")
			writeProblemAs(w, r, http.StatusServiceUnavailable, "the store did not answer; try again later")
			return
		}
		page := taskList{Tasks: tasks}
		if page.Tasks == nil {
			page.Tasks = []TaskInfo{}
		}
		if more && len(tasks) > 0 {
			page.Next = tasks[len(tasks)-1].ID
		}
		w.Header().Set("Vary", "Accept")
		if prefersHTML(r) {
			serveTaskListPage(w, logger, page.Tasks, after, page.Next, limit)
			return
		}
		writeJSON(w, http.StatusOK, page)
	})
}

// handleHealthz says whether the store answers a cheap probe in time.
func handleHealthz(logger *slog.Logger, store Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := store.Ping(ctx); err != nil {
			logger.Error("health check", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "store unavailable\n")
			return
		}
		io.WriteString(w, "ok\n")
	})
}

func handleIndex(cfg serverConfig) http.Handler {
	data := indexView{
		Storage:                cfg.storeName,
		CallbacksAuthenticated: len(cfg.callbackKeys) > 0,
		ReadsProtected:         cfg.viewerPassword != "",
	}
	if !data.CallbacksAuthenticated {
		data.Warnings = append(data.Warnings, "Callbacks are accepted without authentication. Set SCALE_CALLBACK_AUTH_KEY to the Callback Auth Key from the Scale dashboard.")
	}
	var buf bytes.Buffer
	if err := pageViews.indexPage(&buf, data); err != nil {
		panic(err) // the template and its data are fixed at startup
	}
	page := buf.Bytes()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setHTMLHeaders(w.Header())
		w.Write(page)
	})
}

// requireViewer puts a handler behind HTTP Basic auth with any user name and
// the given password; an empty password lets everyone through.
func requireViewer(password string) func(http.Handler) http.Handler {
	if password == "" {
		return func(h http.Handler) http.Handler { return h }
	}
	want := sha256.Sum256([]byte(password))
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, pass, ok := r.BasicAuth()
			got := sha256.Sum256([]byte(pass))
			if !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
				w.Header().Set("WWW-Authenticate", `Basic realm="scale-callback", charset="UTF-8"`)
				writeProblemAs(w, r, http.StatusUnauthorized, "reading tasks needs the viewer password (HTTP Basic auth, any user name)")
				return
			}
			h.ServeHTTP(w, r)
		})
	}
}

// problem is an RFC 9457 problem details body.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
}

// writeProblem answers with an error the caller can act on. detail speaks of
// the request, never of internals, which go to the log.
func writeProblem(w http.ResponseWriter, status int, detail string) {
	body, _ := json.Marshal(problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail})
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Del("ETag")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own types come here
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}
