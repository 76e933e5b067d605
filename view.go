package main

// The browser view of stored tasks: a stored callback's JSON becomes a page
// with the annotations drawn over the image, the task list a table, the index
// a short page. Everything a task holds was written by its sender, so every
// field goes through html/template and an attachment is used as an image
// only when it is an http or https URL.

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"sort"
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

// --- the task page ---

// taskView is what the task page shows.
type taskView struct {
	TaskID      string
	Type        string
	Status      string
	Created     timeView
	Completed   timeView
	Instruction string
	Project     string
	Batch       string
	UniqueID    string
	Metadata    *treeNode

	Attachment    string // as sent
	AttachmentURL string // the attachment when it is an http(s) URL, else ""
	Attachments   []linkView

	Image       bool   // an image task: draw the annotations
	ImageURL    string // the image to load, "" when there is none usable
	ViewBox     string // the shapes' extent, the canvas when the image fails
	Shapes      []shapeView
	DrawOrder   []*shapeView // largest first, so small shapes stay on top
	Legend      []legendEntry
	Undrawn     int // annotations whose geometry was not understood
	GlobalAttrs []attrView

	Error    *errorView
	Response *treeNode // the response of a task that is not image annotation

	RawJSON      string
	RawTruncated bool
	Problem      string // why the stored body could not be read as a task
}

// timeView is a timestamp as sent and, when it parses, as a time.
type timeView struct {
	Raw string
	T   time.Time
	OK  bool
}

// Display formats the time for people, in UTC.
func (t timeView) Display() string {
	if !t.OK {
		return t.Raw
	}
	return t.T.UTC().Format("2006-01-02 15:04:05 MST")
}

// linkView is a URL that is a link only when it is http or https.
type linkView struct {
	Text string
	URL  string // "" when Text is not a web URL
	Note string
}

// errorView shows why Scale could not do a task.
type errorView struct {
	Message string
	Failed  []linkView
}

// attrView is one attribute of an annotation or of the whole image.
type attrView struct {
	Key   string
	Value string
}

// legendEntry is one label with its colour and count.
type legendEntry struct {
	Index int
	Label string
	Color string
	Count int
}

// shapeView is one annotation, with the SVG geometry that draws it in the
// image's pixel coordinates. Numbers are already formatted for attributes.
type shapeView struct {
	N          int // 1-based position in response.annotations
	Kind       string
	Label      string
	LabelIndex int
	Color      string
	UUID       string
	Attrs      []attrView

	Rect     *rectGeom    // box without rotation
	Points   string       // polygon, rotated box, line, cuboid face: "x,y x,y ..."
	Closed   bool         // Points is a polygon rather than a polyline
	Circle   *pointGeom   // point
	Ellipse  *ellipseGeom // ellipse
	Lines    []lineGeom   // cuboid edges
	TagX     string       // where the label is written
	TagY     string
	Drawn    bool
	area     float64
	minX     float64
	minY     float64
	maxX     float64
	maxY     float64
	hasPoint bool
}

type rectGeom struct{ X, Y, W, H string }
type pointGeom struct{ X, Y string }
type ellipseGeom struct{ CX, CY, RX, RY, Rotate string }
type lineGeom struct{ X1, Y1, X2, Y2 string }

// taskPage writes the HTML page of the task stored under taskID.
func (v *views) taskPage(w io.Writer, taskID string, raw []byte) error {
	return v.render(w, "task.html", newTaskView(taskID, raw))
}

// imageTaskTypes are the task types whose response draws over an image.
var imageTaskTypes = map[string]bool{
	"imageannotation":   true,
	"annotation":        true, // legacy boxes
	"polygonannotation": true,
	"lineannotation":    true,
	"pointannotation":   true,
	"cuboidannotation":  true,
}

// newTaskView reads a stored callback body. The body is usually Scale's
// callback ({task_id, status, response, task: {...}}), but a bare task object
// works too; fields of the wrong type are shown as they are, never fatal.
func newTaskView(taskID string, raw []byte) *taskView {
	tv := &taskView{TaskID: taskID}
	tv.RawJSON, tv.RawTruncated = prettyJSON(raw)
	body := object(raw)
	if body == nil {
		tv.Problem = "The stored body is not a JSON object, so it is shown as it is."
		return tv
	}
	task := object(body["task"])
	if task == nil {
		task = body // a bare task object
	}
	params := object(task["params"])

	tv.Type = text(task["type"])
	tv.Status = first(text(body["status"]), text(task["status"]))
	tv.Created = parseTime(text(task["created_at"]))
	tv.Completed = parseTime(text(task["completed_at"]))
	tv.Instruction = first(text(task["instruction"]), text(params["instruction"]))
	tv.Project = text(task["project"])
	tv.Batch = text(task["batch"])
	tv.UniqueID = text(task["unique_id"])
	if m := task["metadata"]; len(m) > 0 && string(m) != "{}" && string(m) != "null" {
		tv.Metadata = buildTree(m)
	}

	tv.Attachment = text(params["attachment"])
	tv.AttachmentURL = webURL(tv.Attachment)
	for _, a := range array(params["attachments"]) {
		s := text(a)
		if o := object(a); o != nil {
			s = text(o["attachment"])
		}
		tv.Attachments = append(tv.Attachments, link(s, ""))
	}

	responseRaw := body["response"]
	if len(responseRaw) == 0 {
		responseRaw = task["response"]
	}
	response := object(responseRaw)

	if e := text(response["error"]); e != "" || tv.Status == "error" {
		tv.Error = newErrorView(response)
		return tv
	}

	annotations, isArray := annotationList(response)
	attachmentType := text(params["attachment_type"])
	tv.Image = isArray && (attachmentType == "" || attachmentType == "image") &&
		(imageTaskTypes[tv.Type] || len(annotations) > 0)
	if !tv.Image {
		if len(responseRaw) > 0 && string(responseRaw) != "null" {
			tv.Response = buildTree(responseRaw)
		}
		return tv
	}
	tv.ImageURL = tv.AttachmentURL
	tv.GlobalAttrs = attributes(response["global_attributes"])
	tv.drawAnnotations(annotations)
	return tv
}

// annotationList returns response.annotations (or the legacy cuboid tasks'
// response.cuboids) and whether it is an array at all.
func annotationList(response map[string]json.RawMessage) ([]json.RawMessage, bool) {
	for _, key := range []string{"annotations", "cuboids"} {
		raw := bytes.TrimSpace(response[key])
		if len(raw) > 0 && raw[0] == '[' {
			return array(raw), true
		}
	}
	return nil, false
}

func newErrorView(response map[string]json.RawMessage) *errorView {
	ev := &errorView{Message: text(response["error"])}
	for _, a := range array(response["attachments"]) {
		o := object(a)
		ev.Failed = append(ev.Failed, link(text(o["url"]), statusNote(o["statusCode"], "")))
	}
	for _, f := range array(response["frames"]) {
		o := object(f)
		att := object(o["attachment"])
		note := "frame " + text(o["frame"])
		if m := text(o["message"]); m != "" {
			note += ": " + m
		}
		ev.Failed = append(ev.Failed, link(text(att["url"]), statusNote(att["statusCode"], note)))
	}
	return ev
}

func statusNote(code json.RawMessage, note string) string {
	if c := text(code); c != "" {
		if note != "" {
			return "HTTP " + c + " · " + note
		}
		return "HTTP " + c
	}
	return note
}

// palette holds distinct colours that read on photographs; labels beyond it
// get colours spaced around the hue circle.
var palette = []string{
	"#e6194b", "#3cb44b", "#ffe119", "#4363d8", "#f58231", "#42d4f4",
	"#f032e6", "#bfef45", "#fabed4", "#469990", "#dcbeff", "#9a6324",
	"#fffac8", "#800000", "#aaffc3", "#808000", "#ffd8b1", "#911eb4",
}

func labelColor(i int) string {
	if i < len(palette) {
		return palette[i]
	}
	return fmt.Sprintf("hsl(%d, 85%%, 55%%)", (i*137)%360)
}

// drawAnnotations turns each annotation into a shape, assigns label colours
// and computes the extent used when the image cannot be shown.
func (tv *taskView) drawAnnotations(annotations []json.RawMessage) {
	labels := map[string]int{}
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for i, raw := range annotations {
		s := newShape(tv.Type, raw)
		s.N = i + 1
		idx, ok := labels[s.Label]
		if !ok {
			idx = len(tv.Legend)
			labels[s.Label] = idx
			tv.Legend = append(tv.Legend, legendEntry{Index: idx, Label: s.Label, Color: labelColor(idx)})
		}
		tv.Legend[idx].Count++
		s.LabelIndex, s.Color = idx, tv.Legend[idx].Color
		if s.Drawn {
			minX, minY = math.Min(minX, s.minX), math.Min(minY, s.minY)
			maxX, maxY = math.Max(maxX, s.maxX), math.Max(maxY, s.maxY)
		} else {
			tv.Undrawn++
		}
		tv.Shapes = append(tv.Shapes, s)
	}
	for i := range tv.Shapes {
		if tv.Shapes[i].Drawn {
			tv.DrawOrder = append(tv.DrawOrder, &tv.Shapes[i])
		}
	}
	sort.SliceStable(tv.DrawOrder, func(i, j int) bool { return tv.DrawOrder[i].area > tv.DrawOrder[j].area })
	if len(tv.DrawOrder) == 0 {
		minX, minY, maxX, maxY = 0, 0, 100, 100
	}
	// A margin so that shapes on the edge of the extent, and their labels,
	// stay visible.
	m := math.Max(10, math.Max(maxX-minX, maxY-minY)*0.05)
	tv.ViewBox = strings.Join([]string{num(minX - m), num(minY - m), num(maxX - minX + 2*m), num(maxY - minY + 2*m)}, " ")
}

// newShape reads one annotation. Annotations of imageannotation tasks name
// their geometry in "type"; the legacy task types do not, so the geometry is
// recognised by its fields, and the task type tells a line from a polygon.
func newShape(taskType string, raw json.RawMessage) shapeView {
	a := object(raw)
	s := shapeView{Label: text(a["label"]), UUID: text(a["uuid"]), Attrs: attributes(a["attributes"])}
	if s.Label == "" {
		s.Label = "(no label)"
	}
	s.Kind = text(a["type"])
	if s.Kind == "" {
		s.Kind = legacyKind(taskType, a)
	}
	switch s.Kind {
	case "box":
		s.box(a)
	case "polygon":
		s.poly(vertices(a["vertices"]), true, 3)
	case "line":
		s.poly(vertices(a["vertices"]), false, 2)
	case "point":
		x, okx := number(a["x"])
		y, oky := number(a["y"])
		if okx && oky {
			s.Circle = &pointGeom{num(x), num(y)}
			s.extend(x, y)
			s.TagX, s.TagY = num(x), num(y)
		}
	case "ellipse":
		s.ellipse(vertices(a["vertices"]))
	case "cuboid":
		s.cuboid(a)
	}
	return s
}

// legacyKind recognises the geometry of an annotation that has no "type".
func legacyKind(taskType string, a map[string]json.RawMessage) string {
	_, hasLeft := a["left"]
	_, hasWidth := a["width"]
	_, hasX := a["x"]
	switch {
	case hasLeft && hasWidth:
		return "box"
	case len(a["edges"]) > 0 || taskType == "cuboidannotation":
		return "cuboid"
	case len(a["vertices"]) > 0:
		for _, v := range array(a["vertices"]) {
			if strings.HasPrefix(text(object(v)["description"]), "face-") {
				return "cuboid"
			}
		}
		if taskType == "lineannotation" {
			return "line"
		}
		return "polygon"
	case hasX:
		return "point"
	}
	return ""
}

type point struct{ x, y float64 }

// vertices reads an array of {x, y}, skipping entries without both numbers.
func vertices(raw json.RawMessage) []point {
	var ps []point
	for _, v := range array(raw) {
		o := object(v)
		x, okx := number(o["x"])
		y, oky := number(o["y"])
		if okx && oky {
			ps = append(ps, point{x, y})
		}
	}
	return ps
}

func (s *shapeView) extend(x, y float64) {
	if !s.hasPoint {
		s.minX, s.minY, s.maxX, s.maxY, s.hasPoint = x, y, x, y, true
	} else {
		s.minX, s.minY = math.Min(s.minX, x), math.Min(s.minY, y)
		s.maxX, s.maxY = math.Max(s.maxX, x), math.Max(s.maxY, y)
	}
	s.Drawn = true
	s.area = (s.maxX - s.minX) * (s.maxY - s.minY)
	s.TagX, s.TagY = num(s.minX), num(s.minY)
}

func pointList(ps []point) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = num(p.x) + "," + num(p.y)
	}
	return strings.Join(parts, " ")
}

// box draws left/top/width/height; a rotated box (rotation in clockwise
// radians about its centre) is drawn from its vertices when Scale sent them,
// else from the rotation.
func (s *shapeView) box(a map[string]json.RawMessage) {
	l, ok1 := number(a["left"])
	t, ok2 := number(a["top"])
	w, ok3 := number(a["width"])
	h, ok4 := number(a["height"])
	rot, _ := number(a["rotation"])
	if rot != 0 {
		if vs := vertices(a["vertices"]); len(vs) == 4 {
			s.poly(vs, true, 4)
			return
		}
	}
	if !(ok1 && ok2 && ok3 && ok4) {
		return
	}
	if rot == 0 {
		s.Rect = &rectGeom{num(l), num(t), num(w), num(h)}
		s.extend(l, t)
		s.extend(l+w, t+h)
		return
	}
	cx, cy := l+w/2, t+h/2
	sin, cos := math.Sincos(rot)
	var vs []point
	for _, d := range []point{{-w / 2, -h / 2}, {w / 2, -h / 2}, {w / 2, h / 2}, {-w / 2, h / 2}} {
		// With y pointing down, this turns clockwise on screen.
		vs = append(vs, point{round(cx+d.x*cos-d.y*sin, 1e6), round(cy+d.x*sin+d.y*cos, 1e6)})
	}
	s.poly(vs, true, 4)
}

func (s *shapeView) poly(vs []point, closed bool, min int) {
	if len(vs) < min {
		return
	}
	s.Points, s.Closed = pointList(vs), closed
	for _, p := range vs {
		s.extend(p.x, p.y)
	}
}

// ellipse draws Scale's four extremal vertices: the first and third end one
// axis, the second and fourth the other.
func (s *shapeView) ellipse(vs []point) {
	if len(vs) != 4 {
		return
	}
	cx := (vs[0].x + vs[1].x + vs[2].x + vs[3].x) / 4
	cy := (vs[0].y + vs[1].y + vs[2].y + vs[3].y) / 4
	rx := math.Hypot(vs[1].x-vs[3].x, vs[1].y-vs[3].y) / 2
	ry := math.Hypot(vs[0].x-vs[2].x, vs[0].y-vs[2].y) / 2
	angle := math.Atan2(vs[1].y-vs[3].y, vs[1].x-vs[3].x) * 180 / math.Pi
	s.Ellipse = &ellipseGeom{num(cx), num(cy), num(rx), num(ry), num(round(angle, 1e6))}
	r := math.Max(rx, ry)
	s.extend(cx-r, cy-r)
	s.extend(cx+r, cy+r)
}

// cuboid draws the edges Scale sent ({x1, y1, x2, y2}); the legacy form has
// only vertices named face-topleft ... side-bottomcorner, from which the front
// face and the visible side are drawn.
func (s *shapeView) cuboid(a map[string]json.RawMessage) {
	named := map[string]point{}
	var all []point
	for _, v := range array(a["vertices"]) {
		o := object(v)
		x, okx := number(o["x"])
		y, oky := number(o["y"])
		if okx && oky {
			named[text(o["description"])] = point{x, y}
			all = append(all, point{x, y})
		}
	}
	line := func(p, q point) {
		s.Lines = append(s.Lines, lineGeom{num(p.x), num(p.y), num(q.x), num(q.y)})
		s.extend(p.x, p.y)
		s.extend(q.x, q.y)
	}
	tl, ok1 := named["face-topleft"]
	tr, ok2 := named["face-topright"]
	br, ok3 := named["face-bottomright"]
	bl, ok4 := named["face-bottomleft"]
	face := ok1 && ok2 && ok3 && ok4
	if face {
		s.poly([]point{tl, tr, br, bl}, true, 4)
		defer func() { s.TagX, s.TagY = num(tl.x), num(tl.y) }() // the label at the front face
	}
	for _, e := range array(a["edges"]) {
		o := object(e)
		x1, ok1 := number(o["x1"])
		y1, ok2 := number(o["y1"])
		x2, ok3 := number(o["x2"])
		y2, ok4 := number(o["y2"])
		if ok1 && ok2 && ok3 && ok4 {
			line(point{x1, y1}, point{x2, y2})
		}
	}
	if len(s.Lines) > 0 || !face {
		if !s.Drawn {
			s.poly(all, true, 3) // vertices without names: their outline
		}
		return
	}
	// Legacy: the front face, and the side towards its corner points.
	st, okt := named["side-topcorner"]
	sb, okb := named["side-bottomcorner"]
	line(tl, tr)
	line(tr, br)
	line(br, bl)
	line(bl, tl)
	if okt && okb {
		top, bottom := tr, br
		if math.Abs(st.x-tl.x) < math.Abs(st.x-tr.x) {
			top, bottom = tl, bl
		}
		line(top, st)
		line(st, sb)
		line(sb, bottom)
	}
}

// --- reading untrusted JSON leniently ---

// object decodes raw as a JSON object, or returns nil.
func object(raw json.RawMessage) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

// array decodes raw as a JSON array, or returns nil.
func array(raw json.RawMessage) []json.RawMessage {
	var a []json.RawMessage
	if json.Unmarshal(raw, &a) != nil {
		return nil
	}
	return a
}

// text returns a JSON string's value, any other JSON value as compact JSON,
// and "" for null or nothing.
func text(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return string(raw)
	}
	return buf.String()
}

// number returns a JSON number's value; a finite one only.
func number(raw json.RawMessage) (float64, bool) {
	var f float64
	if json.Unmarshal(raw, &f) != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// num formats a coordinate: integers stay integers (integer_pixels tasks),
// other values keep the precision they came with.
func num(f float64) string {
	if f == 0 {
		return "0" // never "-0"
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func round(f, scale float64) float64 { return math.Round(f*scale) / scale }

func first(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func parseTime(s string) timeView {
	t, err := time.Parse(time.RFC3339Nano, s)
	return timeView{Raw: s, T: t, OK: err == nil}
}

// webURL returns s when it is an absolute http or https URL, else "".
func webURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return s
}

func link(s, note string) linkView { return linkView{Text: s, URL: webURL(s), Note: note} }

// attributes lists an attributes object in the order it was sent.
func attributes(raw json.RawMessage) []attrView {
	var out []attrView
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return out
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return out
		}
		out = append(out, attrView{Key: fmt.Sprint(k), Value: attrValue(v)})
	}
	return out
}

// attrValue shows a list of strings as "a, b" and anything else as text.
func attrValue(raw json.RawMessage) string {
	var ss []string
	if json.Unmarshal(raw, &ss) == nil {
		return strings.Join(ss, ", ")
	}
	return text(raw)
}

// prettyJSON indents raw for reading, cut at maxPrettyJSON bytes.
func prettyJSON(raw []byte) (string, bool) {
	var buf bytes.Buffer
	if json.Indent(&buf, raw, "", "  ") != nil {
		buf.Reset()
		buf.Write(raw)
	}
	if buf.Len() > maxPrettyJSON {
		return strings.ToValidUTF8(string(buf.Bytes()[:maxPrettyJSON]), ""), true
	}
	return strings.ToValidUTF8(buf.String(), "\uFFFD"), false
}

// --- a JSON value as a collapsible tree ---

// treeNode is one value of a JSON document, in the order it was sent.
type treeNode struct {
	Key      string // the object key or array index leading here
	Kind     string // object, array, string, number, bool, null, more
	Text     string // a scalar's value; a string without its quotes
	URL      string // a string that is an http(s) URL, to link
	Children []*treeNode
	Open     bool // expanded at first
}

// Summary describes a container when it is closed: "{3 keys}", "[12]".
func (n *treeNode) Summary() string {
	switch n.Kind {
	case "object":
		if len(n.Children) == 1 {
			return "{1 key}"
		}
		return fmt.Sprintf("{%d keys}", len(n.Children))
	case "array":
		return fmt.Sprintf("[%d]", len(n.Children))
	}
	return ""
}

// buildTree reads raw into a tree, down to maxTreeDepth levels and at most
// maxTreeNodes values; what lies beyond is marked and left to the raw JSON.
func buildTree(raw json.RawMessage) *treeNode {
	b := &treeBuilder{dec: json.NewDecoder(bytes.NewReader(raw))}
	b.dec.UseNumber()
	n, err := b.node("", 0)
	if err != nil {
		return &treeNode{Kind: "string", Text: text(raw)}
	}
	return n
}

type treeBuilder struct {
	dec   *json.Decoder
	nodes int
}

func (b *treeBuilder) node(key string, depth int) (*treeNode, error) {
	tok, err := b.dec.Token()
	if err != nil {
		return nil, err
	}
	b.nodes++
	n := &treeNode{Key: key, Open: depth < 2}
	switch t := tok.(type) {
	case json.Delim:
		n.Kind = "object"
		if t == '[' {
			n.Kind = "array"
		}
		for i := 0; b.dec.More(); i++ {
			childKey := strconv.Itoa(i)
			if n.Kind == "object" {
				k, err := b.dec.Token()
				if err != nil {
					return nil, err
				}
				childKey = fmt.Sprint(k)
			}
			if depth+1 >= maxTreeDepth || b.nodes >= maxTreeNodes {
				if err := b.skip(); err != nil {
					return nil, err
				}
				n.Children = append(n.Children, &treeNode{Key: childKey, Kind: "more", Text: "… (see the raw JSON)"})
				continue
			}
			c, err := b.node(childKey, depth+1)
			if err != nil {
				return nil, err
			}
			n.Children = append(n.Children, c)
		}
		if _, err := b.dec.Token(); err != nil { // the closing delimiter
			return nil, err
		}
	case string:
		n.Kind, n.Text, n.URL = "string", t, webURL(t)
	case json.Number:
		n.Kind, n.Text = "number", t.String()
	case bool:
		n.Kind, n.Text = "bool", strconv.FormatBool(t)
	case nil:
		n.Kind, n.Text = "null", "null"
	}
	return n, nil
}

// skip consumes one value without keeping it.
func (b *treeBuilder) skip() error {
	var v json.RawMessage
	return b.dec.Decode(&v)
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

// InstructionBlocks is the instruction's Markdown, read for display.
func (tv *taskView) InstructionBlocks() []mdBlock { return markdown(tv.Instruction) }

// StatusClass is the CSS class for the task's status badge.
func (tv *taskView) StatusClass() string {
	switch tv.Status {
	case "completed", "error", "pending", "canceled":
		return "status-" + tv.Status
	}
	return "status-other"
}

// KindName names the geometry for people.
func (s shapeView) KindName() string {
	if s.Kind == "" {
		return "unknown"
	}
	return s.Kind
}

// KindClass is the geometry as a CSS class, from a fixed set.
func (s shapeView) KindClass() string {
	switch s.Kind {
	case "box", "polygon", "line", "point", "ellipse", "cuboid":
		return s.Kind
	}
	return "unknown"
}
