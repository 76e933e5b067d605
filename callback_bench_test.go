package main

// Benchmarks of the callback and read paths in process, against a real
// versitygw in its own process, so that a CPU profile shows only this
// server's side of the work:
//
//	go test -run '^$' -bench . -cpuprofile cpu.prof && go tool pprof -top scale-callback.test cpu.prof

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/scale-callback/scale-callback/internal/taskbody"
	"github.com/scale-callback/scale-callback/internal/versitygw"
)

// benchS3Server starts the handlers over an S3 store on a versitygw of their
// own, or skips.
func benchS3Server(b *testing.B) http.Handler {
	b.Helper()
	bin := versitygw.Find()
	if bin == "" {
		b.Skip("versitygw is not installed (go install " + versitygw.Package + ")")
	}
	vgw, err := versitygw.Start(context.Background(), bin, b.TempDir(), "bench")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = vgw.Close() })
	store, err := newS3Store(context.Background(), s3Config{
		Bucket: vgw.Bucket, Endpoint: vgw.Endpoint, Region: versitygw.Region,
		AccessKey: vgw.AccessKey, SecretKey: vgw.SecretKey,
	})
	if err != nil {
		b.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	return newServer(logger, store, serverConfig{
		callbackKeys:     []string{proofAuthKey},
		maxCallbackBytes: defaultMaxCallbackBytes,
		storeTimeout:     storeTimeout,
		storeName:        "bench",
	})
}

func BenchmarkCallback(b *testing.B) {
	for _, tmpl := range []*taskbody.Template{taskbody.Small(), taskbody.Large()} {
		b.Run(tmpl.Name, func(b *testing.B) {
			h := benchS3Server(b)
			ids := taskbody.NewIDs()
			b.SetBytes(int64(tmpl.Len()))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					id := ids.Next()
					r := httptest.NewRequest(http.MethodPost, "/scale/callback", bytes.NewReader(tmpl.Body(id)))
					r.Header.Set("Content-Type", "application/json")
					r.Header.Set("Scale-Callback-Auth", proofAuthKey)
					w := httptest.NewRecorder()
					h.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						b.Errorf("callback %s: got status %d, want 200: %s", id, w.Code, w.Body)
						return
					}
				}
			})
		})
	}
}

func BenchmarkTaskGet(b *testing.B) {
	for _, tmpl := range []*taskbody.Template{taskbody.Small(), taskbody.Large()} {
		b.Run(tmpl.Name, func(b *testing.B) {
			h := benchS3Server(b)
			ids := taskbody.NewIDs()
			stored := make([]string, 64)
			for i := range stored {
				stored[i] = ids.Next()
				r := httptest.NewRequest(http.MethodPost, "/scale/callback", bytes.NewReader(tmpl.Body(stored[i])))
				r.Header.Set("Scale-Callback-Auth", proofAuthKey)
				w := httptest.NewRecorder()
				h.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatalf("callback: got status %d, want 200", w.Code)
				}
			}
			b.SetBytes(int64(tmpl.Len()))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for i := 0; pb.Next(); i++ {
					id := stored[i%len(stored)]
					w := httptest.NewRecorder()
					h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/scale/task/"+id, nil))
					if w.Code != http.StatusOK || !tmpl.Matches(id, w.Body.Bytes()) {
						b.Errorf("task %s: got status %d and %d bytes, want 200 and the body stored", id, w.Code, w.Body.Len())
						return
					}
				}
			})
		})
	}
}
