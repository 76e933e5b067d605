package main

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// chromiumPath finds a Chromium to drive: $CHROMIUM_PATH, else the usual
// names on PATH. The browser tests skip when there is none.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM_PATH"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts a headless Chromium with a fresh profile and returns a
// tab's context. The flags keep it off the network: it talks to loopback only.
// Console errors about the Content-Security-Policy and uncaught exceptions
// are collected in the returned function's result.
func newBrowser(t *testing.T) (context.Context, func() []string) {
	t.Helper()
	exe := chromiumPath()
	if exe == "" {
		t.Skip("no Chromium found: install Debian's chromium or set CHROMIUM_PATH")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("font-render-hinting", "none"),
		chromedp.WindowSize(1280, 900),
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(cancelTab)

	var mu sync.Mutex
	var problems []string
	messages := chromedp.Console(tab)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.IsException() || m.Type == chromedp.ConsoleError && strings.Contains(m.Text, "Content Security Policy") {
				mu.Lock()
				problems = append(problems, m.String())
				mu.Unlock()
			}
		}
	}()
	return tab, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), problems...)
	}
}

// imageServer serves the street scene at /frames/street-0142.png; other
// paths are 404, as an expired signed URL would be.
func imageServer(t *testing.T) *httptest.Server {
	t.Helper()
	scene := streetScenePNG(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/frames/street-0142.png" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Write(scene)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// shapeGeometry is what the page reports about one drawn shape.
type shapeGeometry struct {
	Tag    string             `json:"tag"`
	Attrs  map[string]string  `json:"attrs"`
	BBox   map[string]float64 `json:"bbox"`   // getBBox, in image pixels
	Screen map[string]float64 `json:"screen"` // the bbox mapped through the image's on-screen rect
}

// readShapes returns, for each shape id, its first geometry element's
// attributes and bounding box, and where that box lands on screen relative
// to the image (in image pixels, from the image's own on-screen rect).
const readShapesJS = `(() => {
  const img = document.querySelector('img.attachment');
  const ir = img ? img.getBoundingClientRect() : null;
  const out = {};
  document.querySelectorAll('svg.shapes .shape').forEach((g) => {
    const el = g.querySelector('rect, polygon, polyline, circle, ellipse, line');
    const attrs = {};
    for (const a of el.attributes) attrs[a.name] = a.value;
    const b = el.getBBox();
    const r = el.getBoundingClientRect();
    const screen = ir ? {
      x: (r.left - ir.left) * img.naturalWidth / ir.width,
      y: (r.top - ir.top) * img.naturalHeight / ir.height,
      width: r.width * img.naturalWidth / ir.width,
      height: r.height * img.naturalHeight / ir.height,
    } : null;
    out[g.id] = {tag: el.tagName, attrs, bbox: {x: b.x, y: b.y, width: b.width, height: b.height}, screen};
  });
  return out;
})()`

func TestBrowserTaskPage(t *testing.T) {
	tab, problems := newBrowser(t)
	images := imageServer(t)
	raw, err := os.ReadFile("testdata/imageannotation.json")
	if err != nil {
		t.Fatal(err)
	}
	const fixtureImage = "https://example-bucket.s3.amazonaws.com/frames/street-0142.png"
	const taskID = "6470d2a7c3b9e1f0a2d4c8e6"
	good := bytes.ReplaceAll(raw, []byte(fixtureImage), []byte(images.URL+"/frames/street-0142.png"))
	broken := bytes.ReplaceAll(raw, []byte(fixtureImage), []byte(images.URL+"/frames/expired.png"))
	broken = bytes.ReplaceAll(broken, []byte(taskID), []byte("broken-image"))
	app := viewTestServer(t, map[string][]byte{taskID: good, "broken-image": broken})

	do(t, tab,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(app.URL+"/scale/task/"+taskID),
		chromedp.WaitReady(chromedp.CSS(`.canvas[data-state="loaded"]`)),
	)
	page := evalJS[map[string]shapeGeometry](t, tab, readShapesJS)

	// Every shape sits at its annotation's pixel coordinates, both in the
	// SVG's user space (getBBox) and on screen over the image.
	want := map[string]struct {
		tag                 string
		x, y, width, height float64
	}{
		"shape-1": {"rect", 120, 340, 240, 155},                                              // box
		"shape-2": {"rect", 452, 286, 36, 108},                                               // box
		"shape-3": {"polygon", 409.5229, 488.1537, 530.4771 - 409.5229, 551.8463 - 488.1537}, // rotated box
		"shape-4": {"polygon", 600, 290, 160, 150},                                           // cuboid's front face
		"shape-5": {"polygon", 35, 120, 110, 180},                                            // polygon
		"shape-6": {"polyline", 575, 310, 265, 265},                                          // line
		"shape-7": {"circle", 344 - 5, 412 - 5, 10, 10},                                      // point (r=5 before CSS scaling)
		"shape-8": {"circle", 136 - 5, 405 - 5, 10, 10},                                      // point
		"shape-9": {"ellipse", 845, 115, 70, 70},                                             // ellipse
	}
	if len(page) != len(want) {
		t.Errorf("got %d shapes on the page, want %d", len(page), len(want))
	}
	for id, w := range want {
		g, ok := page[id]
		if !ok {
			t.Errorf("%s: not on the page", id)
			continue
		}
		if g.Tag != w.tag {
			t.Errorf("%s: got <%s>, want <%s>", id, g.Tag, w.tag)
		}
		if w.tag == "circle" {
			// The CSS sizes a point's dot in screen pixels; its centre is what counts.
			cx, cy := g.BBox["x"]+g.BBox["width"]/2, g.BBox["y"]+g.BBox["height"]/2
			if !near(cx, w.x+5, 0.01) || !near(cy, w.y+5, 0.01) {
				t.Errorf("%s: got centre (%g, %g), want (%g, %g)", id, cx, cy, w.x+5, w.y+5)
			}
			continue
		}
		for _, f := range []struct {
			name      string
			got, want float64
		}{
			{"x", g.BBox["x"], w.x}, {"y", g.BBox["y"], w.y}, {"width", g.BBox["width"], w.width}, {"height", g.BBox["height"], w.height},
		} {
			if !near(f.got, f.want, 0.01) {
				t.Errorf("%s: got bbox %s %g, want %g", id, f.name, f.got, f.want)
			}
		}
		// On screen, within a pixel of the image's own scale (strokes widen the rect).
		if s := g.Screen; s == nil || !near(s["x"], w.x, 3) || !near(s["y"], w.y, 3) || !near(s["width"], w.width, 6) {
			t.Errorf("%s: on screen at %v over the image, want x %g y %g width %g", id, g.Screen, w.x, w.y, w.width)
		}
	}

	// Hovering a shape shows its label and attributes and marks its table row.
	do(t, tab, hoverCentreOf("#shape-1 rect"))
	tipHidden := evalJS[bool](t, tab, `document.getElementById('tip').hidden`)
	tipText := evalJS[string](t, tab, `document.getElementById('tip').textContent`)
	if tipHidden || !strings.Contains(tipText, "car") || !strings.Contains(tipText, "moving") || !strings.Contains(tipText, "yes") {
		t.Errorf("hover on the car: got tooltip hidden=%v %q, want it showing car and moving: yes", tipHidden, tipText)
	}
	if class := evalJS[string](t, tab, `document.getElementById('ann-1').className`); !strings.Contains(class, "hl") {
		t.Errorf("hover on the car: got its row's class %q, want hl", class)
	}

	// The screenshot for the README is taken from the top of the page, with
	// the car's tooltip showing.
	do(t, tab, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := chromedp.Evaluate[bool](`window.scrollTo(0, 0), true`)(ctx, tg)
		return err
	}), hoverAt("#shape-1 rect"))
	shot, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err := png.DecodeConfig(bytes.NewReader(shot)); err != nil || cfg.Width < 800 {
		t.Errorf("screenshot: got %v, %+v; want a PNG at least 800 px wide", err, cfg)
	}
	if os.Getenv("UPDATE_SCREENSHOT") != "" {
		if err := os.WriteFile(filepath.Join("docs", "task-page.png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Focusing a shape from the keyboard shows its tooltip too.
	do(t, tab,
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, 2, 2),
		chromedp.Focus(chromedp.CSS("#shape-9")),
	)
	tipHidden = evalJS[bool](t, tab, `document.getElementById('tip').hidden`)
	tipText = evalJS[string](t, tab, `document.getElementById('tip').textContent`)
	if tipHidden || !strings.Contains(tipText, "traffic sign") || !strings.Contains(tipText, "speed limit") {
		t.Errorf("focus on the sign: got tooltip hidden=%v %q, want traffic sign with kind: speed limit", tipHidden, tipText)
	}

	// The label button hides the labels and shows them again.
	const tagDisplay = `getComputedStyle(document.querySelector('#shape-1 .tag')).display`
	do(t, tab, chromedp.Blur(chromedp.CSS("#shape-9")), chromedp.Click(chromedp.CSS("#toggle-labels")))
	hidden := evalJS[string](t, tab, tagDisplay)
	button := evalJS[string](t, tab, `document.getElementById('toggle-labels').textContent`)
	do(t, tab, chromedp.Click(chromedp.CSS("#toggle-labels")))
	shown := evalJS[string](t, tab, tagDisplay)
	if hidden != "none" || button != "Show labels" || shown == "none" {
		t.Errorf("label toggle: got display %q then %q, button %q; want none, then shown, and Show labels", hidden, shown, button)
	}

	// A legend entry hides its label's shapes and shows them again.
	const carDisplay = `getComputedStyle(document.getElementById('shape-1')).display`
	do(t, tab, chromedp.Click(chromedp.CSS(`.legend-item[data-label="0"]`)))
	carHidden := evalJS[string](t, tab, carDisplay)
	do(t, tab, chromedp.Click(chromedp.CSS(`.legend-item[data-label="0"]`)))
	if carShown := evalJS[string](t, tab, carDisplay); carHidden != "none" || carShown == "none" {
		t.Errorf("legend toggle of car: got display %q then %q, want none then shown", carHidden, carShown)
	}

	// Hovering a table row highlights its shape.
	do(t, tab, chromedp.ScrollIntoView(chromedp.CSS("#ann-6")), hoverCentreOf("#ann-6"))
	shapeClass := evalJS[string](t, tab, `document.getElementById('shape-6').getAttribute('class')`)
	dimmed := evalJS[bool](t, tab, `document.querySelector('svg.shapes').classList.contains('has-hl')`)
	if !strings.Contains(shapeClass, "hl") || !dimmed {
		t.Errorf("hover on row 6: got shape class %q, others dimmed %v; want hl and dimmed", shapeClass, dimmed)
	}

	// When the image cannot load, the shapes still show, on a canvas sized to
	// their extent, with a notice.
	do(t, tab,
		chromedp.Navigate(app.URL+"/scale/task/broken-image"),
		chromedp.WaitReady(chromedp.CSS(`.canvas[data-state="failed"]`)),
	)
	if evalJS[bool](t, tab, `document.getElementById('image-notice').hidden`) {
		t.Error("broken image: got the notice hidden, want it shown")
	}
	if vb := evalJS[string](t, tab, `document.querySelector('svg.shapes').getAttribute('viewBox')`); vb != "-9 71 968 548" {
		t.Errorf("broken image: got viewBox %q, want the shapes' extent with a margin, -9 71 968 548", vb)
	}
	broken2 := evalJS[map[string]shapeGeometry](t, tab, readShapesJS)
	if b := broken2["shape-1"].BBox; !near(b["x"], 120, 0.01) || !near(b["width"], 240, 0.01) {
		t.Errorf("broken image: got the car at %v, want x 120 width 240", b)
	}
	if h := evalJS[float64](t, tab, `document.querySelector('svg.shapes').getBoundingClientRect().height`); h < 200 {
		t.Errorf("broken image: got a canvas %g px high, want it sized to the shapes", h)
	}

	if p := problems(); len(p) > 0 {
		t.Errorf("the browser reported problems: %q", p)
	}
}

func do(t *testing.T, tab context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(tab, steps...); err != nil {
		t.Fatal(err)
	}
}

func evalJS[T any](t *testing.T, tab context.Context, js string) T {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.Evaluate[T](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

// hoverAt moves the mouse to the centre of the element sel selects, as it
// is on screen now.
func hoverAt(sel string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		js := fmt.Sprintf(`(() => { const r = document.querySelector(%q).getBoundingClientRect(); return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()`, sel)
		r, err := chromedp.Evaluate[map[string]float64](js)(ctx, tg)
		if err != nil {
			return chromedp.Void{}, fmt.Errorf("locate %s: %w", sel, err)
		}
		return chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, r["x"], r["y"])(ctx, tg)
	}
}

// hoverCentreOf moves the mouse to the centre of the element sel selects.
func hoverCentreOf(sel string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect(); return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()`, sel)
		r, err := chromedp.Evaluate[map[string]float64](js)(ctx, tg)
		if err != nil {
			return chromedp.Void{}, fmt.Errorf("locate %s: %w", sel, err)
		}
		return chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, r["x"], r["y"])(ctx, tg)
	}
}

func near(got, want, tolerance float64) bool { return math.Abs(got-want) <= tolerance }
