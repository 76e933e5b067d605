package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// s3Store keeps each task as the object <prefix><task_id> in one bucket, with
// one S3 client for the whole process.
type s3Store struct {
	client *s3.Client
	bucket string
	prefix string
}

var _ Store = (*s3Store)(nil)

// s3Config is what the S3 store needs from the environment.
type s3Config struct {
	Bucket    string
	Prefix    string
	Region    string
	Endpoint  string // an S3-compatible server; empty for AWS
	AccessKey string // with SecretKey; both empty for the SDK's default chain
	SecretKey string
}

// newS3Store builds the client. It does not contact S3; checkBucket does.
func newS3Store(ctx context.Context, c s3Config) (*s3Store, error) {
	// The SDK's default keeps 10 idle connections per host; a busy dyno
	// wants more, or it opens a new TLS connection for every burst.
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConns = 256
		t.MaxIdleConnsPerHost = 256
	})
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithHTTPClient(httpClient)}
	if c.Region != "" {
		opts = append(opts, awsconfig.WithRegion(c.Region))
	}
	if c.AccessKey != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(c.AccessKey, c.SecretKey, "")))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" && c.Endpoint != "" {
		// S3-compatible servers mostly ignore the region, but SigV4 needs one.
		cfg.Region = "us-east-1"
	}
	if cfg.Region == "" {
		return nil, errors.New("no S3 region: set S3_REGION (or AWS_REGION) to the bucket's region, such as us-east-1")
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
			o.UsePathStyle = true
			// The SDK's default CRC32 trailers break several S3-compatible servers.
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
	})
	return &s3Store{client: client, bucket: c.Bucket, prefix: c.Prefix}, nil
}

func (s *s3Store) key(taskID string) string { return s.prefix + taskID }

func (s *s3Store) Put(ctx context.Context, taskID string, body []byte) error {
	_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(s.key(taskID)),
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		ContentType:   aws.String("application/json"),
	})
	if err != nil {
		return fmt.Errorf("put %s: %w", s.Location(taskID), err)
	}
	return nil
}

func (s *s3Store) Get(ctx context.Context, taskID string) (*Task, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(s.key(taskID)),
	})
	if isS3NotFound(err) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", s.Location(taskID), err)
	}
	defer out.Body.Close()
	var body []byte
	if n := aws.ToInt64(out.ContentLength); n > 0 {
		body = make([]byte, n)
		_, err = io.ReadFull(out.Body, body)
	} else {
		body, err = io.ReadAll(out.Body)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: read body: %w", s.Location(taskID), err)
	}
	etag := aws.ToString(out.ETag)
	if etag == "" {
		etag = contentETag(body)
	} else if !strings.HasPrefix(etag, `"`) {
		etag = `"` + etag + `"`
	}
	return &Task{Body: body, ETag: etag, LastModified: aws.ToTime(out.LastModified).UTC()}, nil
}

func (s *s3Store) List(ctx context.Context, after string, limit int) ([]TaskInfo, bool, error) {
	infos := make([]TaskInfo, 0, limit)
	startAfter := s.prefix + after
	for {
		out, err := s.client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{
			Bucket:     aws.String(s.bucket),
			Prefix:     aws.String(s.prefix),
			StartAfter: aws.String(startAfter),
			MaxKeys:    aws.Int32(int32(limit - len(infos) + 1)),
		})
		if err != nil {
			return nil, false, fmt.Errorf("list s3://%s/%s: %w", s.bucket, s.prefix, err)
		}
		for _, obj := range out.Contents {
			key := aws.ToString(obj.Key)
			startAfter = key
			id := strings.TrimPrefix(key, s.prefix)
			if validTaskID(id) != nil {
				continue // an object this server did not write
			}
			if len(infos) == limit {
				return infos, true, nil
			}
			infos = append(infos, TaskInfo{ID: id, Bytes: aws.ToInt64(obj.Size), LastModified: aws.ToTime(obj.LastModified).UTC()})
		}
		if !aws.ToBool(out.IsTruncated) || len(out.Contents) == 0 {
			return infos, false, nil
		}
	}
}

// Ping asks for the bucket's head: cheap, and it needs only s3:ListBucket.
func (s *s3Store) Ping(ctx context.Context) error {
	_, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(s.bucket)})
	if err != nil {
		return fmt.Errorf("head bucket %s: %w", s.bucket, err)
	}
	return nil
}

func (s *s3Store) Location(taskID string) string {
	return "s3://" + s.bucket + "/" + s.key(taskID)
}

// checkBucket is the startup check: it turns a failing HeadBucket into one
// sentence that says what to fix.
func (s *s3Store) checkBucket(ctx context.Context, c s3Config) error {
	region, endpoint := s.client.Options().Region, c.Endpoint
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err := s.Ping(ctx)
	if err == nil {
		return nil
	}
	where := "S3"
	if endpoint != "" {
		where = endpoint
	}
	var respErr *awshttp.ResponseError
	switch {
	case strings.Contains(err.Error(), "retrieve credentials") || strings.Contains(err.Error(), "no EC2 IMDS role"):
		return fmt.Errorf("no S3 credentials: set S3_ACCESS_KEY and S3_SECRET_KEY (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY): %w", err)
	case errors.As(err, &respErr) && respErr.HTTPStatusCode() != 0:
		switch respErr.HTTPStatusCode() {
		case http.StatusNotFound:
			return fmt.Errorf("bucket %q does not exist at %s in region %s: create it, or fix S3_BUCKET_NAME or S3_REGION", s.bucket, where, region)
		case http.StatusForbidden:
			return fmt.Errorf("access to bucket %q denied: check S3_ACCESS_KEY and S3_SECRET_KEY, and that the IAM policy allows s3:ListBucket on the bucket (HTTP 403)", s.bucket)
		case http.StatusBadRequest, http.StatusMovedPermanently:
			return fmt.Errorf("bucket %q answered HTTP %d: it is probably in another region than %s; set S3_REGION to the bucket's region", s.bucket, respErr.HTTPStatusCode(), region)
		}
		return fmt.Errorf("bucket %q answered HTTP %d: %w", s.bucket, respErr.HTTPStatusCode(), err)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("%s did not answer within 10s: check S3_ENDPOINT and the network", where)
	}
	return fmt.Errorf("cannot reach %s: check S3_ENDPOINT and the network: %w", where, err)
}

// isS3NotFound reports whether err says the object does not exist. AWS says
// NoSuchKey on GET; a HEAD or some compatible servers say NotFound.
func isS3NotFound(err error) bool {
	if err == nil {
		return false
	}
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return true
		}
	}
	return false
}
