package main

// The browser view of stored tasks: content negotiation, the embedded
// templates and assets, and the pages (the task page's model is in
// taskview.go, its shapes in shapes.go). Everything a task holds was written
// by its sender, so every field goes through html/template, and an
// attachment is used as an image only when it is an http or https URL.

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

//go:embed web
var webFS embed.FS

// contentSecurityPolicy is set on every HTML response: scripts and styles
// come from this server only, images from anywhere on the web (the
// attachment), and nothing may frame the page or be submitted from it.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' http: https:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Limits on what a page shows of a large or deeply nested task; the raw JSON
// link always gives the whole of it.
const (
	maxTreeDepth  = 40
	maxTreeNodes  = 20000
	maxPrettyJSON = 2 << 20
)

// prefersHTML reports whether r should get the HTML view rather than JSON:
// ?format=html or ?format=json decide outright; otherwise the Accept header
// must rate text/html strictly above application/json, so clients that ask
// for nothing in particular (curl's */*, no header at all) keep getting JSON.
func prefersHTML(r *http.Request) bool {
	switch r.URL.Query().Get("format") {
	case "html":
		return true
	case "json":
		return false
	}
	accept := r.Header.Values("Accept")
	html := acceptQuality(accept, "text", "html")
	return html > 0 && html > acceptQuality(accept, "application", "json")
}

// acceptQuality returns the q-value that Accept header lines give to the
// media type typ/sub, taken from the most specific range that matches it.
func acceptQuality(accept []string, typ, sub string) float64 {
	best, bestSpecificity := 0.0, -1
	for _, line := range accept {
		for _, rng := range strings.Split(line, ",") {
			mediaRange, params, _ := strings.Cut(rng, ";")
			t, s, ok := strings.Cut(strings.ToLower(strings.TrimSpace(mediaRange)), "/")
			if !ok {
				continue
			}
			specificity := -1
			switch {
			case t == typ && s == sub:
				specificity = 2
			case t == typ && s == "*":
				specificity = 1
			case t == "*" && s == "*":
				specificity = 0
			}
			if specificity < 0 || specificity < bestSpecificity {
				continue
			}
			q := 1.0
			for _, p := range strings.Split(params, ";") {
				k, v, _ := strings.Cut(p, "=")
				if strings.EqualFold(strings.TrimSpace(k), "q") {
					f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
					if err != nil || !(f >= 0 && f <= 1) {
						f = 0 // a malformed weight never wins
					}
					q = f
				}
			}
			if specificity > bestSpecificity || q > best {
				best, bestSpecificity = q, specificity
			}
		}
	}
	return best
}

// setHTMLHeaders sets the headers every HTML page carries.
func setHTMLHeaders(h http.Header) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-cache")
}

// pageViews are the pages, parsed once at startup.
var pageViews = newViews()

// serveTaskPage answers a browser with the page of a stored task.
func serveTaskPage(w http.ResponseWriter, logger *slog.Logger, taskID string, body []byte) {
	var page bytes.Buffer
	if err := pageViews.taskPage(&page, taskID, body); err != nil {
		logger.Error("render task page", "task_id", taskID, "err", err)
		writeProblem(w, http.StatusInternalServerError, "the page of this task could not be made; ?format=json gives its JSON")
		return
	}
	h := w.Header()
	setHTMLHeaders(h)
	h.Set("Vary", "Accept")
	w.Write(page.Bytes())
}

// serveTaskListPage answers a browser with one page of the task list.
func serveTaskListPage(w http.ResponseWriter, logger *slog.Logger, tasks []TaskInfo, after, next string, limit int) {
	var page bytes.Buffer
	if err := pageViews.taskList(&page, tasks, after, next, limit); err != nil {
		logger.Error("render task list", "err", err)
		writeProblem(w, http.StatusInternalServerError, "the task list page could not be made; ?format=json gives the list")
		return
	}
	h := w.Header()
	setHTMLHeaders(h)
	h.Set("Vary", "Accept")
	w.Write(page.Bytes())
}

// writeProblemAs answers like writeProblem, but with an HTML page when the
// request prefers HTML, so a person who mistypes a task id reads why.
func writeProblemAs(w http.ResponseWriter, r *http.Request, status int, detail string) {
	var page bytes.Buffer
	if !prefersHTML(r) || pageViews.problemPage(&page, status, http.StatusText(status), detail) != nil {
		writeProblem(w, status, detail)
		return
	}
	h := w.Header()
	setHTMLHeaders(h)
	h.Set("Cache-Control", "no-store")
	h.Set("Vary", "Accept")
	h.Del("ETag")
	w.WriteHeader(status)
	w.Write(page.Bytes())
}

// views holds the parsed page templates and the static assets.
type views struct {
	pages  map[string]*template.Template
	assets map[string]asset
}

// asset is one embedded static file with its content hash.
type asset struct {
	body []byte
	etag string // quoted, from the content hash
	ver  string // short content hash, the cache-busting query value
}

// newViews parses the embedded templates and hashes the static assets. It
// panics on a broken template: that is a bug caught by any test.
func newViews() *views {
	v := &views{pages: map[string]*template.Template{}, assets: map[string]asset{}}
	static, err := fs.Sub(webFS, "web/static")
	if err != nil {
		panic(err)
	}
	err = fs.WalkDir(static, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(static, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		h := hex.EncodeToString(sum[:])
		v.assets[name] = asset{body: body, etag: `"` + h[:32] + `"`, ver: h[:12]}
		return nil
	})
	if err != nil {
		panic(err)
	}
	funcs := template.FuncMap{
		"static": func(name string) string {
			a, ok := v.assets[name]
			if !ok {
				panic("no static asset " + name)
			}
			return "/static/" + name + "?v=" + a.ver
		},
	}
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(webFS, "web/templates/layout.html", "web/templates/parts.html"))
	for _, page := range []string{"task.html", "list.html", "index.html", "problem.html"} {
		t := template.Must(template.Must(base.Clone()).ParseFS(webFS, "web/templates/"+page))
		v.pages[page] = t
	}
	return v
}

// render executes a page into a buffer first, so that a failure never leaves
// half a page on the wire.
func (v *views) render(w io.Writer, page string, data any) error {
	var buf bytes.Buffer
	if err := v.pages[page].Execute(&buf, data); err != nil {
		return fmt.Errorf("render %s: %w", page, err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// staticHandler serves the embedded CSS, JS and icon at GET /static/{name}.
// A request carrying the current content hash (?v=, as the pages link them)
// may be cached for a year; any other gets an ETag to revalidate.
func (v *views) staticHandler() http.Handler {
	modTime := time.Unix(0, 0)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		a, ok := v.assets[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("ETag", a.etag)
		h.Set("X-Content-Type-Options", "nosniff")
		if r.URL.Query().Get("v") == a.ver {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "public, no-cache")
		}
		http.ServeContent(w, r, name, modTime, bytes.NewReader(a.body))
	})
}

// --- the task list and the index ---

// listView is one page of the task list.
type listView struct {
	Tasks []listRow
	Limit int
	After string
	Next  string // the next page's URL, "" on the last page
	First string // the first page's URL, "" on the first page
}

type listRow struct {
	ID       string
	URL      string
	Size     string
	Bytes    int64
	Modified timeView
}

// taskList writes one page of the task list. after is the id this page
// starts after; next, when not empty, the id the following page starts after.
func (v *views) taskList(w io.Writer, tasks []TaskInfo, after, next string, limit int) error {
	lv := listView{Limit: limit, After: after}
	for _, t := range tasks {
		lv.Tasks = append(lv.Tasks, listRow{
			ID:       t.ID,
			URL:      "/scale/task/" + url.PathEscape(t.ID),
			Size:     byteSize(t.Bytes),
			Bytes:    t.Bytes,
			Modified: timeView{Raw: t.LastModified.UTC().Format(time.RFC3339), T: t.LastModified, OK: !t.LastModified.IsZero()},
		})
	}
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if next != "" {
		q.Set("after", next)
		lv.Next = "/scale/tasks?" + q.Encode()
	}
	if after != "" {
		q.Del("after")
		lv.First = "/scale/tasks?" + q.Encode()
	}
	return v.render(w, "list.html", lv)
}

// byteSize formats a size for people: 812 B, 14.2 KiB, 3.1 MiB.
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// indexView is what the index page says about this server.
type indexView struct {
	CallbacksAuthenticated bool
	ReadsProtected         bool
	Storage                string // where tasks are kept, e.g. "S3 bucket b" or "folder ./data"
	Warnings               []string
}

// indexPage writes the index page.
func (v *views) indexPage(w io.Writer, iv indexView) error {
	return v.render(w, "index.html", iv)
}

// problemView is an error shown to a browser.
type problemView struct {
	Status int
	Title  string
	Detail string
}

// problemPage writes an error page for a browser.
func (v *views) problemPage(w io.Writer, status int, title, detail string) error {
	return v.render(w, "problem.html", problemView{Status: status, Title: title, Detail: detail})
}
