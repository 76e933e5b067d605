package main

// The shapes of an image task: each annotation of Scale's response becomes
// the SVG geometry that draws it in the image's pixel coordinates.

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

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
