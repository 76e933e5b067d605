package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

var testViews = pageViews

// viewTestServer starts the real server over a memory store that holds the
// given tasks.
func viewTestServer(t *testing.T, tasks map[string][]byte) *httptest.Server {
	t.Helper()
	store := newMemStore()
	for id, body := range tasks {
		if err := store.Put(context.Background(), id, body); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(newTestServer(t, store, serverConfig{}).handler)
	t.Cleanup(srv.Close)
	return srv
}

// renderTask renders the task page of a body.
func renderTask(t *testing.T, taskID string, body []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := testViews.taskPage(&buf, taskID, body); err != nil {
		t.Fatalf("render: %v", err)
	}
	return buf.String()
}

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// svgElement is one element of the page's SVG of shapes.
type svgElement struct {
	Name  string
	Attrs map[string]string
}

// pageShapes parses the page's <svg class="shapes"> (which the template
// writes as well-formed XML) and returns each shape's geometry elements by
// the shape's number.
func pageShapes(t *testing.T, page string) map[int][]svgElement {
	t.Helper()
	start := strings.Index(page, `<svg class="shapes"`)
	if start < 0 {
		t.Fatal("the page has no SVG of shapes")
	}
	end := strings.Index(page[start:], "</svg>")
	dec := xml.NewDecoder(strings.NewReader(page[start : start+end+len("</svg>")]))
	shapes := map[int][]svgElement{}
	current := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed: %v", err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		attrs := map[string]string{}
		for _, a := range se.Attr {
			attrs[a.Name.Local] = a.Value
		}
		switch se.Name.Local {
		case "g":
			current, _ = strconv.Atoi(attrs["data-i"])
		case "svg", "text":
		default:
			shapes[current] = append(shapes[current], svgElement{se.Name.Local, attrs})
		}
	}
	return shapes
}

func TestTaskPageDrawsEachGeometry(t *testing.T) {
	// A box rotated a quarter turn clockwise about its centre (20, 10), sent
	// without vertices, and an ellipse whose long axis points down-right.
	rotated := []byte(`{"task_id":"r","task":{"type":"imageannotation","params":{"attachment":"https://x.test/a.png"}},
	  "response":{"annotations":[
	    {"type":"box","label":"a","left":0,"top":0,"width":40,"height":20,"rotation":1.5707963267948966},
	    {"type":"ellipse","label":"b","vertices":[{"x":107.0711,"y":92.9289},{"x":121.2132,"y":121.2132},{"x":92.9289,"y":107.0711},{"x":78.7868,"y":78.7868}]},
	    {"type":"box","label":"c","left":10.25,"top":20.5,"width":30.125,"height":40}
	  ]}}`)
	cases := []struct {
		name   string
		body   []byte
		shape  int
		elem   string
		attrs  map[string]string // exact attribute text
		values map[string]float64
	}{
		{name: "box is a rect at left, top, width, height", body: fixture(t, "imageannotation.json"), shape: 1,
			elem: "rect", attrs: map[string]string{"x": "120", "y": "340", "width": "240", "height": "155"}},
		{name: "rotated box is drawn from its vertices", body: fixture(t, "imageannotation.json"), shape: 3,
			elem: "polygon", attrs: map[string]string{"points": "417.7524,488.1537 530.4771,529.3014 522.2476,551.8463 409.5229,510.6986"}},
		{name: "cuboid front face", body: fixture(t, "imageannotation.json"), shape: 4,
			elem: "polygon", attrs: map[string]string{"points": "600,290 760,290 760,440 600,440"}},
		{name: "polygon", body: fixture(t, "imageannotation.json"), shape: 5,
			elem: "polygon", attrs: map[string]string{"points": "40,170 60,130 95,120 130,140 145,190 125,245 98,255 98,300 78,300 78,255 50,240 35,205"}},
		{name: "line is an open polyline", body: fixture(t, "imageannotation.json"), shape: 6,
			elem: "polyline", attrs: map[string]string{"points": "575,310 700,430 840,575"}},
		{name: "point is a circle at x, y", body: fixture(t, "imageannotation.json"), shape: 7,
			elem: "circle", attrs: map[string]string{"cx": "344", "cy": "412"}},
		{name: "ellipse from its four extremal vertices", body: fixture(t, "imageannotation.json"), shape: 9,
			elem: "ellipse", attrs: map[string]string{"cx": "880", "cy": "150", "rx": "35", "ry": "35", "transform": "rotate(0 880 150)"}},
		{name: "rotated box without vertices turns clockwise", body: rotated, shape: 1,
			elem: "polygon", attrs: map[string]string{"points": "30,-10 30,30 10,30 10,-10"}},
		{name: "rotated ellipse", body: rotated, shape: 2,
			elem: "ellipse", values: map[string]float64{"cx": 100, "cy": 100, "rx": 30, "ry": 10}},
		{name: "float coordinates keep their precision", body: rotated, shape: 3,
			elem: "rect", attrs: map[string]string{"x": "10.25", "y": "20.5", "width": "30.125", "height": "40"}},
		{name: "legacy annotation task: a box by its fields", body: fixture(t, "legacy-annotation.json"), shape: 1,
			elem: "rect", attrs: map[string]string{"x": "123", "y": "10", "width": "121", "height": "39"}},
		{name: "legacy polygonannotation: vertices are a polygon", body: fixture(t, "legacy-polygonannotation.json"), shape: 1,
			elem: "polygon", attrs: map[string]string{"points": "123,10 140,49 67,34"}},
		{name: "legacy lineannotation: the same vertices are a line", body: fixture(t, "legacy-lineannotation.json"), shape: 1,
			elem: "polyline", attrs: map[string]string{"points": "123,10 140,49 67,34"}},
		{name: "legacy pointannotation: x and y are a point", body: fixture(t, "legacy-pointannotation.json"), shape: 2,
			elem: "circle", attrs: map[string]string{"cx": "140", "cy": "49"}},
		{name: "legacy cuboidannotation: the face from described vertices", body: fixture(t, "legacy-cuboidannotation.json"), shape: 1,
			elem: "polygon", attrs: map[string]string{"points": "137,219 245,219 245,318 137,318"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			shapes := pageShapes(t, renderTask(t, "t", c.body))
			var got *svgElement
			for i, e := range shapes[c.shape] {
				if e.Name == c.elem {
					got = &shapes[c.shape][i]
					break
				}
			}
			if got == nil {
				t.Fatalf("shape %d: got elements %v, want a <%s>", c.shape, shapes[c.shape], c.elem)
			}
			for k, want := range c.attrs {
				if got.Attrs[k] != want {
					t.Errorf("shape %d <%s> %s: got %q, want %q", c.shape, c.elem, k, got.Attrs[k], want)
				}
			}
			for k, want := range c.values {
				v, err := strconv.ParseFloat(got.Attrs[k], 64)
				if err != nil || !near(v, want, 1e-3) {
					t.Errorf("shape %d <%s> %s: got %q, want %g", c.shape, c.elem, k, got.Attrs[k], want)
				}
			}
		})
	}
}

func TestTaskPageCuboidEdges(t *testing.T) {
	lines := func(body []byte) []string {
		var out []string
		for _, e := range pageShapes(t, renderTask(t, "t", body))[1] {
			if e.Name == "line" {
				out = append(out, fmt.Sprintf("%s,%s-%s,%s", e.Attrs["x1"], e.Attrs["y1"], e.Attrs["x2"], e.Attrs["y2"]))
			}
		}
		return out
	}
	// The edges Scale sent are drawn as they are.
	modern := []byte(`{"task":{"type":"imageannotation"},"response":{"annotations":[{"type":"cuboid","label":"truck",
	  "vertices":[{"description":"face-topleft","x":1,"y":2,"type":"vertex"}],
	  "edges":[{"description":"face-top","x1":1,"y1":2,"x2":3,"y2":4,"type":"edge"},{"description":"side-top","x1":3,"y1":4,"x2":5,"y2":6,"type":"edge"}]}]}}`)
	if got, want := strings.Join(lines(modern), " "), "1,2-3,4 3,4-5,6"; got != want {
		t.Errorf("cuboid with edges: got lines %s, want %s", got, want)
	}
	// The legacy form: the face, and its side towards the side corners.
	got := strings.Join(lines(fixture(t, "legacy-cuboidannotation.json")), " ")
	want := "137,219-245,219 245,219-245,318 245,318-137,318 137,318-137,219 245,219-316,165 316,165-316,264 316,264-245,318"
	if got != want {
		t.Errorf("legacy cuboid: got lines %s, want %s", got, want)
	}
}

func TestTaskPageLegendAndTable(t *testing.T) {
	page := renderTask(t, "t", fixture(t, "legacy-annotation.json"))
	for _, want := range []string{
		`<span class="legend-label">car</span><span class="count">1</span>`,
		`<span class="legend-label">pedestrian</span><span class="count">1</span>`,
		`<tr id="ann-2" data-i="2">`,
		`fill="#e6194b"`, // the first label's colour
		`fill="#3cb44b"`, // the second's
	} {
		if !strings.Contains(page, want) {
			t.Errorf("legacy boxes page: missing %s", want)
		}
	}
	page = renderTask(t, "t", fixture(t, "imageannotation.json"))
	for _, want := range []string{
		"<dt>weather</dt><dd>sunny</dd>", // global attributes
		"<dt>moving</dt><dd>yes</dd>",    // an annotation's attributes
		`<h2>Annotations <span class="muted">9</span></h2>`,
		`<dd>street-scenes</dd>`, `<dd>drive-2026-11-27</dd>`, // project and batch
		`<time datetime="2026-11-28T11:02:47Z">2026-11-28 11:02:47 UTC</time>`,
		`<span class="k">city</span> <span class="v string">Lisbon</span>`, // metadata
		"<p>Draw a <strong>box</strong> around every car",                  // the instruction, its Markdown read
	} {
		if !strings.Contains(page, want) {
			t.Errorf("image annotation page: missing %s", want)
		}
	}
}

func TestTaskPageEscapesHostileFields(t *testing.T) {
	body := []byte(`{"task_id":"h","status":"<b>done</b>","task":{
	  "type":"imageannotation\"><svg onload=alert(1)>",
	  "instruction":"<img src=x onerror=alert(1)> <script>alert(1)</script>",
	  "project":"<script>alert(1)</script>",
	  "metadata":{"<script>alert(1)</script>":"javascript:alert(1)"},
	  "params":{"attachment_type":"image","attachment":"https://x.test/a.png\" onerror=\"alert(1)"}},
	  "response":{"annotations":[{"type":"box\" onmouseover=\"alert(1)","label":"<script>alert(1)</script>",
	    "left":1,"top":2,"width":3,"height":4,"uuid":"<i>u</i>",
	    "attributes":{"<script>alert(1)</script>":"</textarea><script>alert(1)</script>"}},
	    {"label":"x","left":"1\"/><script>alert(1)</script>","top":0,"width":1,"height":1}],
	  "global_attributes":{"k":"<script>alert(1)</script>"}}}`)
	page := renderTask(t, "h", body)
	if n := strings.Count(page, "<script"); n != 1 {
		t.Errorf("got %d <script elements, want only the page's own one", n)
	}
	for _, bad := range []string{"<img src=x", "<svg onload", "onmouseover=\"", "onerror=\"", "<b>done", "<i>u</i>", `href="javascript:`} {
		if strings.Contains(page, bad) {
			t.Errorf("hostile markup %q reached the page unescaped", bad)
		}
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the hostile label is not shown as text")
	}
	pageShapes(t, page) // the SVG stays well-formed
}

func TestTaskPageUsesOnlyWebURLsAsImages(t *testing.T) {
	cases := []struct {
		name       string
		attachment string
		wantImage  bool
	}{
		{"an https URL is loaded", "https://bucket.s3.amazonaws.com/a.jpg?X-Amz-Signature=abc", true},
		{"an http URL is loaded", "http://i.imgur.com/v4cBreD.jpg", true},
		{"javascript: is not", "javascript:alert(1)", false},
		{"data: is not", "data:image/png;base64,iVBORw0KGgo=", false},
		{"a scheme-relative URL is not", "//evil.test/a.png", false},
		{"an s3:// URL is not", "s3://bucket/a.jpg", false},
		{"a relative path is not", "/img/a.png", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := fmt.Sprintf(`{"task":{"type":"imageannotation","params":{"attachment":%q}},
			  "response":{"annotations":[{"type":"point","label":"p","x":1,"y":2}]}}`, c.attachment)
			page := renderTask(t, "t", []byte(body))
			gotImage := strings.Contains(page, "<img")
			if gotImage != c.wantImage {
				t.Errorf("got an <img> %v, want %v", gotImage, c.wantImage)
			}
			if !c.wantImage {
				if strings.Contains(page, `href="`+c.attachment) {
					t.Errorf("got the attachment %q as a link", c.attachment)
				}
				if !strings.Contains(page, `data-state="failed"`) || strings.Contains(page, `id="image-notice" hidden`) {
					t.Error("got no empty canvas with its notice")
				}
			}
		})
	}
}

func TestTaskPageOtherTasks(t *testing.T) {
	cases := []struct {
		name    string
		body    []byte
		want    []string
		notWant []string
	}{
		{
			name: "categorization: the response as a tree, the attachment as text",
			body: fixture(t, "categorization.json"),
			want: []string{`<span class="k">category</span> <span class="v string">red</span>`, `<dd>categorization</dd>`,
				`<span class="mono">tomato</span> <span class="muted">(not a web URL)</span>`},
			notWant: []string{`<svg class="shapes"`},
		},
		{
			name: "error task: the error and the attachments that failed",
			body: fixture(t, "error.json"),
			want: []string{"One or more attachments could not be downloaded.",
				`<a href="https://private-bucket.s3.amazonaws.com/frames/0001.jpg" rel="noopener noreferrer">`, "HTTP 403",
				`<span class="status status-error">error</span>`},
			notWant: []string{`<svg class="shapes"`},
		},
		{
			name: "a body that is not JSON is shown as it is",
			body: []byte("not json <b>"),
			want: []string{"is not a JSON object", "not json &lt;b&gt;"},
		},
		{
			name: "a video task's response is a tree with links",
			body: []byte(`{"task":{"type":"videoannotation","params":{"attachments":["https://x.test/f1.jpg","ftp://x.test/f2.jpg"]}},
			  "response":{"annotations":{"url":"https://scale.test/annotations.json"}}}`),
			want: []string{`<a class="v s" href="https://scale.test/annotations.json"`, `<a href="https://x.test/f1.jpg"`,
				`<span class="mono">ftp://x.test/f2.jpg</span>`},
			notWant: []string{`<svg class="shapes"`},
		},
		{
			name: "a text task's annotations are a tree, not shapes",
			body: []byte(`{"task":{"type":"namedentityrecognition","params":{"text":"Ada lives in Paris"}},
			  "response":{"annotations":[{"label":"city","start":13,"end":18}]}}`),
			want:    []string{`<span class="k">label</span> <span class="v string">city</span>`},
			notWant: []string{`<svg class="shapes"`, "has no attachment"},
		},
		{
			name: "a null response gives way to the task's own",
			body: []byte(`{"task_id":"t","response":null,"task":{"type":"categorization","response":{"category":"blue"}}}`),
			want: []string{`<span class="k">category</span> <span class="v string">blue</span>`},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			page := renderTask(t, "t", c.body)
			for _, w := range c.want {
				if !strings.Contains(page, w) {
					t.Errorf("missing %s", w)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(page, w) {
					t.Errorf("got %s, want none", w)
				}
			}
		})
	}
}

func TestTaskPageSurvivesDeepAndLargeBodies(t *testing.T) {
	deep := `{"task":{"type":"categorization"},"response":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`
	page := renderTask(t, "t", []byte(deep))
	if !strings.Contains(page, "see the raw JSON") {
		t.Error("deep response: got no marker where the tree stops")
	}
	big := `{"task":{"type":"categorization"},"response":{"items":[` + strings.Repeat(`"abcdefghij",`, 300000) + `"z"]}}`
	page = renderTask(t, "t", []byte(big))
	if !strings.Contains(page, "this view is cut short") {
		t.Error("large response: got no note that the raw JSON view is cut short")
	}
}

func TestPrefersHTML(t *testing.T) {
	cases := []struct {
		name   string
		accept string
		query  string
		want   bool
	}{
		{"no Accept header gets JSON", "", "", false},
		{"curl's */* gets JSON", "*/*", "", false},
		{"application/json gets JSON", "application/json", "", false},
		{"Chrome's Accept gets HTML", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7", "", true},
		{"Firefox's Accept gets HTML", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "", true},
		{"text/html alone gets HTML", "text/html", "", true},
		{"text/* gets HTML", "text/*", "", true},
		{"JSON rated above HTML gets JSON", "text/html;q=0.5, application/json", "", false},
		{"a tie gets JSON", "text/html, application/json", "", false},
		{"text/html refused with q=0 gets JSON", "text/html;q=0, */*", "", false},
		{"a malformed q never wins", "text/html;q=abc, application/json;q=0.1", "", false},
		{"the most specific range decides", "text/*;q=0.1, text/html;q=0.9, application/*;q=0.5", "", true},
		{"case does not matter", "TEXT/HTML", "", true},
		{"?format=json wins over a browser", "text/html", "format=json", false},
		{"?format=html wins over curl", "*/*", "format=html", true},
		{"an unknown format is ignored", "text/html", "format=xml", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/scale/task/x?"+c.query, nil)
			if c.accept != "" {
				r.Header.Set("Accept", c.accept)
			}
			if got := prefersHTML(r); got != c.want {
				t.Errorf("Accept %q ?%s: got HTML %v, want %v", c.accept, c.query, got, c.want)
			}
		})
	}
}

func TestStaticAssets(t *testing.T) {
	srv := viewTestServer(t, nil)
	css := testViews.assets["app.css"]
	cases := []struct {
		name        string
		path        string
		header      map[string]string
		wantStatus  int
		wantType    string
		wantCaching string
	}{
		{"the linked version is cached for a year", "/static/app.css?v=" + css.ver, nil, 200, "text/css; charset=utf-8", "public, max-age=31536000, immutable"},
		{"another version revalidates", "/static/app.css?v=old", nil, 200, "text/css; charset=utf-8", "public, no-cache"},
		{"the script", "/static/app.js", nil, 200, "text/javascript; charset=utf-8", "public, no-cache"},
		{"a matching ETag gets 304", "/static/app.css", map[string]string{"If-None-Match": css.etag}, 304, "", "public, no-cache"},
		{"an unknown asset is 404", "/static/nope.js", nil, 404, "", ""},
		{"a template is not an asset", "/static/task.html", nil, 404, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL+c.path, nil)
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.wantStatus {
				t.Errorf("got status %d, want %d", resp.StatusCode, c.wantStatus)
			}
			if c.wantType != "" && resp.Header.Get("Content-Type") != c.wantType {
				t.Errorf("got Content-Type %q, want %q", resp.Header.Get("Content-Type"), c.wantType)
			}
			if resp.Header.Get("Cache-Control") != c.wantCaching {
				t.Errorf("got Cache-Control %q, want %q", resp.Header.Get("Cache-Control"), c.wantCaching)
			}
		})
	}
}

func TestPagesLinkOnlyServedAssets(t *testing.T) {
	var buf bytes.Buffer
	if err := testViews.indexPage(&buf, indexView{}); err != nil {
		t.Fatal(err)
	}
	for name, a := range testViews.assets {
		if strings.HasSuffix(name, ".css") || strings.HasSuffix(name, ".js") {
			if link := "/static/" + name + "?v=" + a.ver; !strings.Contains(buf.String(), link) {
				t.Errorf("the index page does not link %s", link)
			}
		}
	}
	for _, attr := range []string{" style=", " onload=", " onclick=", "<style"} {
		for page, tmpl := range testViews.pages {
			if strings.Contains(tmpl.Tree.Root.String(), attr) {
				t.Errorf("template %s has %q, which the Content-Security-Policy blocks", page, attr)
			}
		}
	}
}

func TestTaskListPage(t *testing.T) {
	when := time.Date(2026, 11, 28, 9, 14, 3, 0, time.UTC)
	tasks := []TaskInfo{{ID: "6470d2a7c3b9e1f0a2d4c8e6", Bytes: 14540, LastModified: when}, {ID: "a_b-c", Bytes: 12, LastModified: when}}
	var buf bytes.Buffer
	if err := testViews.taskList(&buf, tasks, "5", "a_b-c", 2); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{
		`<a class="mono" href="/scale/task/6470d2a7c3b9e1f0a2d4c8e6">6470d2a7c3b9e1f0a2d4c8e6</a>`,
		`<td class="num" title="14540 bytes">14.2 KiB</td>`,
		`<td class="num" title="12 bytes">12 B</td>`,
		`<time datetime="2026-11-28T09:14:03Z">2026-11-28 09:14:03 UTC</time>`,
		`href="/scale/tasks?after=a_b-c&amp;limit=2" rel="next">Next page</a>`,
		`href="/scale/tasks?limit=2">First page</a>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("list page: missing %s", want)
		}
	}
	buf.Reset()
	if err := testViews.taskList(&buf, nil, "", "", 100); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "No task has been stored yet") || strings.Contains(buf.String(), "Next page") {
		t.Errorf("empty list page: got %s", buf.String())
	}
}

func TestByteSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 14540: "14.2 KiB", 10 << 20: "10.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := byteSize(n); got != want {
			t.Errorf("byteSize(%d): got %q, want %q", n, got, want)
		}
	}
}

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

func TestServerNegotiatesTheTaskAndTheList(t *testing.T) {
	store := newMemStore()
	store.Put(context.Background(), testTaskID, []byte(testCallback))
	srv := newTestServer(t, store, serverConfig{})
	cases := []struct {
		name     string
		path     string
		accept   string
		wantType string
		wantBody string
	}{
		{"a browser gets the task page", "/scale/task/" + testTaskID, browserAccept, "text/html; charset=utf-8", `<h1><span class="muted">Task</span>`},
		{"curl gets the stored JSON", "/scale/task/" + testTaskID, "*/*", "application/json", testCallback},
		{"no Accept gets the stored JSON", "/scale/task/" + testTaskID, "", "application/json", testCallback},
		{"?format=json gives a browser the JSON", "/scale/task/" + testTaskID + "?format=json", browserAccept, "application/json", testCallback},
		{"?format=html gives curl the page", "/scale/task/" + testTaskID + "?format=html", "*/*", "text/html; charset=utf-8", `<h1><span class="muted">Task</span>`},
		{"a browser gets the task list page", "/scale/tasks", browserAccept, "text/html; charset=utf-8", `href="/scale/task/` + testTaskID + `"`},
		{"a script gets the task list JSON", "/scale/tasks", "application/json", "application/json", `"task_id":"` + testTaskID + `"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", c.path, nil)
			if c.accept != "" {
				r.Header.Set("Accept", c.accept)
			}
			w := srv.do(r)
			if w.Code != 200 {
				t.Fatalf("got status %d, want 200: %s", w.Code, w.Body)
			}
			if got := w.Header().Get("Content-Type"); got != c.wantType {
				t.Errorf("got Content-Type %q, want %q", got, c.wantType)
			}
			if !strings.Contains(w.Body.String(), c.wantBody) {
				t.Errorf("got body without %s", c.wantBody)
			}
			if got := w.Header().Get("Vary"); got != "Accept" {
				t.Errorf("got Vary %q, want Accept", got)
			}
			csp := w.Header().Get("Content-Security-Policy")
			if html := strings.HasPrefix(c.wantType, "text/html"); html != (csp == contentSecurityPolicy) {
				t.Errorf("got Content-Security-Policy %q on a %s response", csp, c.wantType)
			}
		})
	}
}

func TestServerKeepsTheJSONValidators(t *testing.T) {
	store := newMemStore()
	store.Put(context.Background(), testTaskID, []byte(testCallback))
	srv := newTestServer(t, store, serverConfig{})
	w := srv.do(httptest.NewRequest("GET", "/scale/task/"+testTaskID, nil))
	etag := w.Header().Get("ETag")
	if etag == "" {
		t.Fatal("the JSON has no ETag")
	}
	r := httptest.NewRequest("GET", "/scale/task/"+testTaskID, nil)
	r.Header.Set("If-None-Match", etag)
	if w := srv.do(r); w.Code != 304 {
		t.Errorf("JSON If-None-Match: got %d, want 304", w.Code)
	}
	// The page is a different representation: the JSON's validator does not
	// answer for it.
	r = httptest.NewRequest("GET", "/scale/task/"+testTaskID, nil)
	r.Header.Set("Accept", browserAccept)
	r.Header.Set("If-None-Match", etag)
	if w := srv.do(r); w.Code != 200 || w.Header().Get("ETag") != "" {
		t.Errorf("page If-None-Match: got %d with ETag %q, want 200 without an ETag", w.Code, w.Header().Get("ETag"))
	}
}

func TestServerCSPOnEveryHTMLResponse(t *testing.T) {
	store := newMemStore()
	store.Put(context.Background(), testTaskID, []byte(testCallback))
	srv := newTestServer(t, store, serverConfig{})
	cases := []struct {
		path   string
		status int
	}{
		{"/", 200},
		{"/scale/tasks", 200},
		{"/scale/task/" + testTaskID, 200},
		{"/scale/task/nosuchtask", 404},
		{"/scale/task/bad..id", 400},
		{"/scale/tasks?limit=0", 400},
		{"/no/such/page", 404},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			r := httptest.NewRequest("GET", c.path, nil)
			r.Header.Set("Accept", browserAccept)
			w := srv.do(r)
			if w.Code != c.status {
				t.Errorf("got status %d, want %d", w.Code, c.status)
			}
			if got := w.Header().Get("Content-Type"); got != "text/html; charset=utf-8" {
				t.Errorf("got Content-Type %q, want an HTML page", got)
			}
			if got := w.Header().Get("Content-Security-Policy"); got != contentSecurityPolicy {
				t.Errorf("got Content-Security-Policy %q, want %q", got, contentSecurityPolicy)
			}
			if got := w.Header().Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("got X-Content-Type-Options %q, want nosniff", got)
			}
		})
	}
	// A script still gets problem details.
	w := srv.do(httptest.NewRequest("GET", "/scale/task/nosuchtask", nil))
	problemDetail(t, w, 404)
}

func TestViewerPasswordGuardsThePages(t *testing.T) {
	store := newMemStore()
	store.Put(context.Background(), testTaskID, []byte(testCallback))
	srv := newTestServer(t, store, serverConfig{viewerPassword: testPassword})
	for _, path := range []string{"/", "/scale/tasks", "/scale/task/" + testTaskID, "/scale/task/" + testTaskID + "?format=html"} {
		r := httptest.NewRequest("GET", path, nil)
		r.Header.Set("Accept", browserAccept)
		if w := srv.do(r); w.Code != 401 || strings.Contains(w.Body.String(), testTaskID) || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
			t.Errorf("%s without the password: got %d %q, want 401, a page and no task", path, w.Code, w.Header().Get("Content-Type"))
		}
		r.SetBasicAuth("anyone", testPassword)
		if w := srv.do(r); w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
			t.Errorf("%s with the password: got %d %q, want 200 text/html", path, w.Code, w.Header().Get("Content-Type"))
		}
	}
	// The stylesheet and script hold nothing secret and load without it.
	r := httptest.NewRequest("GET", "/static/app.css", nil)
	if w := srv.do(r); w.Code != 200 {
		t.Errorf("static asset without the password: got %d, want 200", w.Code)
	}
}

func BenchmarkTaskPage(b *testing.B) {
	var many strings.Builder
	many.WriteString(`{"task":{"type":"imageannotation","params":{"attachment":"https://x.test/a.png"}},"response":{"annotations":[`)
	for i := range 5000 {
		if i > 0 {
			many.WriteByte(',')
		}
		fmt.Fprintf(&many, `{"type":"polygon","label":"l%d","attributes":{"occluded":"no"},"vertices":[{"x":%d.5,"y":10},{"x":20,"y":30.25},{"x":5,"y":40},{"x":1,"y":2}]}`, i%30, i)
	}
	many.WriteString(`]}}`)
	fixture, err := os.ReadFile("testdata/imageannotation.json")
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		body []byte
	}{{"street scene", fixture}, {"5000 polygons", []byte(many.String())}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			var page bytes.Buffer
			for b.Loop() {
				page.Reset()
				if err := testViews.taskPage(&page, "t", c.body); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(page.Len()), "page-bytes")
		})
	}
}
