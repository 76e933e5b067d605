// Package taskbody makes realistic Scale AI callback bodies for the
// benchmark and the load tests: a small polygon task (about 1 KB) and an
// imageannotation task with about 240 boxes and polygons (about 200 KB).
//
// A body is generated once as a template and then stamped with each task id,
// so a load generator spends almost nothing per request and a reader can
// check a stored body byte for byte without keeping a copy of it.
package taskbody

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	mathrand "math/rand/v2"
	"strings"
	"sync/atomic"
)

// IDLen is the length of every generated task id: 24 hex characters, like
// the ids Scale gives its tasks.
const IDLen = 24

// placeholder stands for the task id in a template; it cannot occur in a
// generated body otherwise, since '@' is in no generated string.
var placeholder = strings.Repeat("@", IDLen)

// Template is one callback body with the places where the task id goes.
type Template struct {
	Name    string
	body    []byte
	offsets []int
}

// Len is the size in bytes of every body made from t.
func (t *Template) Len() int { return len(t.body) }

// Body returns a new body for task id (IDLen characters).
func (t *Template) Body(id string) []byte {
	b := bytes.Clone(t.body)
	t.stamp(b, id)
	return b
}

func (t *Template) stamp(b []byte, id string) {
	if len(id) != IDLen {
		panic(fmt.Sprintf("taskbody: task id %q is %d characters, want %d", id, len(id), IDLen))
	}
	for _, off := range t.offsets {
		copy(b[off:], id)
	}
}

// Matches reports whether got is byte for byte the body for task id.
func (t *Template) Matches(id string, got []byte) bool {
	if len(got) != len(t.body) || len(id) != IDLen {
		return false
	}
	prev := 0
	for _, off := range t.offsets {
		if !bytes.Equal(got[prev:off], t.body[prev:off]) || string(got[off:off+IDLen]) != id {
			return false
		}
		prev = off + IDLen
	}
	return bytes.Equal(got[prev:], t.body[prev:])
}

func newTemplate(name string, v any) *Template {
	body, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	t := &Template{Name: name, body: body}
	for i := 0; ; {
		j := bytes.Index(body[i:], []byte(placeholder))
		if j < 0 {
			break
		}
		t.offsets = append(t.offsets, i+j)
		i += j + IDLen
	}
	return t
}

// IDs hands out task ids unique to this generator: a random prefix and a
// counter, in Scale's 24-hex-character shape.
type IDs struct {
	prefix string
	n      atomic.Uint64
}

// NewIDs returns a generator whose ids differ from every other generator's.
func NewIDs() *IDs {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return &IDs{prefix: hex.EncodeToString(b)}
}

// Next returns a task id not handed out before.
func (g *IDs) Next() string {
	return fmt.Sprintf("%s%016x", g.prefix, g.n.Add(1))
}

type point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

type annotation struct {
	UUID       string            `json:"uuid"`
	Type       string            `json:"type"`
	Label      string            `json:"label"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Left       *float64          `json:"left,omitempty"`
	Top        *float64          `json:"top,omitempty"`
	Width      *float64          `json:"width,omitempty"`
	Height     *float64          `json:"height,omitempty"`
	Vertices   []point           `json:"vertices,omitempty"`
}

type response struct {
	Annotations      []annotation      `json:"annotations"`
	GlobalAttributes map[string]string `json:"global_attributes,omitempty"`
}

type geometry struct {
	ObjectsToAnnotate []string `json:"objects_to_annotate"`
	MinHeight         int      `json:"min_height,omitempty"`
	MinWidth          int      `json:"min_width,omitempty"`
	MinVertices       int      `json:"min_vertices,omitempty"`
}

type params struct {
	AttachmentType string              `json:"attachment_type"`
	Attachment     string              `json:"attachment"`
	Geometries     map[string]geometry `json:"geometries"`
}

type task struct {
	TaskID      string         `json:"task_id"`
	CreatedAt   string         `json:"created_at"`
	CompletedAt string         `json:"completed_at"`
	CallbackURL string         `json:"callback_url"`
	Type        string         `json:"type"`
	Status      string         `json:"status"`
	Instruction string         `json:"instruction"`
	Params      params         `json:"params"`
	IsTest      bool           `json:"is_test"`
	Urgency     string         `json:"urgency"`
	Metadata    map[string]any `json:"metadata"`
	Project     string         `json:"project"`
	Batch       string         `json:"batch"`
	Response    response       `json:"response"`
}

type callback struct {
	TaskID   string   `json:"task_id"`
	Status   string   `json:"status"`
	Response response `json:"response"`
	Task     task     `json:"task"`
}

// round1 keeps one decimal place, as pixel coordinates usually come.
func round1(f float64) float64 { return float64(int(f*10)) / 10 }

func uuid(r *mathrand.Rand) string {
	b := make([]byte, 16)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func polygon(r *mathrand.Rand, label string, n int) annotation {
	cx, cy := 100+r.Float64()*1720, 100+r.Float64()*880
	vs := make([]point, n)
	for i := range vs {
		// Points around a centre, in order, so the polygon is simple.
		a := 2 * math.Pi * float64(i) / float64(n)
		rad := 30 + r.Float64()*60
		vs[i] = point{X: round1(cx + rad*math.Cos(a)), Y: round1(cy + rad*math.Sin(a))}
	}
	return annotation{UUID: uuid(r), Type: "polygon", Label: label, Vertices: vs}
}

func box(r *mathrand.Rand, label string) annotation {
	l, t := round1(r.Float64()*1800), round1(r.Float64()*1000)
	w, h := round1(8+r.Float64()*200), round1(8+r.Float64()*150)
	return annotation{
		UUID: uuid(r), Type: "box", Label: label,
		Attributes: map[string]string{"occlusion": []string{"0%", "25%", "50%"}[r.IntN(3)], "truncated": []string{"no", "yes"}[r.IntN(2)]},
		Left:       &l, Top: &t, Width: &w, Height: &h,
	}
}

func newTask(kind, instruction string, geoms map[string]geometry, resp response) task {
	return task{
		TaskID:      placeholder,
		CreatedAt:   "2026-11-30T09:12:44.190Z",
		CompletedAt: "2026-11-30T11:47:03.512Z",
		CallbackURL: "https://scale-callback.example.com/scale/callback",
		Type:        kind,
		Status:      "completed",
		Instruction: instruction,
		Params: params{
			AttachmentType: "image",
			Attachment:     "https://images.example.com/street-scenes/frame-000421.jpg",
			Geometries:     geoms,
		},
		Urgency:  "standard",
		Metadata: map[string]any{"camera": "front-left", "frame": 421, "drive": "2026-11-28-sf-07"},
		Project:  "street-scenes",
		Batch:    "street-scenes-2026-11-30",
		Response: resp,
	}
}

// Small returns the template of a polygon task with one polygon: about 1 KB.
func Small() *Template {
	r := mathrand.New(mathrand.NewPCG(1, 2))
	resp := response{Annotations: []annotation{polygon(r, "car", 8)}}
	geoms := map[string]geometry{"polygon": {ObjectsToAnnotate: []string{"car"}, MinVertices: 3}}
	cb := callback{
		TaskID: placeholder, Status: "completed", Response: resp,
		Task: newTask("polygon", "Draw a tight polygon around the car.", geoms, resp),
	}
	return newTemplate("1KB", cb)
}

// Large returns the template of an imageannotation task with 240 boxes and
// polygons (the task object repeats the response, as Scale's do): about
// 200 KB.
func Large() *Template {
	r := mathrand.New(mathrand.NewPCG(3, 4))
	boxLabels := []string{"car", "pedestrian", "cyclist", "traffic_light", "traffic_sign", "truck"}
	polyLabels := []string{"road", "sidewalk", "building", "vegetation"}
	var resp response
	for i := 0; i < 240; i++ {
		if i%3 == 2 {
			resp.Annotations = append(resp.Annotations, polygon(r, polyLabels[r.IntN(len(polyLabels))], 27+r.IntN(16)))
		} else {
			resp.Annotations = append(resp.Annotations, box(r, boxLabels[r.IntN(len(boxLabels))]))
		}
	}
	resp.GlobalAttributes = map[string]string{"weather": "overcast", "time_of_day": "day"}
	geoms := map[string]geometry{
		"box":     {ObjectsToAnnotate: boxLabels, MinHeight: 8, MinWidth: 8},
		"polygon": {ObjectsToAnnotate: polyLabels, MinVertices: 3},
	}
	cb := callback{
		TaskID: placeholder, Status: "completed", Response: resp,
		Task: newTask("imageannotation", "Box every road user and sign; outline road, sidewalk, buildings and vegetation.", geoms, resp),
	}
	return newTemplate("200KB", cb)
}
