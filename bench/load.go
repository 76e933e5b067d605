package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/scale-callback/scale-callback/internal/taskbody"
)

// phase is what one fixed-concurrency, fixed-duration run measured.
type phase struct {
	Name      string
	OK        int           // 2xx answers (or SDK calls without error)
	Failed    int           // anything else
	FirstErr  string        // the first failure, for the report
	Elapsed   time.Duration // from the first request to the last answer
	Latencies []time.Duration
	// CPU time of the measured processes over the phase (0 when not measured).
	ServerCPU time.Duration
	StoreCPU  time.Duration
	BenchCPU  time.Duration // this process: the load generator or the SDK client
}

func (p *phase) fail(msg string) {
	p.Failed++
	if p.FirstErr == "" {
		p.FirstErr = msg
	}
}

// merge adds the rounds of one phase together.
func merge(total, round *phase) *phase {
	if total == nil {
		return round
	}
	total.OK += round.OK
	total.Failed += round.Failed
	if total.FirstErr == "" {
		total.FirstErr = round.FirstErr
	}
	total.Elapsed += round.Elapsed
	total.Latencies = append(total.Latencies, round.Latencies...)
	total.ServerCPU += round.ServerCPU
	total.StoreCPU += round.StoreCPU
	total.BenchCPU += round.BenchCPU
	return total
}

// RPS is successful requests per second.
func (p *phase) RPS() float64 { return float64(p.OK) / p.Elapsed.Seconds() }

// Quantile is the q-quantile of the latencies (0 <= q <= 1).
func (p *phase) Quantile(q float64) time.Duration {
	if len(p.Latencies) == 0 {
		return 0
	}
	slices.Sort(p.Latencies)
	return p.Latencies[int(q*float64(len(p.Latencies)-1))]
}

// CPUPerOp is the server's CPU time per successful request.
func (p *phase) CPUPerOp(cpu time.Duration) time.Duration {
	if p.OK == 0 {
		return 0
	}
	return cpu / time.Duration(p.OK)
}

// meter reads the CPU time of the processes a phase is charged with.
type meter struct{ server, store int } // pids; 0 for none

func (m meter) read() (server, store, self time.Duration) {
	if m.server != 0 {
		server, _ = cpuTime(m.server)
	}
	if m.store != 0 {
		store, _ = cpuTime(m.store)
	}
	self, _ = cpuTime(os.Getpid())
	return server, store, self
}

// measure runs one phase and charges it with the CPU time the processes
// used meanwhile.
func (m meter) measure(run func() *phase) *phase {
	s0, t0, b0 := m.read()
	p := run()
	s1, t1, b1 := m.read()
	p.ServerCPU, p.StoreCPU, p.BenchCPU = s1-s0, t1-t0, b1-b0
	return p
}

// acks records the task ids the server acknowledged with a 2xx. It sits in
// the load generator's HTTP client, where each request's id is still at hand.
type acks struct {
	base http.RoundTripper
	mu   sync.Mutex
	ids  []string
}

func (a *acks) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := a.base.RoundTrip(req)
	if err == nil && resp.StatusCode/100 == 2 {
		a.mu.Lock()
		a.ids = append(a.ids, req.Header.Get("X-Request-Id"))
		a.mu.Unlock()
	}
	return resp, err
}

func newTransport(conc int) *http.Transport {
	return &http.Transport{
		MaxIdleConns:        2 * conc,
		MaxIdleConnsPerHost: 2 * conc,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
}

// attack runs vegeta with conc workers as fast as they go for d and
// checks every result with check (nil for none).
func attack(name string, client *http.Client, conc int, d time.Duration, tr vegeta.Targeter, check func(*vegeta.Result) error) *phase {
	atk := vegeta.NewAttacker(
		vegeta.Client(client),
		vegeta.Workers(uint64(conc)),
		vegeta.MaxWorkers(uint64(conc)),
	)
	p := &phase{Name: name}
	start := time.Now()
	for res := range atk.Attack(tr, vegeta.Rate{Freq: 0}, d, name) {
		p.Latencies = append(p.Latencies, res.Latency)
		switch {
		case res.Error != "":
			p.fail(fmt.Sprintf("%s %s: %s %s", res.Method, res.URL, res.Error, trim(res.Body)))
		case res.Code/100 != 2:
			p.fail(fmt.Sprintf("%s %s: status %d %s", res.Method, res.URL, res.Code, trim(res.Body)))
		case check != nil:
			if err := check(res); err != nil {
				p.fail(err.Error())
				continue
			}
			p.OK++
		default:
			p.OK++
		}
	}
	p.Elapsed = time.Since(start)
	return p
}

func trim(b []byte) string {
	if len(b) > 200 {
		b = b[:200]
	}
	return string(b)
}

// postCallbacks posts callbacks with new task ids to the server at base for
// d and returns the phase and the ids it acknowledged.
func postCallbacks(base, authKey string, tmpl *taskbody.Template, conc int, d time.Duration) (*phase, []string) {
	ids := taskbody.NewIDs()
	rec := &acks{base: newTransport(conc)}
	client := &http.Client{Transport: rec, Timeout: 30 * time.Second}
	url := base + "/scale/callback"
	tr := func(t *vegeta.Target) error {
		id := ids.Next()
		t.Method = http.MethodPost
		t.URL = url
		t.Body = tmpl.Body(id)
		t.Header = http.Header{
			"Content-Type":        {"application/json"},
			"Scale-Callback-Auth": {authKey},
			"X-Request-Id":        {id},
		}
		return nil
	}
	p := attack("POST /scale/callback", client, conc, d, tr, nil)
	return p, rec.ids
}

// getTasks reads the given task ids back from the server at base for d,
// cycling through them, and checks each body byte for byte. It returns how
// many ids from the start of ids it read at least once.
func getTasks(base string, tmpl *taskbody.Template, ids []string, conc int, d time.Duration) (*phase, int) {
	client := &http.Client{Transport: newTransport(conc), Timeout: 30 * time.Second}
	var n atomic.Int64
	tr := func(t *vegeta.Target) error {
		i := n.Add(1) - 1
		t.Method = http.MethodGet
		t.URL = base + "/scale/task/" + ids[i%int64(len(ids))]
		return nil
	}
	check := func(res *vegeta.Result) error {
		id := path.Base(res.URL)
		if !tmpl.Matches(id, res.Body) {
			return fmt.Errorf("GET %s: the body read back (%d bytes) is not the one acknowledged (%d bytes)", res.URL, len(res.Body), tmpl.Len())
		}
		return nil
	}
	p := attack("GET /scale/task/{id}", client, conc, d, tr, check)
	return p, int(min(n.Load(), int64(len(ids))))
}

// direct runs op from conc goroutines, each as fast as it goes, for d.
// op gets a sequence number unique to the call.
func direct(ctx context.Context, name string, conc int, d time.Duration, op func(ctx context.Context, i int) error) *phase {
	p := &phase{Name: name}
	var mu sync.Mutex
	var seq atomic.Int64
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			ok := 0
			var errs []string
			for time.Now().Before(deadline) {
				t0 := time.Now()
				err := op(ctx, int(seq.Add(1)-1))
				lat = append(lat, time.Since(t0))
				if err != nil {
					errs = append(errs, err.Error())
				} else {
					ok++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			p.Latencies = append(p.Latencies, lat...)
			p.OK += ok
			for _, e := range errs {
				p.fail(e)
			}
		}()
	}
	wg.Wait()
	p.Elapsed = time.Since(start)
	return p
}
