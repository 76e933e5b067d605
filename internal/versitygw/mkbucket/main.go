// Command mkbucket creates the test bucket on the S3-compatible server named
// by S3_TEST_ENDPOINT, S3_TEST_BUCKET, S3_TEST_ACCESS_KEY and
// S3_TEST_SECRET_KEY. .ci/run uses it once versitygw answers.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/scale-callback/scale-callback/internal/versitygw"
)

func main() {
	endpoint, bucket := os.Getenv("S3_TEST_ENDPOINT"), os.Getenv("S3_TEST_BUCKET")
	if endpoint == "" || bucket == "" {
		fmt.Fprintln(os.Stderr, "mkbucket: set S3_TEST_ENDPOINT and S3_TEST_BUCKET (and S3_TEST_ACCESS_KEY, S3_TEST_SECRET_KEY)")
		os.Exit(2)
	}
	client := versitygw.NewClient(endpoint, os.Getenv("S3_TEST_ACCESS_KEY"), os.Getenv("S3_TEST_SECRET_KEY"))
	if err := versitygw.CreateBucket(context.Background(), client, bucket); err != nil {
		fmt.Fprintln(os.Stderr, "mkbucket:", err)
		os.Exit(1)
	}
	fmt.Printf("mkbucket: bucket %s ready at %s\n", bucket, endpoint)
}
