package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// defaultScaleAPIURL is Scale's API base; SCALE_API_URL overrides it.
const defaultScaleAPIURL = "https://api.scale.com/v1"

// The defaults reproduce the Python demo's task: polygons around cars and SUVs
// in Scale's example street image.
const (
	defaultAttachment = "https://scale.com/static/img/website/index/example-ia-boxes.jpg"
	defaultObjects    = "car,suv"
)

// Task types create-task knows how to build, and the geometries of imageannotation.
const (
	typePolygonAnnotation = "polygonannotation"
	typeImageAnnotation   = "imageannotation"
)

var geometries = []string{"box", "polygon", "line", "point"}

// createTaskOptions is what the create-task flags asked for.
type createTaskOptions struct {
	taskType    string
	geometry    string
	callbackURL string
	attachment  string
	objects     string
	instruction string
	project     string
}

func newCreateTaskFlags(stderr io.Writer) (*flag.FlagSet, *createTaskOptions) {
	o := &createTaskOptions{}
	fs := flag.NewFlagSet("create-task", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.taskType, "type", typePolygonAnnotation, "task type: polygonannotation (legacy, like the Python demo) or imageannotation")
	fs.StringVar(&o.geometry, "geometry", "polygon", "with --type imageannotation: box, polygon, line or point")
	fs.StringVar(&o.callbackURL, "callback-url", "", "where Scale POSTs the result (default $PUBLIC_URL/scale/callback)")
	fs.StringVar(&o.attachment, "attachment", defaultAttachment, "URL of the image to annotate")
	fs.StringVar(&o.objects, "objects", defaultObjects, "comma-separated labels to annotate")
	fs.StringVar(&o.instruction, "instruction", "", "instruction for the labelers, markdown (default: one made from the geometry and objects)")
	fs.StringVar(&o.project, "project", "", "Scale project to create the task in (optional)")
	return fs, o
}

func createTaskHelp(w io.Writer) {
	fmt.Fprint(w, `Usage: scale-callback create-task [flags]

Creates a task through Scale's API with its callback pointed at this server, and
prints the task id and the URL where the task can be read once Scale calls back.
By default a legacy polygonannotation task, like the Python demo's script;
--type imageannotation --geometry box|polygon|line|point builds the current
request (geometries: {"polygon": {"objects_to_annotate": [...]}}).

Environment:
  SCALE_API_KEY  your Scale API key (dashboard, API Keys). A test key (test_...)
                 is not worked by a human: Scale completes the task at once with
                 a canned response: a quick end-to-end check.
  PUBLIC_URL     where this server is reachable from the internet, e.g.
                 https://my-app.herokuapp.com; the callback URL defaults to
                 $PUBLIC_URL/scale/callback
  SCALE_API_URL  Scale's API base URL (default https://api.scale.com/v1)

Flags:
`)
	fs, _ := newCreateTaskFlags(w)
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// runCreateTask is `scale-callback create-task`; args are those after the
// subcommand's name.
func runCreateTask(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs, o := newCreateTaskFlags(stderr)
	rest, err := parseFlags(fs, args, createTaskHelp, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		createTaskHelp(stderr)
		return &usageError{fmt.Sprintf("create-task takes no arguments, got %q", rest)}
	}
	geometrySet := false
	fs.Visit(func(f *flag.Flag) { geometrySet = geometrySet || f.Name == "geometry" })
	body, err := createTaskBody(o, geometrySet)
	if err != nil {
		createTaskHelp(stderr)
		return &usageError{"create-task: " + err.Error()}
	}

	apiKey := strings.TrimSpace(getenv("SCALE_API_KEY"))
	if apiKey == "" {
		return errors.New("create-task: SCALE_API_KEY is not set: put your Scale API key in it " +
			"(Scale dashboard, API Keys; with a test_ key no human works the task: Scale completes it at once with a canned response)")
	}
	publicURL := strings.TrimSpace(getenv("PUBLIC_URL"))
	callbackURL, readBase, err := callbackURLs(o.callbackURL, publicURL)
	if err != nil {
		return fmt.Errorf("create-task: %w", err)
	}
	body.setCallbackURL(callbackURL)
	if isLoopback(callbackURL) {
		fmt.Fprintf(stderr, "warning: Scale cannot reach %s from the internet; the callback will not arrive "+
			"unless that address is public (deploy the server, or expose it with a tunnel and set PUBLIC_URL)\n", callbackURL)
	}
	apiURL, err := taskEndpoint(getenv("SCALE_API_URL"), o.taskType)
	if err != nil {
		return fmt.Errorf("create-task: SCALE_API_URL: %w", err)
	}

	task, err := postTask(ctx, newHTTPClient(), apiURL, apiKey, body)
	if err != nil {
		return fmt.Errorf("create-task: %w", err)
	}
	fmt.Fprintf(stdout, "Created %s task %s at Scale (status: %s).\n", o.taskType, task.ID, task.Status)
	fmt.Fprintf(stdout, "Scale will POST the result to %s\n", callbackURL)
	fmt.Fprintf(stdout, "Once it has, read the task at %s/scale/task/%s\n", readBase, url.PathEscape(task.ID))
	if strings.HasPrefix(apiKey, "test_") {
		fmt.Fprintln(stdout, "This is a test key: no human works the task, and Scale completes it at once with a canned response.")
	}
	return nil
}

// taskRequest is the JSON body of a create-task call, for any task type.
type taskRequest interface{ setCallbackURL(string) }

// polygonAnnotationRequest is the legacy polygonannotation body, as the Python
// demo sent it.
type polygonAnnotationRequest struct {
	CallbackURL       string   `json:"callback_url"`
	Instruction       string   `json:"instruction"`
	AttachmentType    string   `json:"attachment_type"`
	Attachment        string   `json:"attachment"`
	ObjectsToAnnotate []string `json:"objects_to_annotate"`
	WithLabels        bool     `json:"with_labels"`
	Project           string   `json:"project,omitempty"`
}

func (r *polygonAnnotationRequest) setCallbackURL(u string) { r.CallbackURL = u }

// imageAnnotationRequest is the unified imageannotation body with one geometry.
type imageAnnotationRequest struct {
	CallbackURL string                   `json:"callback_url"`
	Instruction string                   `json:"instruction"`
	Attachment  string                   `json:"attachment"`
	Geometries  map[string]geometryParam `json:"geometries"`
	Project     string                   `json:"project,omitempty"`
}

func (r *imageAnnotationRequest) setCallbackURL(u string) { r.CallbackURL = u }

// geometryParam is one entry of imageannotation's geometries.
type geometryParam struct {
	ObjectsToAnnotate []string `json:"objects_to_annotate"`
}

// createTaskBody builds the request body the options describe, all but the
// callback URL, or says which option is wrong.
func createTaskBody(o *createTaskOptions, geometrySet bool) (taskRequest, error) {
	var objects []string
	for _, s := range strings.Split(o.objects, ",") {
		if s = strings.TrimSpace(s); s != "" {
			objects = append(objects, s)
		}
	}
	if len(objects) == 0 {
		return nil, errors.New("--objects needs at least one label, e.g. --objects car,suv")
	}
	if strings.TrimSpace(o.attachment) == "" {
		return nil, errors.New("--attachment needs the URL of an image")
	}
	switch o.taskType {
	case typePolygonAnnotation:
		if geometrySet {
			return nil, errors.New("--geometry applies to --type imageannotation; polygonannotation draws polygons")
		}
		return &polygonAnnotationRequest{
			Instruction:       instructionOr(o.instruction, "polygon", objects),
			AttachmentType:    "image",
			Attachment:        o.attachment,
			ObjectsToAnnotate: objects,
			WithLabels:        true,
			Project:           o.project,
		}, nil
	case typeImageAnnotation:
		if !slices.Contains(geometries, o.geometry) {
			return nil, fmt.Errorf("--geometry %q: want one of %s", o.geometry, strings.Join(geometries, ", "))
		}
		return &imageAnnotationRequest{
			Instruction: instructionOr(o.instruction, o.geometry, objects),
			Attachment:  o.attachment,
			Geometries:  map[string]geometryParam{o.geometry: {ObjectsToAnnotate: objects}},
			Project:     o.project,
		}, nil
	default:
		return nil, fmt.Errorf("--type %q: want %s or %s", o.taskType, typePolygonAnnotation, typeImageAnnotation)
	}
}

// instructionOr returns instruction, or when it is empty one like the demo's:
// "Draw a tight polygon around every **car** and **suv** in the image."
func instructionOr(instruction, geometry string, objects []string) string {
	if instruction != "" {
		return instruction
	}
	bold := make([]string, len(objects))
	for i, o := range objects {
		bold[i] = "**" + o + "**"
	}
	what := strings.Join(bold, " and ")
	switch geometry {
	case "line":
		return "Draw a line along every " + what + " in the image."
	case "point":
		return "Place a point on every " + what + " in the image."
	default:
		return "Draw a tight " + geometry + " around every " + what + " in the image."
	}
}

// callbackURLs returns the callback URL to give Scale (the flag, else
// PUBLIC_URL + /scale/callback) and the base URL under which the server
// serves /scale/task/{id} (PUBLIC_URL, else the callback URL without
// /scale/callback, else the callback URL's scheme and host).
func callbackURLs(flagURL, publicURL string) (callback, readBase string, err error) {
	if publicURL != "" {
		u, err := parseHTTPURL(publicURL)
		if err != nil {
			return "", "", fmt.Errorf("PUBLIC_URL: %w", err)
		}
		if u.RawQuery != "" || u.Fragment != "" {
			return "", "", fmt.Errorf("PUBLIC_URL %q has a query or fragment: set it to the server's base URL, such as https://my-app.herokuapp.com", publicURL)
		}
		// A PUBLIC_URL copied from the callback URL itself still means the server.
		base := url.URL{Scheme: u.Scheme, Host: u.Host, Path: strings.TrimSuffix(strings.TrimRight(u.Path, "/"), "/scale/callback")}
		readBase = strings.TrimRight(base.String(), "/")
	}
	switch {
	case flagURL != "":
		u, err := parseHTTPURL(flagURL)
		if err != nil {
			return "", "", fmt.Errorf("--callback-url: %w", err)
		}
		callback = u.String()
		if readBase == "" {
			base := url.URL{Scheme: u.Scheme, Host: u.Host}
			if p, ok := strings.CutSuffix(strings.TrimRight(u.Path, "/"), "/scale/callback"); ok {
				base.Path = p
			}
			readBase = strings.TrimRight(base.String(), "/")
		}
	case publicURL != "":
		callback = readBase + "/scale/callback"
	default:
		return "", "", errors.New("no callback URL: set PUBLIC_URL to the address where this server is reachable " +
			"from the internet (e.g. https://my-app.herokuapp.com), or pass --callback-url https://.../scale/callback")
	}
	return callback, readBase, nil
}

// parseHTTPURL accepts only absolute http and https URLs.
func parseHTTPURL(s string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http:// or https:// URL", s)
	}
	return u, nil
}

// isLoopback reports whether rawURL names this machine, which Scale cannot reach.
func isLoopback(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
}

// taskEndpoint is the URL that creates a task of taskType under the API base.
func taskEndpoint(apiBase, taskType string) (string, error) {
	if apiBase = strings.TrimSpace(apiBase); apiBase == "" {
		apiBase = defaultScaleAPIURL
	}
	u, err := parseHTTPURL(apiBase)
	if err != nil {
		return "", err
	}
	return strings.TrimRight(u.String(), "/") + "/task/" + taskType, nil
}

// createdTask is the part of Scale's answer that create-task reports.
type createdTask struct {
	ID     string `json:"task_id"`
	Status string `json:"status"`
}

// postTask creates the task at Scale: HTTP Basic auth with the API key as the
// user name and an empty password, a JSON body, a JSON task back.
func postTask(ctx context.Context, client *http.Client, endpoint, apiKey string, body taskRequest) (*createdTask, error) {
	payload, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(apiKey, "")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "scale-callback")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("could not reach Scale (check the network, and SCALE_API_URL if set): %w", err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("reading the Scale API's answer (HTTP %d): %w", resp.StatusCode, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, scaleRefusal(resp.StatusCode, answer)
	}
	var task createdTask
	if err := json.Unmarshal(answer, &task); err != nil || task.ID == "" {
		return nil, fmt.Errorf("the Scale API answered HTTP %d without a task id: %s", resp.StatusCode, printable(string(answer), 300))
	}
	task.ID = printable(task.ID, 128)
	if task.Status == "" {
		task.Status = "unknown"
	}
	task.Status = printable(task.Status, 40)
	return &task, nil
}

// scaleRefusal turns a non-2xx answer from Scale into an error that shows
// Scale's own message ({"status_code": 400, "error": "..."}) and, for the
// statuses a user can act on, what to do.
func scaleRefusal(status int, body []byte) error {
	var e struct {
		Error   any    `json:"error"`
		Message string `json:"message"`
	}
	msg := ""
	if json.Unmarshal(body, &e) == nil {
		if s, ok := e.Error.(string); ok {
			msg = s
		} else if e.Message != "" {
			msg = e.Message
		}
	}
	if msg == "" {
		msg = string(body)
	}
	if msg = printable(msg, 300); msg == "" {
		msg = http.StatusText(status)
	}
	hint := ""
	switch {
	case status == http.StatusUnauthorized:
		hint = " (check SCALE_API_KEY: the key from Scale's dashboard, API Keys)"
	case status == http.StatusPaymentRequired:
		hint = " (this task type is not enabled on your Scale account)"
	case status == http.StatusTooManyRequests, status >= 500:
		hint = " (try again in a while)"
	case status >= 300 && status < 400:
		hint = " (a redirect: check SCALE_API_URL)"
	}
	return fmt.Errorf("the Scale API refused the task: HTTP %d: %s%s", status, msg, hint)
}
