// Command bench measures scale-callback on this machine in one run: it
// starts versitygw (a real S3-compatible server) on loopback, builds the
// server from the tree and starts it in S3 mode against it, posts callbacks
// with unique task ids at a fixed concurrency for a fixed time with a 1 KB
// and a 200 KB body, reads the stored tasks back (checking every byte), and
// makes the same PUTs and GETs directly to versitygw with the AWS SDK, the
// ceiling for any server in front of that store. It also measures the
// server's peak memory under high concurrency, its start-up time and the
// folder store's durable writes beside the disk's own fsync rate.
//
//	go run ./bench                      # everything, 10 s per phase
//	go run ./bench -duration 2s -mode s3,direct -body 1k
//
// Everything it sends goes to 127.0.0.1. It exits non-zero when any request
// fails or any acknowledged task does not read back byte for byte; a missed
// performance target is reported, not fatal.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/scale-callback/scale-callback/internal/taskbody"
	"github.com/scale-callback/scale-callback/internal/versitygw"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

var allModes = []string{"s3", "direct", "rss", "startup", "local"}

type config struct {
	duration    time.Duration
	conc        int
	rssConc     int
	startupRuns int
	bodies      []*taskbody.Template
	modes       map[string]bool
	dir         string
	profileDir  string
	serverEnv   []string
	rounds      int
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{modes: map[string]bool{}}
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "how long each load phase runs")
	fs.IntVar(&c.conc, "c", 8, "concurrency: requests in flight at once")
	fs.IntVar(&c.rssConc, "rss-c", 64, "concurrency of the peak-memory run (200 KB bodies)")
	fs.IntVar(&c.startupRuns, "startup-runs", 20, "how many times to time exec to the first /healthz 200")
	body := fs.String("body", "1k,200k", "callback bodies to send: 1k (a polygon task), 200k (an imageannotation task with 240 boxes and polygons)")
	mode := fs.String("mode", "all", "what to measure, comma-separated: "+strings.Join(allModes, ",")+" (or all)")
	fs.StringVar(&c.dir, "dir", os.TempDir(), "folder for versitygw's data, the folder store and the disk measurements")
	fs.StringVar(&c.profileDir, "profile", "", "if set, build the server with -tags pprof and save its CPU profile of each S3-mode phase in this folder")
	fs.IntVar(&c.rounds, "rounds", 5, "rounds per phase: the server and the direct SDK calls take turns, duration/rounds each")
	serverEnv := fs.String("server-env", "", "more of the server's environment, comma-separated NAME=VALUE pairs, such as GOGC=400,GOMEMLIMIT=48MiB")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	for _, kv := range strings.Split(*serverEnv, ",") {
		if kv = strings.TrimSpace(kv); kv == "" {
			continue
		}
		if !strings.Contains(kv, "=") {
			return nil, fmt.Errorf("-server-env %q: want NAME=VALUE pairs", kv)
		}
		c.serverEnv = append(c.serverEnv, kv)
	}
	for _, b := range strings.Split(*body, ",") {
		switch strings.ToLower(strings.TrimSpace(b)) {
		case "1k", "1kb":
			c.bodies = append(c.bodies, taskbody.Small())
		case "200k", "200kb":
			c.bodies = append(c.bodies, taskbody.Large())
		default:
			return nil, fmt.Errorf("-body %q: want 1k, 200k or both, comma-separated", b)
		}
	}
	for _, m := range strings.Split(*mode, ",") {
		m = strings.TrimSpace(m)
		switch {
		case m == "all":
			for _, a := range allModes {
				c.modes[a] = true
			}
		case slices.Contains(allModes, m):
			c.modes[m] = true
		default:
			return nil, fmt.Errorf("-mode %q: want some of %s, or all", m, strings.Join(allModes, ","))
		}
	}
	if c.conc < 1 || c.rssConc < 1 || c.duration <= 0 || c.rounds < 1 {
		return nil, errors.New("-c, -rss-c, -rounds and -duration must be positive")
	}
	return c, nil
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	cfg, err := parseFlags(args, os.Stderr)
	if err != nil {
		return err
	}
	b := &bench{cfg: cfg, out: stdout, authKey: "bench-" + fmt.Sprint(time.Now().UnixNano())}
	defer b.close()
	return b.run(ctx)
}

// bench holds what one run set up and what it measured.
type bench struct {
	cfg     *config
	out     io.Writer
	tmp     string
	bin     string // the server built from the tree
	vgw     *versitygw.Server
	authKey string
	targets []target
	failed  []string
}

type target struct {
	what, got, want string
	met             bool
}

func (b *bench) close() {
	if b.vgw != nil {
		_ = b.vgw.Close()
	}
	if b.tmp != "" {
		_ = os.RemoveAll(b.tmp)
	}
}

func (b *bench) printf(format string, a ...any) { fmt.Fprintf(b.out, format, a...) }

func (b *bench) run(ctx context.Context) error {
	cfg := b.cfg
	b.printf("scale-callback benchmark, %s\n", time.Now().UTC().Format(time.RFC3339))
	b.printf("machine: %d CPUs (%s), %s; each phase %s, concurrency %d\n", runtime.NumCPU(), cpuModel(), runtime.Version(), cfg.duration, cfg.conc)
	if len(cfg.serverEnv) > 0 {
		b.printf("server environment adds: %s\n", strings.Join(cfg.serverEnv, " "))
	}
	for _, t := range cfg.bodies {
		b.printf("body %s: %d bytes\n", t.Name, t.Len())
	}
	var err error
	if b.tmp, err = os.MkdirTemp(cfg.dir, "scale-callback-bench-"); err != nil {
		return err
	}
	if isTmpfs(b.tmp) {
		b.printf("note: %s is a tmpfs, so fsync costs nothing there; pass -dir on a real disk\n", cfg.dir)
	}
	if cfg.modes["s3"] || cfg.modes["rss"] || cfg.modes["startup"] || cfg.modes["local"] {
		root, err := moduleRoot()
		if err != nil {
			return err
		}
		if b.bin, err = buildServer(ctx, root, b.tmp, cfg.profileDir != ""); err != nil {
			return err
		}
	}
	if cfg.modes["s3"] || cfg.modes["direct"] || cfg.modes["rss"] {
		if err := b.startVersitygw(ctx); err != nil {
			return err
		}
	}
	for _, tmpl := range cfg.bodies {
		if err := b.s3Pair(ctx, tmpl); err != nil {
			return err
		}
	}
	if cfg.modes["rss"] {
		if err := b.peakMemory(ctx); err != nil {
			return err
		}
	}
	if cfg.modes["startup"] {
		if err := b.startup(ctx); err != nil {
			return err
		}
	}
	if cfg.modes["local"] {
		if err := b.local(ctx); err != nil {
			return err
		}
	}
	b.printTargets()
	if len(b.failed) > 0 {
		return fmt.Errorf("%d check(s) failed:\n  %s", len(b.failed), strings.Join(b.failed, "\n  "))
	}
	return nil
}

func (b *bench) startVersitygw(ctx context.Context) error {
	bin := versitygw.Find()
	if bin == "" {
		b.printf("installing versitygw (go install %s)...\n", versitygw.Package)
		var err error
		if bin, err = versitygw.Install(ctx, os.Stderr); err != nil {
			return err
		}
	}
	vgw, err := versitygw.Start(ctx, bin, b.tmp, "bench")
	if err != nil {
		return err
	}
	b.vgw = vgw
	b.printf("store: versitygw %s (posix backend, keep-alive) at %s, bucket %s\n", strings.TrimPrefix(versitygw.Package, "github.com/versity/versitygw/cmd/versitygw@"), vgw.Endpoint, vgw.Bucket)
	return nil
}

// baseEnv is the server's environment in every mode, with -server-env.
func (b *bench) baseEnv() []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "PORT=0", "SCALE_CALLBACK_AUTH_KEY=" + b.authKey}
	return append(env, b.cfg.serverEnv...)
}

func (b *bench) startS3Server() (*server, error) {
	env := append(b.baseEnv(),
		"S3_BUCKET_NAME="+b.vgw.Bucket,
		"S3_ENDPOINT="+b.vgw.Endpoint,
		"S3_REGION="+versitygw.Region,
		"S3_ACCESS_KEY="+b.vgw.AccessKey,
		"S3_SECRET_KEY="+b.vgw.SecretKey,
	)
	return b.startProfiled(env)
}

// startProfiled starts the server with env, serving CPU profiles when
// -profile is set.
func (b *bench) startProfiled(env []string) (*server, error) {
	if b.cfg.profileDir == "" {
		return startServer(b.bin, env)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	srv, err := startServer(b.bin, append(env, fmt.Sprintf("PPROF_PORT=%d", port)))
	if srv != nil {
		srv.pprofPort = port
	}
	return srv, err
}

// profile starts fetching a CPU profile of srv over the coming phase, when
// -profile is set, and returns a function that waits for it to be saved.
func (b *bench) profile(srv *server, name string) (wait func()) {
	if b.cfg.profileDir == "" || srv.pprofPort == 0 {
		return func() {}
	}
	secs := max(1, int(b.cfg.duration.Seconds())-1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		url := fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/profile?seconds=%d", srv.pprofPort, secs)
		resp, err := http.Get(url)
		if err != nil {
			b.printf("profile %s: %v\n", name, err)
			return
		}
		defer resp.Body.Close()
		path := filepath.Join(b.cfg.profileDir, name+".prof")
		f, err := os.Create(path)
		if err == nil {
			_, err = io.Copy(f, resp.Body)
			err = errors.Join(err, f.Close())
		}
		if err != nil {
			b.printf("profile %s: %v\n", name, err)
			return
		}
		b.printf("CPU profile of the server saved: %s (go tool pprof -top %s %s)\n", path, b.bin, path)
	}()
	return func() { <-done }
}

// s3Pair measures the server in S3 mode and the same work done directly to
// versitygw, for one body. The two take turns in short rounds, so that load
// from elsewhere on the machine weighs on both alike.
func (b *bench) s3Pair(ctx context.Context, tmpl *taskbody.Template) error {
	cfg := b.cfg
	viaServer, viaSDK := cfg.modes["s3"], cfg.modes["direct"]
	slice := cfg.duration / time.Duration(cfg.rounds)
	var post, get, put, read *phase
	var rss int64
	var srv *server
	var sm, dm meter
	if viaServer {
		var err error
		if srv, err = b.startS3Server(); err != nil {
			return err
		}
		defer func() {
			if srv != nil {
				_ = srv.Stop()
			}
		}()
		sm = meter{server: srv.Pid(), store: b.vgw.Pid()}
	}
	dm = meter{store: b.vgw.Pid()}
	client := b.vgw.Client()
	ids := taskbody.NewIDs()
	var mu sync.Mutex
	var acked, stored []string

	saved := func() {}
	if viaServer {
		saved = b.profile(srv, "s3-post-"+tmpl.Name)
	}
	for range cfg.rounds {
		if viaServer {
			post = merge(post, sm.measure(func() *phase {
				p, ok := postCallbacks(srv.URL, b.authKey, tmpl, cfg.conc, slice)
				acked = append(acked, ok...)
				return p
			}))
		}
		if viaSDK {
			put = merge(put, dm.measure(func() *phase {
				return direct(ctx, "PutObject", cfg.conc, slice, func(ctx context.Context, _ int) error {
					id := ids.Next()
					_, err := client.PutObject(ctx, &s3.PutObjectInput{
						Bucket: aws.String(b.vgw.Bucket), Key: aws.String(id),
						Body: bytes.NewReader(tmpl.Body(id)), ContentType: aws.String("application/json"),
					})
					if err == nil {
						mu.Lock()
						stored = append(stored, id)
						mu.Unlock()
					}
					return err
				})
			}))
		}
	}
	saved()
	if viaServer {
		b.check(post)
		if len(acked) == 0 {
			return fmt.Errorf("S3 mode, %s: no callback was acknowledged; first failure: %s; server log:\n%s", tmpl.Name, post.FirstErr, srv.logs)
		}
	}
	if viaSDK {
		b.check(put)
		if len(stored) == 0 {
			return fmt.Errorf("direct, %s: no PutObject succeeded: %s", tmpl.Name, put.FirstErr)
		}
	}

	covered := 0
	if viaServer {
		saved = b.profile(srv, "s3-get-"+tmpl.Name)
	}
	for range cfg.rounds {
		if viaServer {
			get = merge(get, sm.measure(func() *phase {
				// Each round goes on from the ids the last one reached.
				p, n := getTasks(srv.URL, tmpl, slices.Concat(acked[covered:], acked[:covered]), cfg.conc, slice)
				covered = min(len(acked), covered+n)
				return p
			}))
		}
		if viaSDK {
			read = merge(read, dm.measure(func() *phase {
				return direct(ctx, "GetObject", cfg.conc, slice, func(ctx context.Context, i int) error {
					id := stored[i%len(stored)]
					out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(b.vgw.Bucket), Key: aws.String(id)})
					if err != nil {
						return err
					}
					body, err := io.ReadAll(out.Body)
					out.Body.Close()
					if err != nil {
						return err
					}
					if !tmpl.Matches(id, body) {
						return fmt.Errorf("GetObject %s: the body read back is not the one stored", id)
					}
					return nil
				})
			}))
		}
	}
	saved()
	if viaServer {
		b.check(get)
		b.verifyRest(srv.URL, tmpl, acked[covered:], fmt.Sprintf("S3 mode, %s", tmpl.Name), len(acked))
		rss, _ = peakRSS(srv.Pid())
		err := srv.Stop()
		srv = nil
		if err != nil {
			b.failed = append(b.failed, err.Error())
		}
	}
	if viaSDK {
		b.check(read)
	}
	b.printPair(tmpl, post, get, put, read, rss)
	return nil
}

func (b *bench) check(p *phase) {
	if b.vgw != nil && !b.vgw.Running() {
		b.failed = append(b.failed, fmt.Sprintf("%s: versitygw exited during the phase (was it killed from outside?); its last output: %q", p.Name, b.vgw.Output()))
	}
	if p.Failed > 0 {
		b.failed = append(b.failed, fmt.Sprintf("%s: %d of %d requests failed; the first: %s", p.Name, p.Failed, p.Failed+p.OK, p.FirstErr))
	}
}

// verifyRest reads back the acknowledged ids the timed GET phase did not
// reach, so every acknowledged callback is checked byte for byte.
func (b *bench) verifyRest(base string, tmpl *taskbody.Template, ids []string, what string, total int) {
	client := &http.Client{Transport: newTransport(b.cfg.conc), Timeout: 30 * time.Second}
	var mu sync.Mutex
	var bad []string
	work := make(chan string)
	var wg sync.WaitGroup
	for range b.cfg.conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				if err := readBack(client, base, tmpl, id); err != nil {
					mu.Lock()
					bad = append(bad, err.Error())
					mu.Unlock()
				}
			}
		}()
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	if len(bad) > 0 {
		b.failed = append(b.failed, fmt.Sprintf("%s: %d of %d acknowledged callbacks did not read back; the first: %s", what, len(bad), total, bad[0]))
		return
	}
	b.printf("%s: all %d acknowledged callbacks read back byte for byte\n", what, total)
}

func readBack(client *http.Client, base string, tmpl *taskbody.Template, id string) error {
	resp, err := client.Get(base + "/scale/task/" + id)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("GET %s: %w", id, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d, want 200", id, resp.StatusCode)
	}
	if !tmpl.Matches(id, body) {
		return fmt.Errorf("GET %s: the body read back (%d bytes) is not the one acknowledged", id, len(body))
	}
	return nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func (b *bench) printPair(tmpl *taskbody.Template, post, get, put, read *phase, rss int64) {
	b.printf("\n%s body, concurrency %d, %s per phase\n", tmpl.Name, b.cfg.conc, b.cfg.duration)
	w := tabwriter.NewWriter(b.out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "\tok\tfailed\treq/s\tp50\tp99\tserver CPU/op\tversitygw CPU/op\tbench CPU/op\t")
	row := func(label string, p *phase, viaServer bool) {
		if p == nil {
			return
		}
		srv := "-"
		if viaServer {
			srv = ms(p.CPUPerOp(p.ServerCPU))
		}
		fmt.Fprintf(w, "%s\t%d\t%d\t%.0f\t%s\t%s\t%s\t%s\t%s\t\n", label, p.OK, p.Failed, p.RPS(), ms(p.Quantile(0.5)), ms(p.Quantile(0.99)), srv, ms(p.CPUPerOp(p.StoreCPU)), ms(p.CPUPerOp(p.BenchCPU)))
	}
	row("server POST /scale/callback", post, true)
	row("direct PutObject (AWS SDK)", put, false)
	row("server GET /scale/task/{id}", get, true)
	row("direct GetObject (AWS SDK)", read, false)
	_ = w.Flush()
	small := tmpl.Len() < 10<<10
	if post != nil {
		want := 1.0
		if small {
			want = 0.25
		}
		cpu := post.CPUPerOp(post.ServerCPU)
		b.target(fmt.Sprintf("server CPU per callback, %s", tmpl.Name), ms(cpu), fmt.Sprintf("<= %.2f ms", want), float64(cpu)/float64(time.Millisecond) <= want)
		b.printf("server peak RSS: %s\n", mib(rss))
	}
	if post != nil && put != nil {
		r := post.RPS() / put.RPS()
		want := 0.75
		if small {
			want = 0.9
		}
		b.printf("POST/PUT throughput ratio, server/direct: %.2fx\n", r)
		b.target(fmt.Sprintf("callback throughput / direct PUT, %s", tmpl.Name), fmt.Sprintf("%.2fx", r), fmt.Sprintf(">= %.2fx", want), r >= want)
	}
	if get != nil && read != nil {
		r := get.RPS() / read.RPS()
		b.printf("GET throughput ratio, server/direct: %.2fx\n", r)
		b.target(fmt.Sprintf("task GET throughput / direct GET, %s", tmpl.Name), fmt.Sprintf("%.2fx", r), ">= 0.90x", r >= 0.9)
	}
}

func (b *bench) target(what, got, want string, met bool) {
	b.targets = append(b.targets, target{what, got, want, met})
}

func (b *bench) printTargets() {
	if len(b.targets) == 0 {
		return
	}
	b.printf("\ntargets (issue 5)\n")
	w := tabwriter.NewWriter(b.out, 0, 0, 2, ' ', 0)
	for _, t := range b.targets {
		verdict := "met"
		if !t.met {
			verdict = "MISSED"
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\n", t.what, t.got, t.want, verdict)
	}
	_ = w.Flush()
}

// peakMemory measures the server's peak RSS under rssConc callbacks of
// 200 KB at once, in a fresh process.
func (b *bench) peakMemory(ctx context.Context) error {
	tmpl := taskbody.Large()
	srv, err := b.startS3Server()
	if err != nil {
		return err
	}
	post, acked := postCallbacks(srv.URL, b.authKey, tmpl, b.cfg.rssConc, b.cfg.duration)
	b.check(post)
	rss, err := peakRSS(srv.Pid())
	if err != nil {
		return err
	}
	b.verifyRest(srv.URL, tmpl, acked, fmt.Sprintf("S3 mode, %s, concurrency %d", tmpl.Name, b.cfg.rssConc), len(acked))
	if err := srv.Stop(); err != nil {
		b.failed = append(b.failed, err.Error())
	}
	b.printf("\npeak memory: concurrency %d, %s bodies, %s: %.0f callbacks/s, p99 %s, server peak RSS %s\n",
		b.cfg.rssConc, tmpl.Name, b.cfg.duration, post.RPS(), ms(post.Quantile(0.99)), mib(rss))
	b.target(fmt.Sprintf("server peak RSS, concurrency %d, %s", b.cfg.rssConc, tmpl.Name), mib(rss), "<= 64 MiB", rss <= 64<<20)
	return nil
}

// startup times exec to the first 200 from /healthz in local-folder mode.
func (b *bench) startup(ctx context.Context) error {
	client := &http.Client{Timeout: time.Second}
	var times []time.Duration
	for i := range b.cfg.startupRuns {
		dir, err := os.MkdirTemp(b.tmp, "startup-")
		if err != nil {
			return err
		}
		srv, err := startServer(b.bin, append(b.baseEnv(), "DATA_DIR="+dir))
		if err != nil {
			return err
		}
		for {
			if ctx.Err() != nil {
				_ = srv.Stop()
				return ctx.Err()
			}
			resp, err := client.Get(srv.URL + "/healthz")
			if err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Since(srv.Started) > 10*time.Second {
				_ = srv.Stop()
				return fmt.Errorf("startup run %d: no 200 from /healthz within 10s (last: %v)", i, err)
			}
			time.Sleep(time.Millisecond)
		}
		times = append(times, time.Since(srv.Started))
		if err := srv.Stop(); err != nil {
			b.failed = append(b.failed, err.Error())
		}
		client.CloseIdleConnections()
	}
	slices.Sort(times)
	med, worst := times[len(times)/2], times[len(times)-1]
	b.printf("\nstart-up, local-folder mode: exec to first /healthz 200 over %d runs: median %s, worst %s\n", len(times), ms(med), ms(worst))
	b.target("exec to first /healthz 200 (worst run)", ms(worst), "<= 100 ms", worst <= 100*time.Millisecond)
	return nil
}

// local measures durable callback writes in local-folder mode beside the
// disk's own fsync rate, in the same folder.
func (b *bench) local(ctx context.Context) error {
	tmpl := taskbody.Small()
	dir, err := os.MkdirTemp(b.tmp, "data-")
	if err != nil {
		return err
	}
	srv, err := b.startProfiled(append(b.baseEnv(), "DATA_DIR="+dir))
	if err != nil {
		return err
	}
	m := meter{server: srv.Pid()}
	var acked []string
	saved := b.profile(srv, "local-post-"+tmpl.Name)
	defer saved()
	post := m.measure(func() (p *phase) {
		p, acked = postCallbacks(srv.URL, b.authKey, tmpl, b.cfg.conc, b.cfg.duration)
		return p
	})
	b.check(post)
	b.verifyRest(srv.URL, tmpl, acked, fmt.Sprintf("local-folder mode, %s", tmpl.Name), len(acked))
	if err := srv.Stop(); err != nil {
		b.failed = append(b.failed, err.Error())
	}
	fsyncs, err := fsyncRate(b.tmp, b.cfg.duration)
	if err != nil {
		return err
	}
	cpu0, _ := cpuTime(os.Getpid())
	ceiling, err := durableWriteRate(b.tmp, b.cfg.conc, b.cfg.duration)
	if err != nil {
		return err
	}
	cpu1, _ := cpuTime(os.Getpid())
	ceilingCPU := time.Duration(float64(cpu1-cpu0) / (ceiling * b.cfg.duration.Seconds()))
	b.printf("\nlocal-folder mode (%s bodies, concurrency %d, folder on %s):\n", tmpl.Name, b.cfg.conc, b.cfg.dir)
	b.printf("  durable callbacks/s: %.0f (p50 %s, p99 %s, server CPU/op %s)\n", post.RPS(), ms(post.Quantile(0.5)), ms(post.Quantile(0.99)), ms(post.CPUPerOp(post.ServerCPU)))
	b.printf("  the disk alone: %.0f fsync/s (one file, one writer); %.0f durable 1 KB file writes/s (temp file, fsync, rename, fsync folder; %d writers; %s CPU each, mostly the kernel's)\n", fsyncs, ceiling, b.cfg.conc, ms(ceilingCPU))
	return nil
}

// cpuModel is the processor's model name from /proc/cpuinfo.
func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "model name") {
			_, name, _ := strings.Cut(line, ":")
			return strings.TrimSpace(name)
		}
	}
	return "unknown CPU"
}
