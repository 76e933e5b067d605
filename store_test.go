package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Every store keeps the same contract; this runs it against each of them.
func TestStoreContract(t *testing.T) {
	stores := map[string]func(t *testing.T) Store{
		"memory": func(t *testing.T) Store { return newMemStore() },
		"folder": func(t *testing.T) Store {
			s, err := newDirStore(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		"s3 (gofakes3)": newFakeS3Store,
		"s3 (S3_TEST_ENDPOINT)": func(t *testing.T) Store {
			if os.Getenv("S3_TEST_ENDPOINT") == "" {
				t.Skip("S3_TEST_ENDPOINT is not set; .ci/run starts versitygw and sets it")
			}
			return newRealS3Store(t)
		},
	}
	for name, newStore := range stores {
		t.Run(name, func(t *testing.T) { testStore(t, newStore) })
	}
}

func testStore(t *testing.T, newStore func(t *testing.T) Store) {
	ctx := context.Background()

	t.Run("unknown id is ErrNotFound", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Get(ctx, "5f0c0e4a2b9d8c0017a1b2c3"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get of an unknown id: got %v, want ErrNotFound", err)
		}
	})

	t.Run("body reads back byte for byte", func(t *testing.T) {
		s := newStore(t)
		body := []byte("{ \"task_id\" : \"t1\",\n\t\"b\": 1.50, \"a\": \"\\u00e9 é 😀\" }  \n")
		before := time.Now().Add(-time.Minute)
		if err := s.Put(ctx, "t1", body); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "t1")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Body, body) {
			t.Errorf("body: got %q, want %q", got.Body, body)
		}
		if !strings.HasPrefix(got.ETag, `"`) || !strings.HasSuffix(got.ETag, `"`) || len(got.ETag) < 3 {
			t.Errorf("ETag: got %q, want a quoted strong validator", got.ETag)
		}
		if got.LastModified.Before(before) || got.LastModified.After(time.Now().Add(time.Minute)) {
			t.Errorf("LastModified: got %v, want about now", got.LastModified)
		}
	})

	t.Run("latest delivery wins", func(t *testing.T) {
		s := newStore(t)
		first := []byte(`{"task_id":"t2","status":"completed"}`)
		second := []byte(`{"task_id":"t2","status":"error"}`)
		if err := s.Put(ctx, "t2", first); err != nil {
			t.Fatal(err)
		}
		a, err := s.Get(ctx, "t2")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, "t2", second); err != nil {
			t.Fatal(err)
		}
		b, err := s.Get(ctx, "t2")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b.Body, second) {
			t.Errorf("body after a second delivery: got %s, want %s", b.Body, second)
		}
		if a.ETag == b.ETag {
			t.Errorf("ETag did not change with the body: both %s", a.ETag)
		}
	})

	t.Run("a large body round-trips", func(t *testing.T) {
		s := newStore(t)
		body := bytes.Repeat([]byte(`{"x":"0123456789abcdef"},`), 50_000) // about 1.2 MB
		if err := s.Put(ctx, "big", body); err != nil {
			t.Fatal(err)
		}
		got, err := s.Get(ctx, "big")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Body, body) {
			t.Errorf("large body: got %d bytes, want %d, equal=false", len(got.Body), len(body))
		}
	})

	t.Run("list pages through ids in order", func(t *testing.T) {
		s := newStore(t)
		if got, more, err := s.List(ctx, "", 10); err != nil || len(got) != 0 || more {
			t.Fatalf("List of an empty store: got %v, more=%v, err=%v; want none", got, more, err)
		}
		ids := []string{"b", "a-b", "a", "Z9", "c_1", "a_"}
		sizes := map[string]int{}
		for i, id := range ids {
			body := []byte(fmt.Sprintf(`{"task_id":%q,"n":%d}`, id, i))
			sizes[id] = len(body)
			if err := s.Put(ctx, id, body); err != nil {
				t.Fatal(err)
			}
		}
		want := []string{"Z9", "a", "a-b", "a_", "b", "c_1"} // byte order, as S3 lists keys
		var got []string
		after := ""
		for pages := 0; ; pages++ {
			if pages > len(ids) {
				t.Fatalf("List does not end: pages so far %v", got)
			}
			page, more, err := s.List(ctx, after, 4)
			if err != nil {
				t.Fatal(err)
			}
			for _, info := range page {
				got = append(got, info.ID)
				if info.Bytes != int64(sizes[info.ID]) {
					t.Errorf("%s: got %d bytes, want %d", info.ID, info.Bytes, sizes[info.ID])
				}
				if info.LastModified.IsZero() {
					t.Errorf("%s: LastModified is zero", info.ID)
				}
			}
			if !more {
				break
			}
			after = page[len(page)-1].ID
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("listed ids: got %v, want %v", got, want)
		}
		page, more, err := s.List(ctx, "a-b", 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != 2 || page[0].ID != "a_" || page[1].ID != "b" || !more {
			t.Errorf("List after a-b, limit 2: got %v more=%v, want [a_ b] more=true", page, more)
		}
	})

	t.Run("concurrent writes all land", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := fmt.Sprintf("c%02d", i)
				errs <- s.Put(ctx, id, []byte(`{"task_id":"`+id+`"}`))
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for i := range 16 {
			id := fmt.Sprintf("c%02d", i)
			got, err := s.Get(ctx, id)
			if err != nil {
				t.Fatalf("Get %s: %v", id, err)
			}
			if want := `{"task_id":"` + id + `"}`; string(got.Body) != want {
				t.Errorf("%s: got %s, want %s", id, got.Body, want)
			}
		}
	})

	t.Run("ping answers and location names the id", func(t *testing.T) {
		s := newStore(t)
		if err := s.Ping(ctx); err != nil {
			t.Errorf("Ping: %v", err)
		}
		if loc := s.Location("abc"); !strings.Contains(loc, "abc") {
			t.Errorf("Location(abc): got %q, want it to name abc", loc)
		}
	})
}

func TestDirStoreIgnoresTemporaryAndForeignFiles(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		".tmp-abc-123":  `{"task_id":"abc"}`, // a write cut short by a crash
		"notes.txt":     "hello",
		"bad id!.json":  `{}`,
		"good_id.json":  `{"task_id":"good_id"}`,
		"good_id.json~": "editor backup",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s, err := newDirStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	page, more, err := s.List(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 1 || page[0].ID != "good_id" || more {
		t.Errorf("List: got %v more=%v, want only good_id", page, more)
	}
	if _, err := os.Stat(filepath.Join(dir, ".tmp-abc-123")); !os.IsNotExist(err) {
		t.Errorf("a leftover temporary file survived opening the store: stat err %v", err)
	}
}

func TestDirStorePutLeavesNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	s, err := newDirStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(context.Background(), "t", []byte(`{"task_id":"t"}`)); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != "t.json" {
		t.Errorf("folder after one Put: got %v, want [t.json]", names)
	}
}

func TestDirStoreRefusesAFolderItCannotWrite(t *testing.T) {
	file := filepath.Join(t.TempDir(), "plain-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := newDirStore(file); err == nil || !strings.Contains(err.Error(), "DATA_DIR") {
		t.Errorf("newDirStore on a plain file: got %v, want an error naming DATA_DIR", err)
	}
}

func TestS3StoreListSkipsForeignObjects(t *testing.T) {
	s := newFakeS3Store(t).(*s3Store)
	ctx := context.Background()
	for _, key := range []string{s.prefix + "nested/deeper", s.prefix + "has space", s.prefix + "ok1", s.prefix + "ok2"} {
		_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(s.bucket), Key: aws.String(key), Body: strings.NewReader("{}"),
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	page, more, err := s.List(ctx, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 1 || page[0].ID != "ok1" || !more {
		t.Errorf("first page of 1: got %v more=%v, want [ok1] more=true", page, more)
	}
	page, more, err = s.List(ctx, "ok1", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 1 || page[0].ID != "ok2" || more {
		t.Errorf("page after ok1: got %v more=%v, want [ok2] more=false", page, more)
	}
}

func TestS3StartupCheckNamesTheProblem(t *testing.T) {
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	ctx := context.Background()
	c := s3Config{Bucket: "no-such-bucket", Endpoint: srv.URL, AccessKey: "k", SecretKey: "s"}
	s, err := newS3Store(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.checkBucket(ctx, c); err == nil || !strings.Contains(err.Error(), `bucket "no-such-bucket" does not exist`) {
		t.Errorf("missing bucket: got %v, want an error saying it does not exist", err)
	}

	// Nothing listens on a port just closed.
	closed := httptest.NewServer(nil)
	closed.Close()
	c.Endpoint = closed.URL
	s, err = newS3Store(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.checkBucket(ctx, c); err == nil || !strings.Contains(err.Error(), "cannot reach") {
		t.Errorf("unreachable endpoint: got %v, want an error saying it cannot reach it", err)
	}
}

// newFakeS3Store is the S3 store through the real AWS SDK against gofakes3,
// an S3 wire-protocol server in this process.
func newFakeS3Store(t *testing.T) Store {
	t.Helper()
	srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	t.Cleanup(srv.Close)
	c := s3Config{Bucket: "tasks", Prefix: "scale/", Endpoint: srv.URL, AccessKey: "test", SecretKey: "test"}
	s, err := newS3Store(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(c.Bucket)}); err != nil {
		t.Fatal(err)
	}
	if err := s.checkBucket(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return s
}

// newRealS3Store is the S3 store against the server S3_TEST_ENDPOINT names,
// under a fresh prefix so that runs never see each other's tasks.
func newRealS3Store(t *testing.T) *s3Store {
	t.Helper()
	c := realS3Config(t)
	s, err := newS3Store(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.checkBucket(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	return s
}

// realS3Config reads S3_TEST_* and picks a fresh prefix.
func realS3Config(t *testing.T) s3Config {
	t.Helper()
	for _, v := range []string{"S3_TEST_BUCKET", "S3_TEST_ACCESS_KEY", "S3_TEST_SECRET_KEY"} {
		if os.Getenv(v) == "" {
			t.Fatalf("S3_TEST_ENDPOINT is set but %s is not", v)
		}
	}
	return s3Config{
		Bucket:    os.Getenv("S3_TEST_BUCKET"),
		Prefix:    "test-" + randomHex(6) + "/",
		Endpoint:  os.Getenv("S3_TEST_ENDPOINT"),
		AccessKey: os.Getenv("S3_TEST_ACCESS_KEY"),
		SecretKey: os.Getenv("S3_TEST_SECRET_KEY"),
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func TestDirStoreGivesUpOnAStalledDiskWhenTheContextEnds(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		_, err := bounded(ctx, func() (int, error) {
			close(started)
			<-release // a write that never returns
			return 0, nil
		})
		errc <- err
	}()
	<-started
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled while the disk is stalled", err)
	}
}

func TestS3StartupCheckNamesWrongKeys(t *testing.T) {
	if os.Getenv("S3_TEST_ENDPOINT") == "" {
		t.Skip("S3_TEST_ENDPOINT is not set; .ci/run starts versitygw and sets it")
	}
	c := realS3Config(t)
	c.SecretKey = "not-" + c.SecretKey
	s, err := newS3Store(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	err = s.checkBucket(context.Background(), c)
	if err == nil || !strings.Contains(err.Error(), "denied") || !strings.Contains(err.Error(), "S3_SECRET_KEY") {
		t.Errorf("wrong secret key: got %v, want an error saying access is denied and naming S3_SECRET_KEY", err)
	}
	if err != nil && strings.Contains(err.Error(), c.SecretKey) {
		t.Errorf("the error quotes the secret key: %v", err)
	}
}
