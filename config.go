package main

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// config is the whole configuration, read once from the environment.
type config struct {
	port             string
	dataDir          string
	s3               *s3Config // nil: the local folder
	callbackKeys     []string
	viewerPassword   string
	maxCallbackBytes int64
	onHeroku         bool
}

const (
	defaultPort             = "8080"
	defaultDataDir          = "./data"
	defaultMaxCallbackBytes = 10 << 20
	storeTimeout            = 10 * time.Second // well under Heroku's 30 s router limit
)

// loadConfig reads and checks every variable. An error names the variable and
// says what to put in it; it never quotes a secret.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		port:             defaultPort,
		dataDir:          defaultDataDir,
		maxCallbackBytes: defaultMaxCallbackBytes,
		viewerPassword:   getenv("VIEWER_PASSWORD"),
		onHeroku:         getenv("DYNO") != "",
	}
	if p := strings.TrimSpace(getenv("PORT")); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 65535 {
			return c, fmt.Errorf("PORT=%q is not a port number: set it to a number from 1 to 65535 (Heroku sets it for you)", truncate(p, 20))
		}
		c.port = strconv.Itoa(n)
	}
	if d := getenv("DATA_DIR"); d != "" {
		c.dataDir = d
	}
	if s := strings.TrimSpace(getenv("MAX_CALLBACK_BYTES")); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			return c, fmt.Errorf("MAX_CALLBACK_BYTES=%q is not a positive number of bytes: set it to, for example, %d (10 MiB)", truncate(s, 20), defaultMaxCallbackBytes)
		}
		c.maxCallbackBytes = n
	}
	if raw, set := lookup(getenv, "SCALE_CALLBACK_AUTH_KEY"); set {
		for _, k := range strings.Split(raw, ",") {
			if k = strings.TrimSpace(k); k != "" {
				c.callbackKeys = append(c.callbackKeys, k)
			}
		}
		if len(c.callbackKeys) == 0 {
			return c, fmt.Errorf("SCALE_CALLBACK_AUTH_KEY is set but holds no key: set it to the Callback Auth Key from the Scale dashboard (several keys separated by commas), or unset it")
		}
	}
	if bucket := strings.TrimSpace(getenv("S3_BUCKET_NAME")); bucket != "" {
		s3c, err := loadS3Config(getenv, bucket)
		if err != nil {
			return c, err
		}
		c.s3 = s3c
		if len(c.callbackKeys) == 0 {
			return c, fmt.Errorf("SCALE_CALLBACK_AUTH_KEY is not set: with S3_BUCKET_NAME set, the server refuses to take unauthenticated writes into the bucket; set it to the Callback Auth Key from the Scale dashboard")
		}
	}
	return c, nil
}

func loadS3Config(getenv func(string) string, bucket string) (*s3Config, error) {
	c := &s3Config{
		Bucket:    bucket,
		Prefix:    getenv("S3_PREFIX"),
		Region:    strings.TrimSpace(getenv("S3_REGION")),
		Endpoint:  strings.TrimSpace(getenv("S3_ENDPOINT")),
		AccessKey: strings.TrimSpace(getenv("S3_ACCESS_KEY")),
		SecretKey: strings.TrimSpace(getenv("S3_SECRET_KEY")),
	}
	if len(c.Prefix) > 512 {
		return nil, fmt.Errorf("S3_PREFIX is %d bytes long: keep it under 512 bytes, such as scale/tasks/", len(c.Prefix))
	}
	if (c.AccessKey == "") != (c.SecretKey == "") {
		return nil, fmt.Errorf("only one of S3_ACCESS_KEY and S3_SECRET_KEY is set: set both, or neither to use the AWS SDK's default credentials (AWS_ACCESS_KEY_ID, profiles, IAM roles)")
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("S3_ENDPOINT is not an http or https URL: set it to the server's address, such as https://s3.example.com or http://127.0.0.1:7070")
		}
	}
	return c, nil
}

// lookup tells a variable set to "" from an unset one, through getenv alone:
// a blank value counts as unset.
func lookup(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, strings.TrimSpace(v) != ""
}

// storeName says where tasks are kept, for the log and the index page.
func (c config) storeName() string {
	if c.s3 != nil {
		return "s3://" + c.s3.Bucket + "/" + c.s3.Prefix
	}
	return "the local folder " + c.dataDir
}
