package versitygw

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// startOrSkip starts a versitygw for one test, or skips when none is installed.
func startOrSkip(t *testing.T) *Server {
	t.Helper()
	bin := Find()
	if bin == "" {
		t.Skip("versitygw is not installed (go install " + Package + ")")
	}
	s, err := Start(context.Background(), bin, t.TempDir(), "test-bucket")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestObjectsSurviveARestart(t *testing.T) {
	s := startOrSkip(t)
	ctx := context.Background()
	client := s.Client()
	want := []byte(`{"task_id":"abc"}`)
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String("abc"), Body: bytes.NewReader(want)}); err != nil {
		t.Fatalf("put: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(s.Bucket)}); err == nil {
		t.Fatal("HeadBucket on a stopped server succeeded, want an error")
	}
	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String("abc")})
	if err != nil {
		t.Fatalf("get after restart: %v", err)
	}
	got, _ := io.ReadAll(out.Body)
	out.Body.Close()
	if !bytes.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}
