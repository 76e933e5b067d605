package main

// The task page's model: a stored callback, read leniently, becomes the
// header fields, the shapes to draw (shapes.go), an error, or a JSON tree.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

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
	if len(responseRaw) == 0 || string(bytes.TrimSpace(responseRaw)) == "null" {
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
		(imageTaskTypes[tv.Type] || attachmentType == "image" || anyShape(tv.Type, annotations))
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

// anyShape reports whether any of the annotations of a task of an unknown
// type has a geometry: the annotations of text tasks (named entities, spans)
// have none, and their response is better shown as a tree.
func anyShape(taskType string, annotations []json.RawMessage) bool {
	for _, a := range annotations {
		if newShape(taskType, a).Drawn {
			return true
		}
	}
	return false
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
