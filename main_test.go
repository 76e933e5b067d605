package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// startRun runs the program as main does, with env as its environment, and
// returns the server's base URL once it listens, and a channel with run's
// result.
func startRun(t *testing.T, env map[string]string) (string, <-chan error) {
	t.Helper()
	getenv := func(k string) string { return env[k] }
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(context.Background(), []string{"scale-callback"}, getenv, strings.NewReader(""), io.Discard, pw)
		pw.CloseWithError(err)
		done <- err
	}()
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			if strings.Contains(line, "msg=listening") {
				for _, f := range strings.Fields(line) {
					if a, ok := strings.CutPrefix(f, "addr="); ok {
						addr <- a
					}
				}
			}
		}
		close(addr)
	}()
	a, ok := <-addr
	if !ok {
		t.Fatalf("the server stopped before listening: %v", <-done)
	}
	port := a[strings.LastIndex(a, ":")+1:]
	return "http://127.0.0.1:" + port, done
}

// An end-to-end run: start the real server on port 0 with a local folder,
// post a callback, read it back, and stop it with SIGTERM.
func TestRunServesCallbacksAndStopsOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	base, done := startRun(t, map[string]string{
		"PORT":                    "0",
		"DATA_DIR":                dir,
		"SCALE_CALLBACK_AUTH_KEY": testKey,
	})

	waitHealthy(t, base)

	req, _ := http.NewRequest("POST", base+"/scale/callback", strings.NewReader(testCallback))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("scale-callback-auth", testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("callback: got %d, want 200", resp.StatusCode)
	}
	onDisk, err := os.ReadFile(filepath.Join(dir, testTaskID+".json"))
	if err != nil || string(onDisk) != testCallback {
		t.Errorf("file on disk: got %q, %v; want the body", onDisk, err)
	}

	resp, err = http.Get(base + "/scale/task/" + testTaskID)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != testCallback {
		t.Errorf("read back: got %d %q, want 200 and the body", resp.StatusCode, got)
	}

	stopWithSIGTERM(t, done)
}

// stopWithSIGTERM signals this process, as Heroku signals a dyno, and waits
// for run to return nil.
func stopWithSIGTERM(t *testing.T, done <-chan error) {
	t.Helper()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run after SIGTERM: got %v, want nil (exit 0)", err)
		}
	case <-time.After(shutdownGrace + 5*time.Second):
		t.Fatal("run did not return after SIGTERM")
	}
}

// The same through S3: the settings reach the SDK, and the object lands under
// S3_PREFIX with its content type.
func TestRunInS3Mode(t *testing.T) {
	fake := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(fake.Close)
	c := s3Config{Bucket: "scale-tasks", Endpoint: fake.URL, AccessKey: "ak", SecretKey: "sk"}
	s, err := newS3Store(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(c.Bucket)}); err != nil {
		t.Fatal(err)
	}
	base, done := startRun(t, map[string]string{
		"PORT":                    "0",
		"S3_BUCKET_NAME":          c.Bucket,
		"S3_PREFIX":               "scale/",
		"S3_ENDPOINT":             fake.URL,
		"S3_ACCESS_KEY":           c.AccessKey,
		"S3_SECRET_KEY":           c.SecretKey,
		"SCALE_CALLBACK_AUTH_KEY": "other_key, " + testKey,
	})
	waitHealthy(t, base)
	req, _ := http.NewRequest("POST", base+"/scale/callback", strings.NewReader(testCallback))
	req.Header.Set("scale-callback-auth", testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	ack, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := "s3://scale-tasks/scale/" + testTaskID; resp.StatusCode != 200 || !strings.Contains(string(ack), want) {
		t.Fatalf("callback: got %d %s, want 200 naming %s", resp.StatusCode, ack, want)
	}
	obj, err := s.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(c.Bucket), Key: aws.String("scale/" + testTaskID)})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if string(got) != testCallback || aws.ToString(obj.ContentType) != "application/json" {
		t.Errorf("object: got %q as %q, want the body as application/json", got, aws.ToString(obj.ContentType))
	}
	stopWithSIGTERM(t, done)
}

func waitHealthy(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz did not answer 200 within 10s: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRunRefusesBadSettings(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string // what the one-line error must mention
	}{
		{"port that is not a number", map[string]string{"PORT": "http"}, "PORT"},
		{"port out of range", map[string]string{"PORT": "70000"}, "PORT"},
		{"body limit that is not a number", map[string]string{"MAX_CALLBACK_BYTES": "10MB"}, "MAX_CALLBACK_BYTES"},
		{"body limit of zero", map[string]string{"MAX_CALLBACK_BYTES": "0"}, "MAX_CALLBACK_BYTES"},
		{"auth key of commas only", map[string]string{"SCALE_CALLBACK_AUTH_KEY": " , ,"}, "SCALE_CALLBACK_AUTH_KEY"},
		{"S3 without an auth key", map[string]string{"S3_BUCKET_NAME": "b", "S3_REGION": "us-east-1"}, "SCALE_CALLBACK_AUTH_KEY"},
		{"S3 access key without secret", map[string]string{"S3_BUCKET_NAME": "b", "SCALE_CALLBACK_AUTH_KEY": "k", "S3_ACCESS_KEY": "AKIA"}, "S3_SECRET_KEY"},
		{"S3 endpoint that is not a URL", map[string]string{"S3_BUCKET_NAME": "b", "SCALE_CALLBACK_AUTH_KEY": "k", "S3_ENDPOINT": "localhost:9000"}, "S3_ENDPOINT"},
		{"S3 endpoint that does not answer", map[string]string{"S3_BUCKET_NAME": "b", "SCALE_CALLBACK_AUTH_KEY": "k", "S3_ENDPOINT": "http://127.0.0.1:1", "S3_ACCESS_KEY": "a", "S3_SECRET_KEY": "s"}, "cannot reach"},
		{"data folder that is a file", map[string]string{"DATA_DIR": "/dev/null"}, "DATA_DIR"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.env["DATA_DIR"] == "" {
				tc.env["DATA_DIR"] = t.TempDir()
			}
			var stderr bytes.Buffer
			err := run(context.Background(), []string{"scale-callback"}, func(k string) string { return tc.env[k] }, nil, io.Discard, &stderr)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error mentioning %s", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("the error spans several lines: %q", err)
			}
			for _, secret := range []string{"S3_ACCESS_KEY", "S3_SECRET_KEY", "SCALE_CALLBACK_AUTH_KEY"} {
				if v := strings.TrimSpace(tc.env[secret]); len(v) > 1 && strings.Contains(err.Error(), v) {
					t.Errorf("the error quotes the value of %s: %v", secret, err)
				}
			}
		})
	}
}

func TestStartupWarnsAboutWhatAnOperatorShouldKnow(t *testing.T) {
	tests := []struct {
		name    string
		cfg     config
		want    []string
		notWant []string
	}{
		{"local folder on Heroku, open and public", config{dataDir: "./data", onHeroku: true},
			[]string{"DATA IS NOT KEPT", "without authentication", "reads are public"}, nil},
		{"local folder elsewhere, with a key and a password", config{dataDir: "./data", callbackKeys: []string{"k"}, viewerPassword: "p"},
			nil, []string{"DATA IS NOT KEPT", "without authentication", "reads are public"}},
		{"S3 on Heroku", config{s3: &s3Config{Bucket: "b"}, onHeroku: true, callbackKeys: []string{"k"}},
			[]string{"reads are public"}, []string{"DATA IS NOT KEPT"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var log bytes.Buffer
			warnAboutSetup(slog.New(slog.NewTextHandler(&log, nil)), tc.cfg)
			for _, w := range tc.want {
				if !strings.Contains(log.String(), w) {
					t.Errorf("startup log %q lacks %q", log.String(), w)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(log.String(), w) {
					t.Errorf("startup log %q has %q", log.String(), w)
				}
			}
		})
	}
}
