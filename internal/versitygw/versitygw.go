// Package versitygw starts a real S3-compatible server, versitygw with its
// posix backend, on loopback for the benchmark and for the tests that need to
// stop and restart the store under a running callback server.
package versitygw

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Package is what `go install` takes to build the pinned versitygw release.
const Package = "github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// Region is the region the server and every client agree on.
const Region = "us-east-1"

// Find returns the path of a versitygw binary on PATH or in
// $(go env GOPATH)/bin, or "" when there is none.
func Find() string {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	gopath := os.Getenv("GOPATH")
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		gopath = strings.TrimSpace(string(out))
	}
	if gopath == "" {
		home, _ := os.UserHomeDir()
		gopath = filepath.Join(home, "go")
	}
	p := filepath.Join(strings.Split(gopath, string(os.PathListSeparator))[0], "bin", "versitygw")
	if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
		return p
	}
	return ""
}

// Install builds the pinned versitygw with `go install` (a few minutes on a
// fresh machine) and returns the path of the binary.
func Install(ctx context.Context, progress io.Writer) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "install", Package)
	cmd.Stdout, cmd.Stderr = progress, progress
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go install %s: %w", Package, err)
	}
	if p := Find(); p != "" {
		return p, nil
	}
	return "", fmt.Errorf("go install %s succeeded but no versitygw binary was found in $(go env GOPATH)/bin", Package)
}

// Server is one versitygw process serving a posix folder on 127.0.0.1.
type Server struct {
	Endpoint  string // http://127.0.0.1:PORT
	Bucket    string
	AccessKey string
	SecretKey string

	bin  string
	addr string
	dir  string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	out  *tailBuffer
}

// Start runs versitygw from bin on a free loopback port over a new folder
// under dir, waits until it answers and creates bucket in it.
func Start(ctx context.Context, bin, dir, bucket string) (*Server, error) {
	root, err := os.MkdirTemp(dir, "versitygw-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{
		Bucket:    bucket,
		AccessKey: "bench" + randomHex(8),
		SecretKey: randomHex(20),
		bin:       bin,
		addr:      fmt.Sprintf("127.0.0.1:%d", port),
		dir:       root,
	}
	s.Endpoint = "http://" + s.addr
	if err := s.start(ctx); err != nil {
		return nil, err
	}
	if err := CreateBucket(ctx, s.Client(), bucket); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// Client returns an S3 client for this server, set up as the callback
// server sets up its own for an S3-compatible endpoint.
func (s *Server) Client() *s3.Client {
	return NewClient(s.Endpoint, s.AccessKey, s.SecretKey)
}

// Pid is the process id of the running versitygw, or 0 when it is stopped.
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Running reports whether the server process is still alive.
func (s *Server) Running() bool {
	s.mu.Lock()
	done := s.done
	s.mu.Unlock()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// Output is the tail of what the server printed, for error messages.
func (s *Server) Output() string { return s.out.String() }

// Stop kills the server and waits for it to exit. Its folder stays, so
// Restart brings back everything it had stored.
func (s *Server) Stop() error {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Kill()
	<-done
	return nil
}

// Restart starts the server again on the same address over the same folder.
func (s *Server) Restart(ctx context.Context) error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.start(ctx)
}

// Close stops the server and removes its folder.
func (s *Server) Close() error {
	err := s.Stop()
	return errors.Join(err, os.RemoveAll(s.dir))
}

func (s *Server) start(ctx context.Context) error {
	cmd := exec.Command(s.bin, "--port", s.addr, "--quiet", "--keep-alive", "posix", s.dir)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+s.AccessKey, "ROOT_SECRET_KEY="+s.SecretKey)
	s.out = &tailBuffer{max: 8 << 10}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start versitygw: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	if err := waitAnswers(ctx, s.Endpoint, done); err != nil {
		_ = s.Stop()
		return fmt.Errorf("versitygw on %s: %w; its output: %s", s.addr, err, s.out.String())
	}
	return nil
}

// waitAnswers polls endpoint until any HTTP response comes back (an
// unauthenticated request gets a 403, which is an answer).
func waitAnswers(ctx context.Context, endpoint string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/", nil)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("exited before it answered")
		case <-ctx.Done():
			return fmt.Errorf("no answer: %w", err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// NewClient returns an S3 client for an S3-compatible endpoint: static
// keys, path-style addressing, and checksums only where the API requires
// them.
func NewClient(endpoint, accessKey, secretKey string) *s3.Client {
	return s3.New(s3.Options{
		Region:                     Region,
		BaseEndpoint:               aws.String(endpoint),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// CreateBucket creates bucket, and is content when it already exists.
func CreateBucket(ctx context.Context, client *s3.Client, bucket string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
	if err != nil {
		if _, herr := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)}); herr == nil {
			return nil
		}
		return fmt.Errorf("create bucket %s: %w", bucket, err)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// tailBuffer keeps the last max bytes written to it, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf bytes.Buffer
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}
